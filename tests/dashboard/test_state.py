"""The dashboard's shared caches and messages, without a browser."""

from collections import OrderedDict

from dashboard import state


def test_the_result_a_researcher_keeps_going_back_to_is_dropped_last():
    cache = OrderedDict()
    state._remember(cache, "demo", "demo result", limit=2)
    state._remember(cache, "upload", "upload result", limit=2)
    assert state._recall(cache, "demo") == "demo result"  # used again: now the most recent
    state._remember(cache, "third", "third result", limit=2)
    assert list(cache) == ["demo", "third"]
    assert state._recall(cache, "upload") is None


def test_a_download_holds_the_decisions_saved_after_its_page_was_drawn(demo_result, tmp_path):
    """The Export page's files are built at the click: decisions another tab saved since the page was drawn are in
    them (they were left out), and the page's own result is reused while nothing was saved."""
    from discovery import Workspace, assign_label

    workspace = Workspace(tmp_path, "demo")
    page = state.Drawn(demo_result, demo_result, (), workspace)
    assert state.latest_result(page)[0] is demo_result
    unlabeled = demo_result.rows.index[demo_result.rows.human_label.isna()][:3].tolist()
    workspace.append(assign_label(demo_result, unlabeled, "from_another_tab").decisions[-1])  # the other tab's
    latest, _ = state.latest_result(page)
    assert latest.rows.loc[unlabeled, "human_label"].tolist() == ["from_another_tab"] * 3
    exported = state.export_files(latest)["proposed_labels.csv"].decode("utf-8-sig")
    assert exported.count("from_another_tab") >= 3


def test_core_messages_name_the_dashboards_controls_instead_of_command_line_options():
    assert state.for_dashboard("x.csv: no text column 'body'; the columns are 'a'; choose one with --text-col.") == (
        "x.csv: no text column 'body'; the columns are 'a'; choose one with the Data page's Text column.")
    both = "choose it with --label-col intent, or as the Data page's Label column."
    assert state.for_dashboard(both) == both  # says both already
    assert state.for_dashboard("--encoding-ish --labels") == "--encoding-ish --labels"  # only whole options
    assert state.for_dashboard("cannot be decoded as 'utf-8'; pick another --encoding (latin-1, ...).") == (
        "cannot be decoded as 'utf-8'; pick another encoding in the Data page's Encoding (latin-1, ...).")


def test_decisions_conflict_on_what_they_consume_not_on_a_merge_target():
    into_one_class = [{"action": "merge", "cluster_ids": [3, c], "into": 3} for c in (10, 11)]
    assert not state._acts_on(into_one_class[0]) & state._acts_on(into_one_class[1])
    assert state._acts_on({"action": "name", "cluster_id": 10, "name": "x"}) & state._acts_on(into_one_class[0])
    assert state._acts_on({"action": "assign", "row_ids": [1, 2], "label": "a"}) & state._acts_on(
        {"action": "assign", "row_ids": [2, 3], "label": "b"})
