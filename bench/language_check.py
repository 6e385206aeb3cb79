"""Texts not in English: how the language check reads the benchmark data, and what the English model does.

For each shared dataset (all English), 2,000 train texts (seed 0): the share the language identifier
(py3langid) reads as English when free to answer any of its 139 languages (py3langid 0.4) and when held to the tool's
list (``discovery.language.LANGUAGE_NAMES``), and whether a run would warn. Then a small realistic table
of bank customers' questions in Spanish and German (tests/data/banking_es_de.csv, five BANKING77 intents,
eight questions each per language) against the same intents' first eight English questions in banking's
train split: with the bundled all-MiniLM-L6-v2, how often a text's nearest other text has its intent, and
(on the Spanish and German table) its language. Results go to bench/results/language_check.json and into
docs/benchmarks.md (``python bench/run_benchmarks.py --report-only``).

    python bench/language_check.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from discovery.embed import SentenceEmbedder  # noqa: E402
from discovery.evaluate import load_dataset  # noqa: E402
from discovery.language import check_languages, language_warning  # noqa: E402
from run_benchmarks import DATASETS, _machine  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets"
TABLE = ROOT / "tests" / "data" / "banking_es_de.csv"
RESULTS = ROOT / "bench" / "results" / "language_check.json"
SAMPLE = 2000


def free_english_share(texts) -> float:
    """Share read as English by py3langid left free to answer any of its languages."""
    import py3langid

    return float(np.mean([py3langid.classify(text)[0] == "en" for text in texts]))


def nearest_agreement(vectors: np.ndarray, *groupings: np.ndarray) -> list[float]:
    """For each grouping: the share of texts whose most similar other text is in the same group."""
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    nearest = similarity.argmax(1)
    return [float(np.mean(group[nearest] == group)) for group in groupings]


def main() -> int:
    datasets = []
    for name in DATASETS:
        if not (DATA / name).exists():
            continue
        train = load_dataset(DATA / name)[0]
        texts = train.text.astype(str).tolist()
        sample = [texts[i] for i in np.sort(np.random.RandomState(0).choice(len(texts), min(SAMPLE, len(texts)), replace=False))]
        start = time.perf_counter()
        check = check_languages(texts, random_state=0)
        seconds = time.perf_counter() - start
        datasets.append({"dataset": name, "texts_checked": check.n_checked, "english_free": free_english_share(sample),
                         "english": check.english_share, "warns": language_warning(check, None) is not None,
                         "seconds": round(seconds, 2)})
        print(datasets[-1], flush=True)
    table = pd.read_csv(TABLE)
    check = check_languages(table.text.tolist())
    banking = load_dataset(DATA / "banking")[0]
    english = pd.concat([banking[banking.label == intent].head(8) for intent in sorted(table.label.unique())])
    embedder = SentenceEmbedder(None, cache_dir=False)
    foreign_vectors = embedder.transform(table.text.tolist())
    same_intent, same_language = nearest_agreement(foreign_vectors, table.label.to_numpy(), table.language.to_numpy())
    spanish = (table.language == "es").to_numpy()
    per_language = {lang: nearest_agreement(foreign_vectors[(table.language == lang).to_numpy()],
                                            table.label.to_numpy()[(table.language == lang).to_numpy()])[0]
                    for lang in ("es", "de")}
    (english_intent,) = nearest_agreement(embedder.transform(english.text.tolist()), english.label.to_numpy())
    spanish_to_german = (foreign_vectors[spanish] @ foreign_vectors[~spanish].T).argmax(1)
    crossing = float(np.mean(table.label.to_numpy()[~spanish][spanish_to_german] == table.label.to_numpy()[spanish]))
    result = {"datasets": datasets, "sample": SAMPLE,
              "table": {"rows": len(table), "shares": check.to_dict()["shares"],
                        "warns": language_warning(check, None) is not None,
                        "nearest_same_intent": same_intent, "nearest_same_language": same_language,
                        "nearest_same_intent_by_language": per_language,
                        "spanish_to_nearest_german_same_intent": crossing,
                        "english_nearest_same_intent": english_intent, "intents": sorted(table.label.unique())},
              "machine": _machine()}
    print(json.dumps(result["table"], indent=1))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
