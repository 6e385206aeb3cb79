"""Regenerate data/banking_demo.csv (+ data/banking_demo_truth.csv) from ../shared/datasets/banking.

3,000 texts drawn from BANKING77 train; 60% of the intents are "known" and 10% of
their rows keep a label; every other row is unlabeled. The true labels of all rows
go to a separate file so the demo can be scored without the tool ever seeing them.
"""

from pathlib import Path

import numpy as np
import pandas as pd

SOURCE = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "banking" / "train.tsv"
OUT = Path(__file__).resolve().parents[1] / "data"
N_ROWS, KNOWN_SHARE, LABELED_SHARE, SEED = 3000, 0.6, 0.1, 0


def main() -> None:
    rng = np.random.RandomState(SEED)
    train = pd.read_csv(SOURCE, sep="\t", dtype=str, keep_default_na=False)
    sample = train.iloc[np.sort(rng.choice(len(train), N_ROWS, replace=False))].reset_index(drop=True)
    intents = np.unique(sample.label)
    known = set(rng.choice(intents, round(len(intents) * KNOWN_SHARE), replace=False))
    labeled = np.zeros(len(sample), dtype=bool)
    for intent in sorted(known):
        rows = np.flatnonzero(sample.label.to_numpy() == intent)
        labeled[rng.choice(rows, max(1, round(len(rows) * LABELED_SHARE)), replace=False)] = True
    demo = pd.DataFrame({"id": np.arange(len(sample)), "text": sample.text,
                         "label": np.where(labeled, sample.label, "")})
    OUT.mkdir(exist_ok=True)
    demo.to_csv(OUT / "banking_demo.csv", index=False)
    pd.DataFrame({"id": demo.id, "true_label": sample.label,
                  "known_intent": sample.label.isin(known)}).to_csv(OUT / "banking_demo_truth.csv", index=False)
    print(f"{len(demo)} rows, {len(known)} of {len(intents)} intents known, {labeled.sum()} labeled")


if __name__ == "__main__":
    main()
