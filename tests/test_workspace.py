"""Workspaces: which decisions belong to which data, columns and settings; uploads stored safely."""

import pytest

from discovery import InputError, workspace_key
from discovery.workspace import save_upload

CONFIG = {"model": None, "method": "auto", "random_state": 0, "cache_dir": "/tmp/a", "make_map": True}


def test_workspace_key_depends_on_the_column_choice_and_the_unlabeled_marker():
    base = workspace_key("abc", CONFIG, text_column="text", label_column="label", unlabeled_marker=None)
    assert base == workspace_key("abc", CONFIG, text_column="text", label_column="label", unlabeled_marker=None)
    others = [
        workspace_key("abc", CONFIG, text_column="title", label_column="label", unlabeled_marker=None),
        workspace_key("abc", CONFIG, text_column="text", label_column="category", unlabeled_marker=None),
        workspace_key("abc", CONFIG, text_column="text", label_column=None, unlabeled_marker=None),
        workspace_key("abc", CONFIG, text_column="text", label_column="label", unlabeled_marker="?"),
        workspace_key("abd", CONFIG, text_column="text", label_column="label", unlabeled_marker=None),
        workspace_key("abc", {**CONFIG, "random_state": 1}, text_column="text", label_column="label"),
        workspace_key("abc", CONFIG, text_column="text", label_column="label", missing_words=False),
    ]
    assert len({base, *others}) == len(others) + 1
    # where the cache lives, or whether a map is drawn, does not change which decisions apply
    assert base == workspace_key("abc", {**CONFIG, "cache_dir": "/elsewhere", "make_map": False},
                                 text_column="text", label_column="label")


def test_a_setting_added_later_keeps_the_workspaces_saved_before_it_at_its_default():
    from dataclasses import asdict

    from discovery import DiscoveryConfig
    from discovery.workspace import SETTINGS_ADDED_LATER

    defaults = asdict(DiscoveryConfig())
    assert all(defaults[name] == value for name, value in SETTINGS_ADDED_LATER.items())
    saved_before = {k: v for k, v in defaults.items() if k not in SETTINGS_ADDED_LATER}
    assert workspace_key("abc", defaults) == workspace_key("abc", saved_before)
    assert workspace_key("abc", {**defaults, "known_rows_by_fill": None}) != workspace_key("abc", saved_before)


def test_workspaces_saved_by_earlier_versions_keep_their_key():
    """Keys computed by commit 6fa7fc5 (before preferred_n_new_clusters and adapt_layers existed): a
    researcher's saved decisions must load after an upgrade that adds a setting at its default."""
    from discovery import DiscoveryConfig

    assert workspace_key("0123abcd", DiscoveryConfig().to_dict(), text_column="text",
                         label_column="label") == "695e415f6c4068aa"
    assert workspace_key("0123abcd", DiscoveryConfig(random_state=3, n_new_clusters=5).to_dict(), text_column="text",
                         label_column="label", unlabeled_marker="?") == "39d65b53b1b4ff70"


@pytest.mark.parametrize("filename", ["../../escape.csv", "/etc/escape.csv", "..\\..\\escape.csv", "escape.csv"])
def test_uploads_are_saved_inside_the_workspace(tmp_path, filename):
    root = tmp_path / "workspaces"
    path = save_upload(root, filename, b"text,label\nhello,a\n")
    assert path.name == "escape.csv"
    assert path.resolve().is_relative_to((root / "uploads").resolve())
    assert path.read_bytes() == b"text,label\nhello,a\n"
    assert [p for p in tmp_path.rglob("escape.csv")] == [path]
    assert not list(path.parent.glob(".*.tmp"))


def test_same_name_different_bytes_are_kept_apart(tmp_path):
    first = save_upload(tmp_path, "data.csv", b"text\none\n")
    second = save_upload(tmp_path, "data.csv", b"text\ntwo\n")
    assert first != second and first.read_bytes() == b"text\none\n" and second.read_bytes() == b"text\ntwo\n"
    assert save_upload(tmp_path, "data.csv", b"text\none\n") == first


@pytest.mark.parametrize("filename", ["", "..", ".hidden.csv", "decisions.json", "../.."])
def test_unusable_upload_names_are_refused_and_nothing_is_written(tmp_path, filename):
    with pytest.raises(InputError, match="not a usable file name"):
        save_upload(tmp_path, filename, b"text\nx\n")
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_decisions_of_other_settings_on_the_same_data_are_found(tmp_path):
    from discovery import Workspace

    mine = Workspace(tmp_path, "a", about={"data_hash": "h1", "settings": {"model": None}})
    other = Workspace(tmp_path, "b", about={"data_hash": "h1", "settings": {"model": "tfidf"}})
    other.append({"action": "dismiss", "cluster_id": 3})
    other.append({"action": "dismiss", "cluster_id": 4})
    Workspace(tmp_path, "c", about={"data_hash": "h2", "settings": {}}).append({"action": "dismiss", "cluster_id": 1})
    Workspace(tmp_path, "d").append({"action": "dismiss", "cluster_id": 1})  # saved before 'about' existed
    stored = [{"action": "dismiss", "cluster_id": 3}, {"action": "dismiss", "cluster_id": 4}]
    assert mine.saved_elsewhere("h1") == [({"data_hash": "h1", "settings": {"model": "tfidf"}}, stored)]
    assert other.load() == [{"action": "dismiss", "cluster_id": 3}, {"action": "dismiss", "cluster_id": 4}]
    assert Workspace(tmp_path, "c").saved_elsewhere("h1") == [({"data_hash": "h1", "settings": {"model": "tfidf"}}, stored)]


def test_decisions_saved_before_the_file_was_edited_are_named(tmp_path):
    """Editing one cell of the data file (another hash) showed "0 decisions applied" and nothing else."""
    from dashboard.state import decisions_elsewhere
    from discovery import Workspace

    before = Workspace(tmp_path, "a", about={"data_hash": "h1", "data": "/data/tickets.csv", "settings": {}})
    for cluster_id in (3, 4):
        before.append({"action": "dismiss", "cluster_id": cluster_id})
    Workspace(tmp_path, "b", about={"data_hash": "h9", "data": "/data/other.csv", "settings": {}}).append(
        {"action": "dismiss", "cluster_id": 1})
    edited = Workspace(tmp_path, "c", about={"data_hash": "h2", "data": "/data/tickets.csv", "settings": {}})
    assert edited.saved_for_other_versions("/data/tickets.csv", "h2") == [(before.about, before.load())]
    note = decisions_elsewhere(edited)
    assert "2 decisions are saved for a file of that name with other contents" in note and str(tmp_path) in note
    assert decisions_elsewhere(Workspace(tmp_path, "d", about={"data_hash": "h3", "data": "/data/new.csv",
                                                               "settings": {}})) is None
    Workspace(tmp_path, "e", about={"data_hash": "h4", "data": "data.csv", "settings": {}}).append(
        {"action": "dismiss", "cluster_id": 1})  # an upload: a bare name many files share, so said as a maybe
    note = decisions_elsewhere(Workspace(tmp_path, "f", about={"data_hash": "h5", "data": "data.csv", "settings": {}}))
    assert "an upload named data.csv" in note and "upload that version again" in note


def test_decisions_an_earlier_version_saved_without_their_data_are_named(tmp_path):
    """Helper 126: a name and three hand labels saved by the dashboard of 2026-11-25 (no 'about' block, and a key
    from settings since added) were gone after an upgrade, with nothing on any page; copied as the note says, they
    are back."""
    import json
    import time

    from dashboard.state import decisions_elsewhere
    from discovery import Workspace

    now = Workspace(tmp_path, "current", about={"data_hash": "h1", "data": "/data/tickets.csv", "settings": {}})
    assert decisions_elsewhere(now) is None
    old = {"version": 1, "decisions": [{"action": "name", "cluster_id": 60, "name": "card_delivery_date"},
                                       {"action": "assign", "row_ids": [0, 5, 9], "label": "virtual_card_question"}]}
    (tmp_path / "6b0529607a6009b6").mkdir()
    (tmp_path / "6b0529607a6009b6" / "decisions.json").write_text(json.dumps(old))
    note = decisions_elsewhere(now)
    assert note.startswith("No decision is saved for this data and these settings; 2 decisions were saved by an "
                           "earlier version")
    assert f"{tmp_path / '6b0529607a6009b6' / 'decisions.json'} (2, saved {time.strftime('%Y-%m-%d')})" in note
    assert f"Only if they were made on this very file, copy that file to {now.path}" in note
    assert "would give their labels to this data's rows of the same numbers" in note
    assert decisions_elsewhere(now, n_rows=100) == note
    assert decisions_elsewhere(now, n_rows=9) is None  # row 9 labeled: made on other data, not this one's 9 rows
    now.path.parent.mkdir(parents=True, exist_ok=True)
    now.path.write_text((tmp_path / "6b0529607a6009b6" / "decisions.json").read_text())
    assert now.load() == old["decisions"] and decisions_elsewhere(now) is None  # taken up: the note goes
    # a workspace that records its data (another's) is not one of these
    other_root = tmp_path / "elsewhere"
    Workspace(other_root, "b", about={"data_hash": "h9", "data": "/data/other.csv", "settings": {}}).append(
        {"action": "dismiss", "cluster_id": 1})
    assert decisions_elsewhere(Workspace(other_root, "x", about={"data_hash": "h2", "data": "/data/t.csv",
                                                                 "settings": {}})) is None


def test_a_damaged_decisions_file_is_kept_aside_and_named(tmp_path):
    """A hand-edited decisions.json (a trailing comma) left 0 decisions on every page and no word of where they went."""
    from dashboard.state import damaged_decisions_note
    from discovery import Workspace

    workspace = Workspace(tmp_path, "a", about={"data_hash": "h1", "data": "/data/tickets.csv", "settings": {}})
    for cluster_id in (3, 4):
        workspace.append({"action": "dismiss", "cluster_id": cluster_id})
    assert damaged_decisions_note(workspace) is None
    text = workspace.path.read_text(encoding="utf-8")
    workspace.path.write_text(text.rstrip().rstrip("}").rstrip() + ",}", encoding="utf-8")
    assert workspace.load() == []
    kept = workspace.damaged_copies()
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8").startswith(text.rstrip().rstrip("}").rstrip())
    workspace.append({"action": "dismiss", "cluster_id": 5})
    note = damaged_decisions_note(workspace)
    assert str(kept[0]) in note and str(workspace.path) in note


@pytest.mark.parametrize("workspace_env", [True, False])
def test_decisions_on_an_earlier_reviewed_copy_are_named_on_the_copy_made_again(tmp_path, monkeypatch, workspace_env):
    """Round 1 run again with labels made copy v1; rows labeled on v1; then one more label on the original data and
    Run again made copy v2 (another content, another folder): v2 showed no decision and no word of v1's."""
    from dashboard.state import Source, decisions_elsewhere, other_copies_with_decisions, workspace_root
    from discovery import Workspace

    if workspace_env:
        monkeypatch.setenv("LABEL_DISCOVERY_WORKSPACE", str(tmp_path / "ws"))
    else:
        monkeypatch.delenv("LABEL_DISCOVERY_WORKSPACE", raising=False)
    copies = []
    for content in ("00000000000000a1", "00000000000000a2"):  # content-hash folders, as save_upload names them
        copy = tmp_path / "ws" / "uploads" / content / "data-reviewed.parquet"
        copy.parent.mkdir(parents=True)
        copy.write_bytes(content.encode())
        copies.append(copy)
    v1, v2 = copies

    def workspace(copy):
        return Workspace(workspace_root(Source(kind="path", path=str(copy))), f"key-{copy.parent.name}",
                         about={"data_hash": copy.parent.name, "data": str(copy), "settings": {}})

    assert other_copies_with_decisions(v2) == []
    for row in (4, 7):
        workspace(v1).append({"action": "assign", "row_ids": [row], "label": "card_arrival"})
    assert other_copies_with_decisions(v2) == [(v1, 2)]
    note = decisions_elsewhere(workspace(v2))
    assert "2 decisions are saved for another copy of the same name" in note and str(v1) in note
    assert other_copies_with_decisions(tmp_path / "data.csv") == []  # a file of the user's: no copies to look at


def test_saved_workspaces_are_read_again_once_changed(tmp_path):
    """``saved_workspaces`` parses a decisions file once until it changes (the dashboard asks on every rerun): a
    decision stored since, or a file emptied, shows at the next call."""
    from discovery import Workspace
    from discovery.workspace import saved_workspaces

    workspace = Workspace(tmp_path, "k", about={"data_hash": "h"})
    workspace.append({"action": "dismiss", "cluster_id": 1})
    assert [len(saved.decisions) for saved in saved_workspaces(tmp_path)] == [1]
    workspace.append({"action": "dismiss", "cluster_id": 2})
    assert [saved.decisions for saved in saved_workspaces(tmp_path)] == [[{"action": "dismiss", "cluster_id": 1},
                                                                          {"action": "dismiss", "cluster_id": 2}]]
    workspace.replace([])
    assert saved_workspaces(tmp_path) == []
