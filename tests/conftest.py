"""Shared fixtures: built once per session, on real data with real embeddings."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
DEMO = ROOT / "data" / "banking_demo.csv"
DEMO_TRUTH = ROOT / "data" / "banking_demo_truth.csv"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session", autouse=True)
def embedding_cache(tmp_path_factory):
    """One embedding cache for the whole session (subprocesses inherit it through the environment)."""
    cache = os.environ.get("LABEL_DISCOVERY_TEST_CACHE") or str(tmp_path_factory.mktemp("embedding-cache"))
    os.environ["LABEL_DISCOVERY_CACHE"] = cache
    return Path(cache)


@pytest.fixture(scope="session")
def demo_table():
    from discovery import read_table

    return read_table(DEMO)


@pytest.fixture(scope="session")
def demo_result(demo_table):
    """The default pipeline on the bundled demo, run once for every test that reads it."""
    from discovery import DiscoveryConfig, run_discovery

    return run_discovery(demo_table, DiscoveryConfig(random_state=0))
