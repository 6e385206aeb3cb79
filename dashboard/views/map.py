"""Map page: every row on the 2-d map; select with box or lasso (or type row ids) and label the selection.

The selection is the union of the rows drawn round on the map, the rows found by the search and the typed row
ids, whatever the order they were given in. The map's own selection lasts only as long as its figure (another
colouring, the names, a search ring or another page draw a new one, and Streamlit starts it empty), so the rows
drawn round are kept here, changed only by drawing again (or clearing) on the map.

A figure is sent to the browser whole whenever it changes (12 MB for 50,000 rows: hunt 121), so a box or lasso
selection on a figure drawn without one is left to the chart, which shows it, and the figure is drawn again
unchanged (``own_selection_shown``); other selections are drawn into the figure. Past ``state.MAP_POINTS`` rows
the figure holds a sample of every cluster and the rows a search or typed ids select (``state.rows_on_map``)."""

import streamlit as st

from dashboard import charts, state
from discovery import assign_label

st.title("Map")
DRAWN_ROUND = "map_drawn_round"  # the row ids of the latest box, lasso or clicked points on the map
PLAIN_FIGURE = "map_plain_figure"  # what the chart's figure was drawn from, and in which run, when it held no selection


def chart_key() -> str:
    """The chart's key, new after each Clear: a new chart, so the selection the chart showed itself goes too."""
    return f"map_chart_{st.session_state.get('map_clearings', 0)}"


def remember_drawn_round() -> None:
    """The chart's callback: runs only when the researcher selects (or clears) on the map, not when a new
    figure starts with an empty selection."""
    event = st.session_state.get(chart_key()) or {}
    result = state.get_result()
    st.session_state[DRAWN_ROUND] = {"data": None if result is None else result.table.data_hash,
                                     "rows": charts.row_ids_from_selection(event.get("selection"))}


def drawn_round_rows(result) -> list[int]:
    """The rows drawn round on this data's map (a selection on other data is not carried to this one)."""
    kept = st.session_state.get(DRAWN_ROUND) or {}
    return list(kept.get("rows", [])) if kept.get("data") == result.table.data_hash else []


def clear_selection() -> None:
    st.session_state["map_clearings"] = st.session_state.get("map_clearings", 0) + 1
    st.session_state.pop(DRAWN_ROUND, None)
    st.session_state["map_search"] = ""
    st.session_state["map_row_ids"] = ""


@state.needs_result
def label_selection(row_ids: list[int]) -> None:
    """The one code path for labeling a selection, whether it came from the lasso or typed row ids.

    The form's callback: it runs before the page is drawn again, with the label typed in the form.
    """
    label = str(st.session_state.get("map_label", ""))
    only_unlabeled = st.session_state.pop("map_only_unlabeled", False)  # for this selection, not the next one
    if only_unlabeled:
        unlabeled = state.get_result().rows.human_label.isna()
        row_ids = [r for r in row_ids if unlabeled.get(r, False)]
        if not row_ids:
            st.session_state["flash_note"] = "Every selected row is labeled already; nothing was labeled."
            return
    replaced = state.labels_replaced(state.get_result(), row_ids, label)
    if state.decide_now(lambda result: assign_label(result, row_ids, label), ""):
        clear_selection()  # labeled: the selection is done with (a search or typed ids left would label again)
        applied = state.get_result().decisions[-1]["label"]  # a class's spelling, if it is one
        state.notify(f"Labeled {len(row_ids):,} row{'s' if len(row_ids) != 1 else ''} as {applied!r}; the decision is saved."
                     + (f" {replaced} (Undo last decision, in the sidebar, takes it back.)" if replaced else ""))


def own_selection_shown(plain: tuple, chosen: list[int], drawn_round: list[int]) -> bool:
    """Whether the chart shows ``chosen`` itself: rows drawn round on it alone, more than get rings (a few rows are
    ringed to be found), on the figure the run before this one drew (this page, ``plain``: the same result, colouring,
    names and chart) without a selection of ours. Drawn again unchanged, the figure is not sent again, and the chart
    keeps showing the selection."""
    previous_run = st.session_state.get("page_runs", 0) - 1
    return (bool(drawn_round) and chosen == drawn_round and len(chosen) > charts.RINGED_ROWS
            and st.session_state.get(PLAIN_FIGURE) == (plain, previous_run))


def show_map(result) -> list[int]:
    # one row each: beside each other, the fourth option was cut off at 1,024 px
    color_by = st.segmented_control("Colour by", list(charts.COLOR_BY), default="cluster", key="map_color") or "cluster"
    show_names = st.toggle(f"Names of the {charts.NAMES_SHOWN} largest groups on the map", value=False,
                           key="map_names", disabled=color_by == "confidence")
    search, ids = st.columns(2)
    with search:
        phrase = st.text_input("Or select texts containing", key="map_search",
                               help="Every row whose text holds this text (any case or width; runs of spaces count as one; 'fee' also finds "
                                    "'coffee'; emoji by their names too: 'credit card' finds 💳).")
    with ids:
        typed = st.text_input("Or select by row ids (e.g. 3, 7, 12-15)", key="map_row_ids")
    typed_ids = []
    if typed.strip():
        try:
            typed_ids = state.parse_row_ids(typed)
        except state.InputError as exc:
            state.show_error(str(exc))
    found = state.rows_containing(result.rows, phrase, result.texts_read)
    if phrase.strip():
        words = " ".join(phrase.split())
        st.caption(state.plain(f"{len(found):,} row{'s' if len(found) != 1 else ''} "
                               f"contain{'s' if len(found) == 1 else ''} '{words}'."))
    drawn_round = drawn_round_rows(result)
    chosen = list(dict.fromkeys(drawn_round + typed_ids + found))
    plain = (id(result), color_by, show_names, chart_key())
    own = own_selection_shown(plain, chosen, drawn_round)
    drawn = state.rows_on_map(result.rows, result.config.random_state, keep=() if own else drawn_round + typed_ids,
                              found=() if own else found)
    texts = state.hover_texts(result.table)
    fig = charts.scatter_map(drawn, color_by, highlight=[] if own else chosen,
                             texts=texts if drawn is result.rows else texts[result.rows.index.get_indexer(drawn.index)],
                             cluster_names=result.clusters.display_name, show_names=show_names, every_row=result.rows)
    st.plotly_chart(fig, on_select=remember_drawn_round, selection_mode=("points", "box", "lasso"), key=chart_key(),
                    width="stretch", config={"displaylogo": False, "scrollZoom": True})
    st.session_state[PLAIN_FIGURE] = (plain, st.session_state.get("page_runs")) if own or not chosen else None
    sampled = (f"The map shows {len(drawn):,} of the {len(result.rows):,} rows: a sample of every cluster in "
               f"proportion to its size, the rows selected by row ids, and up to {state.MAP_POINTS:,} a search finds. "
               "A box or lasso selects the rows shown; search or type row ids to select every row. "
               if len(drawn) < len(result.rows) else "")
    st.caption(sampled + f"{len(result.rows):,} rows. Drag a lasso or a box to select (the selection is ringed, and "
               "holds across colourings and pages); hover for the text.")
    if chosen:
        parts = [f"{len(drawn_round):,} drawn round on the map" if drawn_round else "",
                 f"{len(found):,} found by the search" if phrase.strip() else "",
                 f"{len(typed_ids):,} typed" if typed_ids else ""]
        left, right = st.columns([3, 1], vertical_alignment="center")
        left.caption("Selected: " + ", ".join(p for p in parts if p) + " (together, without repeats).")
        right.button("Clear the selection", key="map_clear", on_click=clear_selection, width="stretch")
    return chosen


def show_selection(result, row_ids: list[int]) -> None:
    if not row_ids:
        st.info("Nothing selected yet.")
        return
    known = [r for r in row_ids if r in result.rows.index]
    unknown = [r for r in row_ids if r not in result.rows.index]
    if unknown:
        shown = ", ".join(map(str, unknown[:5])) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        st.warning(f"No row {shown}: the table has rows 0 to {len(result.rows) - 1:,}.", icon=":material/error:")
    if not known:
        return
    # the label first: beside a long text it was off the right edge at 1,024 px
    rows = result.rows.loc[known, ["human_label", "text", "proposed_label", "label_source", "confidence", "cluster_id"]]
    st.subheader(f"{len(rows):,} row{'s' if len(rows) != 1 else ''} selected")
    shown, _ = state.rows_to_show(rows)
    if len(shown) < len(rows):
        st.caption(f"The first {len(shown):,} are shown in the table; a label given below goes to all {len(rows):,}.")
    st.dataframe(shown, width="stretch", height=min(400, 38 + 35 * len(rows)),
                 column_config={"text": st.column_config.TextColumn(width=240)})  # 240 px: the proposed label in view at 1,024 px
    state.show_full_texts(rows.text, "Selected texts in full")
    labeled = rows.human_label.dropna()
    if len(labeled):  # said before, not only after: a lasso over labeled rows relabels them
        counts = labeled.value_counts()
        shown = ", ".join(f"{name!r} ({n})" for name, n in counts.head(3).items()) + (", ..." if len(counts) > 3 else "")
        st.warning(state.plain(f"{len(labeled):,} of the selected rows {'is' if len(labeled) == 1 else 'are'} labeled "
                               f"already ({shown}): labeling the selection replaces {'its' if len(labeled) == 1 else 'their'} "
                               "label unless 'Only the unlabeled rows' is ticked."), icon=":material/warning:")
    with st.form("label_selection", clear_on_submit=False):
        st.text_input("Label for the selected rows", key="map_label")
        st.checkbox("Only the unlabeled rows", key="map_only_unlabeled", disabled=not len(labeled),
                    help="Leave the labels the selected rows have (from the data or given by hand) as they are.")
        st.form_submit_button("Label selected rows", type="primary", on_click=label_selection, args=(known,))


with state.guard():
    result = state.require_result()
    selected = show_map(result)
    show_selection(result, selected)
