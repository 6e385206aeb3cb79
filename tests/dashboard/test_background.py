"""Runs that outlive a page change (``dashboard/background.py``), on the bundled demo with the TF-IDF model."""

import dataclasses
import threading

import numpy as np
import pytest

from dashboard.background import GRACE_SECONDS, SILENT_SECONDS, BackgroundRuns, RunCancelled
from discovery import DiscoveryConfig, InputError, read_table, run_discovery
from dashboard.state import DEMO_PATH

CONFIG = DiscoveryConfig(model="tfidf", make_map=False, random_state=0)


class PageChange(Exception):
    """What Streamlit raises in the script's thread, at its next Streamlit call, when the researcher changes page."""


@pytest.fixture(scope="module")
def demo_table():
    return read_table(DEMO_PATH)


def counted_run(table, config, calls, gate=None):
    def compute(progress):
        calls.append(config.random_state)
        if gate is not None:
            assert gate.wait(60), "the test never opened the gate"
        return run_discovery(table, config, progress=progress)
    return compute


def test_a_page_change_during_a_run_leaves_it_going_and_the_next_page_picks_it_up(demo_table):
    cached, calls = {}, []
    runs = BackgroundRuns(on_result=cached.__setitem__)
    gate = threading.Event()  # holds the run open while the page changes
    compute = counted_run(demo_table, CONFIG, calls, gate)
    run = runs.join("demo", compute, watcher="tab")

    def page_change():
        raise PageChange()

    with pytest.raises(PageChange):  # the page was left while it showed the run's progress
        run.wait(tick=page_change)
    again = runs.join("demo", compute, watcher="tab")  # the next page asks for the same run
    assert again is run and not run.done
    gate.set()
    drawn = []
    result = again.wait(draw=lambda stage, done, total: drawn.append(stage))
    assert calls == [0] and drawn  # one run in all, and its progress was shown
    assert cached["demo"] is result and runs.running("demo") is None
    direct = run_discovery(demo_table, CONFIG)
    assert np.array_equal(result.rows.cluster_id.to_numpy(), direct.rows.cluster_id.to_numpy())


def test_a_result_that_cannot_be_kept_is_the_runs_error_not_a_hang(demo_table):
    """An error keeping the result (the callback) left the run unfinished and in the registry: every later page
    asking for those settings waited for it forever."""
    def cannot_keep(key, result):
        raise MemoryError("no room for another result")

    runs = BackgroundRuns(on_result=cannot_keep)
    run = runs.join("demo", lambda progress: run_discovery(demo_table, CONFIG, progress=progress), watcher="tab")
    with pytest.raises(MemoryError, match="no room"):
        run.wait()
    assert runs.running("demo") is None


def test_changing_a_setting_during_a_run_stops_it_and_coming_back_in_time_keeps_it(demo_table):
    """A run its page left for other settings stops at its next progress report once GRACE_SECONDS have passed;
    asked for again sooner, it goes on. A run asked for after it stopped starts afresh."""
    cached, calls, now = {}, [], [0.0]
    runs = BackgroundRuns(on_result=cached.__setitem__, clock=lambda: now[0])
    gate = threading.Event()  # stands for the lock an earlier run holds: these runs have not reported yet
    seed_1 = counted_run(demo_table, dataclasses.replace(CONFIG, random_state=1), calls, gate)
    first = runs.join("seed 0", counted_run(demo_table, CONFIG, calls, gate), watcher="tab")
    runs.join("seed 1", seed_1, watcher="tab")
    now[0] += GRACE_SECONDS / 2
    assert not first.abandoned()  # changed back in time: the same run goes on
    assert runs.join("seed 0", counted_run(demo_table, CONFIG, calls), watcher="tab") is first
    now[0] += GRACE_SECONDS / 2
    second = runs.join("seed 1", seed_1, watcher="tab")  # and away again, for good
    now[0] += GRACE_SECONDS
    assert first.abandoned() and not second.abandoned()
    gate.set()
    with pytest.raises(RunCancelled):
        first.wait()
    assert second.wait() is cached["seed 1"] and "seed 0" not in cached
    assert second.wait().config.random_state == 1
    third = runs.join("seed 0", counted_run(demo_table, CONFIG, calls), watcher="tab")  # asked for once more
    assert third is not first and third.wait() is cached["seed 0"]
    assert sorted(calls) == [0, 0, 1]


def test_a_run_whose_page_was_closed_or_served_from_cache_stops(demo_table):
    """A reloaded page is a new session: the old one never polls again, and its run held the machine until it
    ended (new settings waited ~45 s). Settings served from the cache left the earlier run going as well."""
    cached, calls, now = {}, [], [0.0]
    runs = BackgroundRuns(on_result=cached.__setitem__, clock=lambda: now[0])
    gate = threading.Event()
    closed = runs.join("closed tab", counted_run(demo_table, CONFIG, calls, gate), watcher="closed")
    left = runs.join("left for a cached result", counted_run(demo_table, CONFIG, calls, gate), watcher="tab")
    runs.follow("cached settings", "tab")
    now[0] += GRACE_SECONDS + 0.1
    assert left.abandoned() and not closed.abandoned()
    now[0] += SILENT_SECONDS
    assert closed.abandoned()
    gate.set()
    for run in (closed, left):  # joined, not waited for: waiting polls, which a closed tab no longer does
        run.thread.join(120)
        assert isinstance(run.error_, RunCancelled)
    assert cached == {}


def test_a_run_that_fails_raises_in_the_waiting_page_and_is_not_kept(demo_table):
    cached = {}
    runs = BackgroundRuns(on_result=cached.__setitem__)
    bad = DiscoveryConfig(model="tfidf", make_map=False, random_state=0, fill_methods=("no-such-method",))
    run = runs.join("bad", lambda progress: run_discovery(demo_table, bad, progress=progress), watcher="tab")
    with pytest.raises(InputError, match="no-such-method"):
        run.wait()
    assert cached == {} and runs.running("bad") is None
