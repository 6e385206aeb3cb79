"""Decisions produce new, consistent results; the old result is never changed."""

import pytest

from discovery import (InputError, apply_decision, assign_label, dismiss_candidate, merge_clusters, name_cluster,
                       replay, set_min_confidence)


def first_candidate(result):
    return int(result.candidates.index[0])


def test_naming_a_candidate_relabels_its_rows_and_leaves_the_old_result(demo_result):
    cid = first_candidate(demo_result)
    before = demo_result.rows.copy()
    named = name_cluster(demo_result, cid, "card_not_working")
    members = named.rows.cluster_id == cid
    unlabeled = members & (named.rows.label_source != "human")
    assert (named.rows.loc[unlabeled, "proposed_label"] == "card_not_working").all()
    assert named.clusters.loc[cid, "display_name"] == "card_not_working"
    assert demo_result.rows.equals(before)
    assert named.decisions[-1] == {"action": "name", "cluster_id": cid, "name": "card_not_working"}


def test_merge_updates_rows_and_the_cluster_table(demo_result):
    a, b = (int(c) for c in demo_result.candidates.index[:2])
    size = demo_result.clusters.loc[a, "size"] + demo_result.clusters.loc[b, "size"]
    merged = merge_clusters(demo_result, [a, b])
    assert b not in merged.clusters.index
    assert merged.clusters.loc[a, "size"] == size
    assert (merged.rows.cluster_id == a).sum() == size
    assert not (merged.rows.cluster_id == b).any()
    assert len(merged.clusters) == len(demo_result.clusters) - 1


def test_dismissed_candidate_falls_back_to_fill_in(demo_result):
    cid = first_candidate(demo_result)
    dismissed = dismiss_candidate(demo_result, cid)
    rows = dismissed.rows[(dismissed.rows.cluster_id == cid) & (dismissed.rows.label_source != "human")]
    assert (rows.label_source == demo_result.fill_method).all()
    assert cid not in dismissed.candidates.index


def test_assigned_labels_become_human_labels(demo_result):
    ids = demo_result.rows.index[demo_result.rows.label_source != "human"][:7].tolist()
    result = assign_label(demo_result, ids, "fraud_report")
    assert (result.rows.loc[ids, "label_source"] == "human").all()
    assert (result.rows.loc[ids, "proposed_label"] == "fraud_report").all()
    assert (result.labeled_table().loc[ids, "accepted"]).all()


def test_threshold_decides_acceptance(demo_result):
    result = set_min_confidence(demo_result, 0.9)
    table = result.labeled_table()
    assert (table.accepted == ((table.label_source == "human") | (table.confidence >= 0.9))).all()
    with pytest.raises(InputError):
        set_min_confidence(demo_result, 1.5)


def test_replay_rebuilds_the_same_result(demo_result):
    a, b = (int(c) for c in demo_result.candidates.index[:2])
    result = name_cluster(merge_clusters(demo_result, [a, b]), a, "new thing")
    replayed = replay(demo_result, [dict(d) for d in result.decisions])
    assert replayed.rows.equals(result.rows)
    assert replayed.clusters.drop(columns=["label_counts", "keywords", "representative_ids"]).equals(
        result.clusters.drop(columns=["label_counts", "keywords", "representative_ids"]))


def test_bad_decisions_are_clear_errors(demo_result):
    with pytest.raises(InputError, match="does not exist"):
        name_cluster(demo_result, 10_000, "x")
    with pytest.raises(InputError, match="at least two"):
        merge_clusters(demo_result, [1])
    with pytest.raises(InputError, match="unknown decision"):
        apply_decision(demo_result, {"action": "explode"})
    skipped = replay(demo_result, [{"action": "name", "cluster_id": 10_000, "name": "x"}])
    assert len(skipped.skipped_decisions) == 1
