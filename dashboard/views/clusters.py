"""Clusters page: the cluster table (sortable, filterable) and one cluster opened in full."""

import pandas as pd
import streamlit as st

from dashboard import charts, state
from discovery.result import cluster_statuses

st.title("Clusters")

STATUSES = ["known", "mixed", "candidate", "named", "labeled by hand", "dismissed"]


def cluster_frame(result) -> pd.DataFrame:
    c = result.clusters
    return pd.DataFrame({
        "cluster": c.cluster_id, "name": c.display_name, "status": cluster_statuses(c),
        "size": c["size"], "distinct texts": c.distinct_texts, "n_labeled": c.n_labeled,
        "majority_label": c.majority_label, "purity": c.purity,
        "cohesion": c.cohesion, "beyond labels": c.unlabeled_beyond_labels, "named classes explain": c.known_fit,
        "closest named class": c.nearest_known_label, "outside named classes": c.outside_share,
        "keywords": c.keywords.map(", ".join),
    }).reset_index(drop=True)


def show_table(result) -> pd.DataFrame:
    frame = cluster_frame(result)
    left, right = st.columns([2, 3])
    with left:
        statuses = st.multiselect("Status", STATUSES, default=STATUSES, key="clusters_status")
    with right:
        query = st.text_input("Filter by name, label or keyword", key="clusters_query").strip().casefold()
    shown = frame[frame.status.isin(statuses)]
    if query:
        # a candidate has no majority label: a missing part must not blank the whole line
        parts = [shown[column].astype(object).fillna("").astype(str) for column in ("name", "majority_label", "keywords")]
        haystack = (parts[0] + " " + parts[1] + " " + parts[2]).str.casefold()
        shown = shown[haystack.str.contains(query, regex=False)]
    st.dataframe(shown, hide_index=True, width="stretch", height=360, column_config={
        "purity": st.column_config.NumberColumn(
            format="%.2f", help="The majority label's share of the cluster's labeled rows only (two labels of one "
                                "class read 1.00): 'named classes explain' reads its unlabeled rows"),
        "cohesion": st.column_config.NumberColumn(format="%.2f"),
        "named classes explain": st.column_config.NumberColumn(
            format="percent", help="Mean fill-in confidence of its unlabeled rows: how far the classes you named "
                                   "account for them (low in a category nobody has named)"),
        "outside named classes": st.column_config.NumberColumn(
            format="percent", help="Share of its unlabeled rows farther from every named class than almost any "
                                   "labeled row is from its own: evidence of a category nobody has named that does "
                                   "not come from the fill-in"),
        "size": st.column_config.ProgressColumn(format="%d", min_value=0, max_value=int(frame["size"].max())),
    })
    by_hand = any(d.get("action") == "assign" for d in result.decisions)
    st.caption(f"{len(shown)} of {len(frame)} clusters shown; click a column header to sort."
               + (" Labeled counts, majority labels, purity and status count the data's labels; the rows you labeled "
                  "here count from the next run (Data page: Run again with my labels)." if by_hand else ""))
    return shown


def show_cluster(result, cluster_id: int) -> None:
    c = result.clusters.loc[cluster_id]
    rows = result.rows
    members = rows[rows.cluster_id == cluster_id]
    st.text(f"Cluster {cluster_id}: {c.display_name}")
    a, b, d, e = st.columns(4)
    a.metric("Size", f"{int(c['size']):,}")
    b.metric("Labeled", f"{int(c.n_labeled):,}")
    d.metric("Purity", "-" if pd.isna(c.purity) else f"{c.purity:.2f}",
             help="The majority label's share of this cluster's labeled rows only")
    e.metric("Status", str(cluster_statuses(result.clusters.loc[[cluster_id]]).iloc[0]))
    st.caption("Keywords")
    st.text(", ".join(c.keywords) or "(none)")
    left, right = st.columns([3, 2])
    with left:
        st.caption("Representative texts (most typical first)")
        reps = [r for r in c.representative_ids if r in rows.index]
        st.dataframe(rows.loc[reps, ["text", "human_label", "proposed_label"]], width="stretch")
        state.show_full_texts(rows.loc[reps, "text"], "Representative texts in full")
    with right:
        st.plotly_chart(charts.label_mix(members), width="stretch", key="cluster_label_mix")
    shown, _ = state.rows_to_show(members)
    st.caption(f"All {len(members):,} members" if len(shown) == len(members) else
               f"The first {len(shown):,} of its {len(members):,} members (the export holds them all)")
    st.dataframe(shown[["text", "human_label", "proposed_label", "label_source", "confidence"]],
                 width="stretch", height=400)


with state.guard():
    result = state.require_result()
    st.plotly_chart(charts.cluster_sizes(result.clusters), width="stretch", key="cluster_sizes")
    shown = show_table(result)
    st.divider()
    st.subheader("Open a cluster")
    options = shown.cluster.tolist() or result.clusters.cluster_id.tolist()
    names = result.clusters.display_name
    chosen = st.selectbox("Cluster", options, format_func=lambda c: f"{c} · {names.get(c)}", key="clusters_open")
    if chosen is not None:
        show_cluster(result, int(chosen))
    with st.expander("Proposed-label mix of the largest clusters"):
        st.plotly_chart(charts.label_mix_overview(result.rows, result.clusters), width="stretch",
                        key="label_mix_overview")
