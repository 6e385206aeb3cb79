"""``discovery run`` on a large table: wall time, time per stage, peak memory and what the run found.

The table pools every text of the shared datasets (banking, stackoverflow, snips, mcid_mtpclnn: all
splits, 120 classes, about 49,000 distinct texts) and repeats them with light edits (a word dropped,
two words swapped or a filler word added) until it holds ``--rows`` rows. 5% of the rows keep their
label, except those of 10 classes drawn at random, which stay unlabeled: the categories the run should
bring back as candidates. Rows, edits and hidden classes are fixed by seed 0. The true class rides along
in a ``true_label`` column, which the run carries through untouched like any other column of the user's.

Recorded: wall time, the manifest's seconds per stage, the peak memory of the ``discovery run``
process, clusters and candidates, fill-in accuracy (the proposed label on unlabeled rows of labeled
classes; rows put in candidate clusters count wrong) and the share of the hidden classes' rows that
land in candidate clusters.

usage: python bench/large_table.py [--rows 250000] [--model tfidf]
       (about 15 minutes with TF-IDF; the default sentence model adds about 13 minutes of embedding
       per 250,000 rows and a few of fine-tuning)
Results go to bench/results/large_table.json and into docs/benchmarks.md
(``python bench/run_benchmarks.py --report-only``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from run_benchmarks import _machine, record_setting  # noqa: E402
from shared_paths import SHARED  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "large_table.json"
DATASETS = ("banking", "stackoverflow", "snips", "mcid_mtpclnn")
FILLERS = ("please", "thanks", "hi", "hello", "quick question", "urgent", "again", "today", "now", "help")
LABELED_SHARE = 0.05
HIDDEN_CLASSES = 10


def pooled_texts() -> pd.DataFrame:
    """Every distinct text of the shared datasets with its class, named ``dataset:class``."""
    frames = []
    for name in DATASETS:
        for split in ("train", "dev", "test"):
            frame = pd.read_csv(SHARED / name / f"{split}.tsv", sep="\t", quoting=3, dtype=str).dropna()
            frames.append(frame.assign(label=name + ":" + frame["label"]))
    return pd.concat(frames).drop_duplicates("text").reset_index(drop=True)


def large_table(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """``n_rows`` rows: the pooled texts, then edited copies of them; labels as the module docstring says."""
    base = pooled_texts()
    rng = np.random.RandomState(seed)
    texts, labels = [], []
    while len(texts) < n_rows:
        for text, label in zip(base.text, base.label):
            words = text.split()
            if len(texts) >= len(base):  # every copy after the first pass is edited
                roll = rng.rand()
                if roll < 1 / 3 and len(words) > 3:
                    del words[rng.randint(len(words))]
                elif roll < 2 / 3 and len(words) > 3:
                    i = rng.randint(len(words) - 1)
                    words[i], words[i + 1] = words[i + 1], words[i]
                else:
                    words.insert(rng.randint(len(words) + 1), FILLERS[rng.randint(len(FILLERS))])
            texts.append(" ".join(words))
            labels.append(label)
            if len(texts) >= n_rows:
                break
    table = pd.DataFrame({"text": texts, "true_label": labels})
    hidden = set(rng.choice(sorted(table.true_label.unique()), HIDDEN_CLASSES, replace=False))
    keep = (rng.rand(len(table)) < LABELED_SHARE) & ~table.true_label.isin(hidden)
    table["label"] = np.where(keep, table.true_label, "")
    return table


def run(table_path: Path, out: Path, model: str, seed: int) -> dict:
    """``discovery run`` in its own process: wall time and that process's peak memory."""
    command = [sys.executable, "-m", "discovery.cli", "run", str(table_path), "--out", str(out), "--model", model,
               "--seed", str(seed), "--quiet"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"discovery run failed:\n{done.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kB on Linux, the largest child so far
    if peak <= before:
        print("warning: an earlier child process peaked higher; the peak below may be its", file=sys.stderr)
    return {"seconds": seconds, "peak_gb": peak / 1e6, "stdout": done.stdout}


def score(table: pd.DataFrame, out: Path) -> dict:
    """What the run found, against the true classes of the rows it was not given."""
    rows = pd.read_parquet(out / "proposed_labels.parquet")
    manifest = json.loads((out / "manifest.json").read_text())
    clusters = pd.read_csv(out / "clusters.csv", encoding="utf-8-sig")
    truth = table.true_label.to_numpy()
    unlabeled = (table.label == "").to_numpy()
    named = np.isin(truth, table.label[~unlabeled].unique())
    hidden = unlabeled & ~named
    in_candidate = (rows.label_source == "candidate").to_numpy()
    return {
        "fillin_acc": 100 * float(np.mean(rows.proposed_label.to_numpy()[unlabeled & named] == truth[unlabeled & named])),
        "hidden_rows_in_candidates": 100 * float(in_candidate[hidden].mean()),
        "named_rows_in_candidates": 100 * float(in_candidate[unlabeled & named].mean()),
        "clusters": int(len(clusters)),
        "candidates": int((clusters.status == "candidate").sum()),
        "stage_seconds": manifest["stage_seconds"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=250_000)
    parser.add_argument("--model", default="tfidf", help="'tfidf' (default) or a sentence model ('' for the bundled one)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    table = large_table(args.rows, args.seed)
    with tempfile.TemporaryDirectory() as work:
        table_path = Path(work) / f"large_{args.rows}.csv"
        table.to_csv(table_path, index=False)
        measured = run(table_path, Path(work) / "out", args.model or "all-MiniLM-L6-v2", args.seed)
        found = score(table, Path(work) / "out")
    setting = {"rows": args.rows, "model": args.model or "all-MiniLM-L6-v2", "seed": args.seed,
               "distinct_texts": int(table.text.nunique()), "classes": int(table.true_label.nunique()),
               "labeled": int((table.label != "").sum()), "hidden_classes": HIDDEN_CLASSES,
               "seconds": measured["seconds"], "peak_gb": measured["peak_gb"], **found,
               "bench_minutes": (time.perf_counter() - started) / 60, "machine": _machine()}
    print(json.dumps(setting, indent=1))
    record_setting(RESULTS, setting, same=("rows", "model", "seed"))


if __name__ == "__main__":
    main()
