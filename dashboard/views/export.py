"""Export page: the label set with every decision applied, as CSV / JSONL / Parquet, plus the manifest."""

import json
from pathlib import Path

import streamlit as st

from dashboard import state
from discovery import manifest
from discovery.export import describe_moved_aside, write_run_files

st.title("Export")

PREVIEW_ROWS = 200  # rows of the export shown on the page; the files hold them all
# short button labels: file names were cut at 1280 px ("proposed_labels.js...")
DOWNLOADS = {"proposed_labels.csv": "Labels .csv", "proposed_labels.jsonl": "Labels .jsonl",
             "proposed_labels.parquet": "Labels .parquet", "clusters.csv": "clusters.csv", "manifest.json": "manifest.json"}
MIME = {".csv": "text/csv", ".jsonl": "application/x-ndjson", ".parquet": "application/vnd.apache.parquet",
        ".json": "application/json"}


def files_for(drawn: state.Drawn, cache: dict) -> dict[str, bytes]:
    """Export bytes with every decision saved by the time of the click (another tab may have saved more since
    this page was drawn), built once per set of decisions and only when asked for.

    ``drawn`` and ``cache`` are captured when the page is drawn: a download button's data callback runs outside
    the session, where ``st.session_state`` is one store shared by every session.
    """
    result, saved = state.latest_result(drawn)
    if cache.get("saved") != saved or cache.get("base") is not drawn.base:
        cache.update(saved=saved, base=drawn.base, files=state.export_files(result))
    return cache["files"]


with state.guard():
    result = state.require_result()
    labeled = result.labeled_table()
    st.caption(f"{len(labeled):,} rows with their row_id, every original column and proposed_label, label_source, confidence, "
               f"cluster_id, cluster_status and accepted; {len(result.decisions)} decision{'' if len(result.decisions) == 1 else 's'} applied, "
               f"threshold {result.min_confidence:.2f}."
               + (f" The first {PREVIEW_ROWS} are shown here; the files hold every row." if len(labeled) > PREVIEW_ROWS
                  else ""))
    st.dataframe(labeled.head(PREVIEW_ROWS), width="stretch", height=300, hide_index=True)  # row_id is a column
    cache = st.session_state.setdefault("_export_files", {})
    drawn = state.drawn()
    files = list(DOWNLOADS.items())
    cols = [col for start in range(0, len(files), 3) for col in st.columns(3)]  # 3 a row: 5 were cut at 1,024 px
    for col, (name, shown) in zip(cols, files):
        col.download_button(shown, data=lambda name=name: files_for(drawn, cache)[name], file_name=state.download_name(name),
                            mime=MIME[Path(name).suffix], key=f"download_{name}", width="stretch",
                            on_click="ignore", help=f"Downloads {state.download_name(name)}")
    st.subheader("Save to a folder")
    folder = st.text_input("Folder", value=str(state.default_export_folder(state.current_source())),
                           key="export_folder")
    if st.button("Save all files", key="export_save"):  # what `discovery run` writes, so no earlier run's file stays
        saved = write_run_files(state.latest_result(drawn)[0], folder, folder="folder")
        written = list(saved.written.values())
        st.success(f"Saved {len(written)} files.")
        st.text("\n".join(str(p) for p in written))
        if saved.moved_aside:
            st.warning(state.plain(describe_moved_aside(saved.moved_aside) + "."))
    st.subheader("Repeat this run without the dashboard")
    command = state.headless_command(state.current_source(), result.config, result.min_confidence)
    if command:
        st.code(command, language="bash", wrap_lines=True)
        st.caption(state.plain(
            f"Run it from {Path.cwd()}: the same file, columns, settings and seed give the same clusters and "
            "proposals (README, Command line)"
            + (", the file being the copy of your upload the workspace keeps" if state.current_source().kind
               == "upload" else "")
            + ". It writes to its own folder, beside the one Save all files writes to"
            + ("; your decisions are not replayed: they are in the files saved above and in the workspace."
               if result.decisions else ".")))
    else:
        st.caption("No command: these settings include one no flag of `discovery run` sets (the Python API's "
                   "DiscoveryConfig does), or the upload could not be saved to a file.")
    with st.expander("Manifest"):
        # drawn on every visit: without the labels decisions give rows, which copy the table to find
        st.json(json.loads(json.dumps(manifest(result, with_decision_labels=False), default=str)), expanded=1)
