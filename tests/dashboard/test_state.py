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
    assert state.for_dashboard("x.csv: no label column 'y'; the columns are 'a'; choose one with --label-col "
                               "(label_column= in Python).") == (
        "x.csv: no label column 'y'; the columns are 'a'; choose one with the Data page's Label column.")
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


def test_a_reviewed_copy_takes_the_kept_count_only_from_its_own_latest_decisions(tmp_path, monkeypatch):
    """The count is adopted from the latest decisions on this content, column choice and settings: one saved
    under another label column was adopted, and older decisions under a count hid newer ones under the estimate."""
    import json
    import os
    import time

    from discovery import DiscoveryConfig, Workspace
    from discovery.io import file_sha256

    monkeypatch.setenv("LABEL_DISCOVERY_WORKSPACE", str(tmp_path / "ws"))
    data = tmp_path / "tickets-reviewed.csv"
    data.write_text("text,label\nmy card,a\nrefund,\n", encoding="utf-8")
    source = state.Source(kind="path", path=str(data))
    config = DiscoveryConfig(model="tfidf", random_state=0)

    def save(name: str, count, label_column: str = "label", age: float = 0.0, before_leave_out=False) -> None:
        settings = json.loads(state.config_key(DiscoveryConfig(model="tfidf", random_state=0,
                                                               preferred_n_new_clusters=count)))
        if before_leave_out:  # saved before the setting existed (helper 88: its count was no longer found)
            del settings["leave_out"]
        workspace = Workspace(tmp_path / "ws", name, about={
            "data_hash": file_sha256(data), "data": str(data), "text_column": "text", "label_column": label_column,
            "unlabeled_marker": None, "missing_words": True, "settings": settings})
        workspace.append({"action": "dismiss", "cluster_id": 1})
        os.utime(workspace.path, (time.time() - age, time.time() - age))

    assert state.saved_preferred_count(source, config) is None
    save("other-column", 7, label_column="label2")
    assert state.saved_preferred_count(source, config) is None
    save("counted", 5, age=100)
    assert state.saved_preferred_count(source, config) == 5
    save("estimated-later", None, age=10)  # newer work under the estimate: no count taken
    assert state.saved_preferred_count(source, config) is None
    assert state.saved_preferred_count(source, DiscoveryConfig(model="tfidf", random_state=1)) is None
    save("saved-before-leave-out", 6, before_leave_out=True)
    assert state.saved_preferred_count(source, config) == 6


def test_the_copy_a_reviewed_copy_was_made_from_is_not_said_to_hold_decisions_it_lacks(tmp_path, monkeypatch, demo_result):
    """Run again from a second round's copy: the page said the decisions made on that copy were not in the new one,
    though they were (helper 101). Left out while its decisions are as they were when the copy was made, through
    every round; named again once decided on since; a copy of the same name made otherwise still named."""
    from discovery import DiscoveryConfig, Workspace
    from discovery.io import file_sha256
    from discovery.workspace import save_upload

    monkeypatch.setenv("LABEL_DISCOVERY_WORKSPACE", str(tmp_path / "ws"))
    second, third, fourth, elsewhere = (save_upload(tmp_path / "ws", "tickets-reviewed.parquet", content)
                                        for content in (b"second", b"third", b"fourth", b"elsewhere"))

    def decide(copy, name, action="dismiss"):
        Workspace(tmp_path / "ws", name, about={"data": str(copy)}).append({"action": action, "cluster_id": 1})

    decide(second, "on-second")
    decide(elsewhere, "on-elsewhere")
    assert sorted(state.other_copies_with_decisions(third)) == sorted([(elsewhere, 1), (second, 1)])
    state.record_made_from(third, str(second))
    assert state.other_copies_with_decisions(third) == [(elsewhere, 1)]
    decide(third, "on-third")
    state.record_made_from(fourth, str(third))
    assert state.other_copies_with_decisions(fourth) == [(elsewhere, 1)]  # second's decisions are in third's, so here
    decide(second, "on-second", action="accept")  # decided on since: the copies made from it lack that
    assert sorted(state.other_copies_with_decisions(fourth)) == sorted([(elsewhere, 1), (second, 2)])
    # the copy says when the file it was made from was decided on since (another tab): it lacks those decisions
    assert state.origin_decided_since_note(state.Source(kind="path", path=str(third))) is not None  # second's accept
    assert state.origin_decided_since_note(state.Source(kind="path", path=str(fourth))) is None
    assert state.origin_decided_since_note(state.Source(kind="path", path=str(elsewhere))) is None
    # made from an upload, whose workspaces name it by its file name: found by its content (review 105)
    upload = save_upload(tmp_path / "ws", "tickets.csv", b"text,label\nmy card,a\n")
    from_upload = save_upload(tmp_path / "ws", "tickets-reviewed.parquet", b"from the upload")
    Workspace(tmp_path / "ws", "on-upload", about={"data": "tickets.csv", "data_hash": file_sha256(upload)}).append(
        {"action": "dismiss", "cluster_id": 1})
    state.record_made_from(from_upload, str(upload), kind="upload")
    assert state.origin_decided_since_note(state.Source(kind="path", path=str(from_upload))) is None
    Workspace(tmp_path / "ws", "on-upload", about={"data": "tickets.csv", "data_hash": file_sha256(upload)}).append(
        {"action": "dismiss", "cluster_id": 2})
    assert "tickets.csv" in state.origin_decided_since_note(state.Source(kind="path", path=str(from_upload)))
    # the count a copy was made to keep is found before any decision is saved on it (a new session ran on the estimate)
    state.record_made_from(fourth, str(third), 35)
    assert state.saved_preferred_count(state.Source(kind="path", path=str(fourth)), DiscoveryConfig(model="tfidf")) == 35
    assert state.saved_preferred_count(state.Source(kind="path", path=str(elsewhere)), DiscoveryConfig()) is None
    # a copy `discovery add-labels` wrote, wherever it lies: the count it advised is in the file (hunt 133: opened
    # here, a copy advised 41 new clusters estimated 21)
    import pandas as pd

    from discovery.relabel import labels_for_next_run, next_run_file

    carried = labels_for_next_run(demo_result)
    advised, plain = tmp_path / "mine" / "copy.parquet", tmp_path / "mine" / "plain.parquet"
    advised.parent.mkdir()
    advised.write_bytes(next_run_file(carried, 12))
    plain.write_bytes(next_run_file(carried))
    assert state.saved_preferred_count(state.Source(kind="path", path=str(advised)), DiscoveryConfig()) == 12
    assert state.saved_preferred_count(state.Source(kind="path", path=str(plain)), DiscoveryConfig()) is None
    assert pd.read_parquet(advised).equals(pd.read_parquet(plain))  # the same table either way


def test_settings_the_run_never_reads_keep_its_cached_result_and_decisions(demo_result, tmp_path, monkeypatch):
    """A layer count typed while TF-IDF runs, or hdbscan's min cluster size while seeded k-means runs, changed
    nothing the run does, yet hid the decisions saved before and ran again: the keys now hold the settings read."""
    from dataclasses import replace

    from discovery import DiscoveryConfig

    monkeypatch.setenv("LABEL_DISCOVERY_WORKSPACE", str(tmp_path))
    source, table = state.Source(kind="path", path=str(tmp_path / "x.csv")), demo_result.table
    tfidf = DiscoveryConfig(model="tfidf")
    alike = [replace(tfidf, adapt_layers=2, fill_words=False, min_cluster_size=30, noise_budget=0.3),
             replace(tfidf, noise_budget=0.1)]
    for other in alike:
        assert state.config_key(other) == state.config_key(tfidf)
        assert state.workspace_for(source, table, other).path == state.workspace_for(source, table, tfidf).path
    read = [replace(tfidf, random_state=1), replace(tfidf, method="hdbscan", min_cluster_size=30),
            DiscoveryConfig(adapt_layers=2), DiscoveryConfig(fill_words=False)]
    for other in read:
        assert state.config_key(other) != state.config_key(tfidf)
    hdbscan = DiscoveryConfig(method="hdbscan", preferred_n_new_clusters=4)
    assert state.config_key(hdbscan) == state.config_key(replace(hdbscan, preferred_n_new_clusters=None))
    assert state.config_key(DiscoveryConfig(adapt=False, adapt_layers=2)) == state.config_key(DiscoveryConfig(adapt=False))
    # "seeded-kmeans" is what "auto" runs: one run and one set of decisions (helper 107: each ran afresh, decisions apart)
    assert state.config_key(DiscoveryConfig(method="seeded-kmeans")) == state.config_key(DiscoveryConfig())


def test_no_command_is_offered_for_an_upload_kept_in_memory_only():
    """An upload the workspace could not save has no file a terminal could read: no command rather than a wrong one."""
    from discovery import DiscoveryConfig

    upload = state.Source(kind="upload", path=None, name="tickets.csv", upload_key="tickets.csv:0")
    assert state.headless_command(upload, DiscoveryConfig()) is None
    assert state.headless_command(state.demo_source(), DiscoveryConfig(n_neighbors=5)) is None  # no flag for it
    assert " run data/banking_demo.csv --out=out-headless" in state.headless_command(state.demo_source(), DiscoveryConfig())
    assert state.headless_command(state.demo_source(), DiscoveryConfig(), 0.7).endswith(" --min-confidence=0.7")


def test_decisions_saved_while_the_key_held_every_setting_are_still_found(demo_result, tmp_path, monkeypatch):
    """Before keys held only the settings the run reads, a min cluster size kept under seeded k-means went into the
    key: decisions saved so stay where they are and are found there, not hidden by the new key."""
    from dataclasses import replace

    from discovery import DiscoveryConfig, Workspace, workspace_key

    monkeypatch.setenv("LABEL_DISCOVERY_WORKSPACE", str(tmp_path))
    source, table = state.Source(kind="path", path=str(tmp_path / "x.csv")), demo_result.table
    chosen = replace(DiscoveryConfig(model="tfidf"), min_cluster_size=30)
    assert state.workspace_for(source, table, chosen).load() == []
    old_key = workspace_key(table.data_hash, chosen.to_dict(), text_column=table.text_column,
                            label_column=table.label_column, unlabeled_marker=None, missing_words=True, encoding=None)
    decision = {"action": "assign", "row_ids": [1], "label": "card_arrival"}
    Workspace(tmp_path, old_key).append(decision)
    assert state.workspace_for(source, table, chosen).load() == [decision]
    assert state.workspace_for(source, table, DiscoveryConfig(model="tfidf")).load() == []  # that key is the new one's


def test_the_text_search_finds_emoji_by_the_names_the_keywords_give_them():
    import pandas as pd

    from discovery.words import emoji_spelled_out

    texts = ["💳 declined again", "my credit  card was declined", "Hi team, 🔒 locked out", "Hi team, where is it"]
    rows = pd.DataFrame({"text": texts}, index=[10, 11, 12, 13])
    read = emoji_spelled_out(["💳 declined again", "my credit  card was declined", "🔒 locked out", "where is it"])
    assert state.rows_containing(rows, "Credit Card", read) == [10, 11]
    assert state.rows_containing(rows, "credit card") == [11]  # as written only
    assert state.rows_containing(rows, "hi team", read) == [12, 13]  # boilerplate the run left out is still found
    assert state.rows_containing(rows, "locked", read) == [12] and state.rows_containing(rows, "  ", read) == []
    kana = pd.DataFrame({"text": ["カードが届かない", "ＳＩＭカード", "ｶｰﾄﾞ到着", "パス"]})
    assert state.rows_containing(kana, "ｶｰﾄﾞ") == [0, 1, 2] and state.rows_containing(kana, "sim") == [1]


def test_a_file_edited_in_place_is_read_again_even_with_its_modified_time_kept(tmp_path):
    """The tables in memory were known by modified time and size: one letter changed in place with the time kept
    (cp -p, rsync -t, touch -r) served the old text until a restart (helper 74)."""
    import os

    path = tmp_path / "tickets.csv"
    rows = "".join(f"my card {i} has not arrived yet,{'card_arrival' if i % 2 else ''}\n" for i in range(30))
    path.write_text("text,label\n" + rows, encoding="utf-8")
    source = state.Source(kind="path", path=str(path))
    before = path.stat()
    assert state.load_table(source).texts[0] == "my card 0 has not arrived yet"
    path.write_text("text,label\n" + rows.replace("my card 0 has", "my card 0 hat", 1), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns and path.stat().st_size == before.st_size
    assert state.load_table(source).texts[0] == "my card 0 hat not arrived yet"


def test_a_run_that_did_not_finish_is_told_to_the_tab_that_asked_for_it_in_either_format(tmp_path, monkeypatch):
    """Runs asked for and not finished are kept per tab: each tab is told of its own only, also from a file an
    earlier version wrote (one run, maybe with its tab), and a failure marks only its own tab's (reviews 106, 108)."""
    import json

    import streamlit as st
    from discovery import DiscoveryConfig

    monkeypatch.setenv("LABEL_DISCOVERY_WORKSPACE", str(tmp_path / "ws"))
    finished = {"source": {"kind": "demo", "path": str(state.DEMO_PATH)}, "config": DiscoveryConfig().to_dict()}
    asked = {"source": finished["source"], "config": DiscoveryConfig(random_state=5).to_dict()}
    path = state.last_session_path()
    path.parent.mkdir(parents=True)

    def told(tab: str) -> str | None:
        st.session_state["_tab_id"] = tab
        return state.unfinished_run_note()

    for pending in ({**asked, "tab": "aaaaaaaaaaaa"}, {"aaaaaaaaaaaa": asked}):  # an earlier version's, this one's
        path.write_text(json.dumps({**finished, "pending": pending}), encoding="utf-8")
        assert told("bbbbbbbbbbbb") is None and "Seed 5" in told("aaaaaaaaaaaa")
    st.session_state["_tab_id"] = "bbbbbbbbbbbb"
    state.remember_pending_run(state.demo_source(), DiscoveryConfig(random_state=7))
    state.remember_failed_run(RuntimeError("out of memory"))
    assert "Seed 7" in told("bbbbbbbbbbbb") and "failed: out of memory" in told("bbbbbbbbbbbb")
    assert "Seed 5" in told("aaaaaaaaaaaa") and "failed" not in told("aaaaaaaaaaaa")
    path.write_text(json.dumps({**finished, "pending": {**finished, "tab": "aaaaaaaaaaaa"}}), encoding="utf-8")
    assert told("aaaaaaaaaaaa") is None  # the run asked for is the one that finished: nothing to tell


def test_the_note_that_another_run_holds_the_machine_goes_when_this_run_starts():
    """While another run holds the machine the page says so; once this run starts (its bars move), the note goes:
    it stood for the whole run (hunt 119)."""
    from streamlit.testing.v1 import AppTest

    def page(hand_over: bool):
        import streamlit as st
        from dashboard.state import waiting_note

        store = {"running_key": "another run"}
        pulse = waiting_note(st.container(), store, "this run")
        if hand_over:
            store["running_key"] = "this run"
        pulse()

    for hand_over in (False, True):
        at = AppTest.from_function(page, args=(hand_over,)).run()
        notes = [c.value for c in at.caption if "holds the machine" in c.value]
        assert len(notes) == (0 if hand_over else 1)


def test_a_pages_table_holds_the_rows_asked_for_least_confident_first_and_says_how_many_matched():
    import pandas as pd

    rows = pd.DataFrame({"label_source": ["human", "balanced", "balanced", "knn", "balanced", "balanced"],
                         "proposed_label": ["b", "b", "a", "b", "b", "b"],
                         "confidence": [1.0, 0.4, 0.9, 0.2, 0.6, 0.4]}, index=[10, 11, 12, 13, 14, 15])
    shown, matching = state.rows_to_show(rows, ["balanced", "knn"], "b", least_confident_first=True, limit=3)
    assert shown.index.tolist() == [13, 11, 15] and matching == 4  # ties keep row order
    shown, matching = state.rows_to_show(rows)
    assert shown.index.tolist() == [10, 11, 12, 13, 14, 15] and matching == 6
    shown, matching = state.rows_to_show(rows, [], None)
    assert shown.empty and matching == 0


def test_the_map_of_a_big_table_draws_a_sample_of_every_cluster_and_the_rows_selected():
    """250,000 rows made 58 MB of figure at every redraw of the Map page (hunt 127): past ``MAP_POINTS`` the map
    draws each cluster in proportion (a small one whole, or at least ``MAP_POINTS_PER_GROUP`` points), the same
    sample for the same seed, and the rows a search or typed ids selected."""
    import numpy as np
    import pandas as pd

    sizes = {0: 6_000, 1: 3_000, 2: 930, 3: 65, 4: 5}  # 10,000 rows
    clusters = np.repeat(list(sizes), list(sizes.values()))
    rows = pd.DataFrame({"cluster_id": np.random.RandomState(1).permutation(clusters)},
                        index=pd.RangeIndex(len(clusters), name="row_id"))
    assert state.rows_on_map(rows, 0, limit=len(rows)) is rows  # small enough: every row
    drawn = state.rows_on_map(rows, 0, limit=1_000)
    counts = drawn.cluster_id.value_counts()
    assert counts.to_dict() == {0: 600, 1: 300, 2: 93, 3: 20, 4: 5}
    assert drawn.index.is_monotonic_increasing and drawn.index.isin(rows.index).all()
    assert state.rows_on_map(rows, 0, limit=1_000).index.equals(drawn.index)  # redrawn alike: the same figure
    assert not state.rows_on_map(rows, 1, limit=1_000).index.equals(drawn.index)
    left_out = rows.index.difference(drawn.index)[:50].tolist()
    kept = state.rows_on_map(rows, 0, limit=1_000, keep=left_out)
    assert set(left_out) <= set(kept.index) and len(kept) == len(drawn) + 50
    everything = state.rows_on_map(rows, 0, limit=1_000, found=rows.index)  # a search matching every row
    assert len(everything) == len(drawn) + 1_000 and drawn.index.isin(everything.index).all()
    typed = [int(rows.index.difference(everything.index)[-1])]  # a high row id, typed beside that search
    assert typed[0] in state.rows_on_map(rows, 0, limit=1_000, keep=typed, found=rows.index).index


def test_an_upload_is_hashed_once_not_at_every_click_of_the_data_page():
    """Each rerun of the Data page hashed the uploaded bytes again: 1.2-1.8 s a click with a 294 MB upload (hunt 127)."""
    import hashlib

    import streamlit as st

    class Upload:
        def __init__(self, file_id: str, data: bytes):
            self.file_id, self.data, self.reads = file_id, data, 0

        def getvalue(self) -> bytes:
            self.reads += 1
            return self.data

    st.session_state.pop("_upload_digest", None)
    first, second = Upload("a", b"text,label\nhello,x\n"), Upload("b", b"text,label\nbye,y\n")
    for _ in range(3):
        assert state.upload_digest(first) == hashlib.sha256(first.data).hexdigest()
    assert first.reads == 1
    assert state.upload_digest(second) == hashlib.sha256(second.data).hexdigest()  # another upload: its own
    assert state.upload_digest(first) == hashlib.sha256(first.data).hexdigest() and first.reads == 2


def test_a_run_in_progress_says_which_columns_it_reads_and_the_labels_found(demo_table, tmp_path):
    """While a run goes no page is drawn, and a 250,000-row table's run showed the earlier data's page meanwhile
    (hunt 127): its progress box now says the columns and labels, so a wrong column is seen before it ends."""
    from discovery.io import read_table

    labeled = demo_table.n_labeled
    assert state.table_summary(demo_table) == (f"texts from 'text', labels from 'label': {labeled:,} rows labeled, "
                                               f"{len(demo_table.codec)} labels")
    demo_table.frame[["text"]].head(20).to_csv(tmp_path / "texts.csv", index=False)
    assert state.table_summary(read_table(tmp_path / "texts.csv")) == "texts from 'text', no label column"
