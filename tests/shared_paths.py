"""Paths and real-data samples the tests share (a module of its own: every test folder may have its own conftest)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
DEMO = ROOT / "data" / "banking_demo.csv"
DEMO_TRUTH = ROOT / "data" / "banking_demo_truth.csv"


def intent_rows(dataset: str, intents=None, per_intent: int = 30):
    """The first ``per_intent`` train rows of each intent of a shared dataset, intent by intent (text, label).

    ``intents``: names, a slice of the sorted intent list, or None for all of them.
    """
    import pandas as pd

    train = pd.read_csv(SHARED / dataset / "train.tsv", sep="\t", dtype=str, keep_default_na=False)
    if intents is None or isinstance(intents, slice):
        intents = sorted(train.label.unique())[intents or slice(None)]
    return pd.concat([train[train.label == intent].head(per_intent) for intent in intents], ignore_index=True)
