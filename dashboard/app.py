"""label-discovery dashboard: ``streamlit run dashboard/app.py`` (opens on the bundled demo).

The app draws the core's results and records decisions; every number comes from ``discovery``.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

st.set_page_config(page_title="label-discovery", page_icon=":material/label:", layout="wide")

from dashboard import state  # noqa: E402
from discovery import DiscoveryConfig  # noqa: E402
from discovery.boilerplate import refused_phrase  # noqa: E402
from discovery.pipeline import fill_methods_for  # noqa: E402
from discovery.result import describe_decision  # noqa: E402

HERE = Path(__file__).resolve().parent
# served at "/"; the path it reserves is not "map", which the hidden page below answers
MAP_PAGE = st.Page(str(HERE / "views" / "map.py"), title="Map", icon=":material/scatter_plot:", url_path="map-home",
                   default=True)


def _to_the_map() -> None:
    """``/map``, as a bookmark or a link would name the Map: it opens at ``/`` (the default page's address), and
    ``/map`` showed Streamlit's page-not-found (helper 96)."""
    st.switch_page(MAP_PAGE)


PAGES = [
    st.Page(str(HERE / "views" / "data.py"), title="Data", icon=":material/table:", url_path="data"),
    MAP_PAGE,
    st.Page(str(HERE / "views" / "clusters.py"), title="Clusters", icon=":material/bubble_chart:", url_path="clusters"),
    st.Page(str(HERE / "views" / "candidates.py"), title="Candidates", icon=":material/new_releases:",
            url_path="candidates"),
    st.Page(str(HERE / "views" / "fill.py"), title="Fill-in", icon=":material/edit_note:", url_path="fill-in"),
    st.Page(str(HERE / "views" / "export.py"), title="Export", icon=":material/download:", url_path="export"),
]
if "visibility" in inspect.signature(st.Page).parameters:  # Streamlit 1.40-1.5x has no hidden pages: /map unanswered
    PAGES.append(st.Page(_to_the_map, title="Map", url_path="map", visibility="hidden"))
page = st.navigation(PAGES)


def settings_sidebar() -> None:
    """Run settings; applied together when the form is submitted."""
    config = state.current_config()
    models = [state.BUNDLED_MODEL, "tfidf", "other (type a name or path)"]
    model_index = 0 if config.model is None else 1 if config.model == "tfidf" else 2
    with st.sidebar.form("settings"):
        st.subheader("Run settings")
        model_choice = st.selectbox("Model", models, index=model_index, key="set_model",
                                    help="The bundled model is fast (5 to 10 minutes for 12,000 texts with fine-tuning). "
                                         "`make mpnet` fetches all-mpnet-base-v2 into models/: more accurate, about 12 "
                                         "minutes for 12,000 texts with fine-tuning, under 4 GB of memory (README, Models).")
        model_name = st.text_input("Model name or path (for 'other')",
                                   value=config.model if model_index == 2 else "", key="set_model_name")
        adapt = st.checkbox("Fine-tune the model on my labels first", value=bool(config.adapt), key="set_adapt",
                            help="Contrastive fine-tuning on the labeled rows (4 to 8 minutes on 2 cores for 900 labels); dropped if the base model "
                                 "labels held-out rows clearly better, and only with at least 3 labeled classes "
                                 "and 5 labeled rows per class left after a fifth is kept back to score the fill-in (about 7 a "
                                 "class). Not used with tfidf (word counts, nothing to fine-tune).")
        method = st.selectbox("Method", state.METHODS, index=state.METHODS.index(config.method), key="set_method")
        # a text box, not a number input: one opened on a saved number could not be emptied again
        new_clusters_typed = st.text_input(
            "New categories to look for (empty = estimate)",
            value="" if config.n_new_clusters is None else str(int(config.n_new_clusters)),
            placeholder="estimated", key="set_new_clusters",
            help="Seeded k-means: how many clusters beyond your labeled classes. Left empty, the tool estimates it "
                 "and the Candidates page says how firmly the data fixes that number.")
        seed = st.number_input("Seed", min_value=0, max_value=2**32 - 1, value=int(config.random_state), step=1,
                               key="set_seed")
        min_size = st.number_input("Min cluster size (hdbscan, 0 = automatic)", min_value=0, max_value=100_000,
                                   value=int(config.min_cluster_size or 0), step=1, key="set_min_size")
        noise = st.slider("Noise budget (hdbscan)", 0.0, 0.5, float(config.noise_budget), 0.01, key="set_noise")
        with st.expander("More settings"):
            layers_typed = st.text_input(
                "Layers to fine-tune", value=str(config.adapt_layers), key="set_adapt_layers",
                help="auto (every layer of a model up to 6 layers deep, such as the bundled one; the top 4 of a deeper "
                     "one), all, or a number of top layers: fewer is faster on a large model (README, Models).")
            balance = st.checkbox("Hold proposals to the labeled rows' class shares", key="set_balance",
                                  value="balanced" in config.fill_methods,
                                  help="Applied only when few rows look new. Turn off when your labels were not "
                                       "drawn evenly across classes (some classes labeled far more than others).")
            words = st.checkbox("Blend in the texts' words when not fine-tuning", value=bool(config.fill_words),
                                key="set_words", help="A classifier on the texts' words joins the fill-in when the "
                                                      "model is not fine-tuned (it helps most with few labels).")
            leave_out_typed = st.text_area(
                "Phrases to leave out (one a line)", value="\n".join(config.leave_out), key="set_leave_out",
                help="The model, the keywords and the fill-in do not read these, wherever a text holds them, in any "
                     "case (a signature such as 'Sent from my iPhone'; digits stand for any number). The files keep "
                     "every text whole. Greetings, headers and sign-offs many texts share are found without it.")
        if st.form_submit_button("Run", type="primary", width="stretch"):
            model = None if model_choice == models[0] else "tfidf" if model_choice == "tfidf" else model_name.strip()
            if model == "":
                st.error("Type a model name or path, or pick the bundled model.")
                return
            typed = new_clusters_typed.strip()
            typed = typed.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+", typed) else typed  # 1,000
            if typed and not (typed.isascii() and typed.isdigit() and int(typed) <= 10_000):  # '²' is a digit
                st.error(state.plain(f"New categories to look for: {new_clusters_typed.strip()!r} is not a whole number "
                                     "from 0 to 10,000; type one, or leave the box empty to have it estimated."))
                return
            new_clusters = int(typed) if typed else None
            if method == "hdbscan" and int(min_size) == 1:
                st.error("Min cluster size: a cluster of one row is no group; give 2 or more, or 0 to have it set "
                         "from the number of rows.")
                return
            layers = layers_typed.strip().lower() or "auto"  # emptied: the default
            if not (layers in ("auto", "all") or (layers.isascii() and layers.isdigit() and 0 < int(layers) <= 1000)):
                st.error(state.plain(f"Layers to fine-tune: {layers_typed.strip()!r} is not auto, all or a whole number "
                                     "of layers from 1 to 1,000; type one of those, or leave it empty for auto."))
                return
            leave_out = tuple(line.strip() for line in leave_out_typed.splitlines() if line.strip())  # one spelling:
            # DiscoveryConfig's
            refused = [(phrase, why) for phrase in leave_out if (why := refused_phrase(phrase))]
            if refused:
                st.error(state.plain(f"Phrases to leave out: {refused[0][0]!r} {refused[0][1]}; or delete the line."))
                return
            if method == "hdbscan" and new_clusters is not None:
                st.error("hdbscan finds its own number of new categories (the min cluster size sets how fine): "
                         "empty the number of new categories, or pick seeded-kmeans.")
                return
            before = st.session_state.get("config")
            st.session_state["config"] = DiscoveryConfig(
                model=model, method=method, random_state=int(seed), min_cluster_size=int(min_size) or None,
                noise_budget=float(noise), adapt=bool(adapt),
                adapt_layers=layers if layers in ("auto", "all") else int(layers),
                fill_methods=fill_methods_for(balance),
                fill_words=bool(words), leave_out=leave_out,
                n_new_clusters=None if new_clusters is None else int(new_clusters),
                # a reviewed copy keeps the count of new categories kept from the run before (state.switch_source)
                preferred_n_new_clusters=config.preferred_n_new_clusters if new_clusters is None else None)
            if st.session_state["config"] != before:
                state.forget_cluster_choices()
            st.session_state["retry_failed_run"] = True  # Run pressed again on settings that failed tries them again
            # a page reloaded while it runs says these settings did not finish
            state.remember_pending_run(state.current_source(), st.session_state["config"])


def decisions_sidebar() -> None:
    result = state.get_result()
    workspace = st.session_state.get("workspace")
    if result is None or workspace is None:
        return
    damaged = state.damaged_decisions_note(workspace)
    if damaged:
        st.sidebar.warning(state.plain(damaged), icon=":material/warning:")
    decided_since = state.origin_decided_since_note(state.current_source())
    if decided_since:
        st.sidebar.warning(state.plain(decided_since), icon=":material/history:")
    elsewhere = state.decisions_elsewhere(workspace, len(result.rows))
    if elsewhere:
        st.sidebar.info(state.plain(elsewhere), icon=":material/history:")
    carried = state.row_labels_elsewhere(workspace)
    if carried:
        settings, labels = carried
        rows = state.rows_labeled(labels)
        if not elsewhere:  # these settings hold decisions of their own: the hand labels made before are still offered
            st.sidebar.info(state.plain(f"{rows:,} row{'s' if rows != 1 else ''} labeled by hand with {settings} "
                                        f"{'are' if rows != 1 else 'is'} not labeled under these settings."),
                            icon=":material/history:")
        st.sidebar.button(f"Bring the {rows:,} row{'s' if rows != 1 else ''} labeled by hand with {settings}",
                          key="bring_labels", width="stretch", on_click=bring_labels, args=(labels,),
                          help="A label you typed for a row holds whatever the settings; names, merges and "
                               "dismissals belong to that run's clusters and stay with it.")
    if result.skipped_decisions:  # outside the folded box: the export leaves them out
        skipped = len(result.skipped_decisions)
        st.sidebar.warning(state.plain(
            f"{skipped} stored decision{' was' if skipped == 1 else 's were'} skipped: "
            + "; ".join(f"{describe_decision(d)} ({why.rstrip('.')})" for d, why in result.skipped_decisions[:3])
            + ("; ..." if skipped > 3 else "") + ". They are not in the export; take them back (Decisions, below) "
            "to clear them."), icon=":material/warning:")
    with st.sidebar.expander("Decisions", expanded=False):
        st.caption(f"{len(result.decisions)} decision{'' if len(result.decisions) == 1 else 's'} applied; saved at once in:")
        st.code(str(workspace.path), language=None)
        if result.decisions:
            latest = [describe_decision(d) for d in result.decisions[-5:]][::-1]
            st.caption(state.plain("Latest first: " + "; ".join(latest) + ("; ..." if len(result.decisions) > 5 else "")))
        stored = st.session_state.get("_stored_decisions") or []
        if stored:  # the last stored decision, also one that no longer fits this result and was skipped
            st.button("Undo last decision", key="undo", width="stretch", on_click=undo, args=(stored[-1],),
                      help=state.plain(f"Takes back: {describe_decision(stored[-1])}"))
        if len(stored) > 1:  # any one of them, the others kept
            drawn_for = json.dumps(stored, sort_keys=True, default=str)
            if st.session_state.get("_take_back_for") != drawn_for:  # a decision since: point at the latest again
                st.session_state.pop("take_back_pick", None)
                st.session_state["_take_back_for"] = drawn_for
            position = st.selectbox("Or take back one decision", list(range(len(stored)))[::-1], key="take_back_pick",
                                    format_func=lambda i: f"{i + 1}. {describe_decision(stored[i])}")
            st.caption(state.plain(describe_decision(stored[position])))  # whole: the box cuts it at the sidebar's edge
            st.button("Take it back", key="take_back", width="stretch", on_click=take_back,
                      args=(position, stored[position]))


def bring_labels(labels: list[dict]) -> None:
    """The button's callback: another settings' hand labels become these settings' decisions."""
    try:
        state.notify(state.bring_row_labels(labels))
    except state.InputError as exc:
        st.session_state["flash_error"] = str(exc)


@state.needs_result
def take_back(position: int, shown: dict) -> None:
    """The button's callback: the chosen decision is gone before the page is drawn again, and the choice goes
    back to the latest (left as it was, it would point at the decision that moved into its place)."""
    try:
        state.notify(state.take_back(position, shown))
    except state.InputError as exc:
        st.session_state["flash_error"] = str(exc)
    st.session_state.pop("take_back_pick", None)


@state.needs_result
def undo(shown: dict) -> None:
    """The button's callback: the last decision is gone before the page is drawn again."""
    try:
        state.notify(state.undo_last(shown))
    except state.InputError as exc:
        st.session_state["flash_error"] = str(exc)


state.keep_tab_in_address()
settings_sidebar()
language_slot = st.empty()  # on every page, from before the run: the model cannot read most of the texts
progress_slot = st.empty()
st.session_state["result"] = None
pending = False
with state.guard():
    # the Data page is drawn before its run is waited for: other data or columns can be chosen meanwhile (on first
    # opening, the demo's run had kept a researcher's own file out of reach for minutes: hunt 133)
    pending = state.prepare(progress_slot, language_slot, wait=page.url_path != "data") is state.PENDING
if pending:
    state.show_notice(keep=True)
    page.run()
    with state.guard():
        state.prepare(progress_slot, language_slot)
    if state.get_result() is not None or st.session_state.get("run_failed"):  # the page again, with its result or
        st.rerun()  # the run's error above it
    st.stop()
if (shown := state.get_result()) is not None:  # on every page, as the language's
    for warning, icon in ((shown.long_text_warning, ":material/short_text:"),
                          (shown.unread_text_warning, ":material/help:"),
                          (shown.boilerplate_warning, ":material/content_cut:")):
        if warning:
            st.warning(state.plain(warning[0].upper() + warning[1:] + "."), icon=icon)
decisions_sidebar()
state.show_notice()
st.session_state["page_runs"] = st.session_state.get("page_runs", 0) + 1  # the Map tells its own reruns apart
page.run()
