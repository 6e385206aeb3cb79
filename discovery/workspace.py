"""Decisions persisted next to the results: JSON, written atomically, safe across sessions.

A workspace is a folder keyed by the data hash and the run settings. Every save
goes through a temporary file, fsync and rename under a file lock, and re-reads
the file first so two sessions that both add decisions keep both (appends merge;
nothing is overwritten blindly). A damaged file is kept aside, never deleted.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from .errors import InputError

DECISIONS_FILE = "decisions.json"
# Settings added after workspaces were first saved, with their defaults. At its default a setting stays out of
# the workspace key, so the decisions a researcher saved before it existed still load (``replay`` skips and
# reports any that no longer fit the new run).
SETTINGS_ADDED_LATER = {"fill_words": True, "known_rows_by_fill": 0.5, "preferred_n_new_clusters": None, "adapt_layers": "auto",
                        "leave_out": ()}


def keyed_settings(config_dict: dict) -> dict:
    """The run settings as a workspace is keyed by them: the cache folder and the map aside, and a setting added
    later left out at its default (``SETTINGS_ADDED_LATER``; a list as JSON holds a tuple read as the tuple), so
    the workspaces saved before it keep their key and compare alike with those saved after."""
    return {k: v for k, v in sorted(config_dict.items()) if k not in ("cache_dir", "make_map")
            and not (k in SETTINGS_ADDED_LATER and (tuple(v) if isinstance(v, list) else v) == SETTINGS_ADDED_LATER[k])}


def workspace_key(data_hash: str, config_dict: dict, *, text_column: str | None = None,
                  label_column: str | None = None, unlabeled_marker: str | None = None,
                  missing_words: bool = True, encoding: str | None = None) -> str:
    """The workspace of one (data, column choice, run settings): decisions made on one text or label
    column, or with one unlabeled marker, are never replayed on another."""
    settings = keyed_settings(config_dict)
    columns = {"text_column": text_column, "label_column": label_column, "unlabeled_marker": unlabeled_marker}
    if not missing_words:  # added later: at its default it stays out of the key, as the settings above
        columns["missing_words"] = False
    if encoding:  # added later, as missing_words: another decoding gives other texts
        columns["encoding"] = encoding
    payload = json.dumps({"columns": columns, "settings": settings}, sort_keys=True, default=str)
    return hashlib.sha256(f"{data_hash}|{payload}".encode()).hexdigest()[:16]


def _same_decisions(a: list, b: list) -> bool:
    return json.dumps(list(a), sort_keys=True, default=str) == json.dumps(list(b), sort_keys=True, default=str)


def atomic_write_json(path: Path, payload) -> None:
    """Write JSON so that readers see either the old file or the new one, never a partial file."""
    atomic_write_bytes(path, json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Temporary file in the same folder, fsync, rename, fsync of the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    try:
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


RESERVED_NAMES = frozenset({DECISIONS_FILE, ".lock"})
MAX_NAME_BYTES = 200


def safe_upload_path(root: str | os.PathLike, filename: str) -> Path:
    """Where to store an uploaded file called ``filename`` inside ``root``, never outside it.

    Only the base name is kept (``/`` and ``\\`` both count as separators, so ``../x.csv``,
    ``/etc/x.csv``, ``C:\\x.csv`` and ``..\\x.csv`` all become ``x.csv``); control characters
    are dropped; an empty name, a name of dots only, a hidden name or a workspace file name is
    refused with ``InputError``; very long names are shortened, keeping the extension.
    """
    name = str(filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if not name or set(name) <= {"."} or name.startswith(".") or name in RESERVED_NAMES:
        raise InputError(f"{filename!r}: not a usable file name; rename the file (e.g. data.csv) and upload it again.")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        stem, dot, suffix = name.rpartition(".")
        suffix = f".{suffix[:16]}" if dot else ""
        stem = stem if dot else name
        while len((stem + suffix).encode("utf-8")) > MAX_NAME_BYTES:
            stem = stem[:-1]
        name = stem + suffix
    base = Path(root).resolve()
    path = (base / name).resolve()
    if path.parent != base:  # cannot happen after the steps above; kept as a last guard
        raise InputError(f"{filename!r}: not a usable file name; rename the file and upload it again.")
    return path


UPLOADS_FOLDER = "uploads"


def save_upload(root: str | os.PathLike, filename: str, data: bytes, digest: str | None = None) -> Path:
    """Store an uploaded file inside ``root``, as ``<root>/uploads/<content hash>/<safe name>``; returns its path.

    The name goes through ``safe_upload_path`` (it never escapes the folder; unusable names raise
    ``InputError``); the content hash keeps two different files of the same name apart, and the same
    bytes uploaded again reuse the stored file. Written atomically. ``digest``: the bytes' SHA-256 when known.
    """
    digest = (digest or hashlib.sha256(data).hexdigest())[:16]
    path = safe_upload_path(Path(root) / UPLOADS_FOLDER / digest, filename)
    if not (path.is_file() and path.stat().st_size == len(data)):
        atomic_write_bytes(path, data)
    return path


@dataclass(frozen=True)
class SavedDecisions:
    """One workspace's stored decisions, as ``saved_workspaces`` finds them."""

    path: Path
    about: dict
    decisions: list
    modified: float  # when they were last saved (seconds since the epoch)


_READ: dict = {}  # path -> (its stat's modification time and size, what was read of it): a file read once until it changes


def saved_workspaces(root: str | os.PathLike) -> list[SavedDecisions]:
    """Every workspace under ``root`` holding decisions, in path order (damaged or empty ones left out). Each file is
    parsed again only when it changed: the dashboard's sidebar asks on every rerun (the hand labels other settings
    hold), and every workspace of every data file lies under one root."""
    found = []
    for path in sorted(Path(root).glob(f"*/{DECISIONS_FILE}")):
        try:
            stat = path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            if _READ.get(path, (None,))[0] != stamp:
                payload = json.loads(path.read_text(encoding="utf-8"))
                _READ[path] = (stamp, (payload.get("about") or {}, payload.get("decisions"), stat.st_mtime))
            about, decisions, modified = _READ[path][1]
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(about, dict) and isinstance(decisions, list) and decisions:
            found.append(SavedDecisions(path, about, decisions, modified))
    return found


class Workspace:
    """The decisions of one (data, settings) pair, in ``<root>/<key>/decisions.json``."""

    def __init__(self, root: str | os.PathLike, key: str, about: dict | None = None):
        """``about``: what the decisions belong to (data hash, column choice, settings), saved beside them so
        that ``saved_elsewhere`` can tell a researcher where the decisions of other settings are."""
        safe_key = "".join(ch for ch in key if ch.isalnum() or ch in "-_")[:64] or "default"
        self.directory = Path(root) / safe_key
        self.path = self.directory / DECISIONS_FILE
        self.about = about
        self._lock = FileLock(str(self.directory / ".lock"), timeout=30)

    def _payload(self, decisions) -> dict:
        payload = {"version": 1, "decisions": list(decisions)}
        if self.about is not None:
            payload["about"] = self.about
        return payload

    def saved_elsewhere(self, data_hash: str) -> list[tuple[dict, list[dict]]]:
        """Other workspaces beside this one holding decisions on the same data (another column choice,
        marker or run settings): each one's ``about`` and its decisions."""
        return [(about, decisions) for about, decisions in self._others() if about.get("data_hash") == data_hash]

    def saved_for_other_versions(self, data_name: str, data_hash: str) -> list[tuple[dict, list[dict]]]:
        """Workspaces beside this one holding decisions on data of the same name and other content (the file
        edited since): decisions are tied to the content they were made on, so they stay there."""
        return [(about, decisions) for about, decisions in self._others()
                if about.get("data") == data_name and about.get("data_hash") != data_hash]

    def saved_without_their_data(self) -> list[SavedDecisions]:
        """Workspaces beside this one whose decisions were saved by a version that did not record what they belong
        to (no ``about``: before 2026-11-30; a setting added since changed the key, so no data finds them again)."""
        return [saved for saved in saved_workspaces(self.directory.parent) if saved.path != self.path and not saved.about]

    def _others(self) -> list[tuple[dict, list[dict]]]:
        return [(saved.about, saved.decisions) for saved in saved_workspaces(self.directory.parent)
                if saved.path != self.path]

    def load(self) -> list[dict]:
        """Stored decisions in order; a damaged file is renamed aside and an empty list returned."""
        if not self.path.exists():
            return []
        try:
            payload = json.loads(self.path.read_text(encoding="utf-8"))
            decisions = payload["decisions"]
            if not isinstance(decisions, list):
                raise ValueError("decisions is not a list")
            return decisions
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            try:  # keep it aside for the user; another session may have moved it already
                self.path.rename(self.path.with_suffix(f".damaged-{uuid.uuid4().hex[:6]}.json"))
            except OSError:
                pass
            return []
        except FileNotFoundError:
            return []

    def damaged_copies(self) -> list[Path]:
        """The decisions files ``load`` could not read and kept aside (oldest first): nothing else tells the
        researcher why the decisions are gone."""
        copies = self.directory.glob(f"{Path(DECISIONS_FILE).stem}.damaged-*.json")
        return sorted(copies, key=lambda path: (path.stat().st_mtime, path.name))

    def append(self, decision: dict) -> list[dict]:
        """Add one decision atomically; returns the full list as stored (including other sessions' work)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            decisions = self.load()
            decisions.append(decision)
            atomic_write_json(self.path, self._payload(decisions))
        return decisions

    def replace(self, decisions: list[dict]) -> None:
        """Store exactly these decisions (undo, reset)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            atomic_write_json(self.path, self._payload(decisions))

    def replace_if_unchanged(self, expected: list[dict], decisions: list[dict]) -> bool:
        """Store ``decisions`` only while the stored ones are still ``expected`` (what the caller read and derived them
        from, outside the lock); returns whether they were stored. Another session's decision saved in between is
        never written over: undo, take back and a decision made in two tabs at once lost one tab's work, which was
        told it was saved (helper 103)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            if _same_decisions(self.load(), expected):
                atomic_write_json(self.path, self._payload(decisions))
                return True
        return False
