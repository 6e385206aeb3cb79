"""Finished runs kept on disk, so the dashboard started again opens on them instead of running again.

A run of a few thousand texts takes a minute here and one of 50,000 several (the vectors and the fine-tuned
model are cached already; the clustering, fill-in and map are not): a researcher who closes the dashboard
and starts it the next day waited for them again on the same data and settings. ``ResultStore`` keeps the
``RESULTS_KEPT`` latest results under the cache folder (``$LABEL_DISCOVERY_CACHE/results``), keyed by
``result_key``: everything a result follows from (the table as read, the settings, the model's weights, this
package's code and the version of every library it runs on: ``libraries_run_on``), so a change to any of them
runs again.

Nothing is pickled: a result is written as one zip of Parquet (the frames' typed columns), ``.npy`` read with
``allow_pickle=False`` (arrays) and JSON (everything else, tagged where JSON alone would lose a type: tuples,
dicts with keys other than strings, numpy scalars), and read back into the result's own classes only
(``_CLASSES``). A result is kept only when it reads back exactly as it was made (``save`` checks); one that
does not (a column of values Parquet cannot hold), or a file that cannot be read back (cut short, written by
another version), is not kept, and the run is made again.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import decimal
import functools
import hashlib
import io
import json
import math
import os
import time
import uuid
import zipfile
from importlib.metadata import distributions
from pathlib import Path

import numpy as np
import pandas as pd

from .embed import default_cache_dir, model_fingerprint
from .io import LabeledTable
from .labels import LabelCodec
from .language import LanguageCheck
from .pipeline import DiscoveryConfig
from .result import Discovery

RESULTS_KEPT = 8
PACKAGE = "label-discovery"  # its distribution, whose requirements the key reads (libraries_run_on)
SUFFIX = ".result"
FORMAT_VERSION = 1
STALE_TEMPORARY_SECONDS = 3600  # a write that died this long ago left its temporary file: dropped
_CLASSES = {cls.__name__: cls for cls in (Discovery, LabeledTable, LabelCodec, DiscoveryConfig, LanguageCheck)}


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of this package's source files and the name and version of every library it runs on
    (``libraries_run_on``): results made by other code are other results."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    digest.update(";".join(libraries_run_on()).encode())
    return digest.hexdigest()


def libraries_run_on() -> list[str]:
    """``name==version`` of this package's requirements, theirs and so on (extras left out): installing a test
    plugin or an unrelated tool in the same environment made every kept result unreachable. The requirements
    are the installed package's and, run from a checkout, its ``pyproject.toml``'s (an editable install's
    record lags behind a requirement added since); every installed distribution when neither is found."""
    from importlib.metadata import PackageNotFoundError, distribution
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    def requirements(dist) -> list:
        return list(dist.requires or []) if dist is not None else []

    try:
        own = distribution(PACKAGE)
    except PackageNotFoundError:
        own = None
    pending = requirements(own) + _checkout_requirements()
    if own is None and not pending:
        return sorted({f"{dist.metadata['Name']}=={dist.version}" for dist in distributions()
                       if dist.metadata and dist.metadata["Name"]})
    seen, found = {canonicalize_name(PACKAGE)}, [f"{PACKAGE}=={own.version}" if own is not None else PACKAGE]
    while pending:
        try:
            requirement = Requirement(pending.pop())
        except InvalidRequirement:
            continue
        name = canonicalize_name(requirement.name)
        if name in seen or (requirement.marker is not None and not requirement.marker.evaluate({"extra": ""})):
            continue
        seen.add(name)
        try:
            dist = distribution(requirement.name)
        except PackageNotFoundError:  # an optional requirement not installed
            continue
        found.append(f"{dist.metadata['Name']}=={dist.version}")
        pending.extend(requirements(dist))
    return sorted(found)


def _checkout_requirements() -> list[str]:
    """``[project].dependencies`` of the ``pyproject.toml`` beside this package's folder, if any."""
    path = Path(__file__).resolve().parents[1] / "pyproject.toml"
    try:
        import tomllib  # Python 3.11+

        return list(tomllib.loads(path.read_text(encoding="utf-8")).get("project", {}).get("dependencies", []))
    except (ImportError, OSError, ValueError):
        return []


def table_fingerprint(table: LabeledTable) -> str:
    """SHA-256 of everything a result holds of its table: every cell and column as read, the labels and their
    origins, how the file was read and what the reading said."""
    digest = hashlib.sha256()
    frame = table.frame
    digest.update(json.dumps([list(map(str, frame.columns)), list(map(str, frame.dtypes))]).encode("utf-8", "surrogatepass"))
    digest.update(_cells_digest(frame))
    digest.update(np.ascontiguousarray(table.labels).tobytes())
    digest.update(json.dumps(list(table.codec.names)).encode("utf-8", "surrogatepass"))
    if table.label_origin is not None:
        digest.update("\x00".join(map(str, table.label_origin)).encode("utf-8", "surrogatepass"))
    if table.earlier_proposals is not None:
        digest.update(_cells_digest(table.earlier_proposals))
    about = [table.text_column, table.label_column, table.origin_column, table.source_name, table.data_hash,
             list(table.warnings), table.read_with, sorted(map(list, table.label_spellings.items()))]
    digest.update(json.dumps(about, sort_keys=True, default=str).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _cells_digest(frame: pd.DataFrame) -> bytes:
    """Every cell and the index of ``frame`` as bytes to hash; cells of Python values by ``repr`` (bytes, which
    ``astype(str)`` decodes as UTF-8 or fails on, and 1 apart from '1')."""
    shown = pd.DataFrame({j: frame.iloc[:, j].map(repr) if dtype == object else frame.iloc[:, j].astype(str)
                          for j, dtype in enumerate(frame.dtypes)}, index=frame.index)
    return pd.util.hash_pandas_object(shown, index=True).to_numpy().tobytes()


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

    def path(self, key: str) -> Path:
        return self.directory / f"{key}{SUFFIX}"

    def load(self, key: str) -> Discovery | None:
        """The result kept under ``key``, or None (none kept, or one that cannot be read back: then dropped)."""
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            result = read_result(path)
        except Exception:  # noqa: BLE001 - cut short, or written by another version: run again
            result = None
        if not isinstance(result, Discovery):
            _remove(path)
            return None
        self.touch(key)
        return result

    def save(self, key: str, result: Discovery) -> bool:
        """Keep ``result`` under ``key`` (written whole or not at all) when it reads back exactly as it is, then
        drop all but the latest ``keep``; False when it is not kept (a value the files cannot hold exactly, or a
        folder that cannot take it: full, read-only): the run stands, it is only not kept."""
        result = dataclasses.replace(result, shared={})
        tmp = self.directory / f".{key}.{uuid.uuid4().hex}.tmp"  # not *.result: never read, nor counted as kept
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_result(result, tmp)
            if not same_value(result, read_result(tmp)):
                return False
            os.replace(tmp, self.path(key))
        except Exception:  # noqa: BLE001 - a folder that cannot take it, a value too deep or of a type Parquet lacks,
            return False  # memory the check's read-back needs: the run stands, it is only not kept
        finally:
            _remove(tmp)
        self._drop_oldest()
        return True

    def touch(self, key: str) -> bool:
        """Mark the result kept under ``key`` as used now (the results used last are the last dropped); False
        when none is kept (dropped, or never written)."""
        try:
            os.utime(self.path(key))
        except OSError:
            return False
        return True

    def run(self, table: LabeledTable, config: DiscoveryConfig, **run_options) -> tuple[Discovery, str, str | None]:
        """``run_discovery(table, config, **run_options)``'s result as kept here, else made now and kept; with
        where it came from: ``"read"`` (kept here), ``"kept"`` (made now and kept) or ``"made"`` (not kept:
        whenever vectors are given, which the key does not cover, or a cell the key cannot read), and the key it
        is kept under (None when made)."""
        from .pipeline import run_discovery

        try:
            key = None if run_options.get("embeddings") is not None else result_key(table, config)
        except Exception:  # noqa: BLE001 - a cell the key cannot read: the run is made, not kept
            key = None
        kept = self.load(key) if key else None
        if kept is not None:
            return kept, "read", key
        result = run_discovery(table, config, **run_options)
        if key and self.save(key, result):
            return result, "kept", key
        return result, "made", None

    def _drop_oldest(self) -> None:
        kept, now = [], time.time()
        for path in self.directory.iterdir():
            try:
                modified = path.stat().st_mtime
            except OSError:  # dropped by another process meanwhile
                continue
            if path.name.endswith(SUFFIX):
                kept.append((modified, path))
            elif path.name.endswith(".tmp") and now - modified > STALE_TEMPORARY_SECONDS:
                _remove(path)
        for _, path in sorted(kept, reverse=True)[self.keep:]:
            _remove(path)


def write_result(result: Discovery, path: Path) -> None:
    """``result`` as one zip at ``path``: ``result.json`` (the values, tagged) and the arrays and frames it names."""
    files: dict[str, bytes] = {}
    document = {"format": FORMAT_VERSION, "result": _encode(result, files)}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("result.json", json.dumps(document, ensure_ascii=False, allow_nan=True))
        for name, data in files.items():
            archive.writestr(name, data)


def read_result(path: Path) -> Discovery:
    """The result ``write_result`` wrote at ``path``, rebuilt into the classes of ``_CLASSES`` only."""
    with zipfile.ZipFile(path) as archive:
        document = json.loads(archive.read("result.json"))
        if document.get("format") != FORMAT_VERSION:
            raise ValueError(f"a result of format {document.get('format')}, this version reads {FORMAT_VERSION}")
        return _decode(document["result"], archive)


def _encode(value, files: dict):
    """``value`` as JSON, arrays and frames written to ``files`` (name -> bytes) and named where they were."""
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if kind is list:
        return [_encode(item, files) for item in value]
    if kind is tuple:
        return {"__tuple__": [_encode(item, files) for item in value]}
    if kind in (set, frozenset):
        return {f"__{kind.__name__}__": [_encode(item, files) for item in value]}
    if kind is dict:
        if all(type(key) is str and not key.startswith("__") for key in value):
            return {key: _encode(item, files) for key, item in value.items()}
        return {"__dict__": [[_encode(key, files), _encode(item, files)] for key, item in value.items()]}
    if isinstance(value, np.generic) and value.dtype.kind in "biufU":
        return {"__scalar__": value.dtype.str, "value": value.item()}
    if value is pd.NA or value is pd.NaT:
        return {"__missing__": "NA" if value is pd.NA else "NaT"}
    if kind in _TEXT_FORMS:  # cells of a user's Parquet table: dates, times, decimals, bytes
        return {"__text__": kind.__name__, "value": _TEXT_FORMS[kind][0](value)}
    if kind is np.ndarray:
        if value.dtype.hasobject:
            return {"__objects__": [_encode(item, files) for item in value.ravel()], "shape": list(value.shape),
                    "writeable": bool(value.flags.writeable)}
        name = f"{len(files)}.npy"
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        files[name] = buffer.getvalue()
        return {"__array__": name, "writeable": bool(value.flags.writeable)}
    if kind is pd.DataFrame:
        return _encode_frame(value, files)
    if dataclasses.is_dataclass(value) and _CLASSES.get(kind.__name__) is kind:
        return {"__dataclass__": kind.__name__,
                "fields": {f.name: _encode(getattr(value, f.name), files) for f in dataclasses.fields(value)}}
    raise TypeError(f"a result holding a {kind.__name__} is not kept")


_TEXT_FORMS = {  # type -> (to text, from text); the save's check refuses what does not come back the same
    pd.Timestamp: (pd.Timestamp.isoformat, pd.Timestamp),
    datetime.datetime: (datetime.datetime.isoformat, datetime.datetime.fromisoformat),
    datetime.date: (datetime.date.isoformat, datetime.date.fromisoformat),
    datetime.time: (datetime.time.isoformat, datetime.time.fromisoformat),
    decimal.Decimal: (str, decimal.Decimal),
    bytes: (lambda value: base64.b64encode(value).decode("ascii"), base64.b64decode),
}
_TEXT_FORMS_BY_NAME = {kind.__name__: forms[1] for kind, forms in _TEXT_FORMS.items()}


def _encode_frame(frame: pd.DataFrame, files: dict) -> dict:
    """Typed columns to Parquet (under their positions, as Parquet wants unique text names), columns of Python
    values (texts with missing values, lists, dicts) to JSON."""
    objects = [j for j, dtype in enumerate(frame.dtypes) if dtype == object]
    typed = frame.iloc[:, [j for j in range(frame.shape[1]) if j not in set(objects)]]
    typed = typed.set_axis([str(j) for j in range(frame.shape[1]) if j not in set(objects)], axis=1)
    typed = typed.assign(rows=np.zeros(len(frame), dtype=np.int8))  # the row count and index, with no typed column too
    name = f"{len(files)}.parquet"
    buffer = io.BytesIO()
    typed.to_parquet(buffer, engine="pyarrow", index=None)
    files[name] = buffer.getvalue()
    return {"__frame__": name, "columns": _encode(list(frame.columns), files), "columns_dtype": str(frame.columns.dtype),
            "columns_name": _encode(frame.columns.name, files),
            "objects": {str(j): [_encode(item, files) for item in frame.iloc[:, j].tolist()] for j in objects}}


def _decode(value, archive: zipfile.ZipFile):
    if isinstance(value, list):
        return [_decode(item, archive) for item in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(_decode(item, archive) for item in value["__tuple__"])
    if "__set__" in value:
        return set(_decode(item, archive) for item in value["__set__"])
    if "__frozenset__" in value:
        return frozenset(_decode(item, archive) for item in value["__frozenset__"])
    if "__dict__" in value:
        return {_decode(key, archive): _decode(item, archive) for key, item in value["__dict__"]}
    if "__scalar__" in value:
        return np.dtype(value["__scalar__"]).type(value["value"])
    if "__missing__" in value:
        return {"NA": pd.NA, "NaT": pd.NaT}[value["__missing__"]]
    if "__text__" in value:
        return _TEXT_FORMS_BY_NAME[value["__text__"]](value["value"])
    if "__objects__" in value:
        array = np.empty(len(value["__objects__"]), dtype=object)
        array[:] = [_decode(item, archive) for item in value["__objects__"]]
        array = array.reshape(value["shape"])
        array.flags.writeable = value["writeable"]
        return array
    if "__array__" in value:
        array = np.load(io.BytesIO(archive.read(value["__array__"])), allow_pickle=False)
        array.flags.writeable = value["writeable"]
        return array
    if "__frame__" in value:
        return _decode_frame(value, archive)
    if "__dataclass__" in value:
        cls = _CLASSES[value["__dataclass__"]]
        fields = {name: _decode(item, archive) for name, item in value["fields"].items()}
        made = cls(**{f.name: fields[f.name] for f in dataclasses.fields(cls) if f.init})
        for f in dataclasses.fields(cls):
            if not f.init:
                object.__setattr__(made, f.name, fields[f.name])
        return made
    return {key: _decode(item, archive) for key, item in value.items()}


def _decode_frame(value: dict, archive: zipfile.ZipFile) -> pd.DataFrame:
    frame = pd.read_parquet(io.BytesIO(archive.read(value["__frame__"])), engine="pyarrow").drop(columns="rows")
    for position, items in sorted(value["objects"].items(), key=lambda item: int(item[0])):
        column = np.empty(len(items), dtype=object)
        column[:] = [_decode(item, archive) for item in items]
        frame.insert(int(position), position, pd.Series(column, index=frame.index, dtype=object))
    frame.columns = pd.Index(_decode(value["columns"], archive), dtype=value["columns_dtype"],
                             name=_decode(value["columns_name"], archive))
    return frame


def same_value(made, kept) -> bool:
    """Whether ``kept`` is ``made`` read back: the same types all the way down, equal values (NaN equal to
    NaN), arrays of the same dtype, shape and writeability, frames equal column by column."""
    if type(made) is not type(kept):
        return False
    if made is pd.NA or made is pd.NaT:
        return kept is made
    if isinstance(made, float):
        return made == kept or (math.isnan(made) and math.isnan(kept))
    if isinstance(made, np.generic):
        return made.dtype == kept.dtype and (made == kept or bool(made != made and kept != kept))
    if isinstance(made, (list, tuple)):
        return len(made) == len(kept) and all(same_value(a, b) for a, b in zip(made, kept))
    if isinstance(made, dict):
        return len(made) == len(kept) and all(same_value(ka, kb) and same_value(va, vb)
                                              for (ka, va), (kb, vb) in zip(made.items(), kept.items()))
    if isinstance(made, np.ndarray):
        if made.dtype != kept.dtype or made.shape != kept.shape or made.flags.writeable != kept.flags.writeable:
            return False
        if made.dtype.hasobject:
            return all(same_value(a, b) for a, b in zip(made.ravel(), kept.ravel()))
        return bool(np.array_equal(made, kept, equal_nan=made.dtype.kind in "fc"))
    if isinstance(made, pd.DataFrame):
        return _same_frame(made, kept)
    if dataclasses.is_dataclass(made):
        return all(same_value(getattr(made, f.name), getattr(kept, f.name)) for f in dataclasses.fields(made))
    return made == kept


def _same_frame(made: pd.DataFrame, kept: pd.DataFrame) -> bool:
    if made.shape != kept.shape or not made.columns.equals(kept.columns) or made.columns.dtype != kept.columns.dtype \
            or list(map(str, made.dtypes)) != list(map(str, kept.dtypes)):
        return False
    objects = [j for j, dtype in enumerate(made.dtypes) if dtype == object]
    typed = [j for j in range(made.shape[1]) if j not in set(objects)]
    try:
        pd.testing.assert_frame_equal(made.iloc[:, typed], kept.iloc[:, typed], check_exact=True, check_flags=True)
    except AssertionError:
        return False
    return all(same_value(made.iloc[:, j].tolist(), kept.iloc[:, j].tolist()) for j in objects)


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:  # a folder that is not one, or read-only: nothing kept there to drop
        pass
