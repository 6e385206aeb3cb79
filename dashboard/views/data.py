"""Data page: choose the file and its columns; see what is labeled and how the last run went."""

import hashlib
from dataclasses import replace

import pandas as pd
import streamlit as st

from dashboard import state
from discovery import InputError
from discovery.io import (FORMATS, NO_LABEL_COLUMN, SPREADSHEETS, likely_label_column, likely_text_column,
                          nothing_to_fill_in)
from discovery.relabel import labels_for_next_run
from discovery.result import adaptation_note
from discovery.result_store import RESULTS_KEPT

st.title("Data")

KINDS = {"demo": "Bundled demo (BANKING77 sample)", "upload": "Upload a file", "path": "A file on this machine"}
NO_LABEL = "(no label column)"
AUTO_LABEL = "(automatic: 'label' if present)"


def same_columns_renamed(carried: state.Source, columns: list[str]) -> state.Source:
    """The loaded file's text and label column choices under the names its columns have now (another encoding
    reads other names), found at the same places in the header."""
    table = st.session_state.get("table")
    before = [str(c) for c in table.frame.columns] if table is not None else []
    if len(before) != len(columns):
        return carried
    renamed = {old: new for old, new in zip(before, columns)}
    label = carried.label_column
    return replace(carried, text_column=renamed.get(carried.text_column, carried.text_column),
                   label_column=renamed.get(label, label) if label not in (None, NO_LABEL_COLUMN) else label)


def choose_source() -> None:
    source = state.current_source()
    kinds = list(KINDS)
    # the loaded data's choices as the widgets' state, not as defaults: Run again sets them through the state
    st.session_state.setdefault("data_kind", source.kind)
    kind = st.radio("Data source", kinds, format_func=KINDS.get, horizontal=True, key="data_kind")
    data, name, path, digest = None, None, None, None
    if kind == "upload":
        # spreadsheets are taken too, so reading says how to save them as CSV (not the uploader's MIME refusal)
        readable = sorted(suffix.lstrip(".") for suffix in FORMATS)
        upload = st.file_uploader("CSV, TSV (or Excel's tab-separated .txt), JSONL or Parquet", key="data_upload",
                                  type=readable + sorted(suffix.lstrip(".") for suffix in SPREADSHEETS))
        if upload is None:
            st.info("Upload a file to continue; the current data stays loaded meanwhile.")
            return
        data, name, digest = upload.getvalue(), upload.name, state.upload_digest(upload)
    elif kind == "path":
        st.session_state.setdefault("data_path", source.path if source.kind == "path" else "")
        path = st.text_input("Path of a .csv, .tsv, .jsonl or .parquet file", key="data_path").strip()
        if not path:
            return
    else:
        path = str(state.DEMO_PATH)

    # the column choices of the loaded file are offered again for that file only, not for the next one chosen
    chosen = (kind, digest) if kind == "upload" else (kind, path)
    loaded = ((source.kind, (source.upload_key or "").rsplit(":", 1)[-1]) if source.kind == "upload"
              else (source.kind, source.path))
    carried = source if chosen == loaded else state.Source()
    file_key = hashlib.sha1(repr(chosen).encode()).hexdigest()[:12]
    # outside the form: the column names below are read in it
    encoding = st.text_input("Encoding (empty: UTF-8)", value=carried.encoding or "", key=f"data_encoding_{file_key}",
                             placeholder="e.g. latin-1 or cp1252, for a file a spreadsheet saved so").strip() or None
    sample = state.peek_table(data=data, name=name or "", path=path, encoding=encoding)
    columns = [str(c) for c in sample.columns]
    if chosen == loaded:  # read in another encoding, the loaded columns' names change: same places, new names
        carried = same_columns_renamed(carried, columns)
    if any("\ufffd" in column for column in columns):
        st.caption("Column names hold '\ufffd': the file is not UTF-8. Name its encoding above (e.g. latin-1).")
    with st.form("columns"):
        if columns:
            text_default = carried.text_column if carried.text_column in columns else (
                likely_text_column(sample) or next((c for c in columns if c.strip().casefold() != "label"), columns[0]))
            text_column = st.selectbox("Text column", columns, index=columns.index(text_default),
                                       key=f"data_text_col_{file_key}")
            label_options = [AUTO_LABEL, NO_LABEL] + columns
            # a file not loaded yet, without a 'label' column: the column that looks like labels is proposed
            # also for the loaded file when its label column is gone (read again in another encoding)
            kept = chosen == loaded and (carried.label_column in columns or carried.label_column in (None, NO_LABEL_COLUMN))
            guessed = None if kept or any(c.strip().casefold() == "label" for c in columns) else \
                likely_label_column(sample, text_default)
            current = (NO_LABEL if carried.label_column == NO_LABEL_COLUMN else
                       carried.label_column if carried.label_column in columns else guessed or AUTO_LABEL)
            label_choice = st.selectbox("Label column", label_options, index=label_options.index(current),
                                        key=f"data_label_col_{file_key}")
            if guessed:
                st.caption(state.plain(f"No column is called 'label'; '{guessed}' looks like labels, so it is "
                                       "chosen. Pick another, or 'no labels', before loading."))
        else:
            text_column = st.text_input("Text column", value=carried.text_column, key=f"data_text_col_typed_{file_key}")
            label_choice = st.text_input("Label column (empty: 'label' if present)", value=carried.label_column or "",
                                         key=f"data_label_col_typed_{file_key}") or AUTO_LABEL
        marker = st.text_input("Extra marker meaning 'unlabeled' (optional, e.g. ?)",
                               value=carried.unlabeled_marker or "", key=f"data_marker_{file_key}")
        words_are_labels = st.checkbox("'NA', 'none', 'null', 'N/A' are class names here",
                                       value=not carried.missing_words, key=f"data_missing_words_{file_key}",
                                       help="By default these words mean unlabeled, as blank cells do.")
        if st.form_submit_button("Load", type="primary"):
            label_column = None if label_choice == AUTO_LABEL else label_choice
            if label_choice == NO_LABEL:
                label_column = NO_LABEL_COLUMN
            columns = dict(text_column=text_column, label_column=label_column,
                           unlabeled_marker=marker.strip() or None, missing_words=not words_are_labels,
                           encoding=encoding)
            if kind == "upload":
                new = state.upload_source(data, name, digest, **columns)  # saved under a safe name in the workspace
            else:
                new = state.Source(kind=kind, path=path, **columns)
            state.load_table(new)  # raises InputError for a bad file or column before switching
            state.switch_source(new)
            st.rerun()


def describe_table() -> None:
    table = st.session_state.get("table")
    if table is None:
        return
    st.subheader("Loaded")
    st.text(f"{table.source_name}\ntext column: {table.text_column}    label column: {table.label_column or '(none)'}")
    labeled = table.n_labeled
    c1, c2, c3 = st.columns(3)
    c1.metric("Rows", f"{len(table):,}")
    c2.metric("Labeled rows", f"{labeled:,}", f"{labeled / max(len(table), 1):.1%} of the rows", delta_color="off",
              delta_arrow="off")
    c3.metric("Labels", f"{len(table.codec):,}")
    for warning in table.warnings:
        st.text("⚠ " + state.for_dashboard(warning))
    if note := nothing_to_fill_in(table):
        st.info(state.for_dashboard(note), icon=":material/info:")
    counts = pd.Series(table.codec.decode(table.labels), dtype=object).value_counts()
    left, right = st.columns([1, 2])
    with left:
        shown = counts.head(state.TABLE_ROWS)  # an id column chosen as labels: 250,000 of them (hunt 127)
        st.caption("Labels in the data" + (f": the {len(shown):,} most common of {len(counts):,}"
                                           if len(shown) < len(counts) else ""))
        st.dataframe(shown.rename_axis("label").reset_index(name="rows"), hide_index=True, height=320,
                     width="stretch")
    with right:
        st.caption("First rows")
        st.dataframe(table.frame.head(200), height=320, width="stretch")


def describe_run() -> None:
    result = state.get_result()
    if result is None:
        return
    st.subheader("Last run")
    last = st.session_state.get("last_run", {})
    if last.get("from_disk"):
        st.caption("Opened the result an earlier run on the same data and settings left on disk (the dashboard keeps "
                   f"the {RESULTS_KEPT} latest); stage times are those of that run.")
    elif last.get("from_cache"):
        st.caption("Served from cache (same data and settings); stage times are those of the original run.")
    elif last:
        st.caption(f"Computed in {last['seconds']:.1f} s.")
    if (folder := state.not_kept_on_disk()) is not None:
        st.caption(state.plain(f"This result could not be kept on disk in {folder} (a folder it cannot write to, or full; or "
                         "a cell its files cannot hold): a restarted dashboard runs it again."))
    timings = pd.DataFrame({"stage": list(result.timings), "seconds": [round(v, 2) for v in result.timings.values()]})
    left, right = st.columns(2)
    with left:
        st.dataframe(timings, hide_index=True, width="stretch")
    with right:
        used = pd.DataFrame({"stage": list(result.used_labels), "used the labels": list(result.used_labels.values())})
        st.dataframe(used, hide_index=True, width="stretch")
    open_candidates = len(result.candidates)
    st.caption(f"{len(result.clusters)} clusters, {open_candidates} open candidate categor"
               f"{'y' if open_candidates == 1 else 'ies'}, fill-in method: {result.fill_method or 'none'}.")
    note = adaptation_note(result.adaptation)
    if note:
        st.caption(note[0].upper() + note[1:])
    if result.language is not None and result.language.n_checked:
        st.caption(f"Languages of {result.language.n_checked:,} texts checked: {result.language.describe()}.")


@state.needs_result
def run_again() -> None:
    """The button's callback: switch to the labeled copy before the page is drawn again, with every decision saved by
    now (another tab may have labeled rows since this page was drawn)."""
    try:
        state.run_again_with_labels(state.latest_result(state.drawn())[0])
    except InputError as exc:
        st.session_state["flash_error"] = str(exc)
    except Exception as exc:  # noqa: BLE001 - a bug must still not show a traceback to the user
        st.session_state["flash_error"] = f"Something went wrong ({exc.__class__.__name__}: {exc}). Your decisions are saved."


def describe_next_run() -> None:
    result = state.get_result()
    if result is None:
        return
    st.subheader("Run again with your labels")
    carried = labels_for_next_run(result)
    st.caption("This run learned from the labels the data held when it ran, not from any decision made on these "
               "pages (Run again carries them). "
               "Running again on a copy of the data that holds the "
               "labels you gave (rows labeled by hand, and the representative rows shown with each category you "
               "named) lets the fine-tuning, the clustering and the fill-in learn from them. The copy is saved "
               "in the workspace folder; this data and its decisions stay as they are.")
    st.text(carried.summary())
    st.button("Run again with my labels", key="run_again", type="primary", disabled=not carried.carries_anything,
              on_click=run_again)


with state.guard():
    choose_source()
with state.guard():
    describe_table()
    describe_run()
    describe_next_run()
