"""The map's figure: names written on it for the largest colour groups."""

import numpy as np
import pandas as pd

from dashboard import charts


def map_rows() -> pd.DataFrame:
    """Three clusters around (0, 0), (10, 0) and (0, 10), of 50, 30 and 20 rows; one label per cluster, with
    the smallest cluster's rows unlabeled (a candidate)."""
    rng = np.random.RandomState(0)
    centres, sizes = [(0, 0), (10, 0), (0, 10)], [50, 30, 20]
    cluster = np.repeat([0, 1, 2], sizes)
    xy = np.vstack([rng.normal(c, 1.0, size=(n, 2)) for c, n in zip(centres, sizes)])
    human = np.array(["card_arrival"] * 50 + ["exchange_rate"] * 30 + [None] * 20, dtype=object)
    return pd.DataFrame({
        "text": [f"text {i}" for i in range(100)], "human_label": human, "proposed_label": human,
        "label_source": "human", "confidence": 1.0, "cluster_id": cluster, "x": xy[:, 0], "y": xy[:, 1],
    }, index=pd.Index(range(1000, 1100), name="row_id"))


def test_the_largest_groups_are_named_at_their_middle():
    rows = map_rows()
    names = pd.Series({0: "card_arrival", 1: "exchange_rate", 2: "candidate: lost, stolen, phone, app"})
    shown = charts.group_names(rows, "cluster", names, top=2)
    assert shown.name.tolist() == ["0 · card_arrival", "1 · exchange_rate"]
    assert np.allclose(shown[["x", "y"]].to_numpy(), [[0, 0], [10, 0]], atol=0.5)
    every = charts.group_names(rows, "cluster", names)
    assert every.name.iloc[2] == "2 · candidate: lost, stolen, ph…" and len(every.name.iloc[2]) == charts.NAME_CHARS
    by_label = charts.group_names(rows, "given label")
    assert by_label.name.tolist() == ["card_arrival", "exchange_rate"]  # unlabeled rows are no group
    assert charts.group_names(rows, "confidence").empty


def test_names_are_annotations_a_selection_never_picks():
    rows = map_rows()
    plain = charts.scatter_map(rows, "cluster")
    named = charts.scatter_map(rows, "cluster", cluster_names=pd.Series({0: "a<b", 1: "b", 2: "c"}), show_names=True)
    assert len(plain.layout.annotations) == 0 and len(named.layout.annotations) == 3
    assert named.layout.annotations[0].text == "0 · a&lt;b"  # user text shown literally
    assert len(named.data) == len(plain.data)  # no extra trace whose points a lasso could select


def test_every_cluster_status_has_its_bars():
    """A status the chart had no colour for (a candidate labeled by hand) left its clusters out of the chart."""
    statuses = ["known", "mixed", "candidate", "candidate", "candidate"]
    clusters = pd.DataFrame({"cluster_id": range(5), "size": [50, 40, 30, 20, 10], "status": statuses,
                             "renamed": [False, False, True, False, False],
                             "dismissed": [False, False, False, True, False],
                             "labeled_by_hand": [False, False, False, False, True],
                             "display_name": [f"c{i}" for i in range(5)]}, index=range(5))
    fig = charts.cluster_sizes(clusters)
    shown = {trace.name: list(trace.x) for trace in fig.data}
    assert shown == {"known": ["0"], "mixed": ["1"], "named": ["2"], "labeled by hand": ["4"], "dismissed": ["3"]}


def test_a_long_text_hovers_in_lines_long_enough_to_pass_its_greeting():
    """The hover showed a text's first 120 characters on one line: tickets opening with one greeting all read the
    same. Now 4 lines of at most 80 characters, cut with an ellipsis, HTML escaped."""
    import html

    greeting = "Hello team, I hope this message finds you well and that you are having a wonderful week. "
    long, short = greeting + "My <card> was declined at the shop & I need it today. " * 8, "card <lost>"
    shown_long, shown_short = charts.hover_texts([long, short])
    lines = shown_long.split("<br>")
    assert len(lines) == 4 and all(len(html.unescape(line)) <= 80 for line in lines)
    assert "declined" in shown_long and shown_long.endswith("…") and "&lt;card&gt;" in shown_long
    assert shown_short == "card &lt;lost&gt;"
    four = " ".join(["word"] * 64)  # 319 characters: 4 lines of 16 words, nothing cut
    assert charts.hover_texts([four])[0].count("<br>") == 3 and not charts.hover_texts([four])[0].endswith("…")


def test_a_samples_colours_are_ranked_by_every_row():
    """Review 131: ranked by the rows drawn, a map sample gave a cluster another colour once a search added rows."""
    every = pd.Series([5] * 10 + [7] * 6 + [9] * 3)
    sample = pd.Series([9, 9, 9, 7, 5])  # the smallest cluster most often in the sample
    codes, _ = charts.category_codes(sample, ranked_by=every)
    assert codes.tolist() == [2, 2, 2, 1, 0]
    assert charts.category_codes(sample)[0].tolist() == [0, 0, 0, 1, 2]  # ranked by itself: other colours
