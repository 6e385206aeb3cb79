"""Nothing lost: saves are atomic (a SIGKILL mid-save leaves the previous state readable), two sessions
appending at once keep both sets of decisions, and a damaged decisions file is kept aside."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from discovery import Workspace

ROOT = Path(__file__).resolve().parents[2]

# Imports only the workspace module (not the whole package) so the child starts in a fraction of a second.
CHILD_PRELUDE = f"""
import importlib.util, sys, types
sys.path.insert(0, {str(ROOT)!r})
pkg = types.ModuleType("discovery"); pkg.__path__ = [{str(ROOT / "discovery")!r}]; sys.modules["discovery"] = pkg
from discovery.workspace import Workspace
"""

SAVER = CHILD_PRELUDE + """
root, key, tag, count, payload = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
ws = Workspace(root, key)
start = len(ws.load()) if tag == "seq" else 0
print("ready", flush=True)
for i in range(start, start + count):
    ws.append({"tag": tag, "i": i, "payload": "x" * payload})
"""


def child(*args):
    return subprocess.Popen([sys.executable, "-c", SAVER, *map(str, args)], stdout=subprocess.PIPE, text=True)


def stored(ws: Workspace) -> list[dict]:
    """Read decisions.json directly (strict JSON) without the repair logic of Workspace.load."""
    return json.loads(ws.path.read_text(encoding="utf-8"))["decisions"]


def test_sigkill_during_saves_leaves_a_valid_prefix(tmp_path):
    rng = random.Random(0)
    ws = Workspace(tmp_path, "k")
    previous = 0
    for round_ in range(6):
        proc = child(tmp_path, "k", "seq", 10_000, 400_000)  # big payloads: each save rewrites megabytes
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL  # really killed, not finished
        if not ws.path.exists():
            assert previous == 0
            continue
        decisions = stored(ws)
        assert [d["i"] for d in decisions] == list(range(len(decisions)))  # a prefix, in order, no gaps
        assert all(len(d["payload"]) == 400_000 for d in decisions)
        assert len(decisions) >= previous  # never lost what was there before
        previous = len(decisions)
    assert previous > 0, "the child never completed a save; increase the sleep"
    assert not list(tmp_path.glob("k/*.damaged-*"))
    assert ws.load() == stored(ws)
    ws.append({"tag": "after", "i": previous, "payload": ""})  # and the workspace is still usable
    assert len(stored(ws)) == previous + 1


def test_two_sessions_appending_at_once_keep_every_decision(tmp_path):
    procs = [child(tmp_path, "shared", tag, 40, 20_000) for tag in ("a", "b")]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    decisions = stored(Workspace(tmp_path, "shared"))
    assert sorted((d["tag"], d["i"]) for d in decisions) == sorted((t, i) for t in "ab" for i in range(40))
    for tag in "ab":  # each session's own decisions stay in its order
        assert [d["i"] for d in decisions if d["tag"] == tag] == list(range(40))


def test_damaged_decisions_file_is_kept_aside_not_deleted(tmp_path):
    ws = Workspace(tmp_path, "k")
    ws.append({"action": "threshold", "value": 0.5})
    ws.path.write_text(ws.path.read_text()[:-10])  # truncated by a crash of something else
    assert ws.load() == []
    kept = list(ws.directory.glob("decisions.damaged-*.json"))
    assert len(kept) == 1 and '"threshold"' in kept[0].read_text()
    assert ws.append({"action": "threshold", "value": 0.7}) == [{"action": "threshold", "value": 0.7}]


def test_a_failed_save_keeps_the_previous_file_and_leaves_no_temp_file(tmp_path):
    ws = Workspace(tmp_path, "k")
    ws.append({"action": "threshold", "value": 0.5})
    with pytest.raises(TypeError):
        ws.append({"action": "bad", "value": object()})  # not JSON-serialisable
    assert stored(ws) == [{"action": "threshold", "value": 0.5}]
    assert not list(ws.directory.glob(".*.tmp"))


def test_workspace_key_cannot_escape_the_root(tmp_path):
    ws = Workspace(tmp_path / "root", "../../etc/passwd")
    assert ws.directory.resolve().parent == (tmp_path / "root").resolve()


def test_exports_are_replaced_atomically(tmp_path):
    import pandas as pd

    from discovery import DiscoveryConfig, run_discovery, table_from_frame, write_outputs

    frame = pd.DataFrame({"text": ["refund please", "lost card", "refund now", "card gone"], "label": ["r", "c", None, None]})
    result = run_discovery(table_from_frame(frame, name="t.csv", data_hash="x"), DiscoveryConfig(model="tfidf", make_map=False))
    write_outputs(result, tmp_path)
    first = {p.name: p.stat().st_ino for p in tmp_path.iterdir()}
    write_outputs(result, tmp_path)
    second = {p.name: p.stat().st_ino for p in tmp_path.iterdir()}
    assert set(first) == set(second) == {"proposed_labels.csv", "proposed_labels.jsonl", "proposed_labels.parquet",
                                         "clusters.csv", "manifest.json"}  # no temp files left
    assert all(first[n] != second[n] for n in first)  # each file was renamed into place, not rewritten in place
