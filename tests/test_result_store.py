"""Results kept on disk: read back as they were made, under a key that changes with anything they follow from."""

import os

import pandas as pd
import pytest

from discovery import DiscoveryConfig, read_table, run_discovery, write_outputs
from discovery.result_store import ResultStore, result_key
from shared_paths import DEMO

CONFIG = DiscoveryConfig(model="tfidf", random_state=0)


@pytest.fixture(scope="module")
def slice_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("store") / "slice.csv"
    pd.read_csv(DEMO, dtype=str, keep_default_na=False).head(400).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def slice_result(slice_path):
    return run_discovery(read_table(slice_path), CONFIG)


def test_a_kept_result_reads_back_as_it_was_made_and_writes_the_same_files(slice_path, slice_result, tmp_path):
    store = ResultStore(tmp_path / "results")
    key = result_key(slice_result.table, CONFIG)
    assert store.load(key) is None
    assert store.save(key, slice_result)
    kept = store.load(key)
    assert kept is not slice_result
    pd.testing.assert_frame_equal(kept.rows, slice_result.rows)
    pd.testing.assert_frame_equal(kept.clusters, slice_result.clusters)
    assert (kept.embeddings == slice_result.embeddings).all()
    write_outputs(slice_result, tmp_path / "made")
    write_outputs(kept, tmp_path / "kept")
    made = sorted(path.name for path in (tmp_path / "made").iterdir())
    assert made == sorted(path.name for path in (tmp_path / "kept").iterdir())
    for name in set(made) - {"manifest.json"}:  # the manifest says when it was written
        assert (tmp_path / "made" / name).read_bytes() == (tmp_path / "kept" / name).read_bytes(), name


def test_the_key_is_the_same_for_the_same_file_read_again_and_changes_with_what_a_result_follows_from(
        slice_path, slice_result, tmp_path):
    key = result_key(read_table(slice_path), CONFIG)
    assert key == result_key(slice_result.table, CONFIG)
    frame = pd.read_csv(slice_path, dtype=str, keep_default_na=False)
    unlabeled = frame.index[frame.label == ""][0]
    changed = {"a label": frame.assign(label=frame.label.where(frame.index != unlabeled, "card_arrival")),
               "a text": frame.assign(text=frame.text.where(frame.index != 5, frame.text[5] + "!")),
               "another column": frame.assign(note="x"),
               "the row order": frame.iloc[::-1]}
    keys = {}
    for what, other in changed.items():
        path = tmp_path / f"{what}.csv"
        other.to_csv(path, index=False)
        keys[what] = result_key(read_table(path), CONFIG)
    keys["a setting"] = result_key(read_table(slice_path), DiscoveryConfig(model="tfidf", random_state=1))
    keys["the unlabeled marker"] = result_key(read_table(slice_path, unlabeled_marker="card_arrival"), CONFIG)
    assert len({key, *keys.values()}) == len(keys) + 1, keys


def test_a_file_cut_short_is_dropped_and_the_run_made_again(slice_result, tmp_path):
    store = ResultStore(tmp_path)
    key = result_key(slice_result.table, CONFIG)
    store.save(key, slice_result)
    path = tmp_path / f"{key}.pkl"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert store.load(key) is None
    assert not path.exists()


def test_only_the_latest_results_are_kept_and_reading_one_makes_it_latest(slice_result, tmp_path):
    store = ResultStore(tmp_path, keep=2)
    for name, when in (("a", 1), ("b", 2)):
        store.save(name, slice_result)
        os.utime(tmp_path / f"{name}.pkl", (when, when))
    assert store.load("a") is not None  # read now: "b" is the oldest
    store.save("c", slice_result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pkl", "c.pkl"]


def test_a_folder_that_cannot_take_the_result_leaves_the_run_standing(slice_result, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    store = ResultStore(blocked / "results")
    assert store.save("k", slice_result) is False
    assert store.load("k") is None
