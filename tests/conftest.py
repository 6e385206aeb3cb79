"""Shared fixtures: built once per session, on real data with real embeddings."""

import os
from pathlib import Path

import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    # `make test` runs two pytest-xdist workers, each on one thread: torch, OpenBLAS and numba read these as they load
    # (numpy included: none of them is loaded yet here), and the CLI and dashboard subprocesses inherit them. Measured
    # on the 2-core machine: 13.6 min against 25.3 for one process with the libraries' own two threads, and 1,334 s
    # of CPU against 2,146 (two workers with two threads each took longer than one process).
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(variable, "1")

from shared_paths import DEMO, DEMO_TRUTH, ROOT, SHARED, intent_rows  # noqa: F401  (re-exported for older imports)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session", autouse=True)
def embedding_cache(tmp_path_factory):
    """One embedding cache for the whole session (subprocesses inherit it through the environment), shared by
    pytest-xdist's workers (``make test`` runs two): the folder all their temporary folders are in."""
    cache = os.environ.get("LABEL_DISCOVERY_TEST_CACHE")
    if not cache:
        root = tmp_path_factory.getbasetemp()
        cache = str((root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root) / "embedding-cache")
    Path(cache).mkdir(parents=True, exist_ok=True)
    os.environ["LABEL_DISCOVERY_CACHE"] = cache
    return Path(cache)


@pytest.fixture(scope="session")
def demo_table():
    from discovery import read_table

    return read_table(DEMO)


@pytest.fixture(scope="session")
def demo_result(demo_table):
    """The default pipeline on the bundled demo, run once for every test that reads it (or the very run the
    dashboard's tests left on disk, ``ResultStore``: its key covers the table, settings, code and libraries)."""
    from filelock import FileLock

    from discovery import DiscoveryConfig
    from discovery.result_store import ResultStore

    store = ResultStore()
    store.directory.mkdir(parents=True, exist_ok=True)
    with FileLock(str(store.directory / ".demo.lock")):  # the other worker waits for it, then reads it
        return store.run(demo_table, DiscoveryConfig(random_state=0))[0]


SMALL_INTENTS = ("card_arrival", "exchange_rate", "lost_or_stolen_phone", "pin_blocked", "top_up_failed",
                 "atm_support", "cash_withdrawal_charge", "apple_pay_or_google_pay")


@pytest.fixture(scope="session")
def small_banking():
    """240 real BANKING77 texts of 8 intents (30 each), with real MiniLM embeddings.

    The first 5 intents are "known" with 6 labeled rows each; the other 3 are unnamed.
    Returns (frame with text/true_label, y codes with -1, embeddings).
    """
    import numpy as np

    from discovery.embed import SentenceEmbedder

    frame = intent_rows("banking", SMALL_INTENTS).rename(columns={"label": "true_label"})
    known = sorted(SMALL_INTENTS[:5])
    y = np.full(len(frame), -1)
    for code, intent in enumerate(known):
        y[np.flatnonzero(frame.true_label.to_numpy() == intent)[:6]] = code
    X = SentenceEmbedder().transform(frame.text.tolist())
    return frame, y, X

