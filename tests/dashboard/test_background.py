"""Runs that outlive a page change (``dashboard/background.py``), on the bundled demo with the TF-IDF model."""

import dataclasses
import threading

import numpy as np
import pytest

from dashboard.background import BackgroundRuns, RunCancelled
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
    compute = counted_run(demo_table, CONFIG, calls)
    run = runs.join("demo", compute, watcher="tab")
    drawn = []

    def draw(stage, done, total):
        drawn.append(stage)
        raise PageChange()

    with pytest.raises(PageChange):  # the page was left while the run showed its progress
        run.wait(draw)
    assert not run.done or run.error_ is None
    again = runs.join("demo", compute, watcher="tab")  # the next page asks for the same run
    assert again is run or run.done
    result = again.wait() if again is run else cached["demo"]
    assert calls == [0] and drawn  # one run in all, and its progress was shown
    assert cached["demo"] is result and runs.running("demo") is None
    direct = run_discovery(demo_table, CONFIG)
    assert np.array_equal(result.rows.cluster_id.to_numpy(), direct.rows.cluster_id.to_numpy())


def test_changing_a_setting_during_a_run_cancels_it_and_coming_back_in_time_keeps_it(demo_table):
    cached, calls = {}, []
    runs = BackgroundRuns(on_result=cached.__setitem__)
    gate = threading.Event()  # stands for the lock an earlier run holds: these runs have not reported yet
    seed_1 = counted_run(demo_table, dataclasses.replace(CONFIG, random_state=1), calls, gate)
    first = runs.join("seed 0", counted_run(demo_table, CONFIG, calls, gate), watcher="tab")
    runs.join("seed 1", seed_1, watcher="tab")
    assert first.cancelled  # nobody waits for seed 0 any more
    back = runs.join("seed 0", counted_run(demo_table, CONFIG, calls), watcher="tab")
    assert back is first and not first.cancelled  # back before it took effect: the same run goes on
    second = runs.join("seed 1", seed_1, watcher="tab")  # and away again
    assert first.cancelled and not second.cancelled
    gate.set()
    with pytest.raises(RunCancelled):
        first.wait()
    assert second.wait() is cached["seed 1"] and "seed 0" not in cached
    assert second.wait().config.random_state == 1
    # asked for once more after its cancellation took effect: a new run, which finishes
    third = runs.join("seed 0", counted_run(demo_table, CONFIG, calls), watcher="tab")
    assert third is not first and third.wait() is cached["seed 0"]
    assert sorted(calls) == [0, 0, 1]


def test_a_run_that_fails_raises_in_the_waiting_page_and_is_not_kept(demo_table):
    cached = {}
    runs = BackgroundRuns(on_result=cached.__setitem__)
    bad = DiscoveryConfig(model="tfidf", make_map=False, random_state=0, fill_methods=("no-such-method",))
    run = runs.join("bad", lambda progress: run_discovery(demo_table, bad, progress=progress), watcher="tab")
    with pytest.raises(InputError, match="no-such-method"):
        run.wait()
    assert cached == {} and runs.running("bad") is None
