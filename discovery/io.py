"""Read a partly labeled table (CSV, TSV, JSONL, Parquet) into a validated ``LabeledTable``.

Every original column is kept; rows get a stable ``row_id`` (their position in the
file). Labels are stripped, unified across case variants, and blank / NaN / the
chosen marker become unlabeled. Every problem a user can fix raises ``InputError``
naming the file, the column and the fix.
"""

from __future__ import annotations

import codecs
import hashlib
import io as _io
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .labels import LabelCodec, normalize_label_spellings

FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
           ".json": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
MISSING_LABEL_SPELLINGS = frozenset({"", "nan", "NaN", "NA", "N/A", "n/a", "null", "NULL", "None", "none"})
DEFAULT_TEXT_COLUMN = "text"
DEFAULT_LABEL_COLUMN = "label"
# pandas needs several times a file's size in memory; refuse early instead of being killed.
MEMORY_EXPANSION_FACTOR = 8


@dataclass(frozen=True)
class LabeledTable:
    """A user's table, validated: original columns plus integer label codes (-1 = unlabeled)."""

    frame: pd.DataFrame
    text_column: str
    label_column: str | None
    codec: LabelCodec
    labels: np.ndarray
    source_name: str
    data_hash: str
    warnings: tuple[str, ...] = field(default=())

    @property
    def texts(self) -> list[str]:
        return self.frame[self.text_column].tolist()

    @property
    def row_ids(self) -> np.ndarray:
        return self.frame.index.to_numpy()

    @property
    def n_labeled(self) -> int:
        return int((self.labels >= 0).sum())

    def __len__(self) -> int:
        return len(self.frame)


def available_memory_bytes() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def detect_format(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            f"{name}: unknown file format {suffix or '(no extension)'!r}; "
            "use a .csv, .tsv, .jsonl or .parquet file (rename it if the content is one of these)."
        )
    return FORMATS[suffix]


def decode_text(data: bytes, name: str, encoding: str | None = None) -> str:
    """Decode bytes to text: BOMs are honoured, UTF-8 is the default, other encodings on request."""
    if encoding:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputError(f"{name}: cannot decode with encoding {encoding!r} ({exc}); pick another encoding.") from None
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if b"\x00" in data[:8192]:
        raise InputError(
            f"{name}: this looks like a binary file, not a text table (it holds NUL bytes); "
            "export your data as CSV, TSV, JSONL or Parquet."
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name}: byte {exc.start} is not valid UTF-8; save the file as UTF-8, "
            "or name its encoding (--encoding latin-1, cp1252, ...)."
        ) from None


def _parse_jsonl(text: str, name: str) -> pd.DataFrame:
    records = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}: line {line_no} is not valid JSON ({exc.msg}); fix or delete that line.") from None
        if not isinstance(record, dict):
            raise InputError(f"{name}: line {line_no} is not a JSON object; each line must be one row like {{\"text\": ...}}.")
        records.append(record)
    return pd.DataFrame.from_records(records)


def _parse(data: bytes, name: str, fmt: str, encoding: str | None) -> pd.DataFrame:
    if fmt == "parquet":
        try:
            return pd.read_parquet(_io.BytesIO(data))
        except Exception as exc:  # pyarrow raises many types for a damaged file
            raise InputError(f"{name}: not a readable Parquet file ({exc.__class__.__name__}: {exc}).") from None
    text = decode_text(data, name, encoding)
    if not text.strip():
        raise InputError(f"{name}: the file is empty; it needs a header row and at least one data row.")
    if fmt == "jsonl":
        return _parse_jsonl(text, name)
    try:
        return pd.read_csv(_io.StringIO(text), sep="\t" if fmt == "tsv" else ",", dtype=str,
                           keep_default_na=False, na_filter=False)
    except pd.errors.ParserError as exc:
        raise InputError(f"{name}: cannot parse as {fmt.upper()} ({exc}); check the delimiter and quoting.") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{name}: the file is empty; it needs a header row and at least one data row.") from None


def _as_text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (list, tuple, dict, np.ndarray)):
        raise TypeError("nested value")
    return str(value)


def _as_label(value, marker: str | None) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    label = str(value).strip()
    if label in MISSING_LABEL_SPELLINGS or (marker is not None and label == marker.strip()):
        return None
    return label


def _pick_column(frame: pd.DataFrame, wanted: str, name: str, role: str, flag: str) -> str:
    if wanted in frame.columns:
        return wanted
    folded = {str(c).strip().casefold(): c for c in frame.columns}
    if wanted.strip().casefold() in folded:
        return folded[wanted.strip().casefold()]
    columns = ", ".join(repr(str(c)) for c in frame.columns[:20])
    raise InputError(f"{name}: no {role} column {wanted!r}; the columns are {columns}; choose one with {flag}.")


def table_from_frame(frame: pd.DataFrame, *, name: str, data_hash: str, text_column: str = DEFAULT_TEXT_COLUMN,
                     label_column: str | None = None, unlabeled_marker: str | None = None) -> LabeledTable:
    """Validate an already parsed table. ``label_column=None`` uses ``label`` when present."""
    if frame.shape[1] == 0 or frame.empty:
        raise InputError(f"{name}: the table has a header but no data rows; add rows to label.")
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    text_col = _pick_column(frame, text_column, name, "text", "--text-col")
    warnings: list[str] = []
    if label_column is None:
        label_col = DEFAULT_LABEL_COLUMN if DEFAULT_LABEL_COLUMN in frame.columns else None
        if label_col is None:
            warnings.append(f"{name}: no 'label' column; every row is treated as unlabeled (choose one with --label-col).")
    else:
        label_col = _pick_column(frame, label_column, name, "label", "--label-col")
    if label_col == text_col:
        raise InputError(f"{name}: the text and label columns are both {text_col!r}; choose two different columns.")

    try:
        texts = [_as_text(v) for v in frame[text_col].tolist()]
    except TypeError:
        raise InputError(f"{name}: column {text_col!r} holds lists or nested values, not texts; choose a column of plain text.") from None
    n_empty = sum(1 for t in texts if not t.strip())
    if n_empty == len(texts):
        raise InputError(f"{name}: the text column {text_col!r} is empty in every row; choose the column that holds the texts.")
    if n_empty:
        warnings.append(f"{name}: {n_empty} rows have an empty text in {text_col!r}; they are kept and get low-confidence labels.")
    frame[text_col] = texts

    raw_labels = [None] * len(frame) if label_col is None else [_as_label(v, unlabeled_marker) for v in frame[label_col].tolist()]
    labels, renamed = normalize_label_spellings(raw_labels)
    if renamed:
        shown = ", ".join(f"{a!r} -> {b!r}" for a, b in sorted(renamed.items())[:5])
        warnings.append(f"{name}: labels that differ only by case or spaces were unified: {shown}.")
    codec = LabelCodec.from_labels(labels)
    codes = codec.encode(labels)
    if len(codec) == 0 and label_col is not None:
        warnings.append(f"{name}: no row of {label_col!r} is labeled; this is plain discovery and every cluster is a candidate.")
    elif len(codec) == 1:
        warnings.append(f"{name}: only one class ({codec.names[0]!r}) is labeled; other clusters become candidates.")
    frame.index = pd.RangeIndex(len(frame), name="row_id")
    return LabeledTable(frame=frame, text_column=text_col, label_column=label_col, codec=codec, labels=codes,
                        source_name=name, data_hash=data_hash, warnings=tuple(warnings))


def read_table_bytes(data: bytes, name: str, *, text_column: str = DEFAULT_TEXT_COLUMN, label_column: str | None = None,
                     unlabeled_marker: str | None = None, encoding: str | None = None) -> LabeledTable:
    """Read an uploaded file's bytes; ``name`` (its file name) decides the format."""
    fmt = detect_format(name)
    if not data:
        raise InputError(f"{name}: the file is empty; it needs a header row and at least one data row.")
    frame = _parse(data, name, fmt, encoding)
    return table_from_frame(frame, name=name, data_hash=hashlib.sha256(data).hexdigest(), text_column=text_column,
                            label_column=label_column, unlabeled_marker=unlabeled_marker)


def read_table(path: str | os.PathLike, *, text_column: str = DEFAULT_TEXT_COLUMN, label_column: str | None = None,
               unlabeled_marker: str | None = None, encoding: str | None = None) -> LabeledTable:
    """Read a CSV/TSV/JSONL/Parquet file from disk, refusing early if it cannot fit in memory."""
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise InputError(f"{name}: file not found; check the path.")
    if path.is_dir():
        raise InputError(f"{name}: is a folder, not a file; give the path of a .csv, .tsv, .jsonl or .parquet file.")
    detect_format(name)
    size = path.stat().st_size
    available = available_memory_bytes()
    if available is not None and size * MEMORY_EXPANSION_FACTOR > available:
        raise InputError(
            f"{name}: the file is {size / 2**30:.1f} GiB and needs about {size * MEMORY_EXPANSION_FACTOR / 2**30:.0f} GiB "
            f"of memory to process, but only {available / 2**30:.1f} GiB is available; split it or use a bigger machine."
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{name}: cannot read the file ({exc.strerror}).") from None
    return read_table_bytes(data, name, text_column=text_column, label_column=label_column,
                            unlabeled_marker=unlabeled_marker, encoding=encoding)
