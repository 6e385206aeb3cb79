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
import itertools
import json
import math
import os
import re
import sys
import unicodedata
import warnings as _warnings
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .errors import InputError
from .labels import (INVISIBLE_CHARACTERS, LabelCodec, combined_labels, is_whole_number, label_prefixes, listed,
                     looks_like_a_marker, narrow, normalize_label_spellings, similar_spellings_note, spelling_key)

# .txt: what Excel's "Unicode Text" and "Text (Tab delimited)" write (tab-separated; the first in UTF-16)
FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
           ".json": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
# Words that software writes for a missing value; read as unlabeled unless ``missing_words=False``
# (a class may really be called "none"). Blank cells are always unlabeled.
MISSING_LABEL_SPELLINGS = frozenset({"nan", "NaN", "NA", "N/A", "n/a", "null", "NULL", "None", "none"})
SPREADSHEETS = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".numbers"})
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
    origin_column: str | None = None  # the ``label_origin`` column ``labels_for_next_run`` writes, when present
    label_origin: np.ndarray | None = None  # its value per row
    # how its labels and texts were read (marker, missing words, encoding): a run repeats only with them
    read_with: dict = field(default_factory=dict)
    # an earlier run's proposal columns the reading left out (``earlier_run_columns``), as the file holds them
    earlier_proposals: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    # every label cell the reading respelled (case, spaces, width, leading zeros) -> the spelling kept, as it warned
    label_spellings: dict = field(default_factory=dict, compare=False, repr=False)
    # the columns a DataFrame's own index was kept as (rows are then identified by position, not by that index)
    kept_index: tuple = field(default=(), compare=False, repr=False)

    @property
    def labeled_in_review(self) -> np.ndarray:
        """Labeled rows whose label was given during review (picked by the researcher, not drawn like the
        rest): every stage learns from them, but they are never held out to estimate accuracy."""
        if self.label_origin is None:
            return np.zeros(len(self.labels), dtype=bool)
        return np.isin(self.label_origin, REVIEW_ORIGINS) & (self.labels >= 0)

    @property
    def accepted_proposals(self) -> np.ndarray:
        """Labeled rows whose label is a proposal of an earlier run typed as a proposed_labels export showed it
        (``ORIGIN_ACCEPTED``): among ``labeled_in_review`` (never held out), but maybe accepted unread, so the
        label check still looks at them."""
        if self.label_origin is None:
            return np.zeros(len(self.labels), dtype=bool)
        return (self.label_origin == ORIGIN_ACCEPTED) & (self.labels >= 0)

    @property
    def kept_in_review(self) -> np.ndarray:
        """Data labels the label check doubted and a researcher kept: drawn like the rest (so they may be held
        out to estimate accuracy), but never listed to check again."""
        if self.label_origin is None:
            return np.zeros(len(self.labels), dtype=bool)
        return (self.label_origin == ORIGIN_KEPT) & (self.labels >= 0)

    @property
    def texts(self) -> list[str]:
        """The texts as every stage reads them: each in Unicode's composed form (``composed``), so a text pasted in
        decomposed form (macOS writes Korean and accents so) reads as its composed copy, not as another text; the
        frame, and so the exported files, keep the cells as read."""
        return [composed(text) for text in self.frame[self.text_column].tolist()]

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
    if suffix in SPREADSHEETS:
        raise InputError(f"{name}: unknown file format {suffix!r}: a spreadsheet workbook is not read directly; save "
                         "the sheet as CSV (UTF-8) and give that file.")
    if suffix not in FORMATS:
        raise InputError(
            f"{name}: unknown file format {suffix or '(no extension)'!r}; "
            "use a .csv, .tsv, .jsonl or .parquet file (rename it if the content is one of these)."
        )
    return FORMATS[suffix]


# Leading bytes of binary formats people rename to .csv by mistake, and what to tell them.
MAGIC_NUMBERS = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image", ""), (b"\xff\xd8\xff", "a JPEG image", ""), (b"GIF8", "a GIF image", ""),
    (b"RIFF", "a RIFF media file (e.g. WebP or WAV)", ""), (b"%PDF", "a PDF document", ""),
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook is one)", "save the sheet as CSV (UTF-8) and give that file"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.xls/.doc)", "save the sheet as CSV (UTF-8) and give that file"),
    (b"\x1f\x8b", "a gzip-compressed file", "decompress it first (gunzip)"),
    (b"BZh", "a bzip2-compressed file", "decompress it first (bunzip2)"),
    (b"\xfd7zXZ\x00", "an xz-compressed file", "decompress it first (unxz)"),
    (b"7z\xbc\xaf", "a 7-Zip archive", "extract it first"),
    (b"PAR1", "a Parquet file", "give it the .parquet extension"), (b"SQLite format 3", "an SQLite database", ""),
    (b"\x7fELF", "a program (ELF executable)", ""),
)
# A text table may hold a few stray NUL bytes; more than this share of the first block means binary.
BINARY_NUL_SHARE = 0.01
# Undecodable bytes plus this share of control bytes (other than tab, newlines, form feed, escape): binary.
BINARY_CONTROL_SHARE = 0.05
_TEXT_CONTROLS = frozenset(b"\t\n\r\x0b\x0c\x1b")


def _control_share(head: bytes) -> float:
    return sum(1 for b in head if b < 32 and b not in _TEXT_CONTROLS) / max(len(head), 1)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when NULs sit on every other byte (ASCII-heavy UTF-16 without a BOM)."""
    even, odd = head[0::2], head[1::2]
    if len(head) < 4:
        return None
    nul_even, nul_odd = even.count(0) / len(even), odd.count(0) / max(len(odd), 1)
    if nul_odd > 0.3 and nul_even < 0.05:
        return "utf-16-le"
    if nul_even > 0.3 and nul_odd < 0.05:
        return "utf-16-be"
    return None


ENCODING_SAMPLE_BYTES = 65_536  # what the encoding guess reads, from the line of the first byte UTF-8 refused
ENCODING_MIN_FOREIGN_BYTES = 200  # fewer bytes beyond ASCII tell no encoding: five Shift-JIS rows read as Korean


def _encoding_advice(data: bytes, position: int) -> str:
    """The --encoding to try, as the bytes from ``position``'s line on suggest (charset-normalizer): a file saved in GBK or
    Shift-JIS was advised latin-1, which reads any bytes, so the run went on with garbled texts and said nothing."""
    from charset_normalizer import from_bytes

    usual = "--encoding latin-1, cp1252, utf-16, ..."
    start = data.rfind(b"\n", 0, position) + 1  # the bytes before are valid UTF-8, mostly ASCII: they tell nothing
    sample = data[start:start + ENCODING_SAMPLE_BYTES]
    if start + ENCODING_SAMPLE_BYTES < len(data):  # to a line's end, so no character is cut in two
        sample = sample[:sample.rfind(b"\n") + 1] or sample
    if sum(byte > 127 for byte in sample) < ENCODING_MIN_FOREIGN_BYTES:
        return usual
    guess = from_bytes(sample).best()
    if guess is None or guess.encoding in ("utf_8", "ascii") or guess.language in (None, "", "Unknown"):
        return usual
    return f"perhaps --encoding {guess.encoding}: its bytes read as {guess.language} text; else {usual}"


def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def _is_utf8_beyond_ascii(data: bytes) -> bool:
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decode(data: bytes, name: str, encoding: str | None = None) -> tuple[str, list[str]]:
    """Text plus notes for the user (what was guessed or repaired)."""
    notes: list[str] = []
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"{name}: unknown encoding {encoding!r}; use a name such as utf-8, latin-1, cp1252 or utf-16.") from None
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}: byte {exc.start} (line {_line_of(data, exc.start)}) cannot be decoded as "
                             f"{encoding!r}; pick another --encoding (utf-8, latin-1, cp1252, ...).") from None
        if text.startswith("\ufeff"):
            text = text[1:]
        if codecs.lookup(encoding).name == "iso8859-1" and re.search("[\x80-\x9f]", text):
            notes.append(f"{name}: read as {encoding!r}, it holds control characters (U+0080 to U+009F) that "
                         "Windows files use for quotes and dashes: if its texts show them, use --encoding cp1252.")
        if codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig") and _is_utf8_beyond_ascii(data):
            notes.append(f"{name}: read as {encoding!r}, as asked, but it is valid UTF-8 with letters beyond ASCII: "
                         "if its texts show pairs like 'Ã©' for 'é', leave out --encoding.")
    elif data.startswith(codecs.BOM_UTF8):
        try:
            text = data[len(codecs.BOM_UTF8):].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}: starts with a UTF-8 BOM but byte {exc.start} is not valid UTF-8; "
                             "save it again as UTF-8, or name its encoding (--encoding latin-1, cp1252, ...).") from None
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(f"{name}: starts with a UTF-16 BOM but is not valid UTF-16; save it again as UTF-8.") from None
    else:
        for magic, what, fix in MAGIC_NUMBERS:
            if data.startswith(magic):
                raise InputError(f"{name}: this is a binary file ({what}), not a text table; "
                                 f"{fix or 'give a CSV, TSV, JSONL or Parquet file'}.")
        head = data[:8192]
        utf16 = _utf16_without_bom(head) if b"\x00" in head else None
        if utf16:
            try:
                text = data.decode(utf16)
                notes.append(f"{name}: read as {utf16.upper()} (no byte order mark); pass --encoding to override.")
                return text, notes
            except UnicodeDecodeError:
                pass
        if head.count(0) > max(4, BINARY_NUL_SHARE * len(head)):
            raise InputError(
                f"{name}: this looks like a binary file, not a text table (it holds NUL bytes); "
                "export your data as CSV, TSV, JSONL or Parquet."
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if _control_share(head) > BINARY_CONTROL_SHARE:
                raise InputError(f"{name}: this looks like a binary file, not a text table (many control bytes); "
                                 "export your data as CSV, TSV, JSONL or Parquet.") from None
            raise InputError(
                f"{name}: byte {exc.start} (line {_line_of(data, exc.start)}) is not valid UTF-8; save the file "
                f"as UTF-8, or name its encoding ({_encoding_advice(data, exc.start)})."
            ) from None
    if "\x00" in text:
        notes.append(f"{name}: {text.count(chr(0))} NUL characters were removed from the text.")
        text = text.replace("\x00", "")
    return text, notes


def decode_text(data: bytes, name: str, encoding: str | None = None) -> str:
    """Decode bytes to text: BOMs are honoured, UTF-8 is the default, UTF-16 without BOM is recognised,
    other encodings on request. Binary files are refused with what they look like."""
    return _decode(data, name, encoding)[0]


def _clean_surrogates(value):
    """Lone UTF-16 surrogates (from JSON escapes like \\ud800) cannot be stored or embedded: U+FFFD instead."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_clean_surrogates(k): _clean_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_surrogates(v) for v in value]
    return value


def _parse_jsonl(text: str, name: str) -> pd.DataFrame:
    stripped = text.lstrip()
    if stripped.startswith("["):  # a .json file holding one array of row objects
        try:
            records = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}: not valid JSON ({exc.msg} at line {exc.lineno}); fix the file, "
                             "or write one JSON object per line (JSONL).") from None
        bad = next((i for i, r in enumerate(records) if not isinstance(r, dict)), None)
        if bad is not None:
            raise InputError(f"{name}: item {bad} of the JSON array is not an object; each row must look like {{\"text\": ...}}.")
    elif (shaped := _json_document_rows(stripped, name)) is not None:
        return shaped
    else:
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
    if "\\ud" in text or "\\uD" in text:
        records = [_clean_surrogates(r) for r in records]
    return _whole_numbers_kept(pd.DataFrame.from_records(records), _by_column(records))


def _json_document_rows(text: str, name: str) -> pd.DataFrame | None:
    """The rows of a .json file holding one object in a shape pandas writes (``to_json``'s default, column ->
    {index -> value}, or its ``split`` orient) or rows wrapped in one key (``{"data": [{...}, ...]}``); None for
    anything else, such as a JSONL file (one of its lines alone is a row object, not a table)."""
    if not text.startswith("{") or name.lower().endswith((".jsonl", ".ndjson")):  # JSONL: one row a line, always
        return None
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(document, dict) or not document:
        return None
    values = list(document.values())
    nested = all(isinstance(v, dict) for v in values)
    if nested and all(str(k).isdigit() for k in document) and all(v.keys() == values[0].keys() for v in values):
        return _whole_numbers_kept(pd.DataFrame.from_records(values), _by_column(values))  # orient="index"
    if nested:  # df.to_json(): {"text": {"0": ..., "1": ...}, "label": {...}}
        frame = pd.DataFrame(document)
        return _whole_numbers_kept(frame.reset_index(drop=True), {
            column: [document[column].get(key) for key in frame.index] for column in document})
    if {"columns", "data"} <= set(document) and isinstance(document["data"], list):  # orient="split"
        rows = [row if isinstance(row, list) else [row] for row in document["data"]]
        width = len(document["columns"])
        if any(len(row) > width for row in rows):
            raise InputError(f"{name}: a row of its 'data' holds more values than its {width} 'columns'; write the "
                             "table again (DataFrame.to_json(orient='records', lines=True) writes JSONL).")
        rows = [row + [None] * (width - len(row)) for row in rows]
        return _whole_numbers_kept(pd.DataFrame(rows, columns=document["columns"]),
                                   {column: [row[i] for row in rows] for i, column in enumerate(document["columns"])})
    wrapped = [key for key, v in document.items() if isinstance(v, list) and v and all(isinstance(r, dict) for r in v)]
    beside = [v for key, v in document.items() if key not in wrapped]
    if len(wrapped) == 1 and len(beside) <= 2 and not any(isinstance(v, str) and len(v) > 20 for v in beside):
        # {"data": [...]} and maybe a count or a version beside it (a long text beside the list: one row)
        return _whole_numbers_kept(pd.DataFrame.from_records(document[wrapped[0]]), _by_column(document[wrapped[0]]))
    return None


def _by_column(records: list[dict]) -> dict[str, list]:
    columns = dict.fromkeys(key for record in records for key in record)
    return {column: [record.get(column) for record in records] for column in columns}


def _whole_numbers_kept(frame: pd.DataFrame, values_by_column: dict[str, list]) -> pd.DataFrame:
    """JSON whole numbers as whole numbers where a row lacks the key or holds null: pandas made such columns
    floats, so tweet ids 1234567890123456789 came back as 1.2345678901234568e+18 and labels 0/1 as 0.0/1.0.
    ``values_by_column``: each column's values as JSON gave them, in the frame's row order."""
    for column in frame.columns:
        if not pd.api.types.is_float_dtype(frame[column]) or column not in values_by_column:
            continue
        values = values_by_column[column]
        if all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in values):
            try:
                frame[column] = pd.array(values, dtype="Int64")
            except (OverflowError, TypeError):  # beyond 64 bits: kept exact as Python numbers
                frame[column] = pd.Series(values, index=frame.index, dtype=object)
    return frame


def _parquet_frame(data: bytes) -> pd.DataFrame:
    """A Parquet file's table, its whole-number columns with missing cells kept whole (pandas made them floats:
    int64 tweet ids came back as 1.2345678901234568e+18, labels 7 as 7.0), as ``_whole_numbers_kept`` does for JSON."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(_io.BytesIO(data))
    frame = table.to_pandas()
    with_gaps = {name: column.to_pylist() for name, column in zip(table.column_names, table.columns)
                 if pa.types.is_integer(column.type) and column.null_count}
    return _whole_numbers_kept(frame, with_gaps)


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet runs a cell starting so as a formula


def is_formula_like(value) -> bool:
    """A text a spreadsheet would run as a formula, or one that starts with ``'`` before such a text (the CSV
    export then puts one more ``'`` before it, so taking one away on reading gives it back as it was)."""
    return isinstance(value, str) and value.lstrip("'").startswith(FORMULA_PREFIXES) and (
        value.startswith(FORMULA_PREFIXES) or value.startswith("'"))


def without_formula_quote(value: str) -> str:
    """A cell as it was before a CSV export put ``'`` before a spreadsheet formula (``'-1`` -> ``-1``)."""
    return value[1:] if value.startswith("'") and is_formula_like(value[1:]) else value


def is_export_of_this_tool(columns) -> bool:
    """Whether a table with these columns is a CSV this tool wrote (proposed_labels, label_next or labels_to_check:
    the row id and a proposed or suggested label)."""
    names = set(map(str, columns))
    return ROW_ID in names and bool(names & {"proposed_label", "suggested_label"})


def _without_formula_quotes(frame: pd.DataFrame, name: str, notes: list[str]) -> pd.DataFrame:
    """A CSV this tool wrote (``is_export_of_this_tool``) with the ``'`` it put before formula-like cells and
    column names taken away again: a run on an exported proposed_labels.csv with the marker -1 read every unlabeled
    row as the class '-1, and -0.5 came back as '-0.5. The export doubles a ``'`` already there, so a text of
    the user's own such as ``'=' vs '=='`` comes back as it was; other files are left as they are.

    An export trimmed to a few columns (``row_id``, text, label) no longer names itself by its columns: a file
    with a ``row_id`` column whose formula-like cells all carry that ``'`` is taken as one too (a file of the
    user's own holds such cells bare: ``-1``, ``=rate``), else the class ``=rate`` came back as ``'=rate``."""
    columns = [without_formula_quote(str(column)) for column in frame.columns]
    if ROW_ID not in columns:  # every file this tool writes has it: other files are not scanned
        return frame
    quoted_cells, bare = {}, False
    for column in frame.columns:
        cells = frame[column]
        rest = cells.str[1:]  # is_formula_like(rest), for a whole column at once
        quoted = (cells.str.startswith("'") & rest.str.lstrip("'").str.startswith(FORMULA_PREFIXES)
                  & (rest.str.startswith(FORMULA_PREFIXES) | rest.str.startswith("'")))
        quoted_cells[column] = quoted
        bare = bare or bool(cells.str.startswith(FORMULA_PREFIXES).any())
    trimmed_export = not bare and any(q.any() for q in quoted_cells.values())
    if not (is_export_of_this_tool(columns) or trimmed_export):
        return frame
    changed = 0
    for column, quoted in quoted_cells.items():
        if quoted.any():
            frame[column] = frame[column].mask(quoted, frame[column].str[1:])
            changed += int(quoted.sum())
    frame.columns = columns
    if changed:
        notes.append(f"{name}: the ' this tool's CSV export puts before {changed:,} formula-like cell"
                     f"{'s' if changed != 1 else ''} (such as '-1 or '=...) was taken away again.")
    return frame


def _line_ends(text: str) -> tuple[str, str | None]:
    """The text with line ends the CSV parser splits right, and the line terminator to give it. Excel's
    "CSV (Macintosh)" ends lines with a lone CR (a line break typed in a cell is then an LF); where lines end in
    LF or CRLF, a lone CR is inside a text (pandas' ``to_csv`` leaves it unquoted), and pandas took it for a line
    end, shifting every later row."""
    if "\r" not in text:
        return text, None
    if "\n" not in text:
        return text.replace("\r", "\n"), None
    first = re.search("\r\n|\r|\n", text).group()
    if first == "\r":
        return text, "\r"
    if re.search("\r(?!\n)", text):
        return text.replace("\r\n", "\n"), "\n"
    return text, None


def _first_line(text: str) -> str:
    return re.split("\r\n|\r|\n", text, maxsplit=1)[0]


def _sniff_delimiter(text: str, fmt: str) -> str:
    """Tab for TSV; for CSV a comma unless the header has none but holds ';', tab or '|' (European Excel)."""
    if fmt == "tsv":
        return "\t"
    header = re.sub(r'"(?:[^"]|"")*"', '""', _first_line(text))  # a quoted name may hold a comma
    if "," not in header:
        for sep in (";", "\t", "|"):
            if sep in header:
                return sep
    return ","


def peek_rows(data: bytes | None = None, name: str = "", path: str | None = None, rows: int = 200,
              encoding: str | None = None) -> pd.DataFrame:
    """The first ``rows`` rows of a file (only its column names for Parquet), split as ``read_table`` splits it
    (Excel's semicolons, a JSON array), to offer its columns before the whole file is read; an empty frame when
    they cannot be read cheaply (``read_table`` then says what is wrong)."""
    try:
        fmt = detect_format(name or path or "")
        if fmt == "parquet":
            import pyarrow.parquet as pq

            parquet = pq.ParquetFile(_io.BytesIO(data) if data is not None else path)
            first = next(parquet.iter_batches(batch_size=rows), None)
            return first.to_pandas() if first is not None else pd.DataFrame(columns=parquet.schema_arrow.names)
        raw = data[:1_000_000] if data is not None else Path(path).open("rb").read(1_000_000)
        text = raw.decode(encoding or "utf-8-sig", errors="replace").lstrip("\ufeff")
        if fmt == "jsonl":
            whole = len(raw) < 1_000_000
            if text.lstrip().startswith("["):  # one JSON array: readable only whole
                return _parse_jsonl(text, name).head(rows) if whole else pd.DataFrame()
            if whole and (shaped := _json_document_rows(text.lstrip(), name)) is not None:
                return shaped.head(rows)
            records = []
            for line in [line for line in text.splitlines() if line.strip()][:rows]:
                try:
                    records.append(json.loads(line))
                except ValueError:  # the sample may end inside a line
                    break
            records = [record for record in records if isinstance(record, dict)]
            return pd.DataFrame.from_records(records, columns=list(records[0])) if records else pd.DataFrame()
        if len(raw) < 1_000_000:  # the whole file: read as read_table reads it (quoting, formula quotes)
            try:
                return _parse(raw, name or str(path), fmt, encoding).head(rows)
            except InputError:  # its columns all the same, as far as the sample goes
                pass
        text, line_end = _line_ends(text)
        sep = _sniff_delimiter(text, fmt)
        try:
            sample = pd.read_csv(_io.StringIO(text), sep=sep, nrows=rows, dtype=str, keep_default_na=False,
                                 lineterminator=line_end)
        except Exception:  # noqa: BLE001 - the sample may end inside a row: the header alone then
            sample = pd.read_csv(_io.StringIO(text), sep=sep, nrows=0, dtype=str, lineterminator=line_end)
        return _without_formula_quotes(sample, name, [])
    except Exception:  # noqa: BLE001 - the core reports the real problem when the table is read
        return pd.DataFrame()


def _parse(data: bytes, name: str, fmt: str, encoding: str | None, notes: list[str] | None = None) -> pd.DataFrame:
    notes = [] if notes is None else notes
    if fmt == "parquet":
        try:
            return _parquet_frame(data)
        except Exception as exc:  # pyarrow raises many types for a damaged file
            raise InputError(f"{name}: not a readable Parquet file ({exc.__class__.__name__}: {exc}); "
                             "write it again, or export the data as CSV or JSONL.") from None
    text, decode_notes = _decode(data, name, encoding)
    notes.extend(decode_notes)
    if not text.strip():
        raise InputError(f"{name}: the file is empty; it needs a header row and at least one data row.")
    if fmt == "jsonl":
        return _parse_jsonl(text, name)
    text, line_end = _line_ends(text)
    sep = _sniff_delimiter(text, fmt)
    if sep not in (",", "\t") or (fmt == "csv" and sep == "\t"):
        notes.append(f"{name}: the header has no comma; columns are split at {sep!r}.")
    notes.extend(_repeated_header_names(text, sep, name))
    shape_notes, quoting = _row_shape(text, sep, name, line_end)
    notes.extend(shape_notes)
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("error", pd.errors.ParserWarning)
            # index_col=False: a row with an extra field must not silently shift the columns.
            frame = pd.read_csv(_text_buffer(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False,
                                index_col=False, lineterminator=line_end, quoting=quoting)
    except pd.errors.ParserWarning:
        raise InputError(f"{name}: some rows have more fields than the header; put texts that contain {sep!r} "
                         "in double quotes, or check the delimiter.") from None
    except pd.errors.ParserError as exc:
        detail = str(exc).replace("Error tokenizing data. C error: ", "").strip()
        raise InputError(f"{name}: cannot parse as {fmt.upper()} ({detail}); check the delimiter and that every "
                         "quote is closed (a text with commas or line breaks must be in double quotes).") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{name}: the file is empty; it needs a header row and at least one data row.") from None
    return _without_formula_quotes(frame, name, notes)


def _text_buffer(text: str):
    """``text`` for pandas' parser as UTF-8 bytes: an ``io.StringIO`` holds up to 4 bytes a character, and a 294 MB
    CSV took 0.85 GB more to read from one (hunt 127); a text that cannot be written so (a lone surrogate) as it is."""
    try:
        return _io.BytesIO(text.encode("utf-8"))
    except UnicodeEncodeError:
        return _io.StringIO(text)


def _text_lines(text: str):
    """The lines of ``text`` with their ends, one at a time, for ``csv.reader``: split at LF when it holds no CR (as
    ``io.StringIO(text, newline="")`` splits it, without the copy of up to 4 bytes a character that holds)."""
    if "\r" in text:
        yield from _io.StringIO(text, newline="")
        return
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _scan_rows(text: str, sep: str, quoting: int, line_end: str | None):
    """The data rows as the csv module splits them, numbered as pandas numbers them (blank lines skipped), for
    ``_row_shape``: the header's width, the rows with fewer fields, the rows with a field of several lines
    (row, field; at most ``MULTILINE_KEPT``), the values of the last column in rows of the header's width,
    whether some field is quoted whole, and the last row's number. Raises csv.Error where the csv module cannot split the file."""
    import csv

    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # a text may be longer than the default 131,072 characters
    source = text.replace("\r", " ") if line_end == "\n" else text  # a CR inside a text, as pandas reads it
    records = (r for r in csv.reader(_text_lines(source), delimiter=sep, quoting=quoting)
               if r and not (len(r) == 1 and not r[0].strip()))
    width = len(next(records, []))
    short, multiline, last_values, quoted, row = [], [], set(), False, -1
    for row, record in enumerate(records):
        if len(record) < width:
            short.append(row)
        elif len(record) == width and len(last_values) < 100_000:
            last_values.add(record[-1].strip())
        if quoting == csv.QUOTE_NONE:
            quoted = quoted or any(len(f) > 1 and f[0] == f[-1] == '"' for f in record)
        elif len(multiline) < MULTILINE_KEPT and any("\n" in f for f in record):
            multiline.append((row, next(f for f in record if "\n" in f)))
    return width, short, multiline, last_values - {""}, quoted, row


def _phrase_first_rows(text: str, sep: str) -> list[int]:
    """The data rows (numbered as ``_scan_rows`` numbers them) holding a field that opens with a quote closed
    before the field ends (``"My card" is broken``), read as CSV quoting reads: a field quoted whole, its own
    quotes doubled (``"weekly ""dinner, a movie,"" night"``), is no such field. Splitting on every separator,
    as an unquoted reading does, took the pieces of such a field for phrase-first texts and counted lines, not
    rows (3 texts pandas wrote correctly were named, at a row that held no quote)."""
    rows: list[int] = []
    row, quoted, field_start, line_start, skip_to = -1, False, 0, 0, -1
    for found in re.finditer(r'"|\n|' + re.escape(sep), text):
        char, at = found.group(), found.start()
        if at < skip_to:  # the second quote of a doubled pair
            continue
        if quoted:
            if char != '"':
                continue
            after = text[at + 1:at + 2] or "\n"
            if after == '"':
                skip_to = at + 2
            else:
                quoted = False
                if after not in (sep, "\n", "\r") and (not rows or rows[-1] != row):
                    rows.append(row)  # closed, and the field goes on: CSV quoting drops these quotes
        elif char == '"':
            quoted = at == field_start
        elif char == sep:
            field_start = at + 1
        else:  # a line break outside quotes ends the row; blank lines are no rows
            if text[line_start:at].strip():
                row += 1
            field_start = line_start = at + 1
    return [r for r in rows if r >= 0]


MULTILINE_KEPT = 10_000


def _row_shape(text: str, sep: str, name: str, line_end: str | None = None) -> tuple[list[str], int]:
    """Notes on rows that lost or swallowed line breaks, and the quoting to read with. A text opening with a
    double quote never closed swallows the lines after it into one field (300 rows of a TSV written by awk read
    as 260, labels taken from other lines); a line break in a text not put in quotes splits its row in two,
    the second part shifting into the first's columns. pandas reads both without a word. A line of a text
    counts as a swallowed row when it splits into the header's fields and ends in a value the last column holds
    elsewhere (a label): a quoted text of several lines with commas is a text's own. A TSV whose last text runs
    to the end of the file in lines of the header's fields (its quote never closed) is tried without quoting."""
    import csv

    try:
        width, short, multiline, last_values, _, last_row = _scan_rows(text, sep, csv.QUOTE_MINIMAL, line_end)
    except csv.Error:  # the csv module splits stricter than pandas: no notes rather than no table
        return [], csv.QUOTE_MINIMAL
    phrase_notes, quoting = _quoted_phrases_first(text, sep, name, line_end)
    if quoting == csv.QUOTE_NONE:
        return phrase_notes, quoting

    def later_lines(field: str) -> list[list[str]]:  # the lines after a field's first, split at the delimiter
        return [line.split(sep) for line in field.split("\n")[1:] if line.strip()]

    swallowed = [(row, field.strip().count("\n"), n) for row, field in multiline if width > 1 and (
        n := sum(len(p) == width and p[-1].strip() in last_values for p in later_lines(field)))]
    last = later_lines(multiline[-1][1]) if multiline and multiline[-1][0] == last_row else []
    never_closed = width > 1 and len(last) >= 2 and all(len(p) == width for p in last)  # no row left to compare
    if sep == "\t" and (swallowed or never_closed):
        try:
            _, unquoted_short, _, _, quoted, _ = _scan_rows(text, sep, csv.QUOTE_NONE, line_end)
        except csv.Error:
            unquoted_short, quoted = [0], True
        if not unquoted_short and not quoted:  # a TSV written without quoting: quotes are part of the texts
            opened = [row for row, _, _ in swallowed] or [multiline[-1][0]]
            texts = "1 text opens" if len(opened) == 1 else f"{len(opened):,} texts open"
            return [f"{name}: read without quoting: {texts} with a double quote not closed where its line ends "
                    f"(row {opened[0]} first), which would have swallowed the lines after it; every line has "
                    "the header's fields, so quotes are read as part of the texts."], csv.QUOTE_NONE
    notes = list(phrase_notes)
    if swallowed:
        row, lines, like_rows = swallowed[0]
        others = len(swallowed) - 1
        more = f" ({others:,} more row{'s' if others > 1 else ''} like it)" if others else ""
        notes.append(f"{name}: row {row}'s text runs on over {lines:,} more line{'s' if lines > 1 else ''}, "
                     f"{like_rows:,} of {'them looking' if lines > 1 else 'it looking'} like "
                     f"{'rows' if like_rows > 1 else 'a row'} of {'their' if like_rows > 1 else 'its'} own{more}: a "
                     "double quote opened and not closed where its line ends joined them, and the rows they were are "
                     "missing. Put each text holding quotes in double "
                     'quotes, its own quotes doubled ("" for "), or delete the stray quote.')
    if short:
        rows = "1 row has" if len(short) == 1 else f"{len(short):,} rows have"
        notes.append(f"{name}: {rows} fewer fields than the header's {width} (row {short[0]} "
                     "first); the missing ones are read as empty. If a text there holds a line break, put it in double "
                     "quotes: unquoted, it splits the row in two and every later row id moves by one.")
    return notes, csv.QUOTE_MINIMAL


def _quoted_phrases_first(text: str, sep: str, name: str, line_end: str | None) -> tuple[list[str], int]:
    """Texts opening with a quoted phrase and going on after it (``"My card" is broken``): CSV quoting reads them
    as ``My card is broken``, the quotes silently gone. A TSV with such texts, none quoted whole and every line of
    the header's fields without quoting, was written without quoting: it is read so (quotes kept). Otherwise a
    note names the first such row."""
    import csv

    if not re.search(rf'(?:^|{re.escape(sep)})"[^"\n]*"[^"\n{re.escape(sep)}]', text, flags=re.M):
        return [], csv.QUOTE_MINIMAL  # the common case, found without splitting every row
    phrase_first = _phrase_first_rows(text.replace("\r", "\n") if line_end == "\r" else text, sep)
    if not phrase_first:
        return [], csv.QUOTE_MINIMAL
    try:
        _, unquoted_short, _, _, quoted, _ = _scan_rows(text, sep, csv.QUOTE_NONE, line_end)
    except csv.Error:
        return [], csv.QUOTE_MINIMAL
    texts = "1 text opens" if len(phrase_first) == 1 else f"{len(phrase_first):,} texts open"
    if sep == "\t" and not unquoted_short and not quoted:
        return [f"{name}: read without quoting: {texts} with a phrase in double quotes (row {phrase_first[0]} first), "
                "which quoting would drop; no text is quoted whole and every line has the header's fields, so "
                "quotes are read as part of the texts."], csv.QUOTE_NONE
    return [f"{name}: {texts} with a phrase in double quotes and go{'es' if len(phrase_first) == 1 else ''} on after "
            f"it (row {phrase_first[0]} first): read as quoting, those quotes are dropped. To keep them, put the "
            'whole text in double quotes with its own quotes doubled ("""My card"" is broken").'], csv.QUOTE_MINIMAL


def read_text_table(data: bytes, name: str, fmt: str = "csv", notes: list[str] | None = None) -> pd.DataFrame:
    """A CSV's (``fmt="tsv"``: a TSV's) cells as text, split and decoded as ``read_table`` does (delimiter, encoding,
    rows a stray quote or line break moved: said in ``notes``); raises InputError."""
    return _parse(data, name, fmt, None, notes)


def _repeated_header_names(text: str, sep: str, name: str) -> list[str]:
    """A note per column name the header repeats: pandas reads the second ``text`` as ``text.1``."""
    import csv

    header = next(csv.reader([_first_line(text)], delimiter=sep), [])
    counts: dict[str, int] = {}
    for column in header:
        counts[column] = counts.get(column, 0) + 1
    return [f"{name}: the header names {column!r} {n} times; the later ones are read as "
            f"{', '.join(repr(f'{column}.{i}') for i in range(1, n))}." for column, n in counts.items() if n > 1]


def _is_missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def is_contentless(text: str) -> bool:
    """True for a text with no letter, digit or symbol (emoji count as symbols): empty, spaces, or
    punctuation only ("...", " - "), or nothing else but links, @mentions, e-mail addresses and HTML markup
    (``without_markup_only``: a tweet of a t.co link alone, "@bobby99"). Such texts say nothing of a category, so
    the pipeline treats them as empty: a guess for a label, and no cluster, candidate or flag of their own (link
    and mention rows formed candidates of their own and filled a fifth of label_next.csv: helper 102)."""
    text = str(text)
    return not _has_content(text) or (bool(_MAYBE_MARKUP.search(text)) and not _has_content(without_markup_only(text)))


def _has_content(text: str) -> bool:
    """Whether ``text`` holds a letter, a digit or a symbol."""
    return any(unicodedata.category(character)[0] in "LNS" for character in text)


_MAYBE_MARKUP = re.compile(r"[@<&]|https?:|www\.")
# HTML tags, links, e-mail addresses and HTML entities: no words of the writer's (the keywords leave them out too)
MARKUP_PATTERN = (r"<[!/?]?[A-Za-z][^<>]{0,500}>|\b(?:https?://|www\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.]+\b"
                  r"|&(?:[A-Za-z]{2,8}|#\d{1,6}|#x[0-9A-Fa-f]{1,6});")
_MARKUP_ONLY = re.compile(MARKUP_PATTERN + r"|(?<![\w@.])@\w{1,50}|\bRT\b")  # and @mentions, a retweet's RT
_LINK = re.compile(r"(?:https?://|www\.)", re.IGNORECASE)
_SLUG = re.compile(r"[a-z]{3,}[-_+][a-z]{2,}", re.IGNORECASE)  # a link's words: /questions/643853/customaction-not-...


def without_markup_only(text: str) -> str:
    """``text`` without the links, @mentions, e-mail addresses and HTML tags and entities that carry no words (a link
    whose path spells words, ``.../customaction-not-appearing-in-listview``, stays: it says what the text is about)."""
    return _MARKUP_ONLY.sub(lambda match: match.group() if _LINK.match(match.group()) and _SLUG.search(match.group())
                            else " ", text)


def contentless_rows(texts) -> np.ndarray:
    """``is_contentless`` of every text, as a boolean array."""
    return np.fromiter((is_contentless(text) for text in texts), dtype=bool, count=len(texts))


def composed(text: str) -> str:
    """``text`` in Unicode's composed form (NFC): ``한`` typed as three jamo, or ``é`` as ``e`` and an accent, is the
    one character it shows; the model, the words, the duplicates and the boilerplate read both forms alike."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _as_text(value) -> str:
    if _is_missing(value):
        return ""
    if isinstance(value, (list, tuple, dict, set, np.ndarray)):
        raise TypeError("nested value")
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", errors="replace")
    text = str(value)
    return _LONE_SURROGATE.sub("\ufffd", text) if not text.isascii() else text


_INTEGRAL_FLOAT = re.compile(r"^[+-]?\d+\.0+$")


def _canonical_number(label: str) -> str:
    """3.0 and 3 are one class (spreadsheets and pandas turn 3 into 3.0), -1.0 and -1 one marker."""
    return str(int(float(label))) if _INTEGRAL_FLOAT.match(label) else label


_WITHOUT_INVISIBLE = str.maketrans(dict.fromkeys(INVISIBLE_CHARACTERS))


def _as_label(value, marker: str | None, missing_words: bool = True) -> str | None:
    if _is_missing(value):
        return None
    if isinstance(value, (list, tuple, dict, set, np.ndarray)):
        raise TypeError("nested value")
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    label = _as_text(value).strip()
    if not label.isascii():  # labels that look the same are the same: é as one code point or two, a zero-width space
        # anywhere in it: "card_\u200barrival", copied from a web page, was a class beside card_arrival (helper 89)
        label = unicodedata.normalize("NFC", label).translate(_WITHOUT_INVISIBLE).strip()
    if not label or (missing_words and label in MISSING_LABEL_SPELLINGS):
        return None
    label = _canonical_number(label)
    if marker is not None and spelling_key(label) == spelling_key(_canonical_number(marker.strip())):
        return None  # as labels are one class: in any case, 7 as 007 (labels.normalize_label_spellings)
    return label


def why_read_as_no_label(label: str, read_with: dict) -> str | None:
    """Why a label given in review would be read as no label by the next run reading the data as ``read_with``
    says (``LabeledTable.read_with``): ``"blank"`` (nothing once invisible characters are gone), ``"marker"`` (the
    unlabeled marker, as a number too: -1.0 for -1) or ``"missing word"`` (NA, none... read as missing); None if
    it is read as the label it is."""
    missing_words = read_with.get("missing_words_are_labels") is not True
    if _as_label(label, read_with.get("unlabeled_marker"), missing_words) is not None:
        return None
    if _as_label(label, None, False) is None:
        return "blank"
    return "marker" if _as_label(label, None, missing_words) is not None else "missing word"


def missing_words_read(values) -> dict[str, int]:
    """How many cells hold each word of ``MISSING_LABEL_SPELLINGS`` that could be a class name ("none", "NA":
    North America), so such a class is not lost silently; "nan" is only ever a missing value."""
    counts: dict[str, int] = {}
    for value in values:
        if isinstance(value, str) and value.strip() in MISSING_LABEL_SPELLINGS and value.strip().lower() != "nan":
            counts[value.strip()] = counts.get(value.strip(), 0) + 1
    return dict(sorted(counts.items(), key=lambda item: -item[1]))


def _find_column(frame: pd.DataFrame, wanted: str) -> str | None:
    """``wanted`` itself, else the column that differs from it only by case or surrounding spaces."""
    if wanted in frame.columns:
        return wanted
    folded = {str(c).strip().casefold(): c for c in frame.columns}
    return folded.get(wanted.strip().casefold())


def likely_text_column(frame: pd.DataFrame) -> str | None:
    """The column that most looks like free text (a sample of rows is enough): ``text`` in any case when present,
    else the one whose filled cells are longest on average, leaving out columns of numbers only or nested values,
    and ``label`` (beside texts held only in a nested column, it was proposed as the text column)."""
    found = _find_column(frame, DEFAULT_TEXT_COLUMN)
    if found is not None or frame.empty:
        return found
    best, best_length = None, 0.0
    labels = _find_column(frame, DEFAULT_LABEL_COLUMN)
    for column in frame.columns:
        if labels is not None and column == labels:
            continue
        values = frame[column].tolist()
        if any(isinstance(v, (list, dict, tuple)) for v in values):  # nested JSON: never a text column
            continue
        cells = [str(v).strip() for v in values if not _is_missing(v) and str(v).strip()]
        if not cells or all(_NUMBER.fullmatch(c) for c in cells):
            continue
        length = sum(map(len, cells)) / len(cells)
        if length > best_length:
            best, best_length = str(column), length
    return best


LABEL_COLUMN_NAMES = ("labels", "intent", "category", "class", "topic", "tag", "target", "gold", "y")


def nothing_to_fill_in(table: "LabeledTable") -> str | None:
    """Why a run of ``table`` proposes no label and forms no new category, when every row is labeled (None
    otherwise): a fully labeled upload ran for minutes, fine-tuning included, and said so only on the Fill-in page
    (helper 94). Not a reading warning: ``discovery evaluate`` wants every row labeled."""
    if table.label_column is None or not len(table) or (table.labels < 0).any():
        return None
    return (f"{table.source_name}: every row of {table.label_column!r} is labeled: there is no row to propose a label "
            "for, nor to form a new category from; the run describes the classes and checks the labels against each "
            "other (labels_to_check.csv; on the dashboard, the Fill-in page's Labels to check). To fill labels in, "
            "give a table with unlabeled rows (blank, or the unlabeled marker).")


def likely_label_column(frame: pd.DataFrame, text_column: str, skip: Sequence[str] = ()) -> str | None:
    """When no column is called ``label``: the one that most looks like it, by name (``intent``, ``category``...,
    any case) or else as the other column whose filled cells repeat most (at most half of them distinct), so a
    run with no labels can say which column to choose. Either way it holds at least two distinct short values.
    ``skip``: columns that are no labels (a frame's own index kept as a column). None when none does."""
    def filled(column) -> list[str] | None:
        values = frame[column].tolist()
        if any(isinstance(v, (list, dict, tuple)) for v in values):
            return None
        cells = [str(v).strip() for v in values if not _is_missing(v) and str(v).strip()]
        return cells if len(set(cells)) >= 2 and np.mean([len(c) for c in cells]) <= 40 else None

    others = [c for c in frame.columns if c != text_column and c not in skip]
    for wanted in LABEL_COLUMN_NAMES:
        found = _find_column(frame[others], wanted) if others else None
        if found is not None and filled(found):
            return found
    best, best_share = None, 1 / 2
    for column in others:
        cells = filled(column)
        if cells and len(cells) >= 4 and len(set(cells)) / len(cells) <= best_share:
            best, best_share = column, len(set(cells)) / len(cells)
    return best


def _pick_column(frame: pd.DataFrame, wanted: str, name: str, role: str, flag: str) -> str:
    found = _find_column(frame, wanted)
    if found is not None:
        return found
    columns = ", ".join(repr(str(c)) for c in frame.columns[:20])
    text_file = (" (a .txt is read as Excel saves text: tab-separated, its first row the column names; a file of one "
                 "text a line needs a first line naming the column, such as text)") if name.lower().endswith(".txt") else ""
    raise InputError(f"{name}: no {role} column {wanted!r}; the columns are {columns}; choose one with {flag} "
                     f"({role}_column= in Python){text_file}.")


def same_text_key(text) -> str:
    """What copies of one text share: the text with runs of spaces made one, in any case (the bundled model reads
    no case; add-labels matches texts across spacing)."""
    return " ".join(str(text).split()).casefold()


def same_text_ids(texts) -> np.ndarray:
    """Per row, an id shared by the rows holding the same text (``same_text_key``: case and runs of spaces aside)."""
    return pd.factorize(pd.Series([same_text_key(text) for text in texts], dtype=object))[0]


def _conflicting_duplicates(texts: list[str], labels: list[str | None]) -> list[tuple[str, list[str]]]:
    by_text: dict[str, tuple[str, set[str]]] = {}
    for text, label in zip(texts, labels):
        if label is not None and text.strip():  # empty texts are reported on their own
            # one text as the run holds copies back together (same_text_ids)
            by_text.setdefault(same_text_key(text), (text, set()))[1].add(label)
    return [(t, sorted(ls)) for t, ls in by_text.values() if len(ls) > 1]


NO_LABEL_COLUMN = ""  # label_column value meaning: ignore any label column, treat every row as unlabeled
ORIGIN_DATA, ORIGIN_ASSIGNED, ORIGIN_NAMED = "data", "labeled in review", "named cluster"
ORIGIN_KEPT = "data, kept in review"  # a data label the check doubted and the researcher kept: still a random draw
# a label typed where the file showed the very same proposal (proposed_label): the tool's own guess, taken as a label
ORIGIN_ACCEPTED = "accepted proposal"
REVIEW_ORIGINS = (ORIGIN_ASSIGNED, ORIGIN_NAMED, ORIGIN_ACCEPTED)
ORIGIN_COLUMN = "label_origin"


ORIGINS = (ORIGIN_DATA, ORIGIN_KEPT, *REVIEW_ORIGINS)


def find_origin_column(frame: pd.DataFrame, skip=()) -> str | None:
    """The column ``labels_for_next_run`` wrote (``label_origin``, or ``label_origin_discovery`` when the
    data had a column of that name): the first of them holding only its values, else the first holding some
    (a researcher who accepted proposals in the file may have written an origin of their own beside them)."""
    columns = [c for c in frame.columns if str(c).startswith(ORIGIN_COLUMN) and c not in skip]
    values = {c: set(frame[c].dropna().astype(str).str.strip()) for c in columns}
    return (next((c for c in columns if values[c] <= {"", *ORIGINS}), None)
            or next((c for c in columns if values[c] & set(ORIGINS)), None))


def labels_origins(origin: np.ndarray, labeled: np.ndarray, column: str, name: str) -> tuple[np.ndarray, list[str]]:
    """Each row's origin as the tool reads it, and a note when it read one otherwise than written: a label with
    no origin, or one this tool does not write ("accepted by me"), was given after the run that wrote the file
    (that run wrote ``data`` beside every label of the data), so it counts as labeled in review: never held out
    to score the estimate, since rows a researcher picked (or proposals accepted) are no random draw. Before,
    one such value made the whole column unread, and the earlier rounds' review labels were held out too."""
    text = np.array(["" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v).strip() for v in origin],
                    dtype=object)
    ours = np.isin(text, ORIGINS)
    other = labeled & ~ours
    if not other.any() or not ours.any():  # all blank (label_next.csv's unlabeled rows): as written
        return text, []
    counts = pd.Series(text[other]).replace("", "(blank)").value_counts()
    shown = ", ".join(f"{value!r} ({n:,})" for value, n in counts.head(4).items()) + (", ..." if len(counts) > 4 else "")
    text[other] = ORIGIN_ASSIGNED
    return text, [f"{name}: {int(other.sum()):,} labeled row{'s' if other.sum() != 1 else ''} of {column!r} "
                  f"{'hold' if other.sum() != 1 else 'holds'} an origin this tool does not write ({shown}): counted "
                  f"as {ORIGIN_ASSIGNED!r} (given after the run that wrote the file, so never held out to score the "
                  f"estimate); write {ORIGIN_DATA!r} beside labels drawn at random like the data's to have them scored."]


_NUMBER = re.compile(r"[-+]?(?=\.?\d)(\d[\d,_]*)?(\.\d+)?([eE][-+]?\d+)?")  # 12, -3.5, 1,000, 2e5


def _distinct_column_names(columns: list[str], name: str) -> tuple[list[str], list[str]]:
    """Column names made distinct as pandas' readers make a file's (``label``, ``label.1``, ...), and a note per
    name repeated: a frame joined with ``pd.concat``, or with columns ``1`` and ``'1'``, held two columns of one
    name, which every later step reads as a table instead of a column."""
    taken, out, copies = set(columns), [], {}
    seen: set[str] = set()
    for column in columns:
        if column not in seen:
            seen.add(column)
            out.append(column)
            continue
        n = len(copies.get(column, [])) + 1
        while f"{column}.{n}" in taken:
            n += 1
        copies.setdefault(column, []).append(f"{column}.{n}")
        taken.add(f"{column}.{n}")
        out.append(f"{column}.{n}")
    notes = [f"{name}: {len(renamed) + 1} columns are named {column!r}; the later ones are read as "
             f"{', '.join(map(repr, renamed))}." for column, renamed in copies.items()]
    return out, notes


def table_from_frame(frame: pd.DataFrame, *, name: str = "DataFrame", data_hash: str | None = None,
                     text_column: str = DEFAULT_TEXT_COLUMN, label_column: str | None = None,
                     unlabeled_marker: str | int | None = None, missing_words: bool = True) -> LabeledTable:
    """Validate an already parsed table. ``label_column=None`` uses ``label`` when present;
    ``label_column=""`` (``NO_LABEL_COLUMN``) reads no labels at all: plain discovery.
    ``missing_words=False`` reads NA, none, null... as class names (blank cells stay unlabeled).
    ``data_hash``: the SHA-256 of the file read (None: one of the frame's values, for a DataFrame made in code).

    Rows are identified by their position (``row_id`` 0, 1, ...); an index of the frame's own (not 0, 1, ...)
    is kept as a column, so results and exports can be joined back to it."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{name}: expected a pandas DataFrame, got {type(frame).__name__}.")
    if unlabeled_marker is not None and not isinstance(unlabeled_marker, str):  # -1 as scikit-learn writes it
        unlabeled_marker = _as_text(unlabeled_marker)
    if frame.shape[1] == 0 or frame.empty:
        raise InputError(f"{name}: the table has a header but no data rows; add rows to label.")
    frame = frame.copy()
    frame.columns, repeated = _distinct_column_names([str(c) for c in frame.columns], name)
    kept_index = None
    unnamed = all(level is None for level in frame.index.names)
    if not (unnamed and frame.index.equals(pd.RangeIndex(len(frame)))):
        kept_index = []
        for i, level in enumerate(frame.index.names):
            base = str(level) if level is not None else "index" if frame.index.nlevels == 1 else f"level_{i}"
            column, n = base, 1
            while column in frame.columns or column in kept_index:
                column, n = (f"{base}_input" if n == 1 else f"{base}_input_{n}"), n + 1
            kept_index.append(column)
        frame.index = frame.index.set_names(kept_index)
        frame = frame.reset_index()
    if data_hash is None:
        data_hash = hashlib.sha256(pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy().tobytes()
                                   + "\x1f".join(frame.columns).encode()).hexdigest()
    text_col = _pick_column(frame, text_column, name, "text", "--text-col")
    warnings: list[str] = list(repeated)
    if label_column == NO_LABEL_COLUMN:
        label_col = None
    elif label_column is None:
        label_col = _find_column(frame, DEFAULT_LABEL_COLUMN)
        if label_col is None:
            likely = likely_label_column(frame, text_col, skip=kept_index or ())
            hint = (f" Column {likely!r} looks like labels: choose it with --label-col {likely}, or as the Data "
                    "page's Label column." if likely else " Choose the column of labels with --label-col, or the "
                    "Data page's Label column.")
            warnings.append(f"{name}: no 'label' column; every row is treated as unlabeled.{hint}")
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
    n_marks = int(contentless_rows(texts).sum()) - n_empty
    if n_empty or n_marks:
        what = " and ".join(([f"{n_empty} rows have an empty text"] if n_empty else [])
                            + ([f"{n_marks} {'row holds' if n_marks == 1 else 'rows hold'} only punctuation, links or "
                                f"mentions"] if n_marks else []))
        warnings.append(f"{name}: {what} in {text_col!r}; they are kept and get low-confidence labels, never "
                        "accepted; with two labeled classes or more they form no candidate category of their own"
                        + (f" (that is most rows: is {text_col!r} the column that holds the texts?)."
                           if n_empty + n_marks > len(texts) / 2 else "."))
    filled = [t.strip() for t in texts if t.strip()]
    if all(_NUMBER.fullmatch(t) for t in filled):
        raise InputError(f"{name}: column {text_col!r} holds only numbers (e.g. {filled[0]!r}), not texts; choose the "
                         "column that holds the texts (--text-col, or the Data page's Text column).")
    frame[text_col] = texts

    try:
        raw_labels = [None] * len(frame) if label_col is None else [
            _as_label(v, unlabeled_marker, missing_words) for v in frame[label_col].tolist()]
    except TypeError:
        raise InputError(f"{name}: column {label_col!r} holds lists or nested values, not one label per row; "
                         "choose a column with a single label per row (--label-col, or the Data page's Label column).") from None
    labels, renamed = normalize_label_spellings(raw_labels)
    if label_col is not None:
        original = frame[label_col].tolist()
        numeric = sorted({v.strip() for v, lab in zip(original, raw_labels)
                          if lab is not None and isinstance(v, str) and _INTEGRAL_FLOAT.match(v.strip())})
        if numeric:
            warnings.append(f"{name}: labels written as whole-number decimals were read as integers "
                            f"({', '.join(repr(v) for v in numeric[:5])}).")
        invisible = sorted({v.strip() for v, lab in zip(original, raw_labels) if lab is not None and isinstance(v, str)
                            and not v.isascii() and v.strip() != lab and not _INTEGRAL_FLOAT.match(v.strip())})
        if invisible:
            warnings.append(f"{name}: labels that look the same but were written with other Unicode code points "
                            "(an accent as a letter of its own, a zero-width space) were read as one: "
                            f"{', '.join(ascii(v) for v in invisible[:5])}.")
        # symbols, and -1: the unlabeled code of scikit-learn's semi-supervised estimators and much ML code
        found = [lab for lab in raw_labels if lab is not None and looks_like_a_marker(lab)]
        symbols = pd.Series(normalize_label_spellings(found)[0], dtype=object).value_counts()  # as classes are read
        if len(symbols):  # one warning for them all: emoji classes (👍, 👎, 😐) said it once each
            symbol = "-1" if "-1" in symbols.index else symbols.index[0]  # much ML code writes unlabeled rows so
            shown = listed(symbols.items(), lambda pair: f"{pair[0]!r} ({pair[1]} rows)")
            warnings.append(f"{name}: {shown} in {label_col!r} "
                            + ("is read as a class name; if it marks" if len(symbols) == 1 else
                               "are read as class names; if one of them marks")
                            + f" unlabeled rows, give it as the unlabeled marker (--unlabeled-marker {symbol!r}, the "
                            f"Data page's marker box, or unlabeled_marker={symbol!r} in Python).")
        if unlabeled_marker is not None:  # read as unlabeled, written otherwise than the marker: a class, maybe
            marker = _canonical_number(unlabeled_marker.strip())
            other = Counter(v.strip() for v, lab in zip(original, raw_labels) if lab is None and isinstance(v, str)
                            and _canonical_number(v.strip()) != marker  # -1.0 for -1: how spreadsheets write it
                            and _as_label(v, None, missing_words) is not None)
            if other:
                shown = listed(other.most_common(),
                               lambda pair: f"{pair[0]!r} ({pair[1]} row{'s' if pair[1] != 1 else ''})")
                warnings.append(f"{name}: {shown} in {label_col!r} read as unlabeled: the unlabeled marker "
                                f"{unlabeled_marker!r} written in another case or spelling; if it is a class, give "
                                "a marker no class is written as (--unlabeled-marker, the Data page's marker box).")
        combined = combined_labels(raw_labels)
        if combined:
            shown = listed(combined, lambda found: f"{found[0]!r} ({found[1]} rows" + (
                f": {' and '.join(repr(part) for part in found[2])})" if found[2] else ")"))
            warnings.append(f"{name}: {shown} in {label_col!r} look like lists or several labels in one cell. The tool gives "
                            "each row one label, so each combination or list is read as a class of its own, apart "
                            "from the labels it holds: keep one label a row (the main one), or, for multi-label data, "
                            "run once per label on a column holding that label or blank.")
        in_one_cell = {found[0] for found in combined}
        as_one = {kept for raw, kept in zip(raw_labels, labels)
                  if raw is not None and raw.strip() in in_one_cell} if in_one_cell else set()
        nested = label_prefixes(label for label in labels if label not in as_one)  # "fees > transfer" beside
        # "fees/transfer" is one label under "fees"; "billing|refund" beside "billing" is two labels, said above
        if nested:
            shown = listed(nested, lambda pair: f"{pair[0]!r} ({pair[1]} rows) and {pair[2]} labels under it, such as "
                                                f"{pair[3]!r}", "; ")
            warnings.append(f"{name}: labels that are the start of other labels in {label_col!r}: {shown}. Each is a "
                            "class of its own, and a text of a finer class may get the broader one: if the finer "
                            "classes are kinds of it, label its rows with them, or the finer rows with it.")
        words = missing_words_read(original) if missing_words else {}
        if words:
            shown = ", ".join(f"{word!r} ({count} rows)" for word, count in words.items())
            warnings.append(f"{name}: {shown} in {label_col!r} read as unlabeled, as a usual way of writing a missing "
                            "value; if it is a class name, read such words as labels (--missing-words-are-labels; "
                            "on the dashboard's Data page, the box below the marker).")
    given = [lab for lab in raw_labels if lab is not None]
    once = sum(n == 1 for n in Counter(given).values())  # an id or a text column repeats almost no value; a catalogue
    # of many classes labeled once or twice does (helper 114: 360 classes on 575 rows, 215 of them repeated, warned)
    if len(given) >= 20 and len(given) > len(raw_labels) / 2 and len(set(given)) > len(given) / 2 and \
            once >= 0.8 * len(set(given)):
        warnings.append(f"{name}: {len(set(given)):,} different labels on {len(given):,} labeled rows (a new label for "
                        f"almost every other row): is {label_col!r} the column that holds the categories (an id or a text column "
                        "looks like this)? Choose another with --label-col, or the Data page's Label column.")
    case = {a: b for a, b in renamed.items() if a.strip().casefold() == b.strip().casefold()}
    width = {a: b for a, b in renamed.items()
             if a not in case and narrow(a).strip().casefold() == narrow(b).strip().casefold()}
    zeros = {a: b for a, b in renamed.items() if a not in case and a not in width and is_whole_number(b)}
    alike = {a: b for a, b in renamed.items() if a not in case and a not in width and a not in zeros}
    for pairs, how in ((case, "differ only by case or spaces"),
                       (width, "differ only by width (full-width letters or digits, as East Asian input methods type "
                               "them)"),
                       (zeros, "are one number written with and without leading zeros (spreadsheets drop them)"),
                       (alike, "differ only by the separators between their words (_, - or spaces; /, > or | between "
                               "levels), an underscore at the end or characters that look alike (a no-break space, a "
                               "curly apostrophe, a dash)")):
        if pairs:
            shown = listed(sorted(pairs.items()), lambda pair: f"{pair[0]!r} -> {pair[1]!r}")
            warnings.append(f"{name}: labels that {how} were unified (to the most frequent spelling): {shown}.")
    typos = similar_spellings_note(labels)
    if typos:
        warnings.append(f"{name}: {typos} in {label_col!r}.")
    conflicts = _conflicting_duplicates(texts, labels)
    if conflicts:
        text, seen = conflicts[0]
        shown = listed(seen, repr)
        warnings.append(f"{name}: {len(conflicts)} text{'s appear' if len(conflicts) != 1 else ' appears'} more than "
                        "once with different labels (e.g. "
                        f"{text[:60]!r}: {shown}); every row keeps its own label.")
    codec = LabelCodec.from_labels(labels)
    codes = codec.encode(labels)
    if len(codec) == 0 and label_col is not None:
        warnings.append(f"{name}: no row of {label_col!r} is labeled; this is plain discovery and every cluster is a candidate.")
    elif len(codec) == 1:
        warnings.append(f"{name}: only one class ({codec.names[0]!r}) is labeled; other clusters become candidates, and "
                        "rows take their cluster's label (a fill-in needs two labeled classes to choose between).")
    if kept_index:
        warnings.append(f"{name}: the DataFrame's own index is kept as column{'s' if len(kept_index) > 1 else ''} "
                        f"{', '.join(map(repr, kept_index))}; rows are identified by their position (row_id 0, 1, ...).")
    earlier = earlier_run_columns(frame, keep=(text_col, label_col))
    earlier_proposals = frame[earlier].reset_index(drop=True) if earlier else None
    if earlier:
        frame = frame.drop(columns=earlier)
        warnings.append(f"{name}: holds the proposals of an earlier run (a proposed_labels file): its columns "
                        f"{', '.join(map(repr, earlier))} are left out, and this run's take their place.")
    frame.index = pd.RangeIndex(len(frame), name="row_id")
    origin_col = find_origin_column(frame, skip=(text_col, label_col)) if label_col is not None else None
    origin = None
    if origin_col is not None:
        origin, notes = labels_origins(frame[origin_col].to_numpy(dtype=object), codes >= 0, origin_col, name)
        warnings.extend(notes)
    return LabeledTable(frame=frame, text_column=text_col, label_column=label_col, codec=codec, labels=codes,
                        source_name=name, data_hash=data_hash, warnings=tuple(warnings), origin_column=origin_col,
                        label_origin=origin, earlier_proposals=earlier_proposals, label_spellings=renamed,
                        kept_index=tuple(kept_index or ()),
                        read_with={"unlabeled_marker": unlabeled_marker, "missing_words_are_labels": not missing_words,
                                   "encoding": None})


ROW_ID = "row_id"
INPUT_ROW_ID = "row_id_input"


PROPOSAL_COLUMNS = ("proposed_label", "label_source", "confidence", "cluster_id", "cluster_status", "accepted",
                    "assigned_from_noise", "text_as_read")  # what proposed_labels adds to the user's columns
# (Discovery.labeled_table)


def free_column_name(columns, name: str) -> str:
    """``name``, or ``name_discovery`` (``_discovery_2``, ...) when the user's table has a column so named."""
    taken, free, n = set(map(str, columns)), name, 1
    while free in taken:
        free, n = f"{name}_discovery" + (f"_{n}" if n > 1 else ""), n + 1
    return free


def earlier_run_columns(frame: pd.DataFrame, keep=()) -> list[str]:
    """The columns an earlier run's proposed_labels export added, when ``frame`` is such an export (it holds
    ``proposed_label``, ``label_source`` and ``cluster_id``): run on again, its stale proposals stood beside the new
    ones, written as ``proposed_label_discovery``. Of each name, the run's is the last ``free_column_name`` gave
    (``confidence_discovery`` beside a ``confidence`` of the user's own, which stays). ``keep``: columns chosen as
    the text or labels."""
    names = set(map(str, frame.columns))
    if not {"proposed_label", "label_source", "cluster_id"} <= names:
        return []
    earlier = []
    for name in PROPOSAL_COLUMNS:
        chain = [name, f"{name}_discovery"] + [f"{name}_discovery_{n}" for n in range(2, len(names) + 2)]
        present = list(itertools.takewhile(lambda column: column in names, chain))
        if present and present[-1] not in keep:
            earlier.append(present[-1])
    return [column for column in frame.columns if column in earlier]


def with_row_ids(frame: pd.DataFrame, rows=None) -> pd.DataFrame:
    """``frame`` (a table's rows, indexed by row id; only ``rows`` of them when given) with the row ids as
    its first column, ``row_id``.

    ``add-labels`` finds rows by these ids, so a ``row_id`` column of the user's own that holds other
    values is kept as ``row_id_input`` (one that holds the very same ids, as in a file this tool wrote,
    is replaced). That is decided on every row of ``frame``, so each file written holds the same columns."""
    out = (frame if rows is None else frame.loc[rows]).copy()
    if ROW_ID in frame.columns:
        if frame[ROW_ID].astype(str).str.strip().tolist() != [str(i) for i in frame.index]:
            name, n = INPUT_ROW_ID, 2
            while name in out.columns:
                name, n = f"{INPUT_ROW_ID}_{n}", n + 1
            out = out.rename(columns={ROW_ID: name})
        else:
            out = out.drop(columns=ROW_ID)
    out.insert(0, ROW_ID, out.index.to_numpy())
    return out.rename_axis(None)  # an index named row_id too made sort_values / merge on "row_id" ambiguous


def check_memory(size: int, name: str, needed: int | None = None) -> None:
    """Refuse early (InputError naming the size) when a file of ``size`` bytes would not fit in memory."""
    needed = size * MEMORY_EXPANSION_FACTOR if needed is None else needed
    available = available_memory_bytes()
    if available is not None and needed > available:
        raise InputError(
            f"{name}: the file is {_human_bytes(size)} and needs about {_human_bytes(needed)} of memory to process, "
            f"but only {_human_bytes(available)} is available; split the file, keep only the text and label columns, "
            "or use a machine with more memory."
        )


def _human_bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def _parquet_uncompressed_size(source) -> int | None:
    """Uncompressed size from a Parquet footer (a compressed file can expand 10x); None if unreadable."""
    try:
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(source).metadata
        return int(sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)))
    except Exception:
        return None


def file_sha256(path: str | os.PathLike) -> str | None:
    """The SHA-256 of a file's bytes, as ``read_table`` records it (``data_hash``); None if it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def read_table_bytes(data: bytes, name: str, *, text_column: str = DEFAULT_TEXT_COLUMN, label_column: str | None = None,
                     unlabeled_marker: str | None = None, encoding: str | None = None,
                     missing_words: bool = True) -> LabeledTable:
    """Read an uploaded file's bytes; ``name`` (its file name) decides the format."""
    fmt = detect_format(name)
    if not data:
        raise InputError(f"{name}: the file is empty; it needs a header row and at least one data row.")
    check_memory(len(data), name)
    notes: list[str] = []
    frame = _parse(data, name, fmt, encoding, notes)
    table = table_from_frame(frame, name=name, data_hash=hashlib.sha256(data).hexdigest(), text_column=text_column,
                             label_column=label_column, unlabeled_marker=unlabeled_marker,
                             missing_words=missing_words)
    return replace(table, warnings=tuple(notes) + table.warnings, read_with={**table.read_with, "encoding": encoding})


def read_table(path: str | os.PathLike, *, text_column: str = DEFAULT_TEXT_COLUMN, label_column: str | None = None,
               unlabeled_marker: str | None = None, encoding: str | None = None,
               missing_words: bool = True) -> LabeledTable:
    """Read a CSV/TSV/JSONL/Parquet file from disk, refusing early if it cannot fit in memory."""
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise InputError(f"{name}: file not found; check the path.")
    if path.is_dir():
        raise InputError(f"{name}: is a folder, not a file; give the path of a .csv, .tsv, .jsonl or .parquet file.")
    fmt = detect_format(name)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{name}: cannot read the file ({exc.strerror}); check its permissions.") from None
    needed = size * MEMORY_EXPANSION_FACTOR
    if fmt == "parquet":
        uncompressed = _parquet_uncompressed_size(path)
        if uncompressed:
            needed = max(needed, uncompressed * 3)
    check_memory(size, name, needed)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{name}: cannot read the file ({exc.strerror}); check its permissions.") from None
    except MemoryError:
        raise InputError(f"{name}: the file ({_human_bytes(size)}) does not fit in memory; split it.") from None
    return read_table_bytes(data, name, text_column=text_column, label_column=label_column,
                            unlabeled_marker=unlabeled_marker, encoding=encoding, missing_words=missing_words)
