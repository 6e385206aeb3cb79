"""How often uneven labeling alone trips the hidden-category flag (`may_hide_new_category`).

BANKING77 train, every class named, labeled ratio 0.1 (the protocol draw), frozen all-MiniLM-L6-v2
embeddings, K estimated. Run once as drawn ("even") and once with every other class keeping only a
third of its labeled rows ("uneven"). No class is unnamed, so every flag is a false alarm; under
uneven labels the flag is expected to fall on the under-labeled classes (README, step 6).

usage: python bench/hidden_category_uneven_labels.py [seed ...]   (about 1 minute per seed, embeddings cached)
"""

import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from discovery.evaluate import embed_texts, load_dataset, protocol_draw  # noqa: E402
from run_benchmarks import run_on_vectors  # noqa: E402
from split_flagged_clusters import uneven  # noqa: E402  (the same under-labeled classes: every other one)


def main(seeds) -> None:
    warnings.filterwarnings("ignore")
    train, _ = load_dataset(ROOT.parent / "shared" / "datasets" / "banking")
    labels = train.label.to_numpy(dtype=object).astype(str)
    X, _ = embed_texts(None, train.text.tolist(), random_state=0)
    under_labeled = set(sorted(set(labels))[::2])
    print("| seed | labels | clusters | flagged | flagged under-labeled classes |\n|---|---|---|---|---|")
    for seed in seeds:
        _, labeled = protocol_draw(labels, 1.0, 0.1, seed)
        for mode in ("even", "uneven"):
            kept = uneven(labels, labeled, seed) if mode == "uneven" else labeled
            clusters = run_on_vectors(train.text, labels, kept, X, seed, f"{mode}-{seed}").clusters
            flagged = clusters[clusters.may_hide_new_category]
            n_under = int(flagged.majority_label.isin(under_labeled).sum()) if mode == "uneven" else "-"
            print(f"| {seed} | {mode} | {len(clusters)} | {len(flagged)} | {n_under} |", flush=True)


if __name__ == "__main__":
    main([int(s) for s in sys.argv[1:]] or [0])
