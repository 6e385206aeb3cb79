"""Plotly figures for the dashboard. Pure functions: a result (or its tables) in, a figure out."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from discovery.result import cluster_statuses

PALETTE = qualitative.Alphabet + qualitative.Dark24 + qualitative.Light24
NONE_COLOR = "#c9ccd3"
COLOR_BY = {
    "cluster": "cluster_id",
    "given label": "human_label",
    "proposed label": "proposed_label",
    "confidence": "confidence",
}
HOVER_LINES, HOVER_LINE = 4, 80  # a ticket's greeting alone filled the one line of 120 characters shown before


def hover_texts(texts) -> np.ndarray:
    """Each text in at most ``HOVER_LINES`` lines of ``HOVER_LINE`` characters, the last ending in an ellipsis when
    the text goes on, HTML-escaped (so Plotly shows it literally).

    Depends on the texts only: the dashboard computes it once per table.
    """
    import textwrap

    def cut(text: str) -> str:
        text = " ".join(str(text).split())
        if len(text) <= HOVER_LINE:
            return html.escape(text)
        lines = textwrap.wrap(text, HOVER_LINE)
        if len(lines) > HOVER_LINES:
            lines = lines[:HOVER_LINES - 1] + [lines[HOVER_LINES - 1][:HOVER_LINE - 1] + "…"]
        return "<br>".join(html.escape(line) for line in lines)

    return np.array([cut(t) for t in texts], dtype=object)


def _escaped(values, missing: str | None = None) -> list[str]:
    """``html.escape(str(v))`` of each value (``missing`` for None), escaping each distinct value once."""
    memo: dict = {}
    out = []
    for v in values:
        try:
            out.append(memo[v])
        except (KeyError, TypeError):
            text = missing if v is None and missing is not None else html.escape(str(v))
            try:
                memo[v] = text
            except TypeError:  # unhashable value
                pass
            out.append(text)
    return out


def _hover_text(rows: pd.DataFrame, texts: np.ndarray | None = None,
                cluster_names: pd.Series | None = None) -> np.ndarray:
    """Hover lines; user text is HTML-escaped so Plotly shows it literally. ``texts``: ``hover_texts(rows.text)``;
    ``cluster_names``: cluster id -> name, shown beside the cluster id."""
    texts = hover_texts(rows.text) if texts is None else texts
    proposed = _escaped(rows.proposed_label.to_numpy(dtype=object))
    source = _escaped(rows.label_source.to_numpy(dtype=object))
    given = _escaped(rows.human_label.to_numpy(dtype=object), missing="-")
    clusters = rows.cluster_id.astype(str).to_numpy(dtype=object)
    if cluster_names is not None:
        names = _escaped(cluster_names.reindex(rows.cluster_id).to_numpy(dtype=object), missing="")
        clusters = np.array([f"{k} · {n}" if n else k for k, n in zip(clusters, names)], dtype=object)
    return np.array([
        f"{t}<br>label: {p} ({s}, {c:.2f})<br>given: {h}<br>cluster: {k}<br>row: {r}"
        for r, t, p, s, c, h, k in zip(rows.index.tolist(), texts, proposed, source, rows.confidence.tolist(), given,
                                       clusters)
    ], dtype=object)


def category_codes(values: pd.Series, ranked_by: pd.Series | None = None) -> tuple[np.ndarray, list]:
    """Colour codes (largest category first, by ``ranked_by``: the values of every row when ``values`` are a
    sample's, so a category keeps its colour whatever the sample) and a stepped colorscale; missing values grey.

    Numeric codes keep Plotly's validation fast on 50k+ points (an array of colour strings is not).
    """
    present = values.notna()
    keys = values.astype(str).where(present)
    ranked = values if ranked_by is None else ranked_by
    order = ranked[ranked.notna()].astype(str).value_counts().index
    mapping = pd.Series(np.arange(len(order)) % len(PALETTE), index=order)
    codes = keys.map(mapping).fillna(len(PALETTE)).astype(int).to_numpy()
    colors = list(PALETTE) + [NONE_COLOR]
    k = len(colors)
    scale = [step for i, c in enumerate(colors) for step in ([i / k, c], [(i + 1) / k, c])]
    return codes, scale


NAMES_SHOWN, NAME_CHARS = 20, 32


def group_names(rows: pd.DataFrame, color_by: str, cluster_names: pd.Series | None = None,
                top: int = NAMES_SHOWN) -> pd.DataFrame:
    """Where to write the name of each of the ``top`` largest colour groups on the map: x, y (the group's median
    point) and its name (a cluster's id and name, or the label), so a colour says which group it is without a
    legend of a hundred entries. Empty when colouring by confidence (no groups)."""
    column = COLOR_BY[color_by]
    if column == "confidence":
        return pd.DataFrame(columns=["x", "y", "name"])
    keys = rows[column]
    present = rows[keys.notna()]
    groups = present.groupby(keys[keys.notna()].astype(str), sort=False)
    sizes = groups.size().sort_values(ascending=False, kind="stable").head(top)
    where = groups[["x", "y"]].median().loc[sizes.index]
    if column == "cluster_id" and cluster_names is not None:
        names = [f"{key} · {cluster_names.get(int(key), '')}" for key in sizes.index]
    else:
        names = list(sizes.index)
    names = [n if len(n) <= NAME_CHARS else n[:NAME_CHARS - 1] + "…" for n in names]
    return pd.DataFrame({"x": where.x.to_numpy(), "y": where.y.to_numpy(), "name": names})


RINGED_ROWS = 200  # a few selected rows are ringed as well, to be found on the map; hundreds of rings hide it


def scatter_map(rows: pd.DataFrame, color_by: str = "cluster", highlight: list[int] | None = None,
                texts: np.ndarray | None = None, cluster_names: pd.Series | None = None,
                show_names: bool = False, every_row: pd.DataFrame | None = None) -> go.Figure:
    """WebGL scatter of the 2-d map; row ids ride in ``customdata`` so selections survive any reordering.

    ``customdata`` is a plain list of ids: a numpy array goes to the browser as a typed array, whose
    per-point values came back from a box or lasso selection as ``{"0": id}`` objects.

    ``texts``: ``hover_texts(rows.text)`` computed earlier (the slowest part of the figure on 50k rows);
    ``cluster_names``: cluster id -> name for the hover (a colour alone does not say which cluster);
    ``show_names``: write the largest groups' names on the map (``group_names``), as annotations, which a
    box or lasso never selects; ``every_row``: the rows ``rows`` were sampled from (``state.rows_on_map``), which
    rank the colours and the groups named, so that a group keeps its colour and name whatever the sample holds.
    """
    column = COLOR_BY[color_by]
    every_row = rows if every_row is None else every_row
    marker = dict(size=5, opacity=0.8, line=dict(width=0))
    if column == "confidence":
        marker.update(color=rows.confidence.to_numpy(dtype=float), colorscale="Viridis", cmin=0.0, cmax=1.0,
                      colorbar=dict(title="confidence", thickness=12))
    else:
        codes, scale = category_codes(rows[column], every_row[column])
        marker.update(color=codes, colorscale=scale, cmin=-0.5, cmax=len(scale) // 2 - 0.5, showscale=False)
    fig = go.Figure(go.Scattergl(
        x=rows.x.to_numpy(), y=rows.y.to_numpy(), mode="markers", marker=marker,
        customdata=rows.index.tolist(), hovertext=_hover_text(rows, texts, cluster_names), hoverinfo="text",
        name="rows", showlegend=False,
        selected=dict(marker=dict(opacity=1.0)), unselected=dict(marker=dict(opacity=0.25)),
    ))
    chosen = rows.loc[[r for r in highlight or [] if r in rows.index]]
    if len(chosen):  # drawn as the map's own selection (the rest faded), so it looks the same on a new figure
        fig.data[0].selectedpoints = rows.index.get_indexer(chosen.index).tolist()
    if 0 < len(chosen) <= RINGED_ROWS:
        fig.add_trace(go.Scattergl(x=chosen.x.to_numpy(), y=chosen.y.to_numpy(), mode="markers",
                                   customdata=chosen.index.tolist(), hoverinfo="skip",
                                   marker=dict(size=9, color="rgba(0,0,0,0)", line=dict(width=1.5, color="#111")),
                                   name="selected", showlegend=False))
    fig.update_layout(height=620, margin=dict(l=10, r=10, t=10, b=10), dragmode="lasso",
                      xaxis=dict(visible=False), yaxis=dict(visible=False), plot_bgcolor="white",
                      hoverlabel=dict(align="left", bgcolor="rgba(255,255,255,0.96)", bordercolor="#888",
                                      font=dict(color="#111")), uirevision="map")
    if show_names:
        for x, y, name in group_names(every_row, color_by, cluster_names).itertuples(index=False):
            fig.add_annotation(x=x, y=y, text=html.escape(name), showarrow=False, font=dict(size=11, color="#111"),
                               bgcolor="rgba(255,255,255,0.7)")
    return fig


def row_ids_from_selection(selection) -> list[int]:
    """Row ids of selected points, read from ``customdata`` (never from point positions), in order, unique."""
    ids = []
    points = selection.get("points", []) if hasattr(selection, "get") else []
    for point in points or []:
        custom = point.get("customdata")
        if isinstance(custom, dict):  # a typed array's element, as the browser sends it: {"0": id}
            custom = [custom[key] for key in sorted(custom, key=lambda k: int(k) if str(k).isdigit() else 0)]
        if isinstance(custom, (list, tuple)):
            custom = custom[0] if custom else None
        if custom is not None:
            ids.append(int(custom))
    return list(dict.fromkeys(ids))


def cluster_sizes(clusters: pd.DataFrame, top: int = 60) -> go.Figure:
    """Cluster sizes, labeled share stacked, coloured by status."""
    c = clusters.sort_values("size", ascending=False).head(top)
    status = cluster_statuses(c).to_numpy()
    colors = {"known": "#2f6fed", "mixed": "#f5a623", "candidate": "#d0021b", "named": "#7b3fb5",
              "labeled by hand": "#2a9d8f", "dismissed": "#9b9b9b"}
    fig = go.Figure()
    for name in [*colors, *sorted(set(status) - set(colors))]:  # a status without its own colour still shows
        part = c[status == name]
        if len(part):
            fig.add_trace(go.Bar(x=part.cluster_id.astype(str), y=part["size"], name=name, marker_color=colors.get(name),
                                 hovertext=[html.escape(str(n)) for n in part.display_name], hoverinfo="text+y"))
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10), barmode="stack",
                      xaxis=dict(title="cluster", type="category", categoryorder="total descending"),
                      yaxis=dict(title="rows"), title=dict(text=f"Cluster sizes (largest {len(c)})", font=dict(size=14)))
    return fig


def label_mix(members: pd.DataFrame, top: int = 15) -> go.Figure:
    """Labels inside one cluster: given (human) and proposed, side by side."""
    given = members.human_label.dropna().astype(str).value_counts()
    proposed = members.proposed_label.astype(str).value_counts()
    labels = proposed.add(given, fill_value=0).sort_values(ascending=False).head(top).index
    fig = go.Figure([
        go.Bar(y=[html.escape(s) for s in labels], x=given.reindex(labels).fillna(0), name="given", orientation="h",
               marker_color="#2f6fed"),
        go.Bar(y=[html.escape(s) for s in labels], x=proposed.reindex(labels).fillna(0), name="proposed",
               orientation="h", marker_color="#9db7f5"),
    ])
    fig.update_layout(height=max(220, 26 * len(labels) + 80), barmode="group", margin=dict(l=10, r=10, t=30, b=10),
                      yaxis=dict(autorange="reversed", automargin=True),  # long label names are not cut
                      title=dict(text="Label mix", font=dict(size=14)))
    return fig


def label_mix_overview(rows: pd.DataFrame, clusters: pd.DataFrame, top_clusters: int = 30, top_labels: int = 12) -> go.Figure:
    """Proposed-label mix of the largest clusters (stacked shares)."""
    biggest = clusters.sort_values("size", ascending=False).head(top_clusters).cluster_id.tolist()
    part = rows[rows.cluster_id.isin(biggest)]
    counts = pd.crosstab(part.cluster_id, part.proposed_label.astype(str))
    keep = counts.sum().sort_values(ascending=False).head(top_labels).index
    other = counts.drop(columns=keep).sum(axis=1)
    counts = counts[keep].assign(**{"(other labels)": other}).reindex(biggest)
    share = counts.div(counts.sum(axis=1), axis=0)
    fig = go.Figure([go.Bar(x=share.index.astype(str), y=share[col], name=html.escape(col),
                            marker_color=PALETTE[i % len(PALETTE)] if col != "(other labels)" else NONE_COLOR)
                     for i, col in enumerate(share.columns)])
    fig.update_layout(height=340, barmode="stack", margin=dict(l=10, r=10, t=30, b=10),
                      xaxis=dict(title="cluster", type="category"), yaxis=dict(title="share", tickformat=".0%"),
                      title=dict(text="Proposed-label mix per cluster", font=dict(size=14)))
    return fig


def confidence_histogram(proposed: pd.DataFrame, threshold: float) -> go.Figure:
    """Confidence of the proposals the threshold decides on (``proposed``: no human labels, named clusters or
    open candidates' rows), split at the acceptance threshold."""
    conf = proposed.confidence.to_numpy(dtype=float)
    fig = go.Figure([
        go.Histogram(x=conf[conf >= threshold], xbins=dict(start=0, end=1.0001, size=0.025), name="accepted",
                     marker_color="#2f6fed"),
        go.Histogram(x=conf[conf < threshold], xbins=dict(start=0, end=1.0001, size=0.025), name="below threshold",
                     marker_color="#d0021b"),
    ])
    fig.add_vline(x=threshold, line_dash="dash", line_color="#111")
    fig.update_layout(height=300, barmode="stack", margin=dict(l=10, r=10, t=30, b=10),
                      xaxis=dict(title="confidence", range=[0, 1]), yaxis=dict(title="rows"),
                      title=dict(text="Confidence of proposed labels", font=dict(size=14)))
    return fig
