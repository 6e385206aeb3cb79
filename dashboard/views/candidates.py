"""Candidates page: clusters that look like categories nobody has named yet; name, merge, split or dismiss them."""

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import state
from discovery import dismiss_candidate, merge_clusters, name_cluster, split_cluster
from discovery.cluster import best_is_largest_tried, none_asked_despite_evidence
from discovery.embed import TFIDF_MODEL
from discovery.pipeline import FEW_LABELS_CAVEAT, few_labels_to_judge, hdbscan_size_hides_new, mostly_noise
from discovery.result import (APART_FROM_NAMED, READ_BEFORE_MERGING, candidates_behind_note,
                              candidates_holding_a_class_note, name_clash)

st.title("Candidate categories")

PAGE_SIZE = 10


# Button callbacks: each decision is applied before the page is drawn again (one script run).

def name_one(cluster_id: int, field: str | None = None) -> None:
    name = str(st.session_state.get(field or f"cand_name_{cluster_id}", ""))
    clash = name_clash(state.get_result(), cluster_id, name) if name.strip() and state.get_result() else None
    if state.decide_now(lambda result: name_cluster(result, cluster_id, name), ""):
        named = state.get_result().clusters.display_name.get(cluster_id, name.strip())  # a class's spelling, if it is one
        state.notify(f"Cluster {cluster_id} is now named '{named}'." + (f" Note: {clash}" if clash else ""))


def rename_one() -> None:
    """The category chosen in the rename form: read at the submit, as the form sends its choice with the name."""
    name_one(int(st.session_state["rename_id"]), field="rename_name")


def dismiss_one(cluster_id: int) -> None:
    state.decide_now(lambda result: dismiss_candidate(result, cluster_id),
                     f"Cluster {cluster_id} dismissed; its rows take the fill-in labels.")


@state.needs_result
def split_one(cluster_id: int | None = None) -> None:
    """Split the given cluster, or the one chosen among the flagged clusters."""
    cluster_id = cluster_id if cluster_id is not None else st.session_state.get("split_id")
    if cluster_id is None:
        return
    rows = state.get_result().rows
    had_labels = bool(rows.human_label[rows.cluster_id == int(cluster_id)].notna().any())
    if state.decide_now(lambda result: split_cluster(result, int(cluster_id)), f"Cluster {cluster_id} split."):
        result = state.get_result()
        new = int(result.decisions[-1]["new_cluster_id"])
        part = "rows farthest from its labels" if had_labels else "rows of its smaller half"
        state.notify(f"Cluster {cluster_id} split: its {int(result.clusters.loc[new, 'size']):,} {part} are now "
                     f"cluster {new} ({result.clusters.loc[new, 'cluster_status']}).")


@state.needs_result
def merge() -> None:
    ids = [int(c) for c in st.session_state.get("merge_ids", [])]
    before = state.get_result().clusters
    named = [c for c in ids if c in before.index and before.renamed[c] and not before.dismissed[c]]
    if state.decide_now(lambda result: merge_clusters(result, ids),
                        f"Merged clusters {', '.join(map(str, ids[1:]))} into {ids[0] if ids else '-'}."):
        st.session_state["merge_ids"] = []  # the merged-away ids are no longer options
        merged = state.get_result().clusters.loc[ids[0]]
        given_up = [repr(before.display_name[c]) for c in named if before.display_name[c] != merged.display_name]
        if given_up:  # a name given by hand goes without a word otherwise
            names = f"the name{'s' if len(given_up) > 1 else ''} {', '.join(given_up)}"
            fate = (f"{names} went with {'them' if len(given_up) > 1 else 'it'}: cluster {ids[0]} is dismissed, so "
                    "its rows take their fill-in labels" if merged.dismissed
                    else f"{names} gave way to {merged.display_name!r}, which its rows take")
            state.notify(f"Merged clusters {', '.join(map(str, ids[1:]))} into {ids[0]} · {merged.display_name}: "
                         f"{fate} (Undo takes the merge back).")


def class_cluster(result, label) -> int | None:
    """The largest labeled cluster whose majority is ``label`` (where a candidate of its rows merges into)."""
    c = result.clusters
    mine = c[(c.status != "candidate") & ~c.dismissed & (c.majority_label == label)]
    return int(mine.sort_values("size", ascending=False, kind="stable").index[0]) if len(mine) else None


@state.needs_result
def merge_into(cluster_id: int, into: int) -> None:
    names = state.get_result().clusters.display_name
    state.decide_now(lambda result: merge_clusters(result, [into, cluster_id]),
                     f"Cluster {cluster_id} merged into {into} · {names.get(into)}.")


def leave_out_and_run(phrase: str) -> None:
    """Run again on the same data with ``phrase`` added to the settings' phrases to leave out (what Run does)."""
    from dataclasses import replace

    config = state.current_config()
    config = replace(config, leave_out=(*config.leave_out, phrase))  # DiscoveryConfig keeps one spelling of each
    st.session_state["config"] = config
    st.session_state.pop("set_leave_out", None)  # the sidebar's box is drawn afresh from the settings: it shows it
    state.forget_cluster_choices()
    state.remember_pending_run(state.current_source(), config)


def show_phrase_candidates(result) -> None:
    """Candidates a phrase that labeled texts of several classes hold may have gathered (``shared_phrase``), whatever
    page of the list they are on, each phrase with a button that leaves it out and runs again."""
    c = result.phrase_candidates
    for i, (phrase, group) in enumerate(c.groupby("shared_phrase", sort=False)):
        names = ", ".join(f"{name!r} ({size:,} rows)" for name, size in zip(group.display_name, group["size"]))
        st.warning(state.plain(f"{'Candidate' if len(group) == 1 else 'Candidates'} {names}: most of "
                               f"{'its' if len(group) == 1 else 'their'} texts hold {phrase!r}, and labeled texts of "
                               "several classes hold it too: the phrase (a signature, a template line) may have "
                               "gathered them, not what they ask. If it says nothing of a text's category, leave it "
                               "out and run again; otherwise name them as usual."), icon=":material/format_quote:")
        st.button(state.plain(f"Leave out {phrase!r} and run again"), key=f"leave_out_phrase_{i}",
                  on_click=leave_out_and_run, args=(phrase,),
                  help="Adds it to 'Phrases to leave out' (sidebar, More settings): the model, the keywords and the "
                       "fill-in read every text without it; the files keep every text whole. Decisions belong to "
                       "their settings: those made so far stay with the settings before, and come back with them")


def show_candidate(result, rank: int, cluster_id: int, phrase_note: str | None = None) -> None:
    c = result.clusters.loc[cluster_id]
    rows = result.rows
    into = class_cluster(result, c.nearest_known_label) if pd.notna(c.known_fit) else None
    with st.container(border=True):
        few = int(c.distinct_texts) < int(c["size"]) / 2  # mostly repeats: "no comment", "ok", a form reply
        st.markdown(f"##### #{rank} · cluster {cluster_id}")  # a heading: screen readers jump between candidates
        st.markdown(f"{int(c['size']):,} rows" + (f" · only {int(c.distinct_texts):,} distinct texts" if few else "")
                    + f" · cohesion {c.cohesion:.2f}")
        fit = (f"\nnamed classes explain about {c.known_fit:.0%} of its rows (closest: {c.nearest_known_label})"
               if pd.notna(c.known_fit) else "")
        apart = c.get("outside_share", np.nan)
        fit += (f"\n{apart:.0%} of its unlabeled rows lie outside every named class" if pd.notna(apart) else "")
        st.text(f"proposed name: {c.display_name}\nkeywords: {', '.join(c.keywords) or '(none)'}{fit}")
        if phrase_note:
            st.warning(state.plain(phrase_note[0].upper() + phrase_note[1:] + "."), icon=":material/format_quote:")
        examples = [r for r in c.representative_ids if r in rows.index]
        st.dataframe(rows.loc[examples, ["text"]], width="stretch")
        state.show_full_texts(rows.loc[examples, "text"])
        if into is not None and apart >= APART_FROM_NAMED:
            st.warning(state.plain(
                f"{apart:.0%} of its unlabeled rows are farther from every named class than almost any labeled row "
                f"is from its own: it may be a category of its own however sure the fill-in is of "
                f"{c.nearest_known_label}. Read its texts before merging."), icon=":material/call_split:")
        if into is not None:
            st.button(state.plain(f"Merge cluster {cluster_id} into {c.nearest_known_label}"),
                      key=f"cand_merge_into_{cluster_id}",
                      on_click=merge_into, args=(cluster_id, into),
                      help="Not new: these rows belong to that named class (its cluster takes them, with its label)")
        left, right, last = st.columns([6, 2, 2], vertical_alignment="bottom")
        with left.form(f"cand_form_{cluster_id}", border=False):  # a form: Enter in the box names the cluster
            box, button = st.columns([2, 1], vertical_alignment="bottom")
            box.text_input(f"Name cluster {cluster_id}", key=f"cand_name_{cluster_id}", placeholder="e.g. card_lost_abroad")
            button.form_submit_button("Name", key=f"cand_name_btn_{cluster_id}", type="primary", width="stretch",
                                      on_click=name_one, args=(cluster_id,))
        right.button("Dismiss", key=f"cand_dismiss_{cluster_id}", width="stretch", on_click=dismiss_one,
                     args=(cluster_id,), help="Not a new category: its rows fall back to the fill-in labels")
        last.button("Split", key=f"cand_split_{cluster_id}", width="stretch", on_click=split_one, args=(cluster_id,),
                    help="Two categories in one: k-means splits it in two candidates")


def show_named(result) -> None:
    """Candidates already named: no longer open, their rows carry the name (accepted in the export)."""
    named = result.named_categories
    if not len(named):
        return
    st.subheader("Named categories")
    st.caption("Their rows carry the name you gave (label source `cluster`, accepted in the export whatever the "
               "threshold; the confidence still says how far each row is from every labeled class). *Run again "
               "with my labels* (Data page) learns each category from its representative rows.")
    st.dataframe(pd.DataFrame({
        "cluster": named.cluster_id, "name": named.display_name, "size": named["size"],
        "keywords": named.keywords.map(", ".join)}), hide_index=True, width="stretch")
    names = named.display_name
    with st.form("rename", border=False):  # Enter in the name box renames
        left, mid, right = st.columns([2, 2, 1], vertical_alignment="bottom")
        left.selectbox("Category", named.index.tolist(), key="rename_id",
                       format_func=lambda c: f"{c} · {names.get(c)}")
        mid.text_input("New name", key="rename_name")
        right.form_submit_button("Rename", key="rename_btn", width="stretch", on_click=rename_one)


def show_hidden(result) -> None:
    """Labeled classes' clusters holding many more unlabeled rows than their labels predict."""
    flagged = result.hidden_category_clusters.sort_values("unlabeled_beyond_labels", ascending=False)
    if not len(flagged):
        return
    st.subheader("Labeled clusters that may hide a new category")
    st.caption("If your labels were drawn at about the same rate in every class, these clusters hold many more "
               "unlabeled rows than their labeled rows predict: either a category nobody has named sits inside "
               "(their rows get the cluster's label, confident as it looks) or you labeled this class less often "
               "than the others. Split one to pull the rows farthest from its labels out as a new candidate "
               "(name it, or merge it back if it is the same category), or lasso its odd rows on the map and "
               "label them.")
    st.dataframe(pd.DataFrame({
        "cluster": flagged.cluster_id, "name": flagged.display_name, "size": flagged["size"],
        "labeled": flagged.n_labeled, "unlabeled beyond labels": flagged.unlabeled_beyond_labels,
        "keywords": flagged.keywords.map(", ".join)}), hide_index=True, width="stretch")
    names = flagged.display_name
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.selectbox("Cluster to split", flagged.index.tolist(), key="split_id",
                   format_func=lambda c: f"{c} · {names.get(c)}")
    right.button("Split", key="split_btn", width="stretch", on_click=split_one,
                 help="Seeded k-means inside the cluster: its labeled rows and the rows nearest them stay, "
                      "the group farthest from every label becomes a new candidate")


def show_merge(result) -> None:
    st.subheader("Merge clusters")
    names = result.clusters.display_name
    ids = result.clusters.cluster_id.tolist()
    chosen = st.multiselect("Clusters to merge (the first keeps its id)", ids, format_func=lambda c: f"{c} · {names.get(c)}",
                            key="merge_ids")
    # typed ids match loosely ("66" picked nine clusters with Enter): the button says how many it merges (helper 113)
    st.button(f"Merge {len(chosen)} clusters into {chosen[0]}" if len(chosen) >= 2 else "Merge", key="merge_btn",
              disabled=len(chosen) < 2, on_click=merge)


with state.guard():
    result = state.require_result()
    candidates = result.candidates
    unread = result.language_warning is not None  # an English-only model on texts many of which are in other languages
    if unread and len(candidates):
        st.warning(f"The model reads English only and {result.language.other_share:.0%} of these texts are in other "
                   "languages (Data page): "
                   "these clusters, how far named classes 'explain' a candidate and the merges offered follow shared "
                   "word pieces more than meaning. Run with a multilingual model or 'tfidf' before acting on them.",
                   icon=":material/translate:")
    count = f"{len(candidates)} open candidate{'' if len(candidates) == 1 else 's'}"  # none: said below, with what to do
    if len(candidates) and result.fill_method:
        st.caption(f"{count}, those with the most rows no named class explains first (the "
                   "fill-in's confidence that they belong to a named class). Naming one turns its rows' proposed label "
                   "into that name; merging it into its closest named class gives them that class; dismissing one "
                   "gives each row its own fill-in label.")
    elif len(candidates):  # fewer than two labeled classes: no fill-in says how far named classes explain a candidate
        st.caption(f"{count}, largest and tightest first. Naming one turns its rows' "
                   "proposed label into that name; merging joins clusters; label two classes or more for a fill-in "
                   "that says which candidates your classes explain.")
    estimate = result.clustering.get("estimate")
    asked = result.clustering.get("n_new_clusters_asked")
    if asked is not None and asked > result.clustering["n_new_clusters"]:  # seeded k-means had fewer rows to seed
        st.info(f"{result.clustering['n_new_clusters']:,} new clusters, not the {asked:,} asked for: there are no more "
                "unlabeled rows to start them from.", icon=":material/tune:")
    if none_asked_despite_evidence(result.clustering):
        st.warning(f"No new cluster, as asked, though {result.clustering['outside_share']:.0%} of the unlabeled rows lie outside every named class, "
                   "a sign of categories nobody named: those rows were put in named classes. Empty 'New categories to "
                   "look for' in the sidebar (the tool then estimates it) and run again.", icon=":material/tune:")
    if (few := few_labels_to_judge(result.clustering)) is not None:
        caveat = FEW_LABELS_CAVEAT.format(median=few, who="the tool")
        st.warning(caveat[0].upper() + caveat[1:]
                   + ": set 'New categories to look for' in the sidebar to the number you expect and run again.",
                   icon=":material/tune:")
    if estimate and estimate.get("kept_preferred"):
        low, high = estimate["plausible"]
        st.info(f"Kept {estimate['n_new']} new clusters: the previous run's count, less any candidate you named (or labeled every row of) there "
                "(a labeled class now): with the added labels any number from "
                f"{low} to {high} fits the data about as well (the best fit: {estimate['best']}). To choose another, "
                "set 'New categories to look for' in the sidebar and run again.", icon=":material/tune:")
    elif estimate and estimate.get("preferred") is not None:
        low, high = estimate["plausible"]
        fits = f" (any number from {low} to {high} fits the data about as well)" if low != high else ""
        st.info(f"The previous run's count of new clusters, less any candidate you named (or labeled every row of) "
                f"there, {estimate['preferred']}, was not kept: with the added labels the tool estimated "
                f"{estimate['n_new']}{fits}. To choose another, set 'New categories to look for' in the sidebar and "
                "run again.", icon=":material/tune:")
    elif estimate and estimate["plausible"][0] != estimate["plausible"][1]:
        low, high = estimate["plausible"]
        st.info(f"The tool estimated {estimate['n_new']} new cluster{'s' if estimate['n_new'] != 1 else ''}, but any number from {low} to {high} fits the "
                "data about as well. If you expect more or fewer new categories, set 'New categories to look for' "
                "in the sidebar and run again. Asking for more than you expect finds more of the categories nobody "
                "named" + (": the extra candidates the named classes explain come last here, each with a button to "
                           "merge it into its closest class." if result.fill_method else "."), icon=":material/tune:")
    noise = mostly_noise(result.clustering)
    if noise:
        group = f"group of {noise['size']} or more close texts" if noise["size"] else "dense group"
        if noise["cut_to"]:
            group += f" ('Min cluster size' is at most half the rows: {noise['cut_to']})"
        st.warning((f"HDBSCAN found no {group}: the unlabeled rows are one cluster, so no new category can show. "
                    if noise["nothing_dense"] else
                    f"HDBSCAN found no {group} for " + ("any unlabeled row" if noise["every"] else f"{noise['assigned']:.0%} of the rows")
                    + ": each was put in its nearest cluster with its confidence halved, so "
                    + ("no new category can show. " if noise["every"] else "few new categories can show. "))
                   + ("Lower 'Min cluster size' in the sidebar (0 sets it automatically"
                      + (f": {noise['automatic']} for this table" if noise["automatic"] else "") + ") and run again."
                      if noise["smaller_helps"] else "Use seeded k-means (the default method) and run again."),
                   icon=":material/blur_on:")
    elif result.clustering.get("hdbscan_noise_budget_met") is False:  # as the run says it (helper 107: only here)
        clustering = result.clustering
        st.info(f"HDBSCAN left {clustering['hdbscan_noise_share']:.1%} of the rows as noise, above the noise budget "
                f"({result.config.noise_budget:g}), at every min_samples it tried; the try that left the least was "
                f"kept, and its noise rows were each put in their nearest cluster with their confidence halved "
                "(assigned_from_noise in the exported files).", icon=":material/blur_on:")
    if (sizes := hdbscan_size_hides_new(result.clustering)) is not None:
        st.warning(f"HDBSCAN made no new cluster with 'Min cluster size' {sizes[0]}, above the automatic one for this "
                   f"table ({sizes[1]}): no unnamed group of fewer texts could stand apart, and any such group's rows "
                   "went to named classes. Set it to 0 (automatic) in the sidebar to look for smaller ones.",
                   icon=":material/blur_on:")
    explained = result.candidates_explained
    if explained:
        behind = result.candidates_behind_one_class
        st.warning(f"Candidates hold {explained[0]:.0%} of the unlabeled rows, and the classes you named explain "
                   f"{explained[1]:.0%} of those: many may be parts of named classes rather than new categories"
                   + (f", and {behind[1]} of the {behind[2]} lie nearest one class, {behind[0]!r}: many may be "
                      f"its rows in other wordings ({READ_BEFORE_MERGING.format(where='')})" if behind else "")
                   + ". Read "
                   "the first ones (the least explained), merge into its closest class each you find is one of its, "
                   "or run again "
                   + ("with a larger 'Min cluster size' in the sidebar." if result.clustering.get("method") == "hdbscan"
                      else "with fewer 'New categories to look for' (sidebar)."), icon=":material/call_merge:")
    elif behind_note := candidates_behind_note(result, where=""):
        st.info("C" + behind_note[1:] + ".", icon=":material/call_merge:")  # "Candidates: 52 of the 52 lie nearest ..."
    if holding_note := candidates_holding_a_class_note(result, where=""):
        st.info("C" + holding_note[1:] + ".", icon=":material/call_merge:")
    at_largest = best_is_largest_tried(estimate) and not result.clustering.get("n_new_clusters_given")
    weak = best_is_largest_tried(estimate, even_capped_by_rows=True) and not result.clustering.get("n_new_clusters_given")
    if weak and result.config.model == TFIDF_MODEL:  # as the CLI says it, whatever the candidates explain
        st.info(f"The best fit was the largest number of new clusters tried ({estimate['best']}): with TF-IDF vectors "
                "the fit keeps rising with the number (word vectors split a category by its wordings), so it is weak "
                "evidence. Set 'New categories to look for' in the sidebar to the number you expect, or use a sentence "
                "model.", icon=":material/tune:")
    elif unread and weak:
        st.info(f"The best fit was the largest number of new clusters tried ({estimate['best']}), weak evidence from "
                "a model that does not read many of these texts.", icon=":material/translate:")
    elif not explained and at_largest:
        st.info(f"The best fit was the largest number of new clusters tried ({estimate['best']}): the data may "
                "hold more new categories. Set 'New categories to look for' in the sidebar higher and run again.",
                icon=":material/trending_up:")
    show_phrase_candidates(result)
    if len(candidates):
        pages = max(1, -(-len(candidates) // PAGE_SIZE))
        if st.session_state.get("cand_page", 1) > pages:  # the last page emptied: its new last page, not the first
            st.session_state["cand_page"] = pages
        page = st.number_input("Page", 1, pages, key="cand_page") if pages > 1 else 1
        start = (int(page) - 1) * PAGE_SIZE
        notes = result.phrase_candidate_notes("leave it out (the button at the top of this page, or 'Phrases to "
                                              "leave out' in the sidebar's More settings)")
        for rank, cluster_id in enumerate(candidates.index[start:start + PAGE_SIZE], start=start + 1):
            show_candidate(result, rank, int(cluster_id), notes.get(int(cluster_id)))
    else:
        st.info("No open candidates: every cluster holds labeled rows, or all candidates were named or dismissed.")
    show_named(result)
    show_hidden(result)
    st.divider()
    show_merge(result)
