"""Results kept on disk: read back as they were made, without pickles, under a key that changes with anything
they follow from."""

import dataclasses
import datetime
import decimal
import json
import os
import zipfile

import numpy as np
import pandas as pd
import pytest

from discovery import DiscoveryConfig, apply_decision, read_table, run_discovery, write_outputs
from discovery.result_store import ResultStore, libraries_run_on, read_result, result_key, same_value, write_result
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


def test_a_kept_result_reads_back_as_it_was_made_and_writes_the_same_files(slice_result, tmp_path):
    store = ResultStore(tmp_path / "results")
    key = result_key(slice_result.table, CONFIG)
    assert store.load(key) is None
    assert store.save(key, slice_result)
    kept = store.load(key)
    assert kept is not slice_result and same_value(dataclasses.replace(slice_result, shared={}), kept)
    for name in ("rows", "clusters", "label_check"):
        pd.testing.assert_frame_equal(getattr(kept, name), getattr(slice_result, name), check_exact=True)
    assert kept.clusters.keywords.map(type).eq(list).all() and kept.clusters.label_counts.map(type).eq(dict).all()
    assert kept.config == slice_result.config and kept.table.codec == slice_result.table.codec
    assert kept.language == slice_result.language and kept.clustering == slice_result.clustering
    assert (kept.embeddings == slice_result.embeddings).all() and not kept.embeddings.flags.writeable
    write_outputs(slice_result, tmp_path / "made")
    write_outputs(kept, tmp_path / "kept")
    made = sorted(path.name for path in (tmp_path / "made").iterdir())
    assert made == sorted(path.name for path in (tmp_path / "kept").iterdir())
    for name in set(made) - {"manifest.json"}:  # the manifest says when it was written
        assert (tmp_path / "made" / name).read_bytes() == (tmp_path / "kept" / name).read_bytes(), name


def test_a_kept_result_exported_by_another_process_says_where_it_was_made(slice_result, tmp_path):
    """The manifest's environment is the run's (helper 74: a restarted dashboard that had not loaded torch wrote
    torch_threads null, and a later commit's revision, on a result an earlier process made)."""
    import subprocess
    import sys

    import torch  # noqa: F401 - the process that made the run had it loaded (the adapted model's threads)
    from discovery.export import manifest, run_environment

    store = ResultStore(tmp_path / "results")
    key = result_key(slice_result.table, CONFIG)
    store.save(key, slice_result)
    assert slice_result.environment == run_environment(CONFIG) and slice_result.environment["torch_threads"]
    script = ("import json, sys; from discovery.result_store import ResultStore; from discovery.export import manifest; "
              "print(json.dumps(manifest(ResultStore(sys.argv[1]).load(sys.argv[2]))['environment']))")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "results"), key], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == manifest(slice_result)["environment"]


def test_a_decision_on_a_kept_result_gives_what_it_gives_on_the_result_made(slice_result, tmp_path):
    store = ResultStore(tmp_path)
    store.save("k", slice_result)
    candidate = int(slice_result.candidates.cluster_id.iloc[0])
    decision = {"action": "name", "cluster_id": candidate, "name": "Карта 💳"}
    made, kept = apply_decision(slice_result, decision), apply_decision(store.load("k"), decision)
    pd.testing.assert_frame_equal(kept.rows, made.rows, check_exact=True)
    pd.testing.assert_frame_equal(kept.clusters, made.clusters, check_exact=True)
    assert (kept.rows.proposed_label == "Карта 💳").sum() == (made.rows.proposed_label == "Карта 💳").sum() > 0


def test_nothing_in_the_file_is_pickled(slice_result, tmp_path):
    write_result(dataclasses.replace(slice_result, shared={}), tmp_path / "r.result")
    with zipfile.ZipFile(tmp_path / "r.result") as archive:
        names = archive.namelist()
        assert names[0] == "result.json" and {name.rsplit(".", 1)[1] for name in names} <= {"json", "npy", "parquet"}
        for name in names:
            if name.endswith(".npy"):  # an object array would need a pickle to read: refused by allow_pickle=False
                archive.extract(name, tmp_path)
                np.load(tmp_path / name, allow_pickle=False)


def test_the_check_sees_a_value_that_reads_back_otherwise(tmp_path):
    frame = pd.DataFrame({"keywords": [["a", "b"], ["c"]], "size": np.array([1, 2])})
    assert same_value(frame, frame.copy())
    objects_only = pd.DataFrame({"note": ["a", None, pd.NA]}, index=[5, 9, 2])
    write_result(objects_only, tmp_path / "f.result")
    assert same_value(objects_only, read_result(tmp_path / "f.result"))
    assert not same_value(frame, frame.assign(keywords=[("a", "b"), ("c",)]))  # tuples for lists
    assert not same_value(frame, frame.assign(keywords=[["a", "b"], ["d"]]))
    assert not same_value(frame, frame.assign(size=np.array([1, 2], dtype=np.int32)))
    assert not same_value({1: "a"}, {"1": "a"}) and not same_value((1, 2), [1, 2])
    assert not same_value(np.float32(1.5), 1.5) and same_value(float("nan"), float("nan"))
    assert not same_value({"a": 1, "b": 2}, {"b": 2, "a": 1})  # order shown in the manifest and tables
    readonly = np.zeros(3)
    readonly.flags.writeable = False
    assert not same_value(readonly, np.zeros(3))


def test_a_parquet_table_of_dates_decimals_and_bytes_is_kept_as_it_was_read(tmp_path):
    frame = pd.read_csv(DEMO, dtype=str, keep_default_na=False).head(300)
    frame["amount"] = [decimal.Decimal(i) / 4 for i in range(len(frame))]
    frame["opened"] = [datetime.date(2026, 1, 1 + i % 28) for i in range(len(frame))]
    frame["at"] = [datetime.time(i % 24, 30) for i in range(len(frame))]
    frame["raw"] = [bytes([i % 256, 0]) for i in range(len(frame))]
    frame["flag"] = pd.array([True, None, False] * 100, dtype="boolean")
    path = tmp_path / "tickets.parquet"
    frame.to_parquet(path)
    table = read_table(path)
    store = ResultStore(tmp_path / "results")
    made, source, key = store.run(table, CONFIG)
    assert source == "kept"
    kept, source, same_key = store.run(read_table(path), CONFIG)
    assert source == "read" and same_key == key and same_value(dataclasses.replace(made, shared={}), kept)
    assert kept.table.frame.opened.map(type).eq(datetime.date).all() and kept.table.frame.raw[1] == bytes([1, 0])
    write_outputs(made, tmp_path / "made")
    write_outputs(kept, tmp_path / "kept")
    assert (tmp_path / "made" / "proposed_labels.parquet").read_bytes() == \
        (tmp_path / "kept" / "proposed_labels.parquet").read_bytes()


def test_values_its_files_cannot_hold_are_not_kept_and_the_run_stands(slice_path, tmp_path):
    frame = pd.read_csv(DEMO, dtype=str, keep_default_na=False).head(300)
    nested = "x"
    for _ in range(900):  # deeper than Python's recursion limit lets the result be written
        nested = {"inner": nested}
    lines = [json.dumps({"text": text, "label": label or None, "meta": nested if i == 0 else {"inner": "x"}})
             for i, (text, label) in enumerate(zip(frame.text, frame.label))]
    path = tmp_path / "deep.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    result, source, key = ResultStore(tmp_path / "results").run(read_table(path), CONFIG)
    assert source == "made" and key is None and len(result.rows) == 300
    assert not list((tmp_path / "results").glob("*")), "neither a result nor a temporary file is left"
    vectors = ResultStore(tmp_path / "results").run(read_table(slice_path), CONFIG, embeddings=np.eye(400, 8))
    assert vectors[1] == "made", "vectors given: the key does not cover them"


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


def test_a_file_cut_short_or_of_another_format_is_dropped_and_the_run_made_again(slice_result, tmp_path):
    store = ResultStore(tmp_path)
    key = result_key(slice_result.table, CONFIG)
    store.save(key, slice_result)
    path = store.path(key)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    assert store.load(key) is None
    assert not path.exists()
    store.save(key, slice_result)
    with zipfile.ZipFile(path, "a") as archive, pytest.warns(UserWarning, match="Duplicate name"):
        archive.writestr("result.json", '{"format": 0, "result": null}')  # a later entry of that name wins
    with pytest.raises(ValueError, match="format"):
        read_result(path)
    assert store.load(key) is None and not path.exists()
    result, source, _ = store.run(slice_result.table, CONFIG)
    assert source == "kept" and path.exists()
    assert store.run(slice_result.table, CONFIG)[1] == "read"


def test_only_the_latest_results_are_kept_and_reading_one_makes_it_latest(slice_result, tmp_path):
    store = ResultStore(tmp_path, keep=2)
    for name, when in (("a", 1), ("b", 2)):
        store.save(name, slice_result)
        os.utime(store.path(name), (when, when))
    stale, fresh = tmp_path / ".x.dead.tmp", tmp_path / ".y.writing.tmp"  # a write that died; one under way
    stale.write_bytes(b"")
    fresh.write_bytes(b"")
    os.utime(stale, (1, 1))
    assert store.load("a") is not None  # read now: "b" is the oldest
    store.save("c", slice_result)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".y.writing.tmp", "a.result", "c.result"]


def test_a_folder_that_cannot_take_the_result_leaves_the_run_standing(slice_result, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    store = ResultStore(blocked / "results")
    assert store.save("k", slice_result) is False
    assert store.load("k") is None


def test_the_key_reads_the_libraries_the_package_runs_on_and_no_other():
    """Installing a test plugin beside the package (pytest-xdist, helper 74) made every kept result unreachable:
    the key read every installed distribution. It reads the package's requirements, theirs and so on."""
    libraries = {line.split("==")[0].lower() for line in libraries_run_on()}
    assert {"label-discovery", "numpy", "sentence-transformers", "torch", "umap-learn", "numba", "streamlit",
            "emoji"} <= libraries  # emoji: a requirement added after an editable install, read from pyproject.toml
    assert not {"pytest", "pytest-xdist", "hypothesis", "playwright"} & libraries  # the test extras
