"""``discovery cache``: what the cache folder holds, and clearing it without touching decisions or a run going on."""

import os
import time

import numpy as np
import pytest

from discovery import InputError
from discovery.cache_folder import RECENT_SECONDS, cache_entries, clear_cache, usage_lines

DAY = 86_400


def entry(path, size: int, days_old: float, now: float):
    """A file of ``size`` bytes at ``path`` (its folders made), last written ``days_old`` days before ``now``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    os.utime(path, (now - days_old * DAY, now - days_old * DAY))
    for parent in path.parents:  # a folder's own time is its newest file's here, as after a run wrote it
        if parent.name in ("adapted", "embeddings", "results"):
            break
        os.utime(parent, (now - days_old * DAY, now - days_old * DAY))
    return path


@pytest.fixture
def cache(tmp_path):
    now = time.time()
    entry(tmp_path / "adapted" / "old_model" / "adapted.json", 0, 40, now)
    entry(tmp_path / "adapted" / "old_model" / "model.safetensors", 9_000, 40, now)
    (tmp_path / "adapted" / "old_model.lock").touch()
    entry(tmp_path / "adapted" / "new_model" / "adapted.json", 0, 2, now)
    entry(tmp_path / "adapted" / "new_model" / "model.safetensors", 9_000, 2, now)
    entry(tmp_path / "embeddings" / "minilm-abc" / "vecs_1.npy", 3_000, 50, now)
    entry(tmp_path / "embeddings" / "minilm-abc" / "vecs_2.npy", 1_000, 1, now)  # its newest file, yesterday's, dates the folder
    entry(tmp_path / "results" / ("a" * 32 + ".result"), 500, 60, now)
    entry(tmp_path / "results" / ".demo.lock", 0, 60, now)
    entry(tmp_path / "workspaces" / "k" / "decisions.json", 100, 90, now)
    # what the tool never writes there: a cache folder set to a project folder with a results/ of its own
    entry(tmp_path / "results" / "table_3.csv", 50, 90, now)
    entry(tmp_path / "results" / "notes.result", 50, 90, now)  # hunt 132: a .result of one's own
    entry(tmp_path / "embeddings" / "my_vectors" / "glove.txt", 50, 90, now)
    entry(tmp_path / "adapted" / "half_copied" / "model.safetensors", 50, 90, now)  # no adapted.json
    entry(tmp_path / "elsewhere" / "b.result", 50, 90, now)
    (tmp_path / "results" / "linked.result").symlink_to(tmp_path / "elsewhere" / "b.result")
    return tmp_path, now


def untouched(root) -> bool:
    return all((root / path).exists() for path in (
        "workspaces/k/decisions.json", "results/table_3.csv", "results/notes.result", "embeddings/my_vectors/glove.txt",
        "adapted/half_copied/model.safetensors", "elsewhere/b.result", "results/linked.result"))


def test_the_cache_is_described_kind_by_kind(cache):
    root, _ = cache
    entries = cache_entries(root)
    assert [(e.kind, e.path.name, e.size) for e in entries] == [
        ("adapted", "old_model", 9_000), ("adapted", "new_model", 9_000), ("embeddings", "minilm-abc", 4_000),
        ("results", "a" * 32 + ".result", 500)]  # only what the tool writes: no lock file, workspace, file of the user's
    lines = usage_lines(entries)
    assert lines[0].startswith("fine-tuned models (adapted/): 2, 17.6 KiB, written ")
    assert lines[1].startswith("vectors (embeddings/): 1, 3.9 KiB, written ")
    assert usage_lines([])[2] == "kept results (results/): none"


def test_clearing_old_entries_keeps_the_rest_and_every_decision(cache):
    root, now = cache
    cleared = clear_cache(("adapted", "embeddings"), older_than_days=30, root=root, now=now)
    assert [e.path.name for e in cleared.removed] == ["old_model"] and cleared.size == 9_000
    assert not (root / "adapted" / "old_model").exists() and (root / "adapted" / "old_model.lock").exists()
    assert (root / "adapted" / "new_model").exists()
    assert (root / "embeddings" / "minilm-abc" / "vecs_1.npy").exists()  # its newest file was written yesterday
    assert (root / "results" / ("a" * 32 + ".result")).exists()  # not asked for
    cleared = clear_cache(root=root, now=now)  # every kind, any age
    assert {e.path.name for e in cleared.removed} == {"new_model", "minilm-abc", "a" * 32 + ".result"}
    assert cache_entries(root) == [] and untouched(root)
    assert clear_cache("adapted", root=root).removed == ()  # one kind as a string, not its letters
    with pytest.raises(InputError, match="no cache kind 'workspaces'"):
        clear_cache(("workspaces",), root=root)
    with pytest.raises(InputError, match="--older-than -1"):
        clear_cache(older_than_days=-1, root=root)


def test_an_entry_a_run_may_be_writing_is_kept(cache):
    """A fine-tuned model is put in place under its lock, and an embedding writes its vectors as it goes."""
    from filelock import FileLock

    root, now = cache
    entry(root / "embeddings" / "being-written" / "vecs_1.npy", 10, RECENT_SECONDS / 2 / DAY, now)
    with FileLock(str(root / "adapted" / "old_model.lock")):
        cleared = clear_cache(("adapted", "embeddings"), root=root, now=now)
    kept = {e.path.name for e in cleared.in_use}
    assert kept == {"old_model", "being-written"} and (root / "adapted" / "old_model").exists()
    assert {e.path.name for e in cleared.removed} == {"new_model", "minilm-abc"}


def test_cleared_vectors_are_made_again_alike_by_the_next_embedding(tmp_path, monkeypatch):
    """The real model's cache: a cleared set of vectors is embedded again, the same vectors, and cached again."""
    from discovery.cli import main
    from discovery.embed import SentenceEmbedder

    texts = ["my card has not arrived", "what is the exchange rate", "my pin is blocked"]
    first = SentenceEmbedder(cache_dir=tmp_path).transform(texts)
    assert [e.kind for e in cache_entries(tmp_path)] == ["embeddings"]
    monkeypatch.setenv("LABEL_DISCOVERY_CACHE", str(tmp_path))
    cleared = clear_cache(("embeddings",), root=tmp_path, now=time.time() + 2 * RECENT_SECONDS)
    assert len(cleared.removed) == 1 and cache_entries(tmp_path) == []
    again = SentenceEmbedder(cache_dir=tmp_path).transform(texts)
    assert np.allclose(first, again, atol=1e-6) and len(cache_entries(tmp_path)) == 1
    assert main(["cache"]) == 0


def test_the_cache_command_says_and_clears(cache, monkeypatch, capsys):
    from discovery.cli import main

    root, _ = cache
    monkeypatch.setenv("LABEL_DISCOVERY_CACHE", str(root))
    assert main(["cache"]) == 0
    out = capsys.readouterr().out
    assert f"cache folder: {root}\n" in out and "fine-tuned models (adapted/): 2, 17.6 KiB" in out
    assert "decisions (workspaces/) are never cleared here" in out
    assert main(["cache", "--clear", "adapted", "--clear", "results", "--older-than", "30"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("removed 2 entries of fine-tuned models, kept results not written for 30 days (9.3 KiB)\n")
    assert "fine-tuned models (adapted/): 1," in out and "kept results (results/): none" in out
    monkeypatch.setenv("LABEL_DISCOVERY_CACHE", str(root / "results" / "table_3.csv"))  # a file: said (hunt 132)
    assert main(["cache"]) == 2 and "is a file, not a folder" in capsys.readouterr().err
    monkeypatch.setenv("LABEL_DISCOVERY_CACHE", str(root))
    assert main(["cache", "--older-than", "3"]) == 2
    assert "give --clear too" in capsys.readouterr().err
    assert main(["cache", "--clear", "all"]) == 0
    assert "removed 2 entries" in capsys.readouterr().out
    assert untouched(root)


def test_a_model_folder_a_stopped_fine_tuning_left_is_listed_and_cleared(cache):
    """A fine-tuning killed while saving leaves its ``.adapting-*`` folder: listed as unfinished, cleared once old."""
    root, now = cache
    entry(root / "adapted" / ".adapting-k1x" / "model.safetensors", 4_000, 3, now)
    entry(root / "adapted" / ".adapting-n0w" / "model.safetensors", 10, RECENT_SECONDS / 2 / DAY, now)  # saving now
    entry(root / "adapted" / ".my_hidden" / "notes.txt", 10, 90, now)  # not the tool's
    adapted = [e.path.name for e in cache_entries(root) if e.kind == "adapted"]
    assert adapted == ["old_model", ".adapting-k1x", "new_model", ".adapting-n0w"]
    assert usage_lines(cache_entries(root))[0].startswith(
        "fine-tuned models (adapted/): 4 (2 left unfinished by a stopped fine-tuning or clear), 21.5 KiB, written ")
    cleared = clear_cache("adapted", older_than_days=1, root=root, now=now)
    assert {e.path.name for e in cleared.removed} == {"old_model", "new_model", ".adapting-k1x"}
    assert (root / "adapted" / ".adapting-n0w").exists() and (root / "adapted" / ".my_hidden" / "notes.txt").exists()
    assert [e.path.name for e in cache_entries(root)] == [".adapting-n0w", "minilm-abc", "a" * 32 + ".result"]


def test_a_clear_that_fails_partway_leaves_no_model_folder_without_its_weights(cache, monkeypatch):
    """A delete refused halfway through a model folder (hunt 132): the model is set aside whole first, so the next
    run fine-tunes it again rather than read half a folder, and what is left is listed and cleared later."""
    import shutil

    import discovery.cache_folder as cache_folder

    root, now = cache
    real_rmtree = shutil.rmtree

    def refused_after_the_first_file(path, *args, **kwargs):
        os.remove(os.path.join(path, "adapted.json"))
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(cache_folder.shutil, "rmtree", refused_after_the_first_file)
    cleared = clear_cache("adapted", older_than_days=30, root=root, now=now)
    assert [e.path.name for e, _ in cleared.failed] == ["old_model"] and "Permission denied" in cleared.failed[0][1]
    assert not (root / "adapted" / "old_model").exists()  # not a folder the fine-tuning would take as a model
    left = [e for e in cache_entries(root) if e.path.name.startswith(".removing-old_model-")]
    assert len(left) == 1 and (left[0].path / "model.safetensors").exists()
    monkeypatch.setattr(cache_folder.shutil, "rmtree", real_rmtree)
    cleared = clear_cache("adapted", older_than_days=30, root=root, now=time.time() + 2 * RECENT_SECONDS)
    assert [e.path.name for e in cleared.removed] == [left[0].path.name] and not left[0].path.exists()  # any age
    assert (root / "adapted" / "new_model" / "adapted.json").exists() and untouched(root)
