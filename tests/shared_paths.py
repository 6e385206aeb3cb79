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


def one_intent_unnamed(small_banking, unnamed):
    """``small_banking`` with 6 labeled rows of every intent but ``unnamed`` (None: every intent named), run
    with no new cluster allowed, so an unnamed intent has to go into labeled intents' clusters.
    Returns (true labels, the label column given to the run, the result)."""
    import numpy as np
    import pandas as pd

    from discovery import DiscoveryConfig, run_discovery
    from discovery.io import table_from_frame

    frame, _, X = small_banking
    truth = frame.true_label.to_numpy(dtype=object)
    labels = truth.copy()
    for intent in frame.true_label.unique():
        rows = np.flatnonzero(truth == intent)
        labels[rows if intent == unnamed else rows[6:]] = ""
    table = table_from_frame(pd.DataFrame({"text": frame.text, "label": labels}), name="t.csv", data_hash="t",
                             text_column="text", label_column="label")
    return truth, labels, run_discovery(table, DiscoveryConfig(n_new_clusters=0, make_map=False), embeddings=X)


SIGNATURE = "Sent from Outlook for Android"


def signed_mcid(seed: int = 3):
    """M-CID's train split with a phone's e-mail signature under 70% of one intent's texts (the sixth) and 6% of
    every other's, 10% of the rows labeled (helper 83's third table): (frame of text and label, true labels,
    the intent that signs)."""
    import csv
    import random

    import pandas as pd

    train = pd.read_csv(SHARED / "mcid_mtpclnn" / "train.tsv", sep="\t", quoting=csv.QUOTE_NONE).dropna()
    signer = sorted(train.label.unique())[5]
    draw = random.Random(seed)
    texts = [f"{text}\n\n{SIGNATURE}" if draw.random() < (0.7 if label == signer else 0.06) else text
             for text, label in zip(train.text, train.label)]
    labels = [label if draw.random() < 0.1 else "" for label in train.label]
    return pd.DataFrame({"text": texts, "label": labels}), train.label.to_numpy(dtype=object), signer
