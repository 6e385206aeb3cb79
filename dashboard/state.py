"""Session state of the dashboard: which data, which settings, the cached run and the decisions.

Everything here calls the core's public API. The current result is always
``replay(cached base run, decisions stored in the workspace)``, so no page ever
shows a stale view, and a decision is written to the workspace the moment it is made.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import json
import os
import re
import sys
import threading
import time
import unicodedata
import uuid
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.background import BackgroundRuns, RunCancelled
from discovery import (DiscoveryConfig, InputError, Workspace, prepare_decisions, read_table, read_table_bytes, replay,
                       workspace_key)
from discovery.export import output_files
from discovery.result import describe_decision
from discovery.pipeline import STAGES, effective_config, table_boilerplate, table_languages
from discovery.language import language_warning
from discovery.result_store import ResultStore
from discovery.relabel import advised_new_clusters, labels_for_next_run, new_clusters_to_keep, next_run_file
from discovery.workspace import (UPLOADS_FOLDER, atomic_write_json, keyed_settings, safe_upload_path, save_upload,
                                 saved_workspaces)

ROOT = Path(__file__).resolve().parents[1]
DEMO_PATH = ROOT / "data" / "banking_demo.csv"
METHODS = ("auto", "seeded-kmeans", "hdbscan")
BUNDLED_MODEL = "bundled (all-MiniLM-L6-v2)"
MAX_CACHED_RESULTS = 4
MAX_CACHED_TABLES = 4
WORKSPACE_ENV = "LABEL_DISCOVERY_WORKSPACE"
DEFAULT_WORKSPACE_ROOT = Path("~/.cache/label-discovery/workspaces").expanduser()


# ---- safe display -------------------------------------------------------------------------------

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")


def plain(message: str) -> str:
    """Escape Markdown so a message holding user text (file, column, label) is shown literally."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(message))


# The core's messages name the command line's options; on the dashboard the same choice is a control.
DASHBOARD_CONTROLS = {"--text-col": "the Data page's Text column", "--label-col": "the Data page's Label column",
                      "--unlabeled-marker": "the Data page's marker meaning 'unlabeled'",
                      "--missing-words-are-labels": "the Data page's box for 'NA', 'none'... as class names",
                      "--encoding": "the Data page's Encoding", "--model": "the sidebar's Model",
                      "--no-balance": "the sidebar's More settings", "--no-words": "the sidebar's More settings"}
_OPTION = re.compile("(?:" + "|".join(re.escape(option) for option in DASHBOARD_CONTROLS) + r")(?![\w-])")


def for_dashboard(message: str) -> str:
    """A core message with its command-line options named as the dashboard's controls (messages that name
    the Data page already say both)."""
    if "Data page" in message or "sidebar" in message:
        return message
    message = message.replace("pick another --encoding", "pick another encoding in --encoding")
    message = re.sub(r" \((?:text|label)_column= in Python\)", "", message)  # the API's name: not a control
    return _OPTION.sub(lambda found: DASHBOARD_CONTROLS[found.group(0)], message)


FULL_TEXTS_SHOWN = 50


def show_full_texts(texts, title: str = "These texts in full") -> None:
    """``texts`` (a Series indexed by row id) whole, in a folded box: a table cell shows a long text's beginning only, which
    for tickets opening with the same greeting was the same in every row."""
    with st.expander(f"{title} ({min(len(texts), FULL_TEXTS_SHOWN):,}"
                     + (f" of {len(texts):,}" if len(texts) > FULL_TEXTS_SHOWN else "") + ")"):
        for row_id, text in texts.head(FULL_TEXTS_SHOWN).items():
            st.markdown(f"**{row_id}** · " + plain(" ".join(str(text).split())))


TABLE_ROWS = 5_000  # rows a page's table sends to the browser: all 50,000 of a table were 7 MB on the Fill-in page


def rows_to_show(rows: pd.DataFrame, sources=None, label=None, least_confident_first: bool = False,
                 limit: int | None = None) -> tuple[pd.DataFrame, int]:
    """The rows of the given label sources and proposed label (None: every one), least confident first if asked,
    cut to ``limit``; and how many matched. The page says when it cut: the export files hold every row."""
    keep = pd.Series(True, index=rows.index)
    if sources is not None:
        keep &= rows.label_source.isin(list(sources))
    if label is not None:
        keep &= rows.proposed_label == label
    matching = rows[keep]
    if least_confident_first:
        matching = matching.sort_values("confidence", kind="stable")
    return matching.head(TABLE_ROWS if limit is None else limit), len(matching)


MAP_POINTS = 50_000  # points the map sends: 250,000 rows were 58 MB of figure at every redraw (hunt 127)
MAP_POINTS_PER_GROUP = 20  # a small cluster keeps this many points (or all its rows), so no cluster leaves the map


def rows_on_map(rows: pd.DataFrame, random_state: int, limit: int | None = None, keep=(), found=()) -> pd.DataFrame:
    """The rows the map draws: every row up to ``limit`` (``MAP_POINTS``), else a sample of each cluster in
    proportion to its size (at least ``MAP_POINTS_PER_GROUP`` of a small one, so a little over ``limit`` with many
    small clusters), the same for the same rows and seed, with the rows in ``keep`` (typed ids, rows drawn round) and
    the first ``limit`` of ``found`` (a search's) added so that they show (a selection is labeled whole all the same);
    in row order."""
    limit = MAP_POINTS if limit is None else limit
    if len(rows) <= limit:
        return rows
    share = limit / len(rows)
    clusters = rows.cluster_id.to_numpy()
    by_cluster = pd.Series(np.random.RandomState(random_state).random_sample(len(rows))).groupby(clusters)
    rank = by_cluster.rank(method="first").to_numpy()
    size = by_cluster.transform("size").to_numpy()
    quota = np.maximum(np.minimum(size, MAP_POINTS_PER_GROUP), np.round(size * share))
    picked = (rank <= quota) | rows.index.isin(list(keep))
    if len(found):  # the first ``limit`` beyond the sample: a search matching most rows is no sample
        added = rows.index.isin(list(found)) & ~picked
        picked |= added & (np.cumsum(added) <= limit)
    return rows[picked]


def show_error(message: str) -> None:
    st.error(plain(for_dashboard(message)))


def failure_message(exc: BaseException) -> str:
    """The line ``guard`` shows for an error: a core message as it is, anything else as what went wrong."""
    if isinstance(exc, InputError):
        return str(exc)
    return f"Something went wrong ({exc.__class__.__name__}: {exc}). Your decisions are saved."


@contextmanager
def guard():
    """Show any error of a page body as one line on the page, never as a traceback."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - a bug must still not show a traceback to the user
        show_error(failure_message(exc))


# ---- caches shared by all sessions ----------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def _shared_store() -> dict:
    """Process-wide caches: tables by source, base results by (data_hash, config). Results are immutable."""
    results = OrderedDict()
    return {"tables": OrderedDict(), "results": results, "hover": OrderedDict(), "readings": OrderedDict(),
            "run_lock": threading.Lock(), "table_lock": threading.Lock(), "read_from_disk": set(), "disk_keys": {},
            "runs": BackgroundRuns(on_result=lambda key, result: _remember(results, key, result, MAX_CACHED_RESULTS))}


def _recall(cache: OrderedDict, key):
    """``cache[key]`` or None; a hit becomes the most recently used, so the data a researcher keeps going back
    to is the last one dropped (not the first one computed)."""
    try:
        value = cache[key]
        cache.move_to_end(key)
    except KeyError:  # not there, or dropped by another session in between
        return None
    return value


def _remember(cache: OrderedDict, key, value, limit: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)


# ---- data source --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """Where the data comes from and which columns to use."""

    kind: str = "demo"  # demo | path | upload
    path: str | None = None  # for demo and path
    name: str | None = None  # upload file name
    upload_key: str | None = None  # key of the uploaded bytes in the shared store
    text_column: str = "text"
    label_column: str | None = None  # None: "label" when present
    unlabeled_marker: str | None = None
    missing_words: bool = True  # NA, none, null... mean unlabeled (False: they are class names)
    encoding: str | None = None  # None: UTF-8 (BOMs and UTF-16 recognised)

    @property
    def display_name(self) -> str:
        return self.name or self.path or "upload"


def demo_source() -> Source:
    return Source(kind="demo", path=str(DEMO_PATH))


LAST_SESSION_FILE = "last_session.json"


def last_session_path() -> Path:
    """Where the data and settings last used are remembered: beside the upload workspaces."""
    env = os.environ.get(WORKSPACE_ENV)
    return (Path(env).expanduser() if env else DEFAULT_WORKSPACE_ROOT) / LAST_SESSION_FILE


def _session_record(source: Source, config: DiscoveryConfig) -> dict:
    from dataclasses import asdict

    return json.loads(json.dumps({"source": asdict(source), "config": config.to_dict()}, default=str))


def _last_session_record() -> dict:
    try:
        record = json.loads(last_session_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _write_last_session(record: dict) -> None:
    """Best effort: a folder we cannot write only loses the memory of the last session."""
    path = last_session_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(path, record)
    except (OSError, ValueError):
        pass


TAB_PARAM = "tab"  # the page address's ?tab=: which browser tab a reloaded page is
TABS_KEPT = 50


def tab_id() -> str:
    """This browser tab's id: the one its address holds (``?tab=``, kept there by ``keep_tab_in_address``), so a
    reload finds this tab's data again, or a new one."""
    if "_tab_id" not in st.session_state:
        given = st.query_params.get(TAB_PARAM)
        st.session_state["_tab_id"] = given if isinstance(given, str) and re.fullmatch("[0-9a-f]{12}", given) \
            else uuid.uuid4().hex[:12]
    return st.session_state["_tab_id"]


def keep_tab_in_address() -> None:
    """Put this tab's id in the page's address (every page change drops it), so a reload reopens this tab's data
    and settings, not those another tab ran last (helper 103)."""
    if st.query_params.get(TAB_PARAM) != tab_id():
        st.query_params[TAB_PARAM] = tab_id()


def remember_session(source: Source, config: DiscoveryConfig) -> None:
    """Record the data and settings of a finished run, so that a reloaded page or a restarted server reopens
    them (and their decisions) instead of the demo: the last run of any tab, for a new tab, and each tab's own
    (``tab_id``), for that tab reloaded."""
    entry = _session_record(source, config)
    before = _last_session_record()
    tabs = {k: v for k, v in (before.get("tabs") or {}).items() if k != tab_id()} \
        if isinstance(before.get("tabs"), dict) else {}
    tabs[tab_id()] = entry
    record = {**entry, "tabs": dict(list(tabs.items())[-TABS_KEPT:])}
    others = {tab: run for tab, run in _pending_by_tab(before).items() if tab != tab_id()}
    if others:
        record["pending"] = others  # other tabs' runs asked for: each tab is told of its own when reloaded
    if before != record:
        _write_last_session(record)


def forget_cluster_choices() -> None:
    """Clear the Candidates page's choices of clusters (to merge, split, rename; names typed for candidates) before
    a run on other settings: it numbers its clusters afresh, and a choice of the last run's ids would act on other
    clusters (helper 90: after the leave-out button's run, "merged 58 into 59", 58 another group by then)."""
    for key in [key for key in st.session_state if key in ("merge_ids", "split_id", "rename_id")
                or str(key).startswith("cand_name_")]:
        del st.session_state[key]


def remember_pending_run(source: Source, config: DiscoveryConfig) -> None:
    """Record the data and settings of a run asked for (Run pressed, other data loaded) beside the last finished
    one: a page reloaded before it finishes reopens the finished run's and says which did not finish (reopening
    the unfinished one could fail the same way again, e.g. out of memory)."""
    record = _last_session_record()
    pending = {tab: run for tab, run in _pending_by_tab(record).items() if tab != tab_id()}
    pending[tab_id()] = _session_record(source, config)  # each tab told of its own only
    record["pending"] = dict(list(pending.items())[-TABS_KEPT:])
    _write_last_session(record)


def remember_failed_run(error: BaseException) -> None:
    """Mark the run asked for last as failed (not interrupted), with its message, for ``unfinished_run_note``."""
    record = _last_session_record()
    own = _own_pending(record)
    if own is not None:  # this tab's run: another tab's is not marked with this one's error
        own["failed"] = for_dashboard(str(error)) or error.__class__.__name__
        _write_last_session(record)


def _one_run(pending: dict) -> bool:
    """Whether ``pending`` is one run as an earlier version wrote it (maybe with its tab), not runs by tab."""
    return "source" in pending or "config" in pending


def _pending_by_tab(record: dict) -> dict:
    """The runs asked for and not finished in ``record``, by tab id (an earlier version's single run left out)."""
    pending = record.get("pending")
    if not isinstance(pending, dict) or _one_run(pending):
        return {}
    return {tab: run for tab, run in pending.items() if isinstance(run, dict)}


def _own_pending(record: dict) -> dict | None:
    """This tab's run asked for and not finished, in ``record`` (``last_session.json``; an earlier version's one run of
    any tab, stored without a tab, counts as this tab's), to read or to mark."""
    pending = record.get("pending")
    if not isinstance(pending, dict):
        return None
    if _one_run(pending):  # written before runs were kept per tab
        return pending if pending.get("tab", tab_id()) == tab_id() else None
    own = pending.get(tab_id())
    return own if isinstance(own, dict) else None


def unfinished_run_note() -> str | None:
    """What the last run asked for was, when it never finished, in the sidebar's words."""
    record = _last_session_record()
    pending = _own_pending(record)
    if pending is None:
        return None  # none, or another tab's run, maybe going on now
    failed = pending.get("failed")
    pending = {k: v for k, v in pending.items() if k not in ("failed", "tab")}
    tabs = record.get("tabs") if isinstance(record.get("tabs"), dict) else {}
    own = tabs.get(tab_id())  # this tab's last finished run, which it reopens
    record = own if isinstance(own, dict) else {k: v for k, v in record.items() if k not in ("pending", "tabs")}
    if record == pending:
        return None
    finished_source, source = record.get("source") or {}, pending.get("source") or {}
    changed = [_setting(name, value) for name, value in (pending.get("config") or {}).items()
               if name not in ("cache_dir", "make_map") and (record.get("config") or {}).get(name) != value]
    if finished_source != source:
        changed.insert(0, f"data {source.get('name') or source.get('path')}")
    if failed:
        said = failed if failed.rstrip().endswith((".", "!", "?")) else failed.rstrip() + "."
        return ("The run asked for last (" + (", ".join(changed) or "the same settings") + f") failed: {said} "
                "Reopened with the last finished run's data and settings.")
    return ("The run asked for last (" + (", ".join(changed) or "the same settings") + ") did not finish: the page "
            "was reloaded or the server stopped during it. Reopened with the last finished run's data and settings; "
            "choose those again to run it.")


def remembered_session(tab: str | None = None) -> tuple[Source, DiscoveryConfig] | None:
    """The data and settings ``remember_session`` recorded (``tab``'s own when it recorded some), when that data is
    still there to read."""
    from dataclasses import fields

    record = _last_session_record()
    tabs = record.get("tabs") if isinstance(record.get("tabs"), dict) else {}
    record = tabs.get(tab) if isinstance(tabs.get(tab), dict) else record
    try:
        source = Source(**{f.name: record["source"][f.name] for f in fields(Source) if f.name in record["source"]})
        settings = {f.name: record["config"][f.name] for f in fields(DiscoveryConfig) if f.name in record["config"]}
        settings["fill_methods"] = tuple(settings.get("fill_methods", DiscoveryConfig.fill_methods))
        settings["leave_out"] = tuple(settings.get("leave_out", ()))
        config = DiscoveryConfig(**settings)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (source, config) if source.path and Path(source.path).is_file() else None


def _open_session() -> None:
    """A new browser session starts where the last one left off (its data, settings and so decisions),
    or on the demo."""
    if st.session_state.get("_session_opened"):
        return
    st.session_state["_session_opened"] = True
    if "source" in st.session_state:
        return
    if note := unfinished_run_note():
        st.session_state["flash_note"] = note
    remembered = remembered_session(tab_id())
    if remembered is None:
        st.session_state["source"] = demo_source()
        return
    st.session_state["source"], config = remembered
    st.session_state.setdefault("config", config)
    if config.preferred_n_new_clusters is not None:  # a reviewed copy reopened keeps its count when left and found again
        st.session_state.setdefault("_preferred_new_clusters", {})[remembered[0]] = config.preferred_n_new_clusters
    if remembered[0].kind != "demo":
        notify(f"Reopened {remembered[0].display_name if remembered[0].kind == 'upload' else remembered[0].path}, the "
               "data of your last session, with its settings and decisions. The Data page switches to other data.")


def current_source() -> Source:
    _open_session()
    if "source" not in st.session_state:
        st.session_state["source"] = demo_source()
    source = st.session_state["source"]
    return Source(**source) if isinstance(source, dict) else source


def switch_source(new: Source, preferred_n_new_clusters: int | None = None) -> None:
    """Work on ``new`` from the next rerun. The number of new clusters a run with more labels keeps
    (``preferred_n_new_clusters``) belongs to the data it was carried to: other data runs without it, so
    the settings, and so the decisions saved with them, are the ones it had (it is also part of the
    workspace key); coming back to that data brings its count back."""
    forget_cluster_choices()  # other data: its clusters are others
    preferred = st.session_state.setdefault("_preferred_new_clusters", {})
    if preferred_n_new_clusters is not None:
        preferred[new] = preferred_n_new_clusters
    elif new not in preferred and (saved := saved_preferred_count(new, current_config())) is not None:
        preferred[new] = saved
        notify_note(f"{new.display_name}: asks for {saved} new categor{'y' if saved == 1 else 'ies'}, the count of "
                    "the run before it (a reviewed copy keeps that count while the data fits it about as well as its "
                    "best; the Candidates page says whether it did).")
    st.session_state["config"] = replace(current_config(), preferred_n_new_clusters=preferred.get(new))
    st.session_state["source"] = new
    remember_pending_run(new, st.session_state["config"])  # a page reloaded during the run says it did not finish


def saved_preferred_count(source: Source, config: DiscoveryConfig) -> int | None:
    """The number of new clusters kept from the run before (``preferred_n_new_clusters``) that the latest decisions
    saved on ``source`` (its content, column choice and marker) were made with, under ``config`` otherwise; None
    when the latest were made under the estimate, or there are none. It lived only in the session that made the
    reviewed copy: the copy opened in a new session ran without it, and its decisions were out of reach under a
    setting the sidebar has no control for."""
    from discovery.io import DEFAULT_LABEL_COLUMN, file_sha256

    data_hash = (source.upload_key.rsplit(":", 1)[-1] if source.kind == "upload" and source.upload_key
                 else file_sha256(source.path) if source.path else None)  # this very content, not a namesake
    columns = {"text_column": source.text_column, "label_column": source.label_column or DEFAULT_LABEL_COLUMN,
               "unlabeled_marker": source.unlabeled_marker, "missing_words": source.missing_words}

    def run_settings(settings: dict) -> dict:  # as the workspace key compares them, the kept count aside, and a
        kept = {k: v for k, v in keyed_settings(settings).items() if k != "preferred_n_new_clusters"}
        if kept.get("method") == DiscoveryConfig().resolved_method():  # method named as what "auto" runs as "auto"
            kept["method"] = DiscoveryConfig().method
        return kept

    current = run_settings(json.loads(config_key(config)))
    same = [saved for saved in saved_workspaces(workspace_root(source))
            if saved.about.get("data_hash") == data_hash and all(saved.about.get(k) == v for k, v in columns.items())
            and run_settings(saved.about.get("settings") or {}) == current]
    latest = max(same, key=lambda saved: saved.modified).about["settings"].get("preferred_n_new_clusters") if same \
        else made_from_count(source)
    return None if latest is None else int(latest)


def made_from_count(source: Source) -> int | None:
    """The number of new clusters a reviewed copy was made to keep (``record_made_from``), or that ``discovery
    add-labels`` advised for the copy it wrote (kept in the file: ``advised_new_clusters``); None when neither says:
    a copy opened in a new session before any decision was saved on it ran on the estimate (helper 101), and an
    add-labels copy estimated its own count (hunt 133: 21 and then 0 new clusters, where 41 and 20 were advised)."""
    record = _made_from(source.path) if source.path and _kept_copy(source.path) else None
    count = None if record is None else record.get("preferred_n_new_clusters")
    if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
        return count
    return advised_new_clusters(source.path) if source.path else None


def upload_source(data: bytes, name: str, digest: str | None = None, **columns) -> Source:
    """The source of an uploaded file: its bytes stay in the shared store (pages other than Data no longer hold
    the uploader) and a copy is saved in the workspace folder, so the data survives a server restart.

    The file name goes through ``safe_upload_path`` (via ``save_upload``): a name such as ``../../x.csv`` or
    ``/etc/x.csv`` is stored as ``x.csv`` inside ``<workspace>/uploads/<content hash>/``; unusable names
    (hidden, dots only, the workspace's own files) raise ``InputError``. ``digest``: the bytes' SHA-256 when known
    (``upload_digest``).
    """
    digest = digest or hashlib.sha256(data).hexdigest()
    root = workspace_root(Source(kind="upload"))
    safe_name = safe_upload_path(root, name).name
    try:
        stored = str(save_upload(root, safe_name, data, digest))
    except OSError:  # a folder we cannot write: keep the upload in memory only
        stored = None
    key = f"{safe_name}:{digest}"
    _remember(_shared_store()["tables"], ("upload-bytes", key), data, MAX_CACHED_TABLES * 2)
    return Source(kind="upload", path=stored, name=safe_name, upload_key=key, **columns)


def load_table(source: Source):
    """Read (and cache) the table of a source; raises ``InputError`` for bad input."""
    store = _shared_store()
    if source.kind == "upload":
        data = _recall(store["tables"], ("upload-bytes", source.upload_key))
        if data is None and source.path and Path(source.path).is_file():  # saved copy, e.g. after a restart
            data = Path(source.path).read_bytes()
        if data is None:
            raise InputError(f"{source.name}: the uploaded file is no longer in memory; upload it again on the Data page.")
        stamp = source.upload_key
    else:
        path = Path(source.path or "")
        try:
            st_ = path.stat()
            # the change time too: an edit that keeps the modified time (cp -p, rsync -t, touch -r) still sets it
            stamp = (st_.st_mtime_ns, st_.st_ctime_ns, st_.st_size, st_.st_ino)
        except OSError:
            stamp = None  # read_table reports the problem
    key = (source, stamp)
    with store["table_lock"]:
        table = _recall(store["tables"], key)
        if table is None:
            options = dict(text_column=source.text_column, label_column=source.label_column,
                           unlabeled_marker=source.unlabeled_marker, missing_words=source.missing_words,
                           encoding=source.encoding)
            if source.kind == "upload":
                table = read_table_bytes(data, source.name, **options)
            else:
                table = read_table(source.path, **options)
            _remember(store["tables"], key, table, MAX_CACHED_TABLES * 3)
    return table


def hover_texts(table):
    """The map's hover texts (cut, escaped) for a table: computed once, shared by sessions and decisions."""
    from dashboard.charts import hover_texts as make

    hover = _shared_store()["hover"]
    key = (*_texts_key(table), len(table))
    texts = _recall(hover, key)
    if texts is None:
        texts = make(table.texts)
        _remember(hover, key, texts, MAX_CACHED_TABLES)
    return texts


def upload_digest(upload) -> str:
    """SHA-256 of an uploaded file's bytes, computed once per upload (``file_id``): hashed again at every rerun of the
    Data page, a 294 MB upload made each click on it wait 1.2-1.8 s (hunt 127)."""
    file_id = getattr(upload, "file_id", None)
    memo = st.session_state.setdefault("_upload_digest", {})
    if file_id is None or file_id not in memo:
        digest = hashlib.sha256(upload.getvalue()).hexdigest()
        if file_id is None:
            return digest
        memo.clear()  # only the latest upload's: the uploader holds one file
        memo[file_id] = digest
    return memo[file_id]


def peek_table(data: bytes | None = None, name: str = "", path: str | None = None, rows: int = 200,
               encoding: str | None = None):
    """The first rows of a file, to fill the column pickers (``discovery.io.peek_rows``)."""
    from discovery.io import peek_rows

    return peek_rows(data=data, name=name, path=path, rows=rows, encoding=encoding)


# ---- settings and the run -----------------------------------------------------------------------

def current_config() -> DiscoveryConfig:
    _open_session()
    if "config" not in st.session_state:
        st.session_state["config"] = DiscoveryConfig(random_state=0)
    return st.session_state["config"]


def config_key(config: DiscoveryConfig) -> str:
    """The settings as the dashboard keys runs and decisions by them: those the run reads (``effective_config``)."""
    return _settings_json(effective_config(config))


def _settings_json(config: DiscoveryConfig) -> str:
    return json.dumps(config.to_dict(), sort_keys=True, default=str)


def waiting_note(container, store: dict, key) -> Callable[[], None]:
    """Draw in ``container`` that another run holds the machine while it does, and take it away once this run
    (``key``) starts: it stood for the whole run (hunt 119). Returns the callback to call at every poll, which is
    also the Streamlit call that lets a page change stop the script."""
    slot = container.empty()

    def pulse() -> None:
        if store.get("running_key") in (None, key):
            slot.empty()
        else:
            slot.caption("Another run (other settings, or another tab's) holds the machine: this one starts when it "
                         "has finished or stopped (at its next progress step).")

    pulse()
    return pulse


def _progress_reporter(container):
    """A progress bar per stage; returns the callback ``run_discovery`` calls."""
    bars = {stage: container.progress(0.0, text=f"{stage}: waiting") for stage in STAGES}
    last = {}

    def report(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            return
        fraction = min(max(done / total if total else 1.0, 0.0), 1.0)
        now = time.perf_counter()
        if fraction < 1.0 and now - last.get(stage, 0.0) < 0.2:
            return  # throttle redraws on long stages
        last[stage] = now
        label = f"{stage}: done" if fraction >= 1.0 else f"{stage}: {done:,} / {total:,}" if total > 1 else f"{stage}: running"
        bars[stage].progress(fraction, text=label)

    return report


def _texts_key(table) -> tuple:
    """The texts of a table: the same bytes read in another encoding are other texts."""
    return table.data_hash, table.text_column, table.read_with.get("encoding")


def _base_key(table, config: DiscoveryConfig) -> tuple:
    import hashlib

    labels = hashlib.sha1(table.labels.tobytes()).hexdigest()  # the unlabeled marker changes labels, not the hash
    return (*_texts_key(table), table.label_column, labels, config_key(config))


PENDING = object()  # what ``prepare(wait=False)`` gives while the run it would wait for goes on


def base_result(table, config: DiscoveryConfig, progress_container=None, wait: bool = True):
    """The pipeline's result for (data, settings), computed once per process and then served from cache; a run
    that failed in this session fails again at once, with its message, until Run is pressed on it
    (``retry_failed_run``). Only the message is kept (the error's traceback held the run's data), and only for this
    session: a failure of the moment (memory another run held) is not another visitor's. ``wait=False``: ``PENDING``
    where it would wait for a run."""
    store = _shared_store()
    key = _base_key(table, config)
    failures = st.session_state.setdefault("_failed_runs", OrderedDict())
    if st.session_state.pop("retry_failed_run", False):
        failures.pop(key, None)

    def served_from_cache(result):
        # a page change reruns the script: a run this session computed keeps saying so
        if st.session_state.get("last_run", {}).get("key") != key:
            st.session_state["last_run"] = {"from_cache": True, "seconds": 0.0, "key": key}
        return result

    cached = _recall(store["results"], key)
    if cached is not None:
        store["runs"].follow(key, _session_token())  # a run this session asked for before is not waited for now
        if key in store["disk_keys"]:  # what a researcher keeps going back to is the last dropped from disk too
            results, name = ResultStore.for_config(config), store["disk_keys"][key]
            if not results.touch(name) and not results.save(name, cached):  # dropped while it was in use here
                store["disk_keys"].pop(key, None)
        return served_from_cache(cached)
    failure = _recall(failures, key)
    if failure is not None:  # a page change reran the script: a late failure (memory, say) is not paid for again
        store["runs"].follow(key, _session_token())
        st.session_state["run_failed"] = True
        raise InputError(failure)
    if not wait:
        return PENDING
    boilerplate, language = reading_of(table, config)

    def compute(progress):
        with store["run_lock"]:  # one pipeline at a time; another session may have just computed it
            cached = _recall(store["results"], key)
            if cached is not None:
                return cached
            store["running_key"] = key
            try:  # prepared now, so the first merge is fast too
                return prepare_decisions(kept_or_run(table, config, progress, key, language=language,
                                                         boilerplate=boilerplate))
            finally:
                store["running_key"] = None

    slot = progress_container if progress_container is not None else st.empty()
    while True:
        run = store["runs"].join(key, compute, _session_token())
        box = slot.container()
        pulse = waiting_note(box, store, key)
        box.caption(plain(f"Running discovery on {len(table):,} rows of {Path(table.source_name).name} ({table_summary(table)})")
                    + "; anything "
                    "shown below is from before this run (other data or settings) until it is done. Changing page does "
                    "not stop it: every page shows its progress until it is done. Changing a setting stops it at its next progress step and runs the "
                    "new settings (change it back within 5 seconds and it goes on); so does closing the tab.")
        try:
            # the pulse is a Streamlit call at every poll, where Streamlit stops the script for a page change
            result = run.wait(_progress_reporter(box), tick=pulse)
        except RunCancelled:  # it stopped as this session came back to it: start it again
            slot.empty()
            continue
        except BaseException as exc:
            slot.empty()  # a failed run's bars stood above its error message
            if run.done and exc is run.error_:  # the run failed (not Streamlit stopping this page's script)
                remember_failed_run(exc)
                _remember(failures, key, failure_message(exc), MAX_CACHED_RESULTS)
                st.session_state["run_failed"] = True
            raise
        break
    if st.session_state.get("last_run", {}).get("key") != key:
        kept = key in store["read_from_disk"]
        st.session_state["last_run"] = {"from_cache": kept, "from_disk": kept, "seconds": run.seconds_, "key": key}
    slot.empty()
    return result


def table_summary(table) -> str:
    """The columns read and the labels found, in a few words: said while a run goes, when no page is drawn, so that a
    wrong column is seen before a long run ends (hunt 127: a 250,000-row table showed the data before it meanwhile)."""
    labels = len(table.codec)
    return (f"texts from {table.text_column!r}, labels from {table.label_column!r}: {table.n_labeled:,} rows labeled, "
            f"{labels:,} label{'s' if labels != 1 else ''}" if table.label_column else
            f"texts from {table.text_column!r}, no label column")


def kept_or_run(table, config: DiscoveryConfig, progress, key, **found) -> object:
    """The result kept on disk for this table and these settings (a dashboard started again, or the result
    dropped from memory), else ``run_discovery``'s (given what was ``found`` of the table before it: its
    ``language`` and ``boilerplate``), then kept on disk for next time."""
    store = _shared_store()
    result, source, name = ResultStore.for_config(config).run(table, config, progress=progress, **found)
    if name:
        store["disk_keys"][key] = name
    else:  # not kept (a folder that cannot take it, values its files cannot hold): not tried again at every page
        store["disk_keys"].pop(key, None)
    (store["read_from_disk"].add if source == "read" else store["read_from_disk"].discard)(key)
    return result


def not_kept_on_disk() -> Path | None:
    """The results folder when the result this session shows was made but could not be kept there (a folder
    that cannot take it: read-only, full; a cell its files cannot hold): a restarted dashboard runs it again."""
    last = st.session_state.get("last_run", {})
    key, config = last.get("key"), st.session_state.get("config")
    if key is None or config is None or key in _shared_store()["disk_keys"]:
        return None
    return ResultStore.for_config(config).directory


def _session_token() -> str:
    """This browser session's id for the runs it waits for (``BackgroundRuns``)."""
    if "_session_token" not in st.session_state:
        st.session_state["_session_token"] = uuid.uuid4().hex
    return st.session_state["_session_token"]


# ---- workspace and decisions --------------------------------------------------------------------

def workspace_root(source: Source) -> Path:
    """``$LABEL_DISCOVERY_WORKSPACE``, else a folder beside the data file, else ~/.cache/label-discovery/workspaces."""
    env = os.environ.get(WORKSPACE_ENV)
    if env:
        return Path(env).expanduser()
    if source.kind in ("demo", "path") and source.path:
        folder = Path(source.path).resolve().parent
        if os.access(folder, os.W_OK):
            return folder / f"{Path(source.path).stem}.workspace"
    return DEFAULT_WORKSPACE_ROOT


def workspace_for(source: Source, table, config: DiscoveryConfig) -> Workspace:
    """The decisions of this data, column choice and settings the run reads (another column or marker starts
    afresh). Decisions saved while the key held every setting, one the run never read away from its default,
    stay where they were and are found there."""
    def under(settings: DiscoveryConfig) -> Workspace:
        key = workspace_key(table.data_hash, settings.to_dict(), text_column=table.text_column,
                            label_column=table.label_column, unlabeled_marker=source.unlabeled_marker,
                            missing_words=source.missing_words, encoding=source.encoding)
        about = {"data_hash": table.data_hash, "data": source.display_name, "text_column": table.text_column,
                 "label_column": table.label_column, "unlabeled_marker": source.unlabeled_marker,
                 "missing_words": source.missing_words,
                 "settings": json.loads(_settings_json(settings))}
        return Workspace(workspace_root(source), key, about=about)

    read = effective_config(config)
    workspace = under(read)
    if read != config and not workspace.path.exists():
        for earlier in (under(replace(read, method=config.method)), under(config)):  # a method named as "auto" was
            if earlier.path.exists():  # keyed as named, with only the settings the run read, before (review 108)
                return earlier
    return workspace


SETTING_NAMES = {"model": "Model", "adapt": "Fine-tune", "adapt_layers": "layers fine-tuned", "method": "Method",
                 "random_state": "Seed", "n_new_clusters": "New categories", "min_cluster_size": "Min cluster size",
                 "noise_budget": "Noise budget", "preferred_n_new_clusters": "new categories kept from the last run",
                 "text_column": "Text column", "label_column": "Label column", "unlabeled_marker": "unlabeled marker",
                 "missing_words": "missing words read as unlabeled", "fill_methods": "Class shares held",
                 "fill_words": "Words blended in", "leave_out": "Phrases left out"}
SETTING_DEFAULTS = {"model": "bundled", "n_new_clusters": "estimated", "min_cluster_size": "automatic",
                    "label_column": "automatic", "unlabeled_marker": "none", "preferred_n_new_clusters": "none"}


def _setting(name: str, value) -> str:
    """A setting as the sidebar or the Data page names it, e.g. ``Seed 0`` or ``New categories estimated``."""
    quoted = name in ("text_column", "label_column", "unlabeled_marker")  # the user's own words
    if name == "fill_methods":  # the only choice of them the dashboard offers
        value = "balanced" in (value or ())
    if name == "leave_out":
        value = ", ".join(map(repr, value)) if value else "none"
    shown = SETTING_DEFAULTS.get(name, "default") if value is None else "on" if value is True else "off" \
        if value is False else repr(value) if quoted else str(value)
    return f"{SETTING_NAMES.get(name, name.replace('_', ' '))} {shown}"


def _settings_apart(about: dict, other: dict) -> list[str]:
    """How another workspace's settings and column choice differ from ``about``'s, in the dashboard's words."""
    changed = [_setting(name, value) for name, value in (other.get("settings") or {}).items()
               if (about.get("settings") or {}).get(name) != value]
    changed += [_setting(name, other.get(name)) for name in
                ("text_column", "label_column", "unlabeled_marker", "missing_words") if other.get(name) != about.get(name)]
    return changed


def decisions_elsewhere(workspace: Workspace, n_rows: int | None = None) -> str | None:
    """When this data's decisions under the current settings are none but other settings (or another column
    choice or marker) hold some: where they are, in a sentence. Changing a setting looked like losing work."""
    about = workspace.about or {}
    if not about or workspace.load():
        return None
    elsewhere = workspace.saved_elsewhere(about["data_hash"])
    if not elsewhere:
        return other_versions_note(workspace, n_rows)
    parts = [f"{len(decisions)} decision{'' if len(decisions) == 1 else 's'} with "
             f"{', '.join(_settings_apart(about, other)) or 'other settings'}" for other, decisions in elsewhere[:3]]
    more = f" and {len(elsewhere) - 3} more sets" if len(elsewhere) > 3 else ""
    return ("No decision is saved for these settings; this data has " + "; ".join(parts) + more +
            ". Decisions belong to the settings they were made with: go back to those settings to see them.")


def damaged_decisions_note(workspace: Workspace) -> str | None:
    """When this data's decisions file could not be read (edited by hand, cut short): where it was kept, and how
    to have its decisions back. The decisions looked silently gone."""
    copies = workspace.damaged_copies()
    if not copies:
        return None
    kept = ", ".join(str(path) for path in copies[-3:]) + (f" and {len(copies) - 3} older" if len(copies) > 3 else "")
    return (f"A decisions file of this data and these settings could not be read (edited by hand, or cut short), so "
            f"the decisions shown are only those made since: it was kept as {kept}. To have its decisions again, mend it "
            f"(it is JSON) and copy its decisions into the \"decisions\" list of {workspace.path}, before the ones there "
            "(putting it back in that file's place would drop those made since); delete it to hide this note.")


MADE_FROM = "made_from.json"  # beside a reviewed copy: the file it was made from and that file's decisions then


def decisions_saved_for(path, kind: str = "path") -> list:
    """Every decision saved for the data file at ``path`` (a ``kind`` of source: an upload's workspaces name it by
    its file name, so its content's hash finds them), under any settings, one list per workspace."""
    from discovery.io import file_sha256

    content = file_sha256(path) if kind == "upload" else None
    return [saved.decisions for saved in saved_workspaces(workspace_root(Source(kind=kind, path=str(path))))
            if saved.about.get("data") == str(path) or (content and saved.about.get("data_hash") == content)]


def decisions_digest(path, kind: str = "path") -> str:
    """SHA-256 of every decision saved for the data file at ``path`` (``decisions_saved_for``)."""
    return hashlib.sha256(_decisions_key(decisions_saved_for(path, kind)).encode("utf-8", "surrogatepass")).hexdigest()


def record_made_from(copy: Path, source_path: str, preferred_n_new_clusters: int | None = None,
                     kind: str = "path") -> None:
    """Note beside ``copy`` (a reviewed copy *Run again with my labels* saved) the file it was made from (a ``kind``
    of source) and the decisions saved for that file as it was made: those are in the copy
    (``copies_carried_into``); and the number of new clusters the copy keeps (``saved_preferred_count`` finds it
    before any decision is saved on the copy)."""
    try:
        atomic_write_json(copy.parent / MADE_FROM, {"data": str(source_path), "kind": kind,
                                                    "decisions": decisions_digest(source_path, kind),
                                                    "preferred_n_new_clusters": preferred_n_new_clusters})
    except OSError:
        pass  # the note on other copies may then name this copy's source: nothing is lost


def copies_carried_into(path) -> set[Path]:
    """The copies ``path`` was made from, one round after another, whose decisions have not changed since: their
    labels are in it (``record_made_from``)."""
    start = current = Path(str(path))
    carried: set[Path] = set()
    while True:
        record = _made_from(current)
        if record is None:
            return carried
        parent = Path(record["data"])
        if parent == start or parent in carried or record.get("decisions") != decisions_digest(parent, _kind(record)):
            return carried  # a loop of records, or decided on since: the copy lacks those decisions
        carried.add(current := parent)


def _kind(record: dict) -> str:
    return "upload" if record.get("kind") == "upload" else "path"


def _made_from(copy) -> dict | None:
    """The ``made_from.json`` record beside ``copy`` (``record_made_from``), its ``data`` a path; None when there is
    none or it cannot be read."""
    try:
        record = json.loads((Path(str(copy)).parent / MADE_FROM).read_text(encoding="utf-8"))
        return {**record, "data": str(record["data"])}
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _kept_copy(path) -> bool:
    """Whether ``path`` is a file the workspace keeps (``uploads/<content hash>/<name>``: a reviewed copy, an upload)."""
    path = Path(str(path))
    return path.parent.parent.name == UPLOADS_FOLDER and bool(re.fullmatch("[0-9a-f]{16}", path.parent.name))


def origin_decided_since_note(source: Source) -> str | None:
    """On a reviewed copy: that the file it was made from holds decisions saved after the copy was made (another
    tab, or a return to that file), which the copy does not hold; its Save all files left such a row unlabeled
    without a word (helper 103). None otherwise."""
    record = _made_from(source.path) if source.path and _kept_copy(source.path) else None
    if record is None or record.get("decisions") == decisions_digest(record["data"], _kind(record)):
        return None
    origin = record["data"]
    return (f"The decisions saved on {origin}, the data this copy was made from, changed after the copy was made "
            "(a decision, Undo or Take back there since, in this tab or another): this copy holds them as they were. "
            "Open that file on the Data page and run again with your labels to carry them as they are now.")


def other_copies_with_decisions(path) -> list[tuple[Path, int]]:
    """For a file the workspace keeps (``uploads/<content hash>/<name>``: a reviewed copy, an upload): the other
    contents kept under that name holding decisions, each with how many. *Run again with my labels* from an
    earlier round makes another copy, and the decisions made on the copy before it were out of sight. The copies
    this one was made from, with the decisions it holds, are left out (they were said to be missing: helper 101)."""
    path = Path(str(path))
    if not _kept_copy(path):
        return []  # not a folder save_upload made (<content hash>/<name>)
    found, carried = [], copies_carried_into(path)
    for copy in sorted(path.parent.parent.glob(f"*/{glob.escape(path.name)}")):
        if copy == path or copy in carried:
            continue
        count = sum(len(decisions) for decisions in decisions_saved_for(copy))
        if count:
            found.append((copy, count))
    return found


def other_versions_note(workspace: Workspace, n_rows: int | None = None) -> str | None:
    """When decisions were saved for this data's file as it was before an edit: that they exist and where (a
    fixed typo in the file looked like every decision lost). An upload's bare name may be a namesake's: said so."""
    about = workspace.about or {}
    upload = os.sep not in str(about.get("data") or "")
    versions = workspace.saved_for_other_versions(about.get("data"), about.get("data_hash"))  # only with none elsewhere
    if not versions:
        copies = other_copies_with_decisions(about.get("data") or "")
        if not copies:
            return unmatched_workspaces_note(workspace, n_rows)
        count = sum(n for _, n in copies)
        shown = "; ".join(f"{path} ({n})" for path, n in copies[:3])
        return (f"No decision is saved for this copy; {count:,} decision{'s are' if count != 1 else ' is'} saved for "
                f"{'another copy' if len(copies) == 1 else f'{len(copies)} other copies'} of the same name, made "
                f"from other decisions (running again with your labels from an earlier round makes a new copy): "
                f"{shown}. Open {'that file' if len(copies) == 1 else 'those files'} on the Data page to see them; "
                "this copy does not hold them.")
    count = sum(len(decisions) for _, decisions in versions)
    were = "decisions are" if count != 1 else "decision is"
    contents = "other contents" if len(versions) == 1 else f"{len(versions)} other contents"
    what = f"an upload named {about.get('data')}" if upload else about.get("data")
    back = "upload that version again" if upload else "put the earlier file back"
    return (f"No decision is saved for {what} as it is now; {count:,} {were} saved for a file of that "
            f"name with {contents} (an earlier version, if you edited it since). Decisions belong to the data they "
            f"were made on (row ids may point at other rows now), so they are kept there, in "
            f"{workspace.directory.parent}: {back} to see them.")


def unmatched_workspaces_note(workspace: Workspace, n_rows: int | None = None) -> str | None:
    """When an earlier version saved decisions without recording which data they were made on: that they exist and
    how to take them up (helper 126: after an upgrade, a week's names and hand labels were gone without a word).
    ``n_rows``: the data's rows; decisions labeling a row past them were made on other data and are not named."""
    def fits(decisions) -> bool:
        try:
            return n_rows is None or all(0 <= row < n_rows for row in _rows_labeled_in(decisions))
        except (TypeError, ValueError, AttributeError):  # a hand-edited file: row ids that are not numbers
            return False

    unmatched = [saved for saved in workspace.saved_without_their_data() if fits(saved.decisions)]
    if not unmatched:
        return None
    count = sum(len(saved.decisions) for saved in unmatched)
    latest = max(unmatched, key=lambda saved: saved.modified)
    shown = "; ".join(f"{saved.path} ({len(saved.decisions)}, saved {time.strftime('%Y-%m-%d', time.localtime(saved.modified))})"
                      for saved in sorted(unmatched, key=lambda saved: -saved.modified)[:3])
    return (f"No decision is saved for this data and these settings; {count:,} decision{'s were' if count != 1 else ' was'} "
            f"saved by an earlier version of label-discovery, which did not record the data they were made on: {shown}"
            f"{' and more' if len(unmatched) > 3 else ''}. Only if they were made on this very file, copy that file to "
            f"{workspace.path} (e.g. {latest.path}) and reload: decisions that no longer fit this run are skipped and "
            "listed, and cluster numbers may have moved, so check the names; rows labeled by hand on other data would "
            "give their labels to this data's rows of the same numbers. Moving that file out of "
            f"{workspace.directory.parent} ends this note.")


def rows_labeled(decisions: list[dict]) -> int:
    """How many distinct rows these decisions label by hand."""
    return len(_rows_labeled_in(decisions))


def row_labels_elsewhere(workspace: Workspace) -> tuple[str, list[dict]] | None:
    """The rows labeled by hand under other run settings of the same data, column choice and marker that these
    settings have not labeled by hand (the settings apart, and those decisions cut to those rows; the set with the
    most such rows). Offered whether or not these settings hold decisions: a dismissal made after the leave-out
    button's run hid the 5 rows labeled before it, with no word (helper 90).

    A label typed for a row says nothing about one run's clusters, so it can come along to a new seed, model or
    method; names, merges and dismissals refer to that run's clusters and stay with it."""
    about = workspace.about or {}
    if not about:
        return None
    here = _rows_labeled_in(workspace.load())
    best = None
    for other, decisions in workspace.saved_elsewhere(about["data_hash"]):
        if any(other.get(name) != about.get(name) for name in ("text_column", "label_column", "unlabeled_marker",
                                                               "missing_words")):
            continue  # another label column: its labels are another question's
        labels = [cut for d in decisions if d.get("action") == "assign" and (cut := _without_rows(d, here))]
        rows = rows_labeled(labels)
        if labels and (best is None or rows > best[0]):
            best = (rows, ", ".join(_settings_apart(about, other)) or "other settings", labels)
    return None if best is None else (best[1], best[2])


def _rows_labeled_in(decisions: list[dict]) -> set:
    return {int(r) for d in decisions if d.get("action") == "assign" for r in d.get("row_ids") or []}


def _without_rows(decision: dict, rows: set) -> dict | None:
    """An ``assign`` decision without ``rows`` (None when it labels no other row)."""
    kept = [r for r in decision.get("row_ids") or [] if int(r) not in rows]
    return dict(decision, row_ids=kept) if kept else None


def bring_row_labels(shown: list[dict]) -> str:
    """Add ``shown`` (``row_labels_elsewhere``'s decisions) to these settings' decisions, each row these settings
    have not labeled by hand meanwhile (another tab may have: those rows keep the label given here)."""
    workspace: Workspace = st.session_state["workspace"]
    stored = workspace.load()
    here = _rows_labeled_in(stored)
    shown = [cut for d in shown if (cut := _without_rows(d, here))]
    if not shown:
        raise InputError("Not brought: these settings have labeled those rows meanwhile (another tab?); they are "
                         "shown now.")
    if not workspace.replace_if_unchanged(stored, stored + shown):
        raise InputError(NOT_APPLIED_MEANWHILE.format(what="Not brought"))
    rows = rows_labeled(shown)
    return f"Brought {rows:,} hand-labeled row{'s' if rows != 1 else ''} ({len(shown)} decision{'s' if len(shown) != 1 else ''}) to these settings."


def _decisions_key(decisions) -> str:
    return json.dumps(list(decisions), sort_keys=True, default=str)


def reading_of(table, config) -> tuple:
    """The table's boilerplate phrases (``table_boilerplate``) and its texts' languages (``table_languages``:
    without that boilerplate), found once per table and seed: warned about before the run, then handed to it."""
    store = _shared_store()
    key = (*_base_key(table, config)[:-1], config.random_state, config.leave_out)  # the labels too: they tell boilerplate apart
    if key not in store["readings"]:
        boilerplate = table_boilerplate(table, config.leave_out)
        _remember(store["readings"], key, (boilerplate, table_languages(table, config.random_state, boilerplate)),
                  limit=32)
    return store["readings"][key]


def language_warning_of(table, config) -> str | None:
    """The run's language warning (``Discovery.language_warning``) for this table and model, known before the run."""
    return language_warning(reading_of(table, config)[1], config.model)


def prepare(progress_container=None, notice_container=None, wait: bool = True):
    """Load data, run (or fetch) the base result and replay the stored decisions; fills session state.

    ``notice_container``: where the language warning goes, before the run starts (the researcher can pick
    another model instead of waiting for a run on one that cannot read the texts). ``wait=False``: the table only,
    and ``PENDING``, when the result is not at hand (the Data page is drawn before the run is waited for)."""
    st.session_state["run_failed"] = False  # before the data is read: a file that fails to load is not a failed run
    source = current_source()
    chosen = current_config()
    config = effective_config(chosen)  # settings the run never reads do not start another run or hide decisions
    table = load_table(source)
    st.session_state["table"] = table
    warning = language_warning_of(table, config)
    if warning and notice_container is not None:
        notice_container.warning(warning, icon=":material/translate:")
    base = base_result(table, config, progress_container, wait=wait)
    if base is PENDING:
        return PENDING
    workspace = workspace_for(source, table, chosen)
    decisions = workspace.load()
    key = (_base_key(table, config), _decisions_key(decisions))
    current = st.session_state.get("_current")
    if current is None or current[0] != key:
        current = (key, replay(base, decisions, warn=False))
        st.session_state["_current"] = current
    st.session_state["base"] = base
    st.session_state["workspace"] = workspace
    st.session_state["_stored_decisions"] = decisions
    st.session_state["result"] = current[1]
    remember_session(source, chosen)
    return current[1]


def get_result():
    """The current result, or ``None`` when the data could not be loaded or run."""
    return st.session_state.get("result")


def require_result():
    result = get_result()
    if result is None:
        st.info("No result: the run failed (the message above says why); change the settings or the data, or "
                "press Run to try these settings again." if st.session_state.get("run_failed")
                else "No result yet: pick your data on the Data page.")
        st.stop()
    return result


def _acts_on(decision: dict) -> set:
    """What a decision acts on: its clusters, its rows, or the threshold. A merge's target is not among them:
    two candidates merged into one class's cluster do not conflict."""
    try:
        merged = {c for c in decision.get("cluster_ids") or [] if c != decision.get("into")}
        clusters = {decision.get("cluster_id"), *merged} - {None}
        return ({("cluster", int(c)) for c in clusters} | {("row", int(r)) for r in decision.get("row_ids") or []}
                | ({("threshold",)} if decision.get("action") == "threshold" else set()))
    except (TypeError, ValueError, AttributeError):  # a damaged stored decision
        return set()


NO_RESULT_TO_DECIDE_ON = ("Not applied: a run with new settings is going on, and this page showed the result "
                          "before it. Decide again once the new result is shown.")


def needs_result(callback):
    """A decision button's callback that reads the shown result before deciding: during a run with new settings
    there is none (the page still shows the one before), and a click then failed with an AttributeError after the
    run, its decision lost (helper 96); now it is refused with why."""
    @functools.wraps(callback)
    def guarded(*args, **kwargs):
        if get_result() is None:
            st.session_state["flash_error"] = NO_RESULT_TO_DECIDE_ON
            return None
        return callback(*args, **kwargs)
    return guarded


def decide(make_decision) -> str | None:
    """Apply a decision (a function result -> new result using the core's API), store it at once, refresh.

    Invalid decisions raise ``InputError`` before anything is stored, and so does a decision on a cluster or
    rows another tab decided on after this page was drawn (the page then shows what it decided), or one made while
    a run with new settings goes on (no result is shown then). Other tabs' unrelated decisions are kept: the new one
    is applied after them, and the returned note names them. The latest stored decision made again is not stored
    twice (a double click on a form's button submits it twice, and Undo then seemed to do nothing).
    """
    if get_result() is None:
        raise InputError(NO_RESULT_TO_DECIDE_ON)
    for _ in range(3):  # another tab saving between the reading and the storing: read, check and decide again
        decided = _decide_on_stored(make_decision)
        if decided is not _CHANGED_MEANWHILE:
            return decided
    raise InputError(NOT_APPLIED_MEANWHILE.format(what="Not applied"))


_CHANGED_MEANWHILE = object()
NOT_APPLIED_MEANWHILE = ("{what}: another tab saved or took back a decision at the same moment; the page now shows "
                         "the decisions as saved. Do it again if you still want to.")


def _decide_on_stored(make_decision):
    """``decide`` on the decisions stored now; ``_CHANGED_MEANWHILE`` when another tab changed them before this one
    was stored (nothing stored then)."""
    current = get_result()
    base = st.session_state["base"]
    workspace: Workspace = st.session_state["workspace"]
    stored = workspace.load()
    built_from = st.session_state.get("_stored_decisions", [])  # the stored list ``current`` was replayed from
    unseen = [d for d in stored if d not in built_from]
    taken_back = [d for d in built_from if d not in stored]
    if taken_back and not stored and not workspace.path.exists():  # not another tab's Undo (helper 103)
        damaged = workspace.damaged_copies()
        raise InputError("Not applied: the decisions saved for this data were "
                         + (f"unreadable and kept aside as {damaged[-1]} (the sidebar says how to bring them back)"
                            if damaged else f"removed from {workspace.path} (outside the dashboard?)")
                         + " after this page was drawn; the page now shows none. Decide again if you still want to.")
    if taken_back:  # later decisions may have needed it (a split's parts): decide on what the page will show
        raise InputError("Not applied: another tab took back " + "; ".join(describe_decision(d) for d in taken_back[:3])
                         + " after this page was drawn, and the page now shows it. Decide again if you still want to.")
    if _decisions_key(stored) != _decisions_key(built_from):
        current = replay(base, stored, warn=False)  # another tab decided meanwhile: decide on top of what it decided
    new = make_decision(current)
    decision = new.decisions[-1]
    if not unseen and stored and _decisions_key([decision]) == _decisions_key(stored[-1:]):
        return None  # the latest decision again (a double click submits a form twice): stored once, Undo takes it back
    clashing = [d for d in unseen if _acts_on(d) & _acts_on(decision)]
    if clashing:
        raise InputError("Not applied: another tab saved " + "; ".join(describe_decision(d) for d in clashing[:3])
                         + " after this page was drawn, and the page now shows it. Decide again if you still want to.")
    if not workspace.replace_if_unchanged(stored, stored + [decision]):
        return _CHANGED_MEANWHILE  # its decision may clash with this one: checked again on what is stored now
    stored = stored + [decision]
    st.session_state["_stored_decisions"] = stored
    st.session_state["_current"] = ((_base_key(base.table, base.config), _decisions_key(stored)), new)
    st.session_state["result"] = new
    if unseen:
        return ("Another tab's decision" + ("s" if len(unseen) > 1 else "") + ", saved meanwhile, "
                + ("is" if len(unseen) == 1 else "are") + " applied too: "
                + "; ".join(describe_decision(d) for d in unseen[:3]) + ("; ..." if len(unseen) > 3 else "") + ".")
    return None


def decide_now(make_decision, message: str) -> bool:
    """``decide`` for a button's ``on_click``: the decision is applied and stored before the page is drawn,
    so the page runs once, with the new result (not once with the old one and again after ``st.rerun``).

    An error becomes a message at the top of the page; returns whether the decision was stored.
    """
    try:
        note = decide(make_decision)
    except InputError as exc:
        st.session_state["flash_error"] = str(exc)
        return False
    except Exception as exc:  # noqa: BLE001 - a bug must still not show a traceback to the user
        st.session_state["flash_error"] = (f"Something went wrong ({exc.__class__.__name__}: {exc}). "
                                           "Your decisions are saved.")
        return False
    notify(message)
    if note:
        notify_note(note)
    return True


def notify(message: str) -> None:
    """A message to show once, after the rerun that redraws every view with the decision applied."""
    st.session_state["flash"] = message


def notify_note(message: str) -> None:
    """An informing message to show once, after the rerun (``notify`` for what a decision did)."""
    st.session_state["flash_note"] = message


def show_notice(keep: bool = False) -> None:
    """The latest decision's or action's message, once; ``keep``: shown, and kept for the page drawn next (the Data
    page drawn while a run goes on is drawn again when it ends), without its toast."""
    take = st.session_state.get if keep else st.session_state.pop
    kinds = (("flash_error", show_error, lambda text: plain(for_dashboard(text)), ":material/error:"),
             ("flash", lambda text: st.success(plain(text)), plain, ":material/check:"),
             ("flash_note", lambda text: st.info(plain(text)), plain, ":material/info:"))
    for key, show, as_toast, icon in kinds:
        message = take(key, None)
        if message:
            show(message)
            if not keep:  # the page's top is out of view after a decision far down: a toast is seen there too
                st.toast(as_toast(message), icon=icon)


def undo_last(shown: dict | None) -> str:
    """Take back the last stored decision if it is ``shown``, the one this page says Undo takes back; another
    tab's later decision is never taken back unseen (``InputError``; the page is drawn again with it)."""
    workspace: Workspace = st.session_state["workspace"]
    decisions = workspace.load()
    if not decisions:
        raise InputError("Nothing to undo: no decision is saved for this data and these settings.")
    if shown is None or _decisions_key([decisions[-1]]) != _decisions_key([shown]):
        raise InputError(f"Not undone: the last saved decision is another tab's ({describe_decision(decisions[-1])}); "
                         "it is shown now, press Undo again to take it back.")
    if not workspace.replace_if_unchanged(decisions, decisions[:-1]):
        raise InputError(NOT_APPLIED_MEANWHILE.format(what="Not undone"))
    return f"Undid: {describe_decision(shown)}."


def take_back(position: int, shown: dict) -> str:
    """Take back the stored decision at ``position`` (0: the first made), which must be ``shown``; the others stay.

    Later decisions that only made sense with it (naming the cluster a split made, say) no longer fit and are
    skipped on replay; the message names them, so they can be taken back too or the decision made again.
    """
    workspace: Workspace = st.session_state["workspace"]
    decisions = workspace.load()
    if not 0 <= position < len(decisions) or _decisions_key([decisions[position]]) != _decisions_key([shown]):
        raise InputError("not taken back: another tab changed the saved decisions; they are shown now, choose again.")
    remaining = decisions[:position] + decisions[position + 1:]
    base = st.session_state["base"]
    shown_result = get_result()  # replayed from the stored list it shows, unless another tab decided meanwhile
    before = shown_result if _decisions_key(st.session_state.get("_stored_decisions", [])) == _decisions_key(decisions) \
        else replay(base, decisions, warn=False)
    skipped_before = {_decisions_key([d]) for d, _ in before.skipped_decisions}
    after = replay(base, remaining, warn=False)
    now_skipped = [d for d, _ in after.skipped_decisions if _decisions_key([d]) not in skipped_before]
    if not workspace.replace_if_unchanged(decisions, remaining):
        raise InputError(NOT_APPLIED_MEANWHILE.format(what="Not taken back"))
    st.session_state["_current"] = ((_base_key(base.table, base.config), _decisions_key(remaining)), after)  # not replayed again
    message = f"Took back: {describe_decision(shown)}."
    if now_skipped:
        message += (f" {len(now_skipped)} later decision{' depends' if len(now_skipped) == 1 else 's depend'} on it and "
                    f"no longer appl{'ies' if len(now_skipped) == 1 else 'y'}: "
                    + "; ".join(describe_decision(d) for d in now_skipped) + ".")
    return message


REVIEWED = "-reviewed"


def run_again_with_labels(result) -> None:
    """Switch to a copy of the data holding the labels this run's decisions give (``labels_for_next_run``).

    The copy is saved as Parquet in the workspace folder (``<name>-reviewed.parquet``) and becomes the
    data source, so the next run adapts, clusters and fills in with those labels; this data's
    decisions stay in its own workspace and come back when it is loaded again. An estimated number of
    new clusters is kept if the new data fits it about as well (``new_clusters_to_keep``).
    """
    source = current_source()
    carried = labels_for_next_run(result)
    if not carried.carries_anything:
        raise InputError("No decision adds or keeps a label yet: label rows, name a candidate or keep a doubtful "
                         "label first.")
    stem = Path(source.display_name).stem
    while stem.endswith(REVIEWED):
        stem = stem[: -len(REVIEWED)]
    try:
        path = save_upload(workspace_root(source), f"{stem}{REVIEWED}.parquet",
                           next_run_file(carried, new_clusters_to_keep(result, carried)))
    except OSError as exc:
        raise InputError(f"cannot save the labeled copy in {workspace_root(source)} ({exc.strerror or exc}); "
                         f"set {WORKSPACE_ENV} to a writable folder.") from None
    new = Source(kind="path", path=str(path), text_column=carried.text_column, label_column=carried.label_column,
                 missing_words=source.missing_words)  # a class called "none" stays one
    load_table(new)  # raises InputError before switching
    keep = new_clusters_to_keep(result, carried)
    if source.path:
        record_made_from(path, source.path, keep, kind=source.kind)
    switch_source(new, keep)  # a few more labels: the same candidates, if they fit
    st.session_state["data_kind"], st.session_state["data_path"] = "path", str(path)  # the Data page shows it
    counts = [f"{carried.new_labels:,} more label{'s' if carried.new_labels != 1 else ''}"] if carried.new_labels else []
    counts += [f"{len(carried.relabeled):,} corrected"] if carried.relabeled else []
    more = f" with {' and '.join(counts)}" if counts else ""
    earlier = other_copies_with_decisions(path)
    left = (f" Decisions made on {'another copy' if len(earlier) == 1 else f'{len(earlier)} other copies'} made "
            f"from other decisions ({'; '.join(str(p) for p, _ in earlier[:3])}) are not in this one: open "
            f"{'it' if len(earlier) == 1 else 'them'} on the Data page to see them." if earlier else "")
    notify(f"Running again on {path.name}{more}. {carried.summary()}{left}")


# ---- export -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Drawn:
    """What a page was drawn from: the result, the base it was replayed on, the saved decisions it holds and where
    they are saved; a callback run later (a download) finds with it what was saved since."""
    result: object
    base: object
    saved: tuple
    workspace: Workspace


def drawn() -> Drawn:
    return Drawn(get_result(), st.session_state["base"], tuple(st.session_state.get("_stored_decisions", [])),
                 st.session_state["workspace"])


def latest_result(page: Drawn) -> tuple[object, str]:
    """The page's result with every decision saved to its workspace by now, and those decisions' key."""
    saved = page.workspace.load()
    key = _decisions_key(saved)
    if key == _decisions_key(page.saved):
        return page.result, key
    return replay(page.base, saved, warn=False), key


def export_files(result) -> dict[str, bytes]:
    """The files the Export page offers to download, decisions applied (``output_files``; Save all files writes
    label_next.csv and labels_to_check.csv too, as ``discovery run`` does)."""
    return output_files(result)


def rows_containing(rows, phrase: str, texts_read=None) -> list[int]:
    """Ids of the rows whose text holds ``phrase`` (any case or width, whitespace runs as one space, no patterns), as
    written or as the run read it (``texts_read``: emoji by their names, so 'credit card' finds the 💳 the
    keywords named so)."""
    words = unicodedata.normalize("NFKC", " ".join(phrase.split())).casefold()
    if not words:
        return []

    def holds(texts) -> pd.Series:  # NFKC: any width too (ｶｰﾄﾞ finds カード, ＳＩＭ finds SIM)
        texts = pd.Series(texts, index=rows.index).astype("string").fillna("").str.normalize("NFKC")
        return texts.str.split().str.join(" ").str.casefold().str.contains(words, regex=False)

    found = holds(rows.text)
    if texts_read is not None:
        found |= holds(texts_read)
    return rows.index[found].tolist()


def download_name(name: str, source: Source | None = None) -> str:
    """``name`` prefixed with the data file's name (``banking_demo-proposed_labels.csv``): downloads of two data sets
    or rounds land in one Downloads folder, where ``proposed_labels (1).csv`` names neither."""
    stem = Path((source or current_source()).display_name).stem
    return f"{stem}-{name}" if stem else name


def headless_command(source: Source, config: DiscoveryConfig, min_confidence: float = 0.0) -> str | None:
    """The `discovery run` line that repeats this run on the same file and columns without the dashboard (for a
    table too large to wait on in a browser, or a script), run from the folder the dashboard was started in;
    None when a setting has no flag; ``min_confidence``: the threshold applied on the Fill-in page, which the
    command applies too. It writes beside *Save all files*' folder, not into it: the files saved
    there hold the decisions, which the command does not replay."""
    from discovery.cli import run_command

    def shown(path: Path) -> str:  # relative to the working folder when inside it, as a user would type it
        try:
            return str(path.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(path)

    if source.kind == "upload" and not source.path:
        return None  # kept in memory only: no file to name
    saved = default_export_folder(source)
    installed = Path(sys.executable).parent / "discovery"
    try:
        return run_command(shown(Path(source.path)), shown(saved.with_name(saved.name + "-headless")), config,
                           text_column=source.text_column, label_column=source.label_column,
                           unlabeled_marker=source.unlabeled_marker, missing_words=source.missing_words,
                           encoding=source.encoding, program=shown(installed) if installed.exists() else "discovery",
                           min_confidence=min_confidence)
    except ValueError:
        return None


def default_export_folder(source: Source) -> Path:
    """Where the Export page offers to save: beside the user's file, in a folder named after it (two files
    of one folder must not overwrite each other's labels); ``out`` in the working folder for the demo and uploads."""
    if source.kind == "path" and source.path:
        path = Path(source.path).resolve()
        return path.parent / f"{path.stem}-labels"
    return Path.cwd() / "out"


def labels_replaced(result, row_ids: list[int], label: str) -> str | None:
    """What labeling ``row_ids`` as ``label`` replaces: rows labeled already (by the data or by hand) with another
    label, said before it happens, so a lasso over labeled rows does not silently relabel them."""
    from discovery.labels import spelling_key

    if result is None:
        return None
    human = result.rows.human_label.reindex([r for r in row_ids if r in result.rows.index]).dropna()
    other = human[human.map(spelling_key) != spelling_key(label)]
    if other.empty:
        return None
    counts = other.value_counts()
    shown = ", ".join(f"{name!r} ({n})" for name, n in counts.head(3).items()) + (", ..." if len(counts) > 3 else "")
    return f"{len(other):,} of them had another label ({shown}), now replaced."


def parse_row_ids(text: str) -> list[int]:
    """Row ids typed by hand: ``3, 7 12-15`` -> [3, 7, 12, 13, 14, 15]."""
    ids: list[int] = []
    for part in re.split(r"[\s,;]+", text.strip()):
        if not part:
            continue
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not match:
            raise InputError(f"{part!r} is not a row id; type numbers like 3, 7, 12-15.")
        start, end = int(match.group(1)), int(match.group(2) or match.group(1))
        if end < start or end - start > 1_000_000:
            raise InputError(f"{part!r} is not a valid range of row ids.")
        ids.extend(range(start, end + 1))
    return list(dict.fromkeys(ids))
