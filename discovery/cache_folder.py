"""What the cache folder holds, and clearing it (``discovery cache``).

Every round of labels fine-tunes a new model (about 90 MB for all-MiniLM-L6-v2), every model and table adds
vectors, and the dashboard keeps its latest results: a researcher's cache grows run by run, and a rerun only reads
what it needs. Entries are the folders and files directly under ``adapted/``, ``embeddings/`` and ``results/``;
``workspaces/`` (the dashboard's decisions, when no folder beside the data takes them) is never touched here.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from .embed import default_cache_dir

KINDS = {"adapted": "fine-tuned models", "embeddings": "vectors", "results": "kept results"}
RECENT_SECONDS = 300  # an entry written this recently may belong to a run going on: never cleared


@dataclass(frozen=True)
class CacheEntry:
    """One cached model, set of vectors or kept result: its size and when a file of it was last written."""

    kind: str
    path: Path
    size: int
    last_written: float  # seconds since the epoch


def _walk_size_and_time(path: Path) -> tuple[int, float]:
    if path.is_file():
        stat = path.stat()
        return stat.st_size, stat.st_mtime
    size, newest = 0, path.stat().st_mtime
    for folder, _, files in os.walk(path):
        for name in files:
            try:
                stat = os.stat(os.path.join(folder, name))
            except OSError:  # removed meanwhile
                continue
            size += stat.st_size
            newest = max(newest, stat.st_mtime)
    return size, newest


def cache_entries(root: str | os.PathLike | None = None) -> list[CacheEntry]:
    """Every entry of the cache folder (``root``, default ``LABEL_DISCOVERY_CACHE`` or ``~/.cache/label-discovery``),
    kind by kind, oldest first; lock files and hidden files are part of no entry."""
    root = Path(root) if root else default_cache_dir()
    entries = []
    for kind in KINDS:
        folder = root / kind
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if path.name.startswith(".") or path.name.endswith(".lock"):
                continue
            try:
                size, written = _walk_size_and_time(path)
            except OSError:
                continue
            entries.append(CacheEntry(kind, path, size, written))
    return sorted(entries, key=lambda e: (list(KINDS).index(e.kind), e.last_written, e.path.name))


def describe_size(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} GB"


def usage_lines(entries: list[CacheEntry]) -> list[str]:
    """One line a kind: what it is, how many entries, their size and when they were written."""
    lines = []
    for kind, what in KINDS.items():
        mine = [e for e in entries if e.kind == kind]
        if not mine:
            lines.append(f"{what} ({kind}/): none")
            continue
        first, last = (time.strftime("%Y-%m-%d", time.localtime(t)) for t in
                       (min(e.last_written for e in mine), max(e.last_written for e in mine)))
        when = f"written {first}" if first == last else f"written {first} to {last}"
        lines.append(f"{what} ({kind}/): {len(mine):,}, {describe_size(sum(e.size for e in mine))}, {when}")
    return lines


@dataclass(frozen=True)
class Cleared:
    """What ``clear_cache`` removed, and the entries it left because a run may be using them."""

    removed: tuple[CacheEntry, ...]
    in_use: tuple[CacheEntry, ...]

    @property
    def size(self) -> int:
        return sum(e.size for e in self.removed)


def clear_cache(kinds=tuple(KINDS), older_than_days: float | None = None, root: str | os.PathLike | None = None,
                now: float | None = None) -> Cleared:
    """Remove the entries of ``kinds`` not written for ``older_than_days`` days (None: any), except those written in
    the last ``RECENT_SECONDS`` or whose lock a run holds (a fine-tuning under way). A removed entry is made again
    by the next run that needs it: the same labels and seed fine-tune the same model, the same texts embed alike."""
    from filelock import FileLock, Timeout

    from .errors import InputError

    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise InputError(f"no cache kind {unknown[0]!r}; choose among {', '.join(KINDS)}.")
    if older_than_days is not None and not older_than_days >= 0:
        raise InputError(f"--older-than {older_than_days}: give a number of days of 0 or more.")
    now = time.time() if now is None else now
    removed, in_use = [], []
    for entry in cache_entries(root):
        if entry.kind not in kinds:
            continue
        if older_than_days is not None and now - entry.last_written < older_than_days * 86_400:
            continue
        if now - entry.last_written < RECENT_SECONDS:
            in_use.append(entry)
            continue
        lock_path = entry.path.with_name(entry.path.name + ".lock")
        try:
            with FileLock(str(lock_path), timeout=0):
                shutil.rmtree(entry.path) if entry.path.is_dir() else entry.path.unlink()
        except Timeout:
            in_use.append(entry)
            continue
        except FileNotFoundError:  # removed meanwhile
            pass
        try:
            lock_path.unlink()
        except OSError:
            pass
        removed.append(entry)
    return Cleared(tuple(removed), tuple(in_use))
