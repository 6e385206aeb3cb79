"""Pipeline runs in threads of their own, so a page change does not start them again.

Streamlit runs the page script again on every page change, and stops the run in progress at its next
Streamlit call: a run made in the script's thread was lost each time the researcher looked at another
page. Here the run goes on in its own thread; each script run that needs it waits for it and draws its
progress, and one that finds it already running joins it. A run nobody waits for any more stops at its
next progress report: its watchers asked for other settings ``GRACE_SECONDS`` ago (coming back sooner keeps
it), or none of them has polled it for ``SILENT_SECONDS`` (their tab was closed or reloaded: a reloaded page
is a new session). No Streamlit import: the dashboard draws, this only keeps the runs.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Hashable

Progress = Callable[[str, int, int], None]
GRACE_SECONDS = 5.0  # a researcher who changes a setting and changes it back within this keeps the run
SILENT_SECONDS = 10.0  # a page waiting for a run polls it 4 times a second; silent this long, it is gone


class RunCancelled(Exception):
    """Raised inside a run's thread when nobody waits for its result any more."""


class BackgroundRun:
    """One ``compute(progress)`` call in a daemon thread; ``progress_`` holds the latest (done, total) per stage."""

    def __init__(self, key: Hashable, compute: Callable[[Progress], object], on_done: Callable[["BackgroundRun"], None],
                 lock: threading.Lock, clock: Callable[[], float] = time.monotonic):
        self.key = key
        self.progress_: dict[str, tuple[int, int]] = {}
        self.result_ = None
        self.error_: BaseException | None = None
        self.started_ = time.perf_counter()
        self.seconds_ = None
        self.watchers: set[str] = set()
        self.left_at: float | None = None  # when the last watcher asked for something else
        self.polled_at = clock()  # the latest join or poll by a watcher
        self.stopped = False  # it was abandoned and raised RunCancelled
        self._compute, self._on_done, self._lock, self._clock = compute, on_done, lock, clock
        self._finished = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"discovery-run-{abs(hash(key)) % 10**8}", daemon=True)

    def abandoned(self) -> bool:
        """Nobody waits for it: every watcher left over ``GRACE_SECONDS`` ago, or none polled for ``SILENT_SECONDS``."""
        now = self._clock()
        left = not self.watchers and self.left_at is not None and now - self.left_at >= GRACE_SECONDS
        return left or now - self.polled_at >= SILENT_SECONDS

    def _report(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            if self.abandoned():
                self.stopped = True
                raise RunCancelled("the run stopped: nobody waited for it any more")
        self.progress_[stage] = (done, total)

    def _run(self) -> None:
        try:
            self.result_ = self._compute(self._report)
        except BaseException as exc:  # handed to whoever waits, in their thread
            self.error_ = exc
        finally:
            self.seconds_ = time.perf_counter() - self.started_
            try:
                self._on_done(self)
            except BaseException as exc:  # a result that cannot be kept is this run's error, not a hang
                self.error_ = self.error_ or exc
            finally:
                self._finished.set()

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    def wait(self, draw: Progress | None = None, tick: Callable[[], None] | None = None, poll_seconds: float = 0.25):
        """Block until the run ends, calling ``draw`` with its progress and ``tick`` at every poll meanwhile; its
        result, or its error raised.

        An exception from ``draw`` or ``tick`` (Streamlit stopping the script for a page change) leaves the run going."""
        while not self._finished.wait(poll_seconds):
            self.polled_at = self._clock()
            if tick is not None:
                tick()
            if draw is not None:
                for stage, (done, total) in list(self.progress_.items()):
                    draw(stage, done, total)
        if draw is not None:
            for stage, (done, total) in list(self.progress_.items()):
                draw(stage, done, total)
        if self.error_ is not None:
            raise self.error_
        return self.result_


class BackgroundRuns:
    """The runs in progress, by key, shared by every session of the process.

    ``join(key, compute, watcher)`` returns the run for ``key``, starting it when none is going; a watcher (one
    browser session) follows one run at a time (``follow``), and a run its watchers left is abandoned
    (``BackgroundRun.abandoned``). A run that ends is forgotten here; ``on_result`` keeps its result (the caller's
    cache) before that."""

    def __init__(self, on_result: Callable[[Hashable, object], None] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self._runs: dict[Hashable, BackgroundRun] = {}
        self._watching: dict[str, Hashable] = {}
        self._lock = threading.Lock()
        self._on_result = on_result
        self._clock = clock

    def _finished(self, run: BackgroundRun) -> None:
        with self._lock:
            try:
                if run.error_ is None and self._on_result is not None:  # before it leaves _runs: no gap between
                    self._on_result(run.key, run.result_)
            finally:
                if self._runs.get(run.key) is run:
                    del self._runs[run.key]

    def _follow(self, key: Hashable, watcher: str) -> None:
        previous = self._watching.get(watcher)
        if previous is not None and previous != key and previous in self._runs:
            left = self._runs[previous]
            left.watchers.discard(watcher)
            if not left.watchers:
                left.left_at = self._clock()
        self._watching[watcher] = key

    def follow(self, key: Hashable, watcher: str) -> None:
        """The watcher now wants ``key`` (served from a cache, say): a run it followed before no longer has it."""
        with self._lock:
            self._follow(key, watcher)

    def join(self, key: Hashable, compute: Callable[[Progress], object], watcher: str) -> BackgroundRun:
        with self._lock:
            self._follow(key, watcher)
            run = self._runs.get(key)
            if run is None or run.stopped:  # none, or one winding down after it was abandoned: a new one
                run = BackgroundRun(key, compute, self._finished, self._lock, self._clock)
                self._runs[key] = run
                run.thread.start()
            run.watchers.add(watcher)
            run.left_at = None
            run.polled_at = self._clock()
            return run

    def running(self, key: Hashable) -> BackgroundRun | None:
        with self._lock:
            return self._runs.get(key)
