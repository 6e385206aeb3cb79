"""Helpers for the reliability tests: real reader, real pipeline (TF-IDF, no map, for speed)."""

import pytest


@pytest.fixture
def run_fast():
    """Read bytes as a named upload, run the whole pipeline with TF-IDF and no map, return (table, result)."""
    from discovery import DiscoveryConfig, read_table_bytes, run_discovery

    def run(data: bytes, name: str, **read_options):
        table = read_table_bytes(data, name, **read_options)
        return table, run_discovery(table, DiscoveryConfig(model="tfidf", make_map=False))

    return run
