"""What the cache folder holds, and clearing it (``discovery cache``).

Every round of labels fine-tunes a new model (about 90 MB for all-MiniLM-L6-v2), every model and table adds
vectors, and the dashboard keeps its latest results: a researcher's cache grows run by run, and a rerun only reads
what it needs. Entries are only what the tool writes there: a fine-tuned model's folder (``adapted/<key>/``, holding
its ``adapted.json``), a model's vectors (``embeddings/<model>/``, holding ``keys_*.npy`` / ``vecs_*.npy``) and a kept
result (``results/*.result``), none of them a symbolic link, and a model folder a killed fine-tuning or an
interrupted clear left (``adapted/.adapting-*``, ``adapted/.removing-*``); any other file, ``workspaces/`` (the dashboard's
decisions, when no folder beside the data takes them) and lock files are never touched here.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from .embed import default_cache_dir
from .io import _human_bytes as describe_size

KINDS = {"adapted": "fine-tuned models", "embeddings": "vectors", "results": "kept results"}
RECENT_SECONDS = 300  # an entry written this recently may belong to a run going on: never cleared
# A fine-tuned model is saved into ``.adapting-*`` and then renamed into place (seconds); a model being cleared is
# renamed to ``.removing-*`` first, so a delete that fails partway never leaves a model folder without its weights.
LEFTOVER_PREFIXES = (".adapting-", ".removing-")


@dataclass(frozen=True)
class CacheEntry:
    """One cached model, set of vectors or kept result: its size and when a file of it was last written."""

    kind: str
    path: Path
    size: int
    last_written: float  # seconds since the epoch

    @property
    def unfinished(self) -> bool:
        """A model folder a killed fine-tuning or an interrupted clear left: of no use at any age."""
        return _is_leftover(self.path)


def _is_leftover(path: Path) -> bool:
    return path.name.startswith(LEFTOVER_PREFIXES)


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


def _written_by_the_tool(kind: str, path: Path) -> bool:
    """Whether ``path``, directly under the cache's ``kind`` folder, is one the tool writes there (a folder of one's
    own named ``results/`` in a cache folder set to a project folder holds other files)."""
    if path.is_symlink():
        return False
    if path.name.startswith("."):  # a model folder a killed fine-tuning or an interrupted clear left behind
        return kind == "adapted" and path.is_dir() and _is_leftover(path)
    if kind == "results":  # the result store's names: 32 hex digits of its key (a notes.result of one's own is not)
        return path.is_file() and re.fullmatch(r"[0-9a-f]{32}\.result", path.name) is not None
    if not path.is_dir():
        return False
    if kind == "adapted":
        return (path / "adapted.json").is_file()
    return any(path.glob("keys_*.npy")) or any(path.glob("vecs_*.npy"))


def cache_entries(root: str | os.PathLike | None = None) -> list[CacheEntry]:
    """Every entry of the cache folder (``root``, default ``LABEL_DISCOVERY_CACHE`` or ``~/.cache/label-discovery``),
    kind by kind, oldest first: only what the tool writes there (``_written_by_the_tool``)."""
    root = Path(root) if root else default_cache_dir()
    entries = []
    for kind in KINDS:
        folder = root / kind
        if not folder.is_dir() or folder.is_symlink():
            continue
        for path in folder.iterdir():
            if not _written_by_the_tool(kind, path):
                continue
            try:
                size, written = _walk_size_and_time(path)
            except OSError:
                continue
            entries.append(CacheEntry(kind, path, size, written))
    return sorted(entries, key=lambda e: (list(KINDS).index(e.kind), e.last_written, e.path.name))


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
        leftovers = sum(e.unfinished for e in mine)
        unfinished = f" ({leftovers:,} left unfinished by a stopped fine-tuning or clear)" if leftovers else ""
        lines.append(f"{what} ({kind}/): {len(mine):,}{unfinished}, {describe_size(sum(e.size for e in mine))}, {when}")
    return lines


@dataclass(frozen=True)
class Cleared:
    """What ``clear_cache`` removed, the entries it left because a run may be writing them, and those it could not
    remove (a file the user may not delete), with why."""

    removed: tuple[CacheEntry, ...]
    in_use: tuple[CacheEntry, ...]
    failed: tuple[tuple[CacheEntry, str], ...] = ()

    @property
    def size(self) -> int:
        return sum(e.size for e in self.removed)


def clear_cache(kinds=tuple(KINDS), older_than_days: float | None = None, root: str | os.PathLike | None = None,
                now: float | None = None) -> Cleared:
    """Remove the entries of ``kinds`` not written for ``older_than_days`` days (None: any), except those written in
    the last ``RECENT_SECONDS`` (vectors a run is adding to; a leftover model folder goes at any older age) or whose lock a process holds (a fine-tuned model being
    put in place). A run going on may still read a model or vectors it found earlier: clear between runs. A removed
    entry is made again by the next run that needs it: the same labels and seed fine-tune the same model (with the
    same torch thread count), the same texts embed alike."""
    from filelock import FileLock, Timeout

    from .errors import InputError

    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise InputError(f"no cache kind {unknown[0]!r}; choose among {', '.join(KINDS)}.")
    if older_than_days is not None and not older_than_days >= 0:
        raise InputError(f"--older-than {older_than_days}: give a number of days of 0 or more.")
    now = time.time() if now is None else now
    removed, in_use, failed = [], [], []
    for entry in cache_entries(root):
        if entry.kind not in kinds:
            continue
        if older_than_days is not None and now - entry.last_written < older_than_days * 86_400 and not entry.unfinished:
            continue
        if now - entry.last_written < RECENT_SECONDS:
            in_use.append(entry)
            continue
        lock_path = entry.path.with_name(entry.path.name + ".lock")  # left in place: another process may hold it next
        try:
            with FileLock(str(lock_path), timeout=0) if lock_path.exists() else nullcontext():
                if entry.path.is_dir():
                    doomed = entry.path
                    if not entry.unfinished:
                        doomed = Path(tempfile.mkdtemp(prefix=f".removing-{entry.path.name}-", dir=entry.path.parent))
                        os.replace(entry.path, doomed)  # onto the empty folder just made: one rename
                    shutil.rmtree(doomed)
                else:
                    entry.path.unlink()
        except Timeout:
            in_use.append(entry)
            continue
        except FileNotFoundError:  # removed meanwhile
            pass
        except OSError as exc:  # not the user's to delete, say
            failed.append((entry, f"{exc.__class__.__name__}: {exc}"))
            continue
        removed.append(entry)
    return Cleared(tuple(removed), tuple(in_use), tuple(failed))
