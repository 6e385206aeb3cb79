"""Invariants of a run, checked on generated tables (hypothesis) and once with the real default model.

* every input row appears exactly once in the export (in every format);
* a human label is never changed, also after decisions;
* a proposed label is a known label or the name of a candidate (or renamed) cluster;
* the same seed gives the same output.
"""

import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from discovery import (DiscoveryConfig, InputError, name_cluster, read_table, run_discovery, split_cluster,
                       table_from_frame)
from discovery.export import to_csv_bytes, to_jsonl_bytes, to_parquet_bytes

DEMO = Path(__file__).resolve().parents[2] / "data" / "banking_demo.csv"
TOPICS = {
    "refund": "refund money back payment returned charge",
    "card": "card lost stolen abroad blocked wallet",
    "pin": "pin code change forgot reset number",
    "transfer": "transfer bank account wire sent arrived",
}
WORDS = " ".join(TOPICS.values()).split()
LABEL_SPELLINGS = {"refund": ["refund", "Refund", " refund "], "card": ["card", "CARD"], "pin": ["pin"],
                   "transfer": ["transfer"]}
ODD_TEXT = st.text(alphabet=st.sampled_from(list("ab =+-@,\"'\n\r\t😀ש") + ["\u202e"]), min_size=0, max_size=12)


@st.composite
def tables(draw):
    """A small partly labeled table: topic texts (some odd ones), labels in varied spellings, some rows unlabeled."""
    n = draw(st.integers(3, 40))
    rows = []
    for i in range(n):
        topic = draw(st.sampled_from(sorted(TOPICS)))
        words = draw(st.lists(st.sampled_from(TOPICS[topic].split() + WORDS[:3]), min_size=1, max_size=6))
        text = " ".join(words) if draw(st.integers(0, 9)) else draw(ODD_TEXT) + " " + " ".join(words)
        labeled = draw(st.sampled_from(["yes", "no", "no"]))
        label = draw(st.sampled_from(LABEL_SPELLINGS[topic])) if labeled == "yes" else draw(st.sampled_from(["", "NaN", None]))
        rows.append({"id": f"r{i}", "text": text, "label": label})
    return pd.DataFrame(rows)


def run(frame: pd.DataFrame, seed: int):
    table = table_from_frame(frame, name="generated.csv", data_hash="x")
    return table, run_discovery(table, DiscoveryConfig(model="tfidf", make_map=False, random_state=seed))


def check_invariants(frame: pd.DataFrame, table, result):
    out = result.labeled_table()
    # every input row exactly once, in order, with its own columns untouched
    assert len(out) == len(frame) and out.index.tolist() == list(range(len(frame)))
    assert out["id"].tolist() == frame["id"].tolist()
    assert out["text"].tolist() == [("" if t is None else str(t)) for t in frame["text"]]
    csv = pd.read_csv(io.BytesIO(to_csv_bytes(out)), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    jsonl = pd.read_json(io.BytesIO(to_jsonl_bytes(out)), lines=True, dtype=False)
    parquet = pd.read_parquet(io.BytesIO(to_parquet_bytes(out)))
    for exported in (csv, jsonl, parquet):
        assert exported["id"].tolist() == frame["id"].tolist()
    assert parquet["text"].tolist() == out["text"].tolist()
    # human labels are kept (in their unified spelling)
    human = table.labels >= 0
    assert (out.label_source[human] == "human").all()
    assert out.proposed_label[human].tolist() == [table.codec.names[c] for c in table.labels[human]]
    assert (out.label_source[~human] != "human").all()
    # proposals are known labels or candidate / renamed cluster names
    clusters = result.clusters
    allowed = set(table.codec.names) | set(clusters.display_name[(clusters.status == "candidate") | clusters.renamed])
    assert set(out.proposed_label) <= allowed, set(out.proposed_label) - allowed
    assert out.confidence.between(0, 1).all()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(frame=tables(), seed=st.integers(0, 2**16))
def test_invariants_on_generated_tables(frame, seed):
    table, result = run(frame, seed)
    check_invariants(frame, table, result)
    # same seed, same output (byte for byte)
    _, again = run(frame, seed)
    assert to_csv_bytes(again.labeled_table()) == to_csv_bytes(result.labeled_table())
    assert to_csv_bytes(again.clusters.drop(columns=["keywords", "label_counts", "representative_ids"], errors="ignore")) \
        == to_csv_bytes(result.clusters.drop(columns=["keywords", "label_counts", "representative_ids"], errors="ignore"))
    # decisions never change a human label
    if len(result.candidates):
        named = name_cluster(result, int(result.candidates.index[0]), "=new category")
        check_invariants(frame, table, named)
        assert "=new category" in set(named.labeled_table().proposed_label)
    # splitting a cluster moves only unlabeled rows: every human label and every row stays
    for cluster in result.clusters.sort_values("size", ascending=False).index:
        try:
            split = split_cluster(result, int(cluster))
        except InputError:  # fewer than two unlabeled rows, or nothing apart
            continue
        check_invariants(frame, table, split)
        moved = split.rows.cluster_id != result.rows.cluster_id
        assert moved.any() and split.rows.human_label[moved].isna().all()
        break


def test_invariants_with_the_real_default_model(tmp_path):
    demo = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    frame = demo.iloc[:200].reset_index(drop=True)
    frame.to_csv(tmp_path / "slice.csv", index=False)
    table = read_table(tmp_path / "slice.csv")
    config = DiscoveryConfig(make_map=False, random_state=0)
    result = run_discovery(table, config)
    check_invariants(frame, table, result)
    again = run_discovery(table, config)
    assert to_csv_bytes(again.labeled_table()) == to_csv_bytes(result.labeled_table())


@pytest.mark.parametrize("seed", [0, 1])
def test_every_row_once_after_a_hand_label(seed):
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(12)],
                          "text": [f"{TOPICS[t]} {i}" for i, t in enumerate(sorted(TOPICS) * 3)],
                          "label": ["refund", "card", None, None] * 3})
    from discovery import assign_label

    table, result = run(frame, seed)
    result = assign_label(result, [2, 3], "pin")
    out = result.labeled_table()
    assert out.proposed_label[[0, 1, 2, 3]].tolist() == ["refund", "card", "pin", "pin"]
    assert len(out) == 12 and out["id"].is_unique
