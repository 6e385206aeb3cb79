"""The command line, run as a user runs it: its ``main`` with the user's arguments, its output and exit code
as the terminal shows them; runs whose start-up matters (warnings, determinism across processes, the exit
after an input error) run as a real subprocess."""

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shared_paths import DEMO, ROOT


@contextlib.contextmanager
def _working_folder(folder):
    """``contextlib.chdir`` of Python 3.11, here for 3.10."""
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def discovery(*args):
    """``discovery ARGS`` in this process (a new interpreter per call would cost the suite minutes of imports)."""
    from discovery.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    with _working_folder(ROOT), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            code = main([str(arg) for arg in args])
        except SystemExit as exit_:  # argparse's refusals
            code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
    return subprocess.CompletedProcess(args, code, stdout.getvalue(), stderr.getvalue())


def discovery_process(*args):
    """``discovery ARGS`` as a real subprocess, the way a terminal starts it."""
    return subprocess.run([sys.executable, "-m", "discovery.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=900)


@pytest.fixture(scope="module")
def demo_slice(tmp_path_factory):
    """600 rows of the demo, so two full CLI runs stay quick."""
    path = tmp_path_factory.mktemp("cli") / "slice.csv"
    pd.read_csv(DEMO, dtype=str, keep_default_na=False).head(600).to_csv(path, index=False)
    return path


def test_run_writes_everything_and_is_byte_identical_for_a_seed(demo_slice, tmp_path):
    import json

    first = discovery_process("run", demo_slice, "--seed", "7", "--out", tmp_path / "a")
    assert first.returncode == 0, first.stderr
    second = discovery("run", demo_slice, "--seed", "7", "--out", tmp_path / "b", "--quiet")
    assert second.returncode == 0, second.stderr
    for name in ("clusters.csv", "proposed_labels.csv", "proposed_labels.jsonl", "proposed_labels.parquet", "manifest.json"):
        assert (tmp_path / "a" / name).exists()
    assert (tmp_path / "a" / "proposed_labels.csv").read_bytes() == (tmp_path / "b" / "proposed_labels.csv").read_bytes()
    assert (tmp_path / "a" / "label_next.csv").read_bytes() == (tmp_path / "b" / "label_next.csv").read_bytes()
    label_next = pd.read_csv(tmp_path / "a" / "label_next.csv", encoding="utf-8-sig", dtype={"label": str})
    proposals = pd.read_csv(tmp_path / "a" / "proposed_labels.csv", encoding="utf-8-sig").set_index("id")
    assert len(label_next) == 100 and label_next.row_id.is_unique
    assert list(label_next.columns[:4]) == ["row_id", "id", "text", "label"] and label_next.label.isna().all()
    assert (proposals.loc[label_next.id, "label_source"] != "human").all()
    assert (label_next.proposed_label.to_numpy() == proposals.loc[label_next.id, "proposed_label"].to_numpy()).all()
    assert "candidate new categories" in first.stdout
    doubts = pd.read_csv(tmp_path / "a" / "labels_to_check.csv", encoding="utf-8-sig", dtype={"label": str})
    assert list(doubts.columns) == ["row_id", "id", "text", "label", "suggested_label", "label_probability",
                                    "suggested_probability"]
    assert doubts.label.notna().all() and (doubts.label != doubts.suggested_label).all()  # labeled rows only
    # a label or two a class: nothing for the rest of the data to contradict, so a header only and no line
    # (labels to check on a table with doubts: test_all_labeled_still_gets_clusters_and_purity)
    assert len(doubts) == 0 and "labels to check" not in first.stdout
    # the slice has about 3 labels a class: the model is not fine-tuned, and the run says why
    assert "adaptation: not fine-tuned on the labels: fine-tuning needs" in first.stdout
    assert "embed" in first.stderr  # progress bars
    assert "Warning" not in first.stderr  # e.g. scikit-learn's alarm about many classes with a label or two each
    # no file written holds the dashboard's 2-d map, so the run does not spend its time drawing one
    run_manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert "map" not in run_manifest["stage_seconds"] and "map" not in run_manifest["used_labels"]
    assert run_manifest["fill_words"] and "the texts' words were blended in" in first.stdout  # not fine-tuned
    assert "cluster" in run_manifest["stage_seconds"] and "map" not in first.stderr
    assert run_manifest["language"]["shares"]["en"] >= 0.95 and "not in English" not in first.stderr
    clusters = pd.read_csv(tmp_path / "a" / "clusters.csv", encoding="utf-8-sig")
    flagged = clusters[clusters.may_hide_new_category]
    assert len(flagged) > 0 and (flagged.status != "candidate").all()
    note = next(line for line in first.stdout.splitlines() if "may hide a new category" in line)
    assert all(f"cluster {c} ({n})" in note for c, n in zip(flagged.cluster_id, flagged.name))
    assert "run again with --split-flagged" in note  # what to do about them
    assert "or be classes you labeled less often than the others" in note  # what else they may be (helper 77)
    # how far the named classes explain each candidate, and the closest one to merge it into if it is not new
    open_candidates = clusters[clusters.status == "candidate"]
    assert open_candidates.nearest_known_label.notna().all() and open_candidates.known_fit.between(0, 1).all()
    assert open_candidates.outside_share.between(0, 1).all()  # and the share of its rows outside every named class
    labeled = clusters[clusters.status == "known"]
    assert (labeled.nearest_known_label == labeled.majority_label).mean() > 0.8

    split = discovery("run", demo_slice, "--seed", "7", "--out", tmp_path / "split", "--quiet", "--split-flagged")
    assert split.returncode == 0, split.stderr
    manifest = json.loads((tmp_path / "split" / "manifest.json").read_text())
    assert [d["cluster_id"] for d in manifest["decisions"]] == flagged.cluster_id.tolist()
    new = [d["new_cluster_id"] for d in manifest["decisions"]]
    after = pd.read_csv(tmp_path / "split" / "clusters.csv", encoding="utf-8-sig").set_index("cluster_id")
    assert len(after) == len(clusters) + len(flagged) and (after.loc[new, "status"] == "candidate").all()
    assert (after.loc[new, "n_labeled"] == 0).all()
    assert f"split {len(flagged)} flagged clusters" in split.stdout


def test_split_flagged_says_what_it_could_not_split_and_copies_of_one_text_are_not_flagged(tmp_path):
    """Helper 111: 200 copies of one text were flagged as hiding a category, and --split-flagged, unable to split
    them, printed "split 1 flagged cluster: 0 rows are now candidate clusters" and told to run with --split-flagged.
    With no labels, --new-clusters 0 ran one cluster and said "new clusters: 1 (given)"."""
    refund = [(f"where is my refund {i}", "refund" if i % 3 == 0 else "") for i in range(60)]
    copies = tmp_path / "copies.csv"
    pd.DataFrame([("my card is broken", "card_broken")] * 40 + [("my card is broken", "")] * 160 + refund,
                 columns=["text", "label"]).to_csv(copies, index=False)
    done = discovery("run", copies, "--model", "tfidf", "--split-flagged", "--quiet", "--out", tmp_path / "copies")
    assert done.returncode == 0, done.stderr
    assert not pd.read_csv(tmp_path / "copies" / "clusters.csv", encoding="utf-8-sig").may_hide_new_category.any()
    assert "no labeled cluster was flagged" in done.stdout
    # the same text written otherwise (case, marks): flagged, but no group lies apart from the labeled rows
    marks = tmp_path / "marks.csv"
    pd.DataFrame([("my card is broken", "card_broken")] * 20 + [("My card is broken!", "")] * 80
                 + [("my card is broken??", "")] * 80 + refund, columns=["text", "label"]).to_csv(marks, index=False)
    done = discovery("run", marks, "--model", "tfidf", "--split-flagged", "--quiet", "--out", tmp_path / "marks")
    assert done.returncode == 0, done.stderr
    assert "holds no group of rows apart from the rest; it was not split" in done.stderr
    assert "--split-flagged: 1 flagged cluster, none split" in done.stdout and "rows are now candidate" not in done.stdout
    assert "still flagged after --split-flagged" in done.stdout and "run again with --split-flagged" not in done.stdout
    assert json.loads((tmp_path / "marks" / "manifest.json").read_text())["decisions"] == []
    unlabeled = tmp_path / "unlabeled.csv"
    pd.DataFrame({"text": [text for text, _ in refund]}).to_csv(unlabeled, index=False)
    done = discovery("run", unlabeled, "--model", "tfidf", "--new-clusters", "0", "--quiet", "--out", tmp_path / "none")
    assert done.returncode == 0, done.stderr
    assert "new clusters: 1 (--new-clusters 0 asked, but with no labeled class the rows need at least one cluster)" \
        in done.stdout and "(given)" not in done.stdout


def test_a_text_a_spreadsheet_would_cut_is_said(tmp_path):
    """Helper 110: a 40,005-character text was written to the CSV files without a word that Excel keeps 32,767."""
    rows = [(f"where is my refund {i}", "refund" if i % 3 == 0 else "") for i in range(30)]
    rows += [(f"my card {i} is lost", "lost_card" if i % 3 == 0 else "") for i in range(30)]
    table = tmp_path / "long.csv"
    pd.DataFrame(rows + [("my card is lost " * 2600, "")], columns=["text", "label"]).to_csv(table, index=False)
    done = discovery("run", table, "--model", "tfidf", "--quiet", "--out", tmp_path / "long")
    assert done.returncode == 0, done.stderr
    assert "note: 1 text is longer than the 32,767 characters a spreadsheet keeps in a cell" in done.stderr
    shorter = tmp_path / "short.csv"
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(shorter, index=False)
    assert "characters a spreadsheet keeps" not in discovery("run", shorter, "--model", "tfidf", "--quiet", "--out",
                                                               tmp_path / "short").stderr


def test_a_count_of_new_clusters_estimated_on_a_label_or_two_a_class_says_it_cannot_judge(tmp_path):
    """Helper 114: with 2 labels a class the labels show nothing of a class's spread (outside_share read 0.0), and 42
    unnamed classes of 126 got one candidate with nothing said; with more labels a class the note is not given."""
    from shared_paths import intent_rows

    frame = intent_rows("banking", slice(0, 24), per_intent=20)
    named = sorted(frame.label.unique())[:16]
    for per_class, name in ((2, "few"), (6, "more")):
        labels = frame.label.where(frame.label.isin(named) & (frame.groupby("label").cumcount() < per_class))
        frame.assign(label=labels).to_csv(tmp_path / f"{name}.csv", index=False)
        done = discovery("run", tmp_path / f"{name}.csv", "--model", "tfidf", "--quiet", "--out", tmp_path / name)
        assert done.returncode == 0, done.stderr
        manifest = json.loads((tmp_path / name / "manifest.json").read_text())
        assert manifest["clustering"]["median_labels_per_class"] == per_class
        said = f"with a median of {per_class} labeled rows a class the run cannot tell rows outside the named classes"
        assert (said in done.stdout) == (name == "few")
    given = discovery("run", tmp_path / "few.csv", "--model", "tfidf", "--new-clusters", "8", "--quiet", "--out",
                      tmp_path / "given")
    assert "cannot tell rows outside" not in given.stdout  # a count given is the researcher's


def test_label_next_can_be_sized_or_left_out(demo_slice, tmp_path):
    import json

    done = discovery("run", demo_slice, "--model", "tfidf", "--label-next", "0", "--quiet", "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "out" / "label_next.csv").exists() and (tmp_path / "out" / "manifest.json").exists()
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["fill_words"] is False  # TF-IDF is words already
    assert "words were blended" not in done.stdout
    refused = discovery("run", demo_slice, "--label-next", "-3", "--out", tmp_path / "bad")
    assert refused.returncode == 2 and "--label-next must be 0 or more" in refused.stderr
    assert not (tmp_path / "bad").exists()
    # a count given and one to keep: the keep was ignored while the manifest recorded it
    refused = discovery("run", demo_slice, "--new-clusters", "3", "--keep-new-clusters", "5", "--out", tmp_path / "bad")
    assert refused.returncode == 2 and "give one of them" in refused.stderr and not (tmp_path / "bad").exists()


def test_a_table_whose_every_row_is_labeled_is_told_there_is_nothing_to_fill_in(demo_slice, tmp_path):
    """Helper 94: a fully labeled table ran through with nothing to propose and nothing said before the run."""
    frame = pd.read_csv(demo_slice, dtype=str, keep_default_na=False)
    frame[frame.label != ""].to_csv(tmp_path / "all.csv", index=False)
    done = discovery("run", tmp_path / "all.csv", "--model", "tfidf", "--quiet", "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert "note: " in done.stderr and "every row of 'label' is labeled" in done.stderr
    assert "labels_to_check.csv" in done.stderr.split("every row of")[1]
    some = discovery("run", demo_slice, "--model", "tfidf", "--quiet", "--label-next", "0", "--out", tmp_path / "some")
    assert some.returncode == 0 and "every row of" not in some.stderr


def test_labels_typed_into_label_next_csv_are_added_for_the_next_run(demo_slice, tmp_path):
    """The headless loop: run, type labels into label_next.csv (the truth of the demo), add them for the next run."""
    from discovery import read_table
    from shared_paths import DEMO_TRUTH

    first = discovery("run", demo_slice, "--model", "tfidf", "--quiet", "--label-next", "20", "--out", tmp_path / "a")
    assert first.returncode == 0, first.stderr
    label_next = pd.read_csv(tmp_path / "a" / "label_next.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    truth = pd.read_csv(DEMO_TRUTH, dtype=str).set_index("id").true_label
    label_next.loc[:14, "label"] = truth.loc[label_next.id[:15]].to_numpy()  # the last 5 left blank
    label_next.to_csv(tmp_path / "typed.csv", index=False)

    added = discovery("add-labels", demo_slice, tmp_path / "typed.csv", "--out", tmp_path / "reviewed.parquet")
    assert added.returncode == 0, added.stderr
    assert "15 unlabeled rows of" in added.stdout and "labeled in review" in added.stdout
    assert f"{read_table(demo_slice).n_labeled + 15:,} labeled rows in all" in added.stdout
    before, after = read_table(demo_slice), read_table(tmp_path / "reviewed.parquet")
    assert after.n_labeled == before.n_labeled + 15 and after.labeled_in_review.sum() == 15
    rows = label_next.row_id.astype(int)
    assert after.codec.decode(after.labels[rows[:15]]) == truth.loc[label_next.id[:15]].tolist()
    assert (after.labels[rows[15:]] < 0).all()  # a run on it learns from them: tests/test_relabel.py

    # proposals accepted by copying them into the label column of proposed_labels.csv come back the same way
    proposed = pd.read_csv(tmp_path / "a" / "proposed_labels.csv", encoding="utf-8-sig", dtype=str,
                           keep_default_na=False)
    accept = proposed.index[(proposed.label == "") & (proposed.label_source != "candidate")][:3]
    proposed.loc[accept, "label"] = proposed.loc[accept, "proposed_label"]
    proposed.to_csv(tmp_path / "accepted.csv", index=False)
    taken = discovery("add-labels", demo_slice, tmp_path / "accepted.csv", "--out", tmp_path / "accepted.parquet")
    assert taken.returncode == 0, taken.stderr
    accepted = read_table(tmp_path / "accepted.parquet")
    assert accepted.n_labeled == before.n_labeled + 3 and accepted.labeled_in_review.sum() == 3
    assert accepted.codec.decode(accepted.labels[accept]) == proposed.loc[accept, "proposed_label"].tolist()
    assert "blank label" not in taken.stderr
    # labels typed into label_next.csv in the output folder survive a run again into that folder
    label_next.to_csv(tmp_path / "a" / "label_next.csv", index=False)
    again = discovery("run", demo_slice, "--model", "tfidf", "--quiet", "--label-next", "20", "--out", tmp_path / "a")
    assert again.returncode == 0, again.stderr
    assert "moved to" in again.stderr and str(Path("typed-labels") / "label_next.csv") in again.stderr
    aside = tmp_path / "a" / "typed-labels"
    assert pd.read_csv(aside / "label_next.csv", dtype=str, keep_default_na=False).equals(
        pd.read_csv(tmp_path / "typed.csv", dtype=str, keep_default_na=False))
    assert (aside / "manifest.json").is_file()  # the run it belongs to, for add-labels
    taken_back = discovery("add-labels", demo_slice, aside / "label_next.csv", "--out", tmp_path / "back.parquet")
    assert taken_back.returncode == 0, taken_back.stderr
    assert pd.read_csv(tmp_path / "a" / "label_next.csv", dtype=str, keep_default_na=False).label.eq("").all()
    untouched = discovery("run", demo_slice, "--model", "tfidf", "--quiet", "--label-next", "0", "--out", tmp_path / "a")
    assert "moved to" not in untouched.stderr and "removed" in untouched.stdout  # nothing typed: an earlier run's file
    # a label blanked in the file is kept, and said so; a text a spreadsheet trimmed or re-spaced is the same text
    human = proposed.index[proposed.label_source == "human"][:2]
    proposed.loc[human, "label"] = ""
    proposed.loc[accept[0], "text"] = "  " + proposed.loc[accept[0], "text"].replace(" ", "  ") + " "
    proposed.to_csv(tmp_path / "blanked.csv", index=False)
    kept = discovery("add-labels", demo_slice, tmp_path / "blanked.csv", "--out", tmp_path / "blanked.parquet")
    assert kept.returncode == 0, kept.stderr
    assert "2 rows of blanked.csv have a blank label where" in kept.stderr and "never removes one" in kept.stderr
    assert read_table(tmp_path / "blanked.parquet").n_labeled == before.n_labeled + 3

    label_next.loc[0, "text"] = "a text the data does not hold"
    label_next.to_csv(tmp_path / "stale.csv", index=False)
    refused = discovery("add-labels", demo_slice, tmp_path / "stale.csv", "--out", tmp_path / "x.parquet")
    assert refused.returncode == 2 and "another text" in refused.stderr and not (tmp_path / "x.parquet").exists()
    wrong = discovery("add-labels", demo_slice, tmp_path / "typed.csv", "--out", tmp_path / "x.csv")
    assert wrong.returncode == 2 and "write a .parquet file" in wrong.stderr
    # row ids as a spreadsheet writes them (124.0) are row numbers; a blank one is named by its text
    spreadsheet = pd.read_csv(tmp_path / "typed.csv", dtype=str, keep_default_na=False)
    spreadsheet["row_id"] = spreadsheet.row_id.astype(float).map("{:.1f}".format)
    spreadsheet.to_csv(tmp_path / "floats.csv", index=False)
    floats = discovery("add-labels", demo_slice, tmp_path / "floats.csv", "--out", tmp_path / "floats.parquet")
    assert floats.returncode == 0, floats.stderr
    assert read_table(tmp_path / "floats.parquet").labeled_in_review.sum() == 15
    spreadsheet.loc[2, "row_id"] = ""
    spreadsheet.to_csv(tmp_path / "blank.csv", index=False)
    blank = discovery("add-labels", demo_slice, tmp_path / "blank.csv", "--out", tmp_path / "x.parquet")
    assert blank.returncode == 2 and "has the row_id (blank), not a row number" in blank.stderr
    assert spreadsheet.text[2][:20] in blank.stderr

    # the next round's label_next.csv goes to the reviewed copy: added to the original data it would drop the
    # 15 labels of this round, so that is refused, naming the file to add them to
    second = discovery("run", tmp_path / "reviewed.parquet", "--model", "tfidf", "--quiet", "--label-next", "5",
                       "--out", tmp_path / "b")
    assert second.returncode == 0, second.stderr
    round_two = pd.read_csv(tmp_path / "b" / "label_next.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    round_two["label"] = truth.loc[round_two.id].to_numpy()
    round_two.to_csv(tmp_path / "b" / "label_next.csv", index=False)
    lost = discovery("add-labels", demo_slice, tmp_path / "b" / "label_next.csv", "--out", tmp_path / "r2.parquet")
    assert lost.returncode == 2 and "they would be lost" in lost.stderr
    assert "reviewed.parquet" in lost.stderr and not (tmp_path / "r2.parquet").exists()
    kept = discovery("add-labels", tmp_path / "reviewed.parquet", tmp_path / "b" / "label_next.csv",
                     "--out", tmp_path / "r2.parquet")
    assert kept.returncode == 0, kept.stderr
    assert read_table(tmp_path / "r2.parquet").labeled_in_review.sum() == 20
    # the file moved away from its manifest still shows the copy it came from (its label_origin column)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "b" / "label_next.csv").rename(tmp_path / "elsewhere" / "label_next.csv")
    moved = discovery("add-labels", demo_slice, tmp_path / "elsewhere" / "label_next.csv", "--out", tmp_path / "m.parquet")
    assert moved.returncode == 2 and "'label_origin' column" in moved.stderr and not (tmp_path / "m.parquet").exists()
    assert "drop its 'label_origin' column" in moved.stderr and "manifest.json" not in moved.stderr  # none beside it
    # a round of corrections only (as many labeled rows, other labels) is protected as well
    data_labeled = read_table(demo_slice)
    row = int(np.flatnonzero(data_labeled.labels >= 0)[0])
    fixed = pd.DataFrame({"row_id": [row], "text": [data_labeled.texts[row]], "label": ["a_corrected_label"]})
    fixed.to_csv(tmp_path / "fixed.csv", index=False)
    assert discovery("add-labels", demo_slice, tmp_path / "fixed.csv", "--out", tmp_path / "c1.parquet").returncode == 0
    third = discovery("run", tmp_path / "c1.parquet", "--model", "tfidf", "--quiet", "--label-next", "3",
                      "--out", tmp_path / "c")
    assert third.returncode == 0, third.stderr
    c_next = pd.read_csv(tmp_path / "c" / "label_next.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    c_next.drop(columns=[c for c in c_next.columns if c == "label_origin"]).assign(
        label=truth.loc[c_next.id].to_numpy()).to_csv(tmp_path / "c" / "typed.csv", index=False)
    corrected = discovery("add-labels", demo_slice, tmp_path / "c" / "typed.csv", "--out", tmp_path / "c2.parquet")
    assert corrected.returncode == 2 and "they would be lost" in corrected.stderr


def test_the_number_of_new_clusters_can_be_set(demo_slice, tmp_path):
    import json

    done = discovery("run", demo_slice, "--model", "tfidf", "--new-clusters", "4", "--quiet", "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["clustering"]["n_new_clusters"] == 4 and manifest["clustering"]["n_new_clusters_given"]
    assert manifest["n_clusters"] == len(manifest["input"]["known_labels"]) + 4
    assert "new clusters: 4 (given)" in done.stdout
    estimated = discovery("run", demo_slice, "--model", "tfidf", "--quiet", "--out", tmp_path / "est")
    assert "new clusters:" in estimated.stdout and "(estimated" in estimated.stdout
    assert json.loads((tmp_path / "est" / "manifest.json").read_text())["clustering"]["estimate"]["outside_quantile"] == 0.05
    refused = discovery("run", demo_slice, "--new-clusters", "-1", "--out", tmp_path / "bad")
    assert refused.returncode == 2 and refused.stderr.strip().startswith("error: --new-clusters")
    estimate = json.loads((tmp_path / "est" / "manifest.json").read_text())["clustering"]["estimate"]
    low, high = estimate["plausible"]
    wanted = low if low != estimate["n_new"] else high
    assert low < high  # the slice does not pin the count down: a count the data fits about as well is kept
    kept = discovery("run", demo_slice, "--model", "tfidf", "--keep-new-clusters", str(wanted), "--quiet",
                     "--out", tmp_path / "kept")
    assert kept.returncode == 0, kept.stderr
    clustering = json.loads((tmp_path / "kept" / "manifest.json").read_text())["clustering"]
    assert clustering["n_new_clusters"] == wanted and clustering["estimate"]["kept_preferred"]
    assert "kept as asked" in kept.stdout
    implausible = discovery("run", demo_slice, "--model", "tfidf", "--keep-new-clusters", str(high + 100), "--quiet",
                            "--out", tmp_path / "not-kept")
    assert implausible.returncode == 0, implausible.stderr
    assert f"--keep-new-clusters {high + 100} was not kept" in implausible.stdout
    refused = discovery("run", demo_slice, "--keep-new-clusters", "-2", "--out", tmp_path / "bad")
    assert refused.returncode == 2 and "--keep-new-clusters" in refused.stderr
    for option in ("--new-clusters", "--keep-new-clusters"):  # hdbscan finds its own number: not silently ignored
        refused = discovery("run", demo_slice, "--method", "hdbscan", option, "5", "--out", tmp_path / "bad")
        assert refused.returncode == 2 and refused.stderr.strip().startswith(f"error: {option} sets how many")
        assert not (tmp_path / "bad").exists()


def test_hdbscans_min_cluster_size_can_be_set(demo_slice, tmp_path):
    """The option the messages about hdbscan point to exists, reaches the clustering and is recorded."""
    import json

    sizes = {}
    for size in (5, 40):
        done = discovery("run", demo_slice, "--model", "tfidf", "--method", "hdbscan", "--min-cluster-size", size,
                         "--quiet", "--label-next", "0", "--out", tmp_path / str(size))
        assert done.returncode == 0, done.stderr
        manifest = json.loads((tmp_path / str(size) / "manifest.json").read_text())
        assert manifest["config"]["min_cluster_size"] == size
        assert manifest["clustering"]["hdbscan_min_cluster_size"] == size
        sizes[size] = manifest["n_clusters"]
        assert "hdbscan found no group" not in done.stderr
    assert sizes[40] < sizes[5]
    # a size beyond any dense group: every row is noise, and the run says so rather than finding nothing quietly
    done = discovery("run", demo_slice, "--model", "tfidf", "--method", "hdbscan", "--min-cluster-size", "5000",
                     "--quiet", "--label-next", "0", "--out", tmp_path / "huge")
    assert done.returncode == 0, done.stderr
    clustering = json.loads((tmp_path / "huge" / "manifest.json").read_text())["clustering"]
    assert clustering["hdbscan_noise_share"] == 1.0 and clustering["hdbscan_min_samples"] == 1
    # the share said is the rows put in their nearest cluster, as the files mark them (labeled rows stay in their class)
    marked = pd.read_csv(tmp_path / "huge" / "proposed_labels.csv", encoding="utf-8-sig").assigned_from_noise
    assert 0.5 < clustering["hdbscan_share_assigned_from_noise"] == round(marked.mean(), 4) < 1.0
    assert clustering["hdbscan_rows_assigned_from_noise"] == marked.sum()  # a count, as its name says (helper 100)
    assert clustering["hdbscan_unlabeled_rows"] == int(pd.read_csv(tmp_path / "huge" / "proposed_labels.csv",
                                                                   encoding="utf-8-sig").label.isna().sum())
    proposed = pd.read_csv(tmp_path / "huge" / "proposed_labels.csv", encoding="utf-8-sig")
    every = int(marked.sum()) == int(proposed.label.isna().sum())  # every unlabeled row: none can show (helper 107)
    assert "warning: hdbscan found no group of 300 or more close rows (--min-cluster-size is at most half the rows: " \
           + ("300) for any unlabeled row" if every else f"300) for {marked.mean():.0%} of the rows") in done.stderr
    assert ("no new category can show" if every else "few new categories can show") in done.stderr
    unlabeled = tmp_path / "unlabeled.csv"  # nothing labeled and nothing dense: one cluster, nobody assigned
    pd.read_csv(demo_slice, encoding="utf-8-sig")[["text"]].to_csv(unlabeled, index=False)
    alone = discovery("run", unlabeled, "--model", "tfidf", "--method", "hdbscan", "--min-cluster-size", "5000",
                      "--quiet", "--label-next", "0", "--out", tmp_path / "alone")
    assert alone.returncode == 0, alone.stderr
    assert "the unlabeled rows are one cluster, so no new category can show" in alone.stderr
    assert "assigned_from_noise" not in pd.read_csv(tmp_path / "alone" / "proposed_labels.csv", encoding="utf-8-sig")
    assert "a smaller --min-cluster-size (automatic for this table: " in done.stderr
    automatic = discovery("run", demo_slice, "--model", "tfidf", "--method", "hdbscan", "--quiet", "--label-next", "0",
                          "--out", tmp_path / "auto")
    assert automatic.returncode == 0, automatic.stderr
    manifest = json.loads((tmp_path / "auto" / "manifest.json").read_text())
    assert manifest["config"]["min_cluster_size"] is None and manifest["clustering"]["hdbscan_min_cluster_size"] >= 5
    for args in (["--min-cluster-size", "10"], ["--method", "hdbscan", "--min-cluster-size", "1"]):
        refused = discovery("run", demo_slice, "--model", "tfidf", *args, "--out", tmp_path / "bad")
        assert refused.returncode == 2 and "--min-cluster-size" in refused.stderr and not (tmp_path / "bad").exists()


def test_hdbscans_noise_budget_can_be_set_as_in_the_dashboard(demo_slice, tmp_path):
    """The noise budget the dashboard's slider sets reaches hdbscan from the command line too: none at all pushes
    hdbscan down to its smallest neighbourhood, a wide one leaves it as it is."""
    import json

    clustering = {}
    for budget in ("0", "0.9"):
        done = discovery("run", demo_slice, "--model", "tfidf", "--method", "hdbscan", "--noise-budget", budget,
                         "--quiet", "--label-next", "0", "--out", tmp_path / budget)
        assert done.returncode == 0, done.stderr
        manifest = json.loads((tmp_path / budget / "manifest.json").read_text())
        assert manifest["config"]["noise_budget"] == float(budget)
        clustering[budget] = manifest["clustering"]
    assert clustering["0"]["hdbscan_min_samples"] == 1 < clustering["0.9"]["hdbscan_min_samples"]
    for args in (["--noise-budget", "0.1"], ["--method", "hdbscan", "--noise-budget", "1"]):
        refused = discovery("run", demo_slice, "--model", "tfidf", *args, "--out", tmp_path / "bad")
        assert refused.returncode == 2 and "--noise-budget" in refused.stderr and not (tmp_path / "bad").exists()


@pytest.mark.parametrize("settings, columns", [
    ({}, {}),
    ({"model": "tfidf", "method": "hdbscan", "min_cluster_size": 12, "noise_budget": 0.35, "random_state": 7,
      "n_new_clusters": 4, "preferred_n_new_clusters": 3},  # the dashboard keeps seeded-kmeans' counts meanwhile
     {"text_column": "utterance text", "label_column": "intent", "unlabeled_marker": "?", "missing_words": False,
      "encoding": "latin-1"}),
    ({"model": "models/all mpnet", "adapt_layers": 2, "method": "seeded-kmeans", "n_new_clusters": 0,
      "fill_methods": ("knn", "propagation", "classifier", "blend"), "fill_words": False, "random_state": 2**32 - 1,
      "leave_out": ("Sent from my iPhone", "--Ticket #1")},
     {}),
    ({"adapt": False, "adapt_layers": "all", "preferred_n_new_clusters": 5, "min_cluster_size": 30}, {}),
    ({}, {"unlabeled_marker": "--", "label_column": "-x-"}),  # values that read as flags, written --flag=value
])
def test_the_command_that_repeats_a_dashboard_run_gives_its_settings(settings, columns, tmp_path):
    """The Export page's `discovery run` line, parsed as the terminal would, reads the data with the same columns
    and runs with the same settings (what the chosen method does not read is left out, as the CLI refuses it)."""
    import dataclasses
    import shlex

    from discovery import DiscoveryConfig
    from discovery.cli import build_parser, config_from_args, parse_args, run_command
    from discovery.pipeline import effective_config

    config = DiscoveryConfig(**settings)
    line = run_command("my data/rows.csv", tmp_path / "out", config, **columns)
    words = shlex.split(line)
    assert words[:3] == ["discovery", "run", "my data/rows.csv"]
    args = parse_args(build_parser(), words[1:])
    hdbscan = config.resolved_method() == "hdbscan"
    expected = effective_config(dataclasses.replace(config, make_map=False,
                                                    n_new_clusters=None if hdbscan else config.n_new_clusters))
    assert config_from_args(args) == expected
    read = {"text_column": args.text_col, "label_column": args.label_col, "unlabeled_marker": args.unlabeled_marker,
            "missing_words": args.missing_words, "encoding": args.encoding}
    assert read == {"text_column": "text", "label_column": None, "unlabeled_marker": None, "missing_words": True,
                    "encoding": None, **columns}
    assert Path(args.out) == tmp_path / "out"
    if not settings and not columns:  # the defaults need no flag
        assert len(words) == 4
    assert shlex.split(run_command("-rows.csv", "out", config, **columns))[2] == "./-rows.csv"
    # the Fill-in page's threshold marks the same rows accepted headless (helper 97: it was left out)
    assert parse_args(build_parser(), shlex.split(run_command("rows.csv", "out", config, min_confidence=0.8,
                                                              **columns))[1:]).min_confidence == 0.8


def test_a_candidate_a_signature_gathered_is_named_with_the_flag_that_leaves_the_phrase_out(tmp_path):
    """The signed M-CID table (``signed_mcid``), TF-IDF: the run warns of the candidate the signature gathered and
    gives the --leave-out line; clusters.csv holds the phrase; a phrase without a word is refused before the run."""
    from shared_paths import signed_mcid

    frame, _, _ = signed_mcid()
    frame.to_csv(tmp_path / "signed.csv", index=False)
    run = discovery("run", tmp_path / "signed.csv", "--model", "tfidf", "--out", tmp_path / "out", "--label-next", "0")
    assert run.returncode == 0, run.stderr
    assert "give it to --leave-out 'sent from outlook for android' and run again" in run.stderr
    import re  # the headline and the estimate's sentence round the estimate alike (80.6 and 80.7 once: helper 89)
    assert re.search(r"estimated accuracy (\d+\.\d)%", run.stdout)[1] == re.search(
        r"estimated accuracy, (\d+\.\d)%", run.stderr)[1]
    clusters = pd.read_csv(tmp_path / "out" / "clusters.csv")
    assert clusters.shared_phrase.dropna().tolist() == ["sent from outlook for android"]
    assert (clusters.status[clusters.shared_phrase.notna()] == "candidate").all()
    refused = discovery("run", tmp_path / "signed.csv", "--model", "tfidf", "--leave-out", " -- ", "--out",
                        tmp_path / "bad")
    assert refused.returncode != 0 and "--leave-out ' -- ': holds no word" in refused.stderr
    assert not (tmp_path / "bad").exists()


def test_a_setting_no_flag_carries_is_named_rather_than_left_out_of_the_command():
    from discovery import DiscoveryConfig
    from discovery.cli import run_command

    with pytest.raises(ValueError, match="n_neighbors, known_rows_by_fill"):
        run_command("rows.csv", "out", DiscoveryConfig(n_neighbors=5, known_rows_by_fill=0.7))
    with pytest.raises(ValueError, match="fill_methods"):
        run_command("rows.csv", "out", DiscoveryConfig(fill_methods=("knn",)))


def test_the_api_refuses_a_number_of_new_clusters_for_hdbscan_before_fine_tuning(tmp_path):
    from discovery import DiscoveryConfig, InputError, run_discovery
    from discovery.io import read_table

    table = read_table(DEMO)
    stages = []
    with pytest.raises(InputError, match="only seeded-kmeans takes a number"):
        run_discovery(table, DiscoveryConfig(method="hdbscan", n_new_clusters=5),
                      progress=lambda stage, done, total: stages.append(stage))
    assert stages == []


def test_a_meaningless_number_of_layers_to_fine_tune_is_refused(demo_slice, tmp_path):
    refused = discovery("run", demo_slice, "--adapt-layers", "0", "--out", tmp_path / "bad")
    assert refused.returncode == 2 and "--adapt-layers" in refused.stderr
    assert "auto, all or a positive whole number" in refused.stderr and not (tmp_path / "bad").exists()


def test_class_balance_is_reported_and_can_be_turned_off(demo_slice, tmp_path):
    import json

    default = discovery("run", demo_slice, "--model", "tfidf", "--quiet", "--out", tmp_path / "default")
    assert default.returncode == 0, default.stderr
    balance = json.loads((tmp_path / "default" / "manifest.json").read_text())["fill_balance"]
    assert set(balance) == {"used", "reason", "share_gap"} and balance["reason"]
    assert "class balance:" in default.stdout and balance["reason"] in default.stdout
    off = discovery("run", demo_slice, "--model", "tfidf", "--no-balance", "--quiet", "--out", tmp_path / "off")
    assert off.returncode == 0, off.stderr
    manifest = json.loads((tmp_path / "off" / "manifest.json").read_text())
    assert "balanced" not in manifest["config"]["fill_methods"]
    assert manifest["fill_balance"] == {"used": False, "reason": "turned off in the settings (--no-balance)",
                                        "share_gap": None}  # said, not left empty (helper 129)
    assert "balanced" not in manifest["fill_accuracy_estimate"]


def test_texts_in_other_languages_are_warned_about_before_the_run_and_in_the_manifest(tmp_path):
    frame = pd.read_csv(ROOT / "tests" / "data" / "banking_es_de.csv").drop(columns=["language"])
    frame.loc[frame.index % 2 == 1, "label"] = ""
    frame.to_csv(tmp_path / "tickets.csv", index=False)
    done = discovery("run", tmp_path / "tickets.csv", "--no-adapt", "--quiet", "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    warning = next(line for line in done.stderr.splitlines() if "not in English" in line)
    assert "tickets.csv, column 'text': 100% of the texts are not in English (German 50%, Spanish 50%" in warning
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["language"] == {"shares": {"de": 0.5, "es": 0.5}, "texts_checked": 40}
    assert sum("reads English only" in w for w in manifest["warnings"]) == 1


def test_no_labels_is_plain_discovery_with_a_warning(tmp_path):
    frame = pd.read_csv(DEMO, dtype=str, keep_default_na=False).head(300).drop(columns=["label"])
    frame.to_csv(tmp_path / "nolabels.csv", index=False)
    done = discovery("run", tmp_path / "nolabels.csv", "--model", "tfidf", "--quiet", "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert "nolabels.csv: no 'label' column; every row is treated as unlabeled" in done.stderr
    out = pd.read_csv(tmp_path / "out" / "proposed_labels.csv", encoding="utf-8-sig")
    assert set(out.cluster_status) == {"candidate"}
    assert "label_next.csv: no rows to suggest" in done.stdout  # not an unexplained empty file


def test_one_labeled_class_says_no_fill_in_ran_and_why(tmp_path):
    frame = pd.read_csv(DEMO, dtype=str, keep_default_na=False).head(300)
    named = frame.label[frame.label != ""].value_counts().index[0]
    frame.loc[frame.label != named, "label"] = ""
    frame.to_csv(tmp_path / "one.csv", index=False)
    done = discovery("run", tmp_path / "one.csv", "--model", "tfidf", "--quiet", "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert f"only one class ({named!r}) is labeled" in done.stderr
    assert f"fill-in: not run, only {named!r} is labeled" in done.stdout
    out = pd.read_csv(tmp_path / "out" / "proposed_labels.csv", encoding="utf-8-sig")
    assert set(out.label_source) <= {"human", "cluster", "candidate"}
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["used_labels"]["fill"] is False


def test_all_labeled_still_gets_clusters_and_purity(tmp_path):
    truth = pd.read_csv(ROOT / "data" / "banking_demo_truth.csv").head(300)
    frame = pd.read_csv(DEMO, dtype=str, keep_default_na=False).head(300)
    frame["label"] = truth.true_label
    frame.to_csv(tmp_path / "all.csv", index=False)
    done = discovery("run", tmp_path / "all.csv", "--model", "tfidf", "--quiet", "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    out = pd.read_csv(tmp_path / "out" / "proposed_labels.csv", encoding="utf-8-sig")
    assert (out.label_source == "human").all()
    clusters = pd.read_csv(tmp_path / "out" / "clusters.csv", encoding="utf-8-sig")
    # every row labeled: the labels hold each row in its class's cluster, so each cluster is one class, pure
    classes = out.groupby("cluster_id").label.agg(lambda labels: "+".join(sorted(set(labels))))
    assert len(clusters) == out.label.nunique() == len(classes)
    assert (clusters.majority_label.to_numpy() == classes.reindex(clusters.cluster_id).to_numpy()).all()
    assert (clusters.purity == 1).all() and (clusters.status == "known").all()
    # every row labeled, a few by their words like another class: the run says how many it doubts, as the file lists
    doubts = pd.read_csv(tmp_path / "out" / "labels_to_check.csv", encoding="utf-8-sig")
    assert len(doubts) and f"labels to check: {len(doubts)} of 300 labeled rows look mislabeled" in done.stdout


@pytest.mark.parametrize("content, name, fragment", [
    (None, "missing.csv", "file not found"),
    (b"", "empty.csv", "empty"),
    (b"text,label\n", "header.csv", "no data rows"),
    (b"body,category\nhello,a\n", "cols.csv", "no text column 'text'"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image.csv", "binary"),
    (b"text,label\ncaf\xe9,a\n", "latin.csv", "not valid UTF-8"),
    (b"text\tlabel\nhi\ta\n", "table.xlsx", "unknown file format"),
    (b"text,label\n,\n , \n", "blank.csv", "empty in every row"),
])
def test_bad_input_exits_2_with_one_clear_line(tmp_path, content, name, fragment):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    done = discovery("run", path, "--model", "tfidf", "--quiet", "--out", tmp_path / "out")
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert name in lines[0] and fragment in lines[0]
    assert "Traceback" not in done.stderr


def test_the_run_says_how_many_rows_moved_to_the_class_the_fill_in_is_sure_of(demo_result):
    from discovery.cli import moved_rows_note

    moved = demo_result.clustering["rows_moved_to_fill_in_class"]
    assert moved > 0
    assert moved_rows_note(demo_result) == (f"known clusters: {moved} unlabeled rows moved to the cluster of the "
                                            "class the fill-in is at least 50% sure of")


def test_evaluate_refuses_a_json_path_it_cannot_write_before_running(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    refused = discovery("evaluate", "../shared/datasets/snips", "--seeds", "0", "--json", blocked / "result.json")
    assert refused.returncode == 2 and refused.stderr.startswith("error: --json")
    assert "Traceback" not in refused.stderr and refused.stdout == ""  # refused before any evaluation ran


def test_evaluate_takes_seed_as_seeds_and_creates_the_json_folder(tmp_path):
    from discovery.cli import _check_writable, build_parser

    assert build_parser().parse_args(["evaluate", "x", "--seed", "7"]).seeds == [7]
    target = tmp_path / "new" / "folder" / "result.json"
    _check_writable(target)
    assert target.parent.is_dir() and not target.exists()


def test_the_largest_seed_runs(tmp_path, demo_slice):
    """Every seed the range check lets through runs: k-means starts 1,000 apart went past 2**32 - 1 and failed with
    NumPy's error after the check had passed."""
    import hashlib

    outputs = []
    for out in ("a", "b"):
        ran = discovery("run", demo_slice, "--model", "tfidf", "--seed", "4294967295", "--quiet", "--label-next", "0",
                        "--out", tmp_path / out)
        assert ran.returncode == 0, ran.stderr
        outputs.append(hashlib.sha256((tmp_path / out / "clusters.csv").read_bytes()).hexdigest())
    assert outputs[0] == outputs[1]  # and it is deterministic


def test_a_seed_numpy_cannot_take_a_json_folder_or_an_out_file_are_refused_before_running(tmp_path):
    for args in (["run", DEMO, "--seed", "-1", "--out", tmp_path / "o"], ["evaluate", "x", "--seeds", "0", "4294967296"]):
        refused = discovery(*args)
        assert refused.returncode == 2 and "is outside 0 to 4294967295" in refused.stderr, refused.stderr
    folder = discovery("evaluate", "../shared/datasets/snips", "--seeds", "0", "--json", f"{tmp_path}/results/")
    assert folder.returncode == 2 and "is a folder; give the path of the file" in folder.stderr
    (tmp_path / "a-file").write_text("")
    out_file = discovery("run", DEMO, "--model", "tfidf", "--out", tmp_path / "a-file")
    assert out_file.returncode == 2 and out_file.stderr.startswith("error: --out") and "Traceback" not in out_file.stderr
    assert out_file.stdout == ""  # before the run
    # a real process leaves with code 2 and the error line alone, also after pyarrow failed to read a file
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really parquet")
    broken = discovery_process("run", tmp_path / "broken.parquet", "--model", "tfidf", "--out", tmp_path / "o")
    assert broken.returncode == 2 and broken.stderr.startswith("error: ") and "broken.parquet" in broken.stderr
    assert "Traceback" not in broken.stderr


def test_output_piped_into_a_reader_that_stops_early_ends_without_a_traceback(demo_slice, tmp_path):
    """``discovery run ... | head -1``: the notes printed after the files are written met a closed pipe."""
    process = subprocess.Popen([sys.executable, "-m", "discovery.cli", "run", str(demo_slice), "--model", "tfidf",
                                "--out", str(tmp_path / "o")], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # as `head` does once it has its line
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=900) == 141 and "Traceback" not in stderr and "BrokenPipe" not in stderr
    assert (tmp_path / "o" / "manifest.json").is_file()


def test_a_run_is_repeated_from_its_manifest(demo_slice, tmp_path):
    """The manifest's config gives the run's clusters and proposals, its decisions (--split-flagged,
    --min-confidence) replayed on them the files byte for byte; the command line is recorded too (hunt 120: the
    config alone moved 18 rows and nothing said the decisions were needed)."""
    import json

    from discovery import read_table, replay, run_discovery
    from discovery.export import write_run_files

    ran = discovery("run", demo_slice, "--model", "tfidf", "--split-flagged", "--min-confidence", "0.8",
                    "--out", tmp_path / "a", "--quiet")
    assert ran.returncode == 0, ran.stderr
    record = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert record["command"] == (f"discovery run {demo_slice} --model tfidf --split-flagged --min-confidence 0.8 "
                                 f"--out {tmp_path / 'a'} --quiet")
    assert record["command_folder"] == str(ROOT)  # where its relative paths start (review 122)
    assert {d["action"] for d in record["decisions"]} >= {"split", "threshold"}
    result = run_discovery(read_table(demo_slice), record["config"])
    assert write_run_files(result, tmp_path / "c").written != {}  # the config alone: not the same files
    assert json.loads((tmp_path / "c" / "manifest.json").read_text())["written_files"] != record["written_files"]
    write_run_files(replay(result, record["decisions"]), tmp_path / "b")
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["written_files"] == record["written_files"]


def test_ctrl_c_during_a_run_says_what_a_rerun_reuses(demo_slice, tmp_path):
    """Ctrl-C mid-run: exit 130 with one line saying what is kept (it said a rerun resumes, while a fine-tuning
    under way starts over: hunt 119), no traceback."""
    import signal

    env = dict(os.environ, LABEL_DISCOVERY_CACHE=str(tmp_path / "cache"))  # an empty cache: seconds of embedding
    # Ctrl-C reaches the run as at a terminal even where the suite itself has SIGINT ignored (a shell's `(make test &)`
    # passes that on to every child, and Python then keeps it ignored: this test once failed so, with exit 0)
    process = subprocess.Popen([sys.executable, "-m", "discovery.cli", "run", str(demo_slice), "--no-adapt",
                                "--out", str(tmp_path / "o")], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = b""
    while b"embed" not in seen and process.poll() is None:  # interrupted while it embeds
        seen += process.stderr.read1(4096)
    at_embed = len(seen)
    while len(seen) == at_embed and process.poll() is None:  # its bar has moved: past loading the model
        seen += process.stderr.read1(4096)
    process.send_signal(signal.SIGINT)
    stderr = (seen + process.stderr.read()).decode()
    assert process.wait(timeout=300) == 130 and "Traceback" not in stderr, stderr
    assert "error: interrupted. A rerun reuses what the cache holds" in stderr and "TF-IDF and the later stages" in stderr
    assert not (tmp_path / "o" / "manifest.json").exists()


def test_ctrl_c_swallowed_on_the_way_still_stops_the_run(demo_slice, tmp_path):
    """A Ctrl-C raised while Python runs a finalizer is only printed, and the run would go on to exit 0: the
    interrupt is remembered, and the run stops at its next progress report (here, the flag set as the swallowed
    interrupt leaves it, half a second into the run), with the same exit and message."""
    import threading

    from discovery import cli

    threading.Timer(0.5, cli._INTERRUPTED.set).start()
    stopped = discovery("run", demo_slice, "--no-adapt", "--out", tmp_path / "o")
    assert stopped.returncode == 130, stopped.stderr
    assert "error: interrupted. A rerun reuses what the cache holds" in stopped.stderr
    assert not (tmp_path / "o" / "manifest.json").exists()
    assert discovery("run", demo_slice, "--no-adapt", "--quiet", "--out", tmp_path / "o").returncode == 0  # cleared


def test_every_option_of_every_command_says_what_it_does():
    from discovery.cli import build_parser

    commands = next(a for a in build_parser()._actions if a.dest == "command").choices
    undocumented = [f"{name} {action.option_strings or action.dest}" for name, command in commands.items()
                    for action in command._actions if action.dest != "help" and not action.help]
    assert undocumented == []
    usage = discovery("run", "--help").stdout
    assert "--text-col TEXT_COL the column holding the texts" in " ".join(usage.split())


def test_a_row_id_column_of_the_users_own_keeps_the_review_loop_working(tmp_path):
    frame = pd.read_csv(DEMO, dtype=str, keep_default_na=False).head(400)
    frame.insert(0, "row_id", [str(1000 + i) for i in np.random.RandomState(0).permutation(len(frame))])
    frame.to_csv(tmp_path / "own_ids.csv", index=False)
    done = discovery("run", tmp_path / "own_ids.csv", "--model", "tfidf", "--quiet", "--label-next", "5",
                     "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    out = pd.read_csv(tmp_path / "out" / "proposed_labels.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert out.row_id.tolist() == [str(i) for i in range(len(frame))]
    assert out.row_id_input.tolist() == frame.row_id.tolist()  # the user's ids are kept, under another name
    clusters = pd.read_csv(tmp_path / "out" / "clusters.csv", encoding="utf-8-sig")
    shown = [int(i) for ids in clusters.representative_row_ids for i in str(ids).split()]
    assert shown and set(shown) <= set(range(len(frame)))  # the same ids as proposed_labels.csv's
    picks = pd.read_csv(tmp_path / "out" / "label_next.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    picks["label"] = "activate_my_card"
    picks.to_csv(tmp_path / "typed.csv", index=False)
    added = discovery("add-labels", tmp_path / "own_ids.csv", tmp_path / "typed.csv", "--out", tmp_path / "next.parquet")
    assert added.returncode == 0, added.stderr
    assert "5 unlabeled rows" in added.stdout


def test_the_acceptance_threshold_and_a_stale_label_next(demo_slice, tmp_path):
    first = discovery("run", demo_slice, "--model", "tfidf", "--quiet", "--out", tmp_path / "out")
    assert first.returncode == 0 and (tmp_path / "out" / "label_next.csv").exists()
    out = pd.read_csv(tmp_path / "out" / "proposed_labels.csv", encoding="utf-8-sig")
    candidate = out.label_source == "candidate"
    assert candidate.any() and not out.accepted[candidate].any() and out.accepted[~candidate].all()
    again = discovery("run", demo_slice, "--model", "tfidf", "--quiet", "--min-confidence", "0.6", "--label-next", "0",
                      "--out", tmp_path / "out")
    assert again.returncode == 0, again.stderr
    assert not (tmp_path / "out" / "label_next.csv").exists() and "removed" in again.stdout
    out = pd.read_csv(tmp_path / "out" / "proposed_labels.csv", encoding="utf-8-sig")
    proposals = ~out.label_source.isin(["human", "candidate"])
    assert (out.accepted[proposals] == (out.confidence[proposals] >= 0.6)).all()
    assert 0 < out.accepted[proposals].sum() < proposals.sum()
    # how many the threshold accepts is said (helper 111: nowhere but in the files)
    assert f"--min-confidence 0.6: {out.accepted[proposals].sum():,} of {proposals.sum():,} proposals accepted" in again.stdout
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["min_confidence"] == 0.6
    refused = discovery("run", demo_slice, "--min-confidence", "80", "--out", tmp_path / "bad")
    assert refused.returncode == 2 and "--min-confidence must lie between 0 and 1" in refused.stderr


def test_too_few_labels_to_estimate_the_accuracy_is_said(tmp_path):
    frame = pd.read_csv(DEMO, dtype=str, keep_default_na=False).head(300)
    first_two = frame.index[frame.label != ""][:2]
    frame.loc[~frame.index.isin(first_two), "label"] = ""
    frame.loc[first_two, "label"] = ["card_arrival", "lost_or_stolen_card"]
    frame.to_csv(tmp_path / "two.csv", index=False)
    done = discovery("run", tmp_path / "two.csv", "--model", "tfidf", "--quiet", "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert "accuracy is not estimated and their confidences are not calibrated" in done.stdout
    enough = discovery("run", DEMO, "--model", "tfidf", "--quiet", "--label-next", "0", "--out", tmp_path / "demo")
    assert "not calibrated" not in enough.stdout and "estimated accuracy" in enough.stdout
    # the same labels given in review are never held out: more review labels cannot help, and that is said
    texts_only = frame.assign(label="")
    texts_only.to_csv(tmp_path / "texts.csv", index=False)
    typed = pd.DataFrame({"row_id": first_two, "text": frame.text[first_two], "label": frame.label[first_two]})
    typed.to_csv(tmp_path / "typed.csv", index=False)
    added = discovery("add-labels", tmp_path / "texts.csv", tmp_path / "typed.csv", "--out", tmp_path / "r.parquet")
    assert added.returncode == 0, added.stderr
    again = discovery("run", tmp_path / "r.parquet", "--model", "tfidf", "--quiet", "--out", tmp_path / "out2")
    assert "the 2 labels given in review are never held out" in again.stdout, again.stdout


def test_the_estimate_says_when_its_best_fit_is_the_largest_count_tried():
    from discovery.cli import new_clusters_note

    rising = {"estimate": {"n_new": 40, "best": 40, "plausible": [30, 40], "scores": {"0": 0.1, "30": 0.14, "40": 0.15}}}
    assert "largest count tried (40)" in new_clusters_note(rising) and "may hold more" in new_clusters_note(rising)
    words = new_clusters_note(rising, words_only=True)  # TF-IDF's fit rises with the count: not "ask for more"
    assert "largest count tried (40)" in words and "weak evidence" in words and "may hold more" not in words
    peaked = {"estimate": {"n_new": 30, "best": 30, "plausible": [30, 40], "scores": {"0": 0.1, "30": 0.15, "40": 0.14}}}
    unread = new_clusters_note(rising, unread=True)  # an English-only model on other languages: not "ask for more"
    assert "weak evidence from a model that does not read many of these texts" in unread and "may hold more" not in unread
    assert "largest count" not in new_clusters_note(peaked)
    # a small table's search stops at one cluster per five unlabeled rows: not "the data may hold more", but TF-IDF
    # taking that last count is weak evidence all the same (tickets in Japanese: 38 candidates of 42 clusters)
    capped = {"estimate": dict(rising["estimate"], capped_by_rows=True)}
    assert "largest count" not in new_clusters_note(capped)
    assert "weak evidence" in new_clusters_note(capped, words_only=True)
    assert "weak evidence" in new_clusters_note(capped, unread=True)
    emptied = dict(peaked, empty_new_clusters=2)
    assert "2 of them ended with no rows and are not listed" in new_clusters_note(emptied)


def test_more_new_clusters_than_rows_allow_is_said_not_called_given(tmp_path):
    pd.read_csv(DEMO, dtype=str, keep_default_na=False).head(100).to_csv(tmp_path / "small.csv", index=False)
    done = discovery("run", tmp_path / "small.csv", "--model", "tfidf", "--new-clusters", "5000", "--quiet",
                     "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    line = next(l for l in done.stdout.splitlines() if l.startswith("new clusters:"))
    assert "(--new-clusters 5000 asked for more than the unlabeled rows allow)" in line and "given" not in line
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["clustering"]["n_new_clusters_asked"] == 5000


def test_fewer_rows_to_label_next_than_asked_for_are_said(tmp_path):
    """The manifest recorded --label-next 5000 and the file held a few hundred rows without a word on why."""
    pd.read_csv(DEMO, dtype=str, keep_default_na=False).head(600).to_csv(tmp_path / "small.csv", index=False)
    done = discovery("run", tmp_path / "small.csv", "--model", "tfidf", "--label-next", "5000", "--quiet",
                     "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    written = len(pd.read_csv(tmp_path / "out" / "label_next.csv"))
    assert 0 < written < 5000 and manifest["label_next_rows"] == 5000 and manifest["label_next_written"] == written
    assert f"label_next.csv: {written:,} rows, not the 5,000 asked for" in done.stdout


def test_candidates_the_named_classes_explain_are_said_to_be_likely_parts_of_them(tmp_path):
    """800 real SNIPS texts, every intent named on a tenth of the rows: TF-IDF vectors make dozens of candidates
    out of the named intents' phrasings. The run says the named classes explain them, not that the data may hold
    more categories; MiniLM on the same table makes no such candidates and says nothing."""
    from shared_paths import SHARED

    frame = pd.read_csv(SHARED / "snips" / "train.tsv", sep="\t").sample(800, random_state=0)
    frame.loc[np.random.RandomState(0).rand(800) >= 0.1, "label"] = np.nan
    frame.to_csv(tmp_path / "snips.csv", index=False)
    done = discovery("run", tmp_path / "snips.csv", "--model", "tfidf", "--quiet", "--label-next", "0",
                     "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("candidates: they hold"))
    share, fit = (int(word.rstrip("%")) for word in line.split() if word.endswith("%"))
    assert share >= 50 and fit >= 90 and "many may be parts of named classes" in line
    assert "may hold more" not in done.stdout
    clusters = pd.read_csv(tmp_path / "out" / "clusters.csv")
    candidates = clusters[clusters.status == "candidate"]
    unlabeled = candidates["size"] - candidates.n_labeled
    assert round(100 * (candidates.known_fit * unlabeled).sum() / unlabeled.sum()) == fit
    frozen = discovery("run", tmp_path / "snips.csv", "--no-adapt", "--quiet", "--label-next", "0",
                       "--out", tmp_path / "minilm")
    assert frozen.returncode == 0, frozen.stderr
    assert "candidates: they hold" not in frozen.stdout


def test_a_review_file_in_another_encoding_leaves_the_datas_texts_as_they_were(tmp_path):
    """A spreadsheet saved the typed labels in latin-1: the message names --labeled-encoding, which reads that file
    alone (--encoding decoded the UTF-8 data as latin-1 too, garbling every accent), and --encoding on a UTF-8 file
    is warned about."""
    from discovery import read_table

    texts = ["où est ma carte ?", "le taux de change est élevé", "ma carte est bloquée", "café au distributeur"] * 3
    pd.DataFrame({"text": texts, "label": ["a", "b", None, None] * 3}).to_csv(tmp_path / "data.csv", index=False)
    review = pd.DataFrame({"row_id": [2, 3], "text": [texts[2], texts[3]], "label": ["a", "b"]})
    review.to_csv(tmp_path / "typed.csv", index=False, encoding="latin-1")
    refused = discovery("add-labels", tmp_path / "data.csv", tmp_path / "typed.csv", "--out", tmp_path / "r.parquet")
    assert refused.returncode == 2 and "--labeled-encoding latin-1" in refused.stderr
    added = discovery("add-labels", tmp_path / "data.csv", tmp_path / "typed.csv", "--labeled-encoding", "latin-1",
                      "--out", tmp_path / "r.parquet")
    assert added.returncode == 0, added.stderr
    reviewed = read_table(tmp_path / "r.parquet")
    assert reviewed.texts == texts and reviewed.labeled_in_review.sum() == 2
    garbled = discovery("add-labels", tmp_path / "data.csv", tmp_path / "typed.csv", "--encoding", "latin-1",
                        "--labeled-encoding", "latin-1", "--out", tmp_path / "g.parquet")
    assert "it is valid UTF-8 with letters beyond ASCII" in garbled.stderr


def test_the_manifest_records_how_the_labels_were_read(tmp_path):
    """The marker, missing words as labels and the encoding decide which rows are labeled: a run repeats from its
    manifest only with them."""
    frame = pd.read_csv(DEMO, dtype=str, keep_default_na=False).head(120)
    frame.loc[frame.label == "", "label"] = "?"
    frame.to_csv(tmp_path / "marked.csv", index=False, encoding="latin-1", errors="replace")
    done = discovery("run", tmp_path / "marked.csv", "--model", "tfidf", "--unlabeled-marker", "?",
                     "--missing-words-are-labels", "--encoding", "latin-1", "--quiet", "--label-next", "0",
                     "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    read = json.loads((tmp_path / "out" / "manifest.json").read_text())["input"]
    assert (read["unlabeled_marker"], read["missing_words_are_labels"], read["encoding"]) == ("?", True, "latin-1")
    assert "?" not in read["known_labels"]


def test_labels_drawn_at_random_and_added_with_add_labels_can_score_the_estimate(tmp_path):
    """A researcher starting unlabeled labels rows picked at random: added as review labels they are never held out
    and nothing estimates the fill-in's accuracy; --drawn-at-random adds them as the data's own, so the run does."""
    from shared_paths import intent_rows

    frame = intent_rows("banking", ["card_arrival", "exchange_rate", "pin_blocked"], per_intent=30)
    frame[["text"]].assign(label="").to_csv(tmp_path / "texts.csv", index=False)
    drawn = frame.sample(24, random_state=0)
    pd.DataFrame({"row_id": drawn.index, "text": drawn.text, "label": drawn.label}).to_csv(tmp_path / "typed.csv",
                                                                                            index=False)
    for flag, scored in (([], False), (["--drawn-at-random"], True)):
        added = discovery("add-labels", tmp_path / "texts.csv", tmp_path / "typed.csv", *flag, "--out",
                          tmp_path / "r.parquet")
        assert added.returncode == 0, added.stderr
        assert ("added as the data's own" in added.stdout) == scored
        done = discovery("run", tmp_path / "r.parquet", "--model", "tfidf", "--quiet", "--label-next", "0",
                         "--out", tmp_path / "out")
        assert done.returncode == 0, done.stderr
        assert ("estimated accuracy" in done.stdout) == scored, done.stdout
        assert ("--drawn-at-random" in done.stdout) != scored


def test_add_labels_reads_the_data_as_the_run_that_wrote_the_review_file(tmp_path):
    """A run given --unlabeled-marker '?' writes label_next.csv; add-labels without the marker read '?' as a class
    of 60 rows and saved it as the data's own labels. It now takes the marker from the manifest.json beside the
    review file when the data is the very file that run read, and says so."""
    import json

    from shared_paths import intent_rows

    frame = intent_rows("banking", ["card_arrival", "exchange_rate", "pin_blocked"], per_intent=30)
    frame["label"] = [label if i % 5 == 0 else "?" for i, label in enumerate(frame.label)]
    frame.to_csv(tmp_path / "data.csv", index=False)
    done = discovery("run", tmp_path / "data.csv", "--model", "tfidf", "--unlabeled-marker", "?", "--quiet",
                     "--label-next", "5", "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    review = pd.read_csv(tmp_path / "out" / "label_next.csv", dtype=str, keep_default_na=False)
    truth = pd.read_csv(tmp_path / "data.csv", dtype=str, keep_default_na=False)  # the ids are positions
    review["label"] = intent_rows("banking", ["card_arrival", "exchange_rate", "pin_blocked"], per_intent=30).label[
        review.row_id.astype(int)].to_numpy()
    review.to_csv(tmp_path / "out" / "typed.csv", index=False)
    added = discovery("add-labels", tmp_path / "data.csv", tmp_path / "out" / "typed.csv", "--out", tmp_path / "r.parquet")
    assert added.returncode == 0, added.stderr
    assert "--unlabeled-marker '?'" in added.stderr and "manifest.json" in added.stderr
    labels = pd.read_parquet(tmp_path / "r.parquet")["label"]
    assert not labels.eq("?").any()
    assert labels.notna().sum() == (truth.label != "?").sum() + 5
    # the run's own label_next.csv copies the data's '?' cells: typed by nobody, it is replaced, not moved aside
    again = discovery("run", tmp_path / "data.csv", "--model", "tfidf", "--unlabeled-marker", "?", "--quiet",
                      "--label-next", "5", "--out", tmp_path / "out")
    assert again.returncode == 0 and "moved to" not in again.stderr, again.stderr
    # another file than the run read (a row added since): of that manifest, only the marker its label column holds
    # is taken (without it, '?' was a class of 72 rows in the copy, and the next run learned it)
    grown = pd.concat([truth, pd.DataFrame({"text": ["how do I top up by cheque"], "label": ["?"]})])
    grown.to_csv(tmp_path / "other.csv", index=False)
    other = discovery("add-labels", tmp_path / "other.csv", tmp_path / "out" / "typed.csv", "--out", tmp_path / "o.parquet")
    assert other.returncode == 0, other.stderr
    assert "manifest.json)" not in other.stderr and "'?' in 'label' read as unlabeled" in other.stderr
    labels = pd.read_parquet(tmp_path / "o.parquet")["label"]
    assert not labels.eq("?").any() and labels.notna().sum() == (truth.label != "?").sum() + 5
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["input"]["unlabeled_marker"] == "?"
    # the run's second review file folded onto the copy the first made (helper 89: the marker typed into it, in
    # another case, became a class there, since the copy holds no marker cell to find it by)
    second = review.copy()
    second["label"] = "?"
    second.loc[0, "label"] = "another_intent"
    second.to_csv(tmp_path / "out" / "second.csv", index=False)
    folded = discovery("add-labels", tmp_path / "r.parquet", tmp_path / "out" / "second.csv", "--out",
                       tmp_path / "r2.parquet")
    assert folded.returncode == 0, folded.stderr
    labels = pd.read_parquet(tmp_path / "r2.parquet")["label"]
    assert not labels.eq("?").any() and labels.notna().sum() == (truth.label != "?").sum() + 5
    assert labels.eq("another_intent").sum() == 1
    # helper 126: a manifest.json of a version that did not record the marker: '?' became a class of 72 rows, and
    # nothing said that the manifest could not tell
    manifest_path = tmp_path / "out" / "manifest.json"
    older = json.loads(manifest_path.read_text())
    del older["input"]["unlabeled_marker"]
    manifest_path.write_text(json.dumps(older))
    old_run = discovery("add-labels", tmp_path / "data.csv", tmp_path / "out" / "typed.csv", "--out",
                        tmp_path / "old.parquet")
    assert "was written by an earlier version, which did not record the unlabeled marker" in old_run.stderr
    assert "give --unlabeled-marker '?'" in old_run.stderr
    assert "earlier version" not in added.stderr + other.stderr


def review_round(data_path, run_flags: list, label_column: str, n_typed: int, label: str, tmp_path):
    """``discovery run`` with ``run_flags`` into tmp_path/a, ``label`` typed into the first ``n_typed`` rows of its
    label_next.csv, and ``discovery add-labels`` without options: its result."""
    ran = discovery("run", data_path, *run_flags, "--model", "tfidf", "--quiet", "--label-next", "10", "--out",
                    tmp_path / "a")
    assert ran.returncode == 0, ran.stderr
    label_next = pd.read_csv(tmp_path / "a" / "label_next.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    label_next.loc[: n_typed - 1, label_column] = label
    label_next.to_csv(tmp_path / "a" / "label_next.csv", index=False)
    added = discovery("add-labels", data_path, tmp_path / "a" / "label_next.csv", "--out", tmp_path / "reviewed.parquet")
    assert added.returncode == 0, added.stderr
    return added


def test_add_labels_says_when_proposals_were_corrected_instead_of_labels(demo_slice, tmp_path):
    """Corrections typed into proposed_labels.csv's proposed_label column were ignored without a word (0 rows
    added, exit 0): they are named, refused when nothing else was typed, a warning beside labels typed."""
    ran = discovery("run", demo_slice, "--model", "tfidf", "--quiet", "--out", tmp_path / "a")
    assert ran.returncode == 0, ran.stderr
    path = tmp_path / "a" / "proposed_labels.csv"
    proposed = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    unlabeled = np.flatnonzero(proposed.label.to_numpy() == "")
    proposed.loc[unlabeled[:3], "proposed_label"] = "corrected_by_me"
    proposed.to_csv(path, index=False)
    refused = discovery("add-labels", demo_slice, path, "--out", tmp_path / "reviewed.parquet")
    rows = ", ".join(proposed.row_id[unlabeled[:3]])
    assert refused.returncode != 0 and not (tmp_path / "reviewed.parquet").exists()
    assert f"3 rows (row_id {rows}) have another proposed_label or accepted than the run wrote" in refused.stderr
    assert "reads only the 'label' column" in refused.stderr
    proposed.loc[unlabeled[3], "label"] = "typed_as_asked"
    proposed.to_csv(path, index=False)
    added = discovery("add-labels", demo_slice, path, "--out", tmp_path / "reviewed.parquet")
    assert added.returncode == 0 and "those rows were left as they were" in added.stderr
    assert "1 unlabeled rows" in added.stdout


def test_proposals_copied_into_the_label_column_are_recorded_as_accepted_proposals(tmp_path):
    """Accepting the proposals in bulk (proposed_label copied into label where accepted) made thousands of the
    tool's guesses 'labeled in review' without a word; they are recorded as accepted proposals, the run warns, and
    a label typed otherwise than the proposal stays labeled in review."""
    data = tmp_path / "demo.csv"
    pd.read_csv(DEMO, dtype=str, keep_default_na=False).head(1500).to_csv(data, index=False)
    ran = discovery("run", data, "--model", "tfidf", "--quiet", "--out", tmp_path / "a")
    assert ran.returncode == 0, ran.stderr
    path = tmp_path / "a" / "proposed_labels.csv"
    proposed = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    take = (proposed.label == "") & (proposed.accepted == "True")
    proposed.loc[take, "label"] = proposed.proposed_label[take]
    corrected = np.flatnonzero(((proposed.label == "") & ~take).to_numpy())[:2]
    proposed.loc[corrected, "label"] = "typed_by_me"
    proposed.to_csv(path, index=False)
    added = discovery("add-labels", data, path, "--out", tmp_path / "reviewed.parquet")
    assert added.returncode == 0, added.stderr
    n = int(take.sum())
    assert n >= 100 and f"labeled ({n:,} of them typed as the proposal the file shows: recorded as 'accepted proposal', the others as labeled in review)" in added.stdout
    assert f"{n:,} of the labels typed are the proposal the file shows for their row" in added.stderr
    origins = pd.read_parquet(tmp_path / "reviewed.parquet").label_origin.value_counts()
    assert origins["accepted proposal"] == n and origins["labeled in review"] == 2
    again = discovery("run", tmp_path / "reviewed.parquet", "--model", "tfidf", "--quiet", "--out", tmp_path / "b")
    assert again.returncode == 0, again.stderr
    read = json.loads((tmp_path / "b" / "manifest.json").read_text())["input"]
    assert read["accepted_proposals"] == n and read["labeled_in_review"] == n + 2
    # nobody may have read them: the label check still lists those the rest of the data doubts
    doubted = pd.read_csv(tmp_path / "b" / "labels_to_check.csv", encoding="utf-8-sig", dtype=str)
    assert (doubted.label_origin == "accepted proposal").any()
    # the rows left unlabeled are those the proposals were less sure of: the estimate says it may be far too high
    estimate = json.loads((tmp_path / "b" / "manifest.json").read_text())["fill_estimate"]
    assert f"{n:,} labels are proposals accepted earlier" in estimate["caveat"] and "read low" not in estimate["caveat"].replace("alone would make the estimate read low", "")
    # drawn at random they would be held out, and the estimate would score the tool's own guesses: refused
    drawn = discovery("add-labels", data, path, "--drawn-at-random", "--out", tmp_path / "drawn.parquet")
    assert drawn.returncode != 0 and "with --drawn-at-random they would be held out" in drawn.stderr
    assert not (tmp_path / "drawn.parquet").exists()
    # an accepted proposal typed again in a file without proposals (label_next.csv, read by a person): in review
    copy = pd.read_parquet(tmp_path / "reviewed.parquet")
    accepted_rows = np.flatnonzero((copy.label_origin == "accepted proposal").to_numpy())
    again_rows, corrected_row = accepted_rows[:3], int(accepted_rows[3])
    rows = [*again_rows, corrected_row]
    typed = pd.DataFrame({"row_id": rows, "text": copy.text.to_numpy()[rows],
                          "label": [*copy.label.to_numpy()[again_rows], "typed_by_me"]})
    typed.to_csv(tmp_path / "confirmed.csv", index=False)
    read = discovery("add-labels", tmp_path / "reviewed.parquet", tmp_path / "confirmed.csv", "--out", tmp_path / "read.parquet")
    assert read.returncode == 0, read.stderr
    assert set(pd.read_parquet(tmp_path / "read.parquet").label_origin.to_numpy()[again_rows]) == {"labeled in review"}
    assert "and 3 accepted proposals typed again as the label the data has: read, so now labeled in review" in read.stdout
    # a file that only confirms accepted proposals changes where their labels came from: written, not "adds no label"
    typed.head(3).to_csv(tmp_path / "only_confirmed.csv", index=False)
    only = discovery("add-labels", tmp_path / "reviewed.parquet", tmp_path / "only_confirmed.csv", "--out", tmp_path / "only.parquet")
    assert only.returncode == 0, only.stderr
    assert set(pd.read_parquet(tmp_path / "only.parquet").label_origin.to_numpy()[again_rows]) == {"labeled in review"}
    assert "reviewed.parquet: no label typed that it lacks or holds otherwise, and 3 accepted proposals typed again" \
        in only.stdout
    # the label a correction replaces was the copy's (an accepted proposal), not "the data's"
    was = copy.label.to_numpy()[corrected_row]
    assert f"holds: row {corrected_row}: {was!r} -> 'typed_by_me'" in read.stderr and "from the data's" not in read.stderr
    # a proposal confirmed in label_next.csv was read: labeled in review
    suggested = pd.read_csv(tmp_path / "a" / "label_next.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    suggested["label"] = suggested.proposed_label
    suggested.to_csv(tmp_path / "a" / "label_next.csv", index=False)
    confirmed = discovery("add-labels", data, tmp_path / "a" / "label_next.csv", "--out", tmp_path / "next.parquet")
    assert confirmed.returncode == 0 and "accepted proposal" not in confirmed.stdout + confirmed.stderr
    assert "accepted proposal" not in set(pd.read_parquet(tmp_path / "next.parquet").label_origin.dropna())


def test_add_labels_says_when_new_labels_typed_in_two_spellings_were_made_one(demo_slice, tmp_path):
    """'CARD_THING' and 'card_thing', both new, became one class without a word."""
    import json

    ran = discovery("run", demo_slice, "--model", "tfidf", "--quiet", "--label-next", "6", "--out", tmp_path / "a")
    assert ran.returncode == 0, ran.stderr
    path = tmp_path / "a" / "label_next.csv"
    label_next = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    label_next.loc[:2, "label"] = ["CARD_THING", "card_thing", "card_thing"]
    # a class of the data's typed in two other spellings: both are said (helper 89: only the one reading the file
    # kept was, though every row took the data's spelling)
    known = sorted(set(pd.read_csv(demo_slice, dtype=str, keep_default_na=False).label) - {""})[0]
    label_next.loc[3:5, "label"] = [known.upper(), known.upper(), known.replace("_", " ")]
    label_next.to_csv(path, index=False)
    added = discovery("add-labels", demo_slice, path, "--out", tmp_path / "reviewed.parquet")
    assert added.returncode == 0, added.stderr
    assert "new labels typed in more than one spelling (case, spaces, separators) were made one: 'CARD_THING' -> 'card_thing'" \
        in added.stderr
    took = [line for line in added.stderr.splitlines() if "took its spelling" in line]
    assert len(took) == 1 and f"{known.upper()!r} -> {known!r}" in took[0]
    assert f"{known.replace('_', ' ')!r} -> {known!r}" in took[0]
    assert (pd.read_parquet(tmp_path / "reviewed.parquet").label == known).sum() >= 3
    labels = pd.read_parquet(tmp_path / "reviewed.parquet").label
    assert "CARD_THING" not in set(labels) and (labels == "card_thing").sum() == 3
    # the next run keeps this run's estimated count of new clusters (less the categories named in its decisions, as
    # the dashboard's Run again: none here; a label typed for a few rows is no category found)
    estimated = json.loads((tmp_path / "a" / "manifest.json").read_text())["clustering"]["estimate"]["n_new"]
    assert f"reviewed.parquet --out=... --model=tfidf --keep-new-clusters={estimated} --label-next=6`" in added.stdout
    # a candidate named by typing a new label for its rows in proposed_labels.csv is a category found too (helper 89)
    proposals_path = tmp_path / "a" / "proposed_labels.csv"
    proposals = pd.read_csv(proposals_path, dtype=str, keep_default_na=False)
    sizes = proposals.cluster_id[proposals.cluster_status == "candidate"].value_counts()
    first, second = sizes.index[-2:]  # two small candidates, typed with one label in two spellings: one category
    third = sizes.index[0]  # the largest, one of its rows typed: no category found (helper 98)
    proposals.loc[proposals.cluster_id == first, "label"] = "a category found"
    proposals.loc[proposals.cluster_id == second, "label"] = "A Category Found"
    proposals.loc[proposals.index[proposals.cluster_id == third][:1], "label"] = "one row of another"
    assert sizes[third] >= 3
    proposals.to_csv(proposals_path, index=False)
    named = discovery("add-labels", demo_slice, proposals_path, "--out", tmp_path / "named.parquet")
    assert named.returncode == 0, named.stderr
    assert estimated >= 1 and (f"named.parquet --out=... --model=tfidf --keep-new-clusters={estimated - 1} "
                               "--label-next=6`") in named.stdout
    # the count travels in the copy: a run on it given no count keeps it, as the dashboard does (hunt 133: opened
    # there, a copy add-labels advised 41 new clusters for estimated 21)
    from discovery.relabel import advised_new_clusters

    assert advised_new_clusters(tmp_path / "named.parquet") == estimated - 1
    assert advised_new_clusters(demo_slice) is None
    again = discovery("run", tmp_path / "named.parquet", "--model", "tfidf", "--quiet", "--out", tmp_path / "b")
    assert again.returncode == 0, again.stderr
    assert f"asks to keep {estimated - 1} new cluster" in again.stderr
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["config"]["preferred_n_new_clusters"] == estimated - 1
    given = discovery("run", tmp_path / "named.parquet", "--model", "tfidf", "--quiet", "--new-clusters", "2",
                      "--out", tmp_path / "c")
    assert given.returncode == 0 and "asks to keep" not in given.stderr


def test_the_next_run_add_labels_advises_keeps_the_settings_of_the_run_that_wrote_the_review_file(demo_slice, tmp_path):
    """Helper 129: after a TF-IDF hdbscan run of seed 3, add-labels advised `discovery run copy.parquet --out ...`,
    which runs the default model, method and seed; the line it prints now repeats that run's settings."""
    import shlex

    from discovery.cli import build_parser, parse_args

    ran = discovery("run", demo_slice, "--model", "tfidf", "--method", "hdbscan", "--min-cluster-size", "20",
                    "--seed", "3", "--leave-out", "my card", "--no-balance", "--quiet", "--out", tmp_path / "a")
    assert ran.returncode == 0, ran.stderr
    review = pd.read_csv(tmp_path / "a" / "label_next.csv", dtype=str, keep_default_na=False)
    truth = pd.read_csv(demo_slice, dtype=str, keep_default_na=False)
    review.loc[:4, "label"] = truth.label[truth.label != ""].iloc[0]
    review.to_csv(tmp_path / "a" / "typed.csv", index=False)
    added = discovery("add-labels", demo_slice, tmp_path / "a" / "typed.csv", "--out", tmp_path / "copy.parquet")
    assert added.returncode == 0, added.stderr
    line = added.stdout.split("(run `")[1].split("`")[0]
    args = parse_args(build_parser(), shlex.split(line)[1:])
    assert (args.input, args.model, args.method, args.min_cluster_size, args.seed, args.leave_out) == (
        str(tmp_path / "copy.parquet"), "tfidf", "hdbscan", 20, 3, ["my card"])
    assert args.balance is False and args.keep_new_clusters is None  # hdbscan finds its own number


def test_add_labels_reads_the_data_with_the_columns_the_run_was_given(demo_slice, tmp_path):
    """A run given --text-col utterance --label-col intent: add-labels without them asked for --text-col, then
    advised renaming the typed column to 'label', which dropped the data's own labels from the next run."""
    from discovery import read_table

    data = pd.read_csv(demo_slice, dtype=str, keep_default_na=False).rename(columns={"text": "utterance",
                                                                                     "label": "intent"})
    data.to_csv(tmp_path / "intents.csv", index=False)
    added = review_round(tmp_path / "intents.csv", ["--text-col", "utterance", "--label-col", "intent"], "intent",
                         5, "typed_in_review", tmp_path)
    assert "--text-col 'utterance', --label-col 'intent', from its manifest.json" in added.stderr
    before = read_table(tmp_path / "intents.csv", text_column="utterance", label_column="intent")
    assert f"{before.n_labeled + 5:,} labeled rows in all" in added.stdout
    assert "discovery run " in added.stdout and "--text-col=utterance --label-col=intent" in added.stdout
    after = read_table(tmp_path / "reviewed.parquet", text_column="utterance", label_column="intent")
    assert after.n_labeled == before.n_labeled + 5 and "typed_in_review" in after.codec.names


def test_add_labels_reads_the_review_file_with_the_runs_columns_when_the_datas_label_column_was_renamed(demo_slice,
                                                                                                        tmp_path):
    """The data's label column renamed after the run ('label' to 'category'): add-labels said the review file held
    labels of an earlier round the data lacks, and --label-col category then found no such column in label_next.csv,
    with no way to name the review file's (helper 101). Now: what is missing, and the flag reads both files."""
    from discovery import read_table

    review_round(demo_slice, [], "label", 3, "typed_in_review", tmp_path)
    data = pd.read_csv(demo_slice, dtype=str, keep_default_na=False).rename(columns={"label": "category"})
    data.to_csv(tmp_path / "renamed.csv", index=False)
    label_next = tmp_path / "a" / "label_next.csv"
    unnamed = discovery("add-labels", tmp_path / "renamed.csv", label_next, "--out", tmp_path / "r.parquet")
    assert unnamed.returncode != 0 and "earlier round" not in unnamed.stderr
    assert "renamed.csv has no label column 'label'" in unnamed.stderr and "--label-col" in unnamed.stderr
    named = discovery("add-labels", tmp_path / "renamed.csv", label_next, "--label-col", "category", "--out",
                      tmp_path / "r.parquet")
    assert named.returncode == 0, named.stderr
    assert "read with its label column 'label', as the run that wrote it named it" in named.stderr
    before = read_table(tmp_path / "renamed.csv", label_column="category")
    after = read_table(tmp_path / "r.parquet", label_column="category")
    assert after.n_labeled == before.n_labeled + 3 and "typed_in_review" in after.codec.names


def test_add_labels_advises_the_flags_that_read_the_copy_as_the_data_was_read(demo_slice, tmp_path):
    """A class called 'none' read with --missing-words-are-labels: the advised next run left the flag out and read
    the class as unlabeled."""
    data = pd.read_csv(demo_slice, dtype=str, keep_default_na=False)
    first = data.label[data.label != ""].iloc[0]
    data["label"] = data.label.replace(first, "none")
    data.to_csv(tmp_path / "with_none.csv", index=False)
    added = review_round(tmp_path / "with_none.csv", ["--missing-words-are-labels"], "label", 2, "none", tmp_path)
    assert " --missing-words-are-labels" in added.stdout.split("(run `")[1].split("`")[0]


def test_a_minus_one_typed_in_a_review_file_is_named_as_a_class(tmp_path):
    """'-1 (as a spreadsheet escapes -1) typed into a review file became the class -1 without a word; reading the
    data warns of such labels, and add-labels now does too, naming the marker option."""
    from shared_paths import intent_rows

    frame = intent_rows("banking", ["card_arrival", "exchange_rate"], per_intent=10)
    frame.assign(label=[label if i % 3 == 0 else "" for i, label in enumerate(frame.label)]).to_csv(
        tmp_path / "data.csv", index=False)
    review = pd.DataFrame({"row_id": [1, 2], "text": frame.text[[1, 2]], "label": ["'-1", "exchange_rate"]})
    review.to_csv(tmp_path / "typed.csv", index=False)
    added = discovery("add-labels", tmp_path / "data.csv", tmp_path / "typed.csv", "--out", tmp_path / "r.parquet")
    assert added.returncode == 0, added.stderr
    assert "'-1' typed as a label is taken as a class name" in added.stderr and "leave that cell blank" in added.stderr
    marked = discovery("add-labels", tmp_path / "data.csv", tmp_path / "typed.csv", "--unlabeled-marker", "-1",
                       "--out", tmp_path / "m.parquet")
    assert marked.returncode == 0 and "taken as a class name" not in marked.stderr
    labels = pd.read_parquet(tmp_path / "m.parquet").label
    assert labels[1] is None or pd.isna(labels[1])
    assert labels[2] == "exchange_rate"


def test_add_labels_reads_the_data_in_the_encoding_the_run_read_it(tmp_path):
    """A run given --encoding cp1252 wrote label_next.csv; add-labels without --encoding read the data as UTF-8 and
    failed ("not valid UTF-8") though the manifest beside the review file says how the run read it."""
    from shared_paths import intent_rows

    frame = intent_rows("banking", ["card_arrival", "exchange_rate", "pin_blocked"], per_intent=20)
    frame["text"] = frame.text + " (caf\u00e9, \u20ac5)"
    frame["label"] = [label if i % 4 == 0 else "" for i, label in enumerate(frame.label)]
    (tmp_path / "data.csv").write_bytes(frame.to_csv(index=False).encode("cp1252"))
    done = discovery("run", tmp_path / "data.csv", "--encoding", "cp1252", "--model", "tfidf", "--quiet",
                     "--label-next", "5", "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    review = pd.read_csv(tmp_path / "out" / "label_next.csv", dtype=str, keep_default_na=False)
    review["label"] = "card_arrival"
    review.to_csv(tmp_path / "out" / "typed.csv", index=False)
    added = discovery("add-labels", tmp_path / "data.csv", tmp_path / "out" / "typed.csv", "--out", tmp_path / "r.parquet")
    assert added.returncode == 0, added.stderr
    assert "--encoding 'cp1252'" in added.stderr and "manifest.json" in added.stderr
    again = pd.read_parquet(tmp_path / "r.parquet")
    assert again.text.tolist() == frame.text.tolist() and again.label.notna().sum() == (frame.label != "").sum() + 5


def test_an_output_path_below_a_file_or_a_folder_named_parquet_is_refused_before_any_work(tmp_path, demo_slice):
    """add-labels crashed with a traceback (FileExistsError, IsADirectoryError) after reading and checking
    everything; run found out after the whole run."""
    (tmp_path / "folder.parquet").mkdir()
    for command, out in (("run", demo_slice / "sub"), ("add-labels", demo_slice / "r.parquet"),
                         ("add-labels", tmp_path / "folder.parquet")):
        args = [demo_slice, "--model", "tfidf", "--quiet"] if command == "run" else [demo_slice, demo_slice]
        done = discovery(command, *args, "--out", out)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.startswith("error: --out ") and ("is a file" in done.stderr or "is a folder" in done.stderr)


def test_candidates_that_lie_nearest_one_class_name_it(tmp_path):
    """One SNIPS intent 80% of the rows (a tenth of every row labeled): TF-IDF vectors split its many wordings into
    dozens of candidates (a helper's StackOverflow table: 88% of the big tag's unlabeled rows in 47 of them); the
    run names the class they lie nearest, not only that some may be parts of named classes."""
    from shared_paths import SHARED

    train = pd.read_csv(SHARED / "snips" / "train.tsv", sep="\t")
    names = sorted(train.label.unique())
    frame = pd.concat([train[train.label == names[0]].head(700)]
                      + [train[train.label == name].head(30) for name in names[1:]], ignore_index=True)
    frame.loc[np.random.RandomState(0).rand(len(frame)) >= 0.1, "label"] = np.nan
    frame.to_csv(tmp_path / "one_big.csv", index=False)
    done = discovery("run", tmp_path / "one_big.csv", "--model", "tfidf", "--quiet", "--label-next", "0",
                     "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    clusters = pd.read_csv(tmp_path / "out" / "clusters.csv")
    nearest = clusters[clusters.status == "candidate"].nearest_known_label
    n_big = int((nearest == names[0]).sum())
    assert n_big > len(nearest) / 2
    line = next(line for line in done.stdout.splitlines() if line.startswith("candidates: they hold"))
    assert f"{n_big} of the {len(nearest)} lie nearest one class, {names[0]!r}" in line


def test_candidates_mostly_of_one_big_class_are_said_even_when_not_explained_and_merging_waits_for_reading(tmp_path):
    """One StackOverflow tag 75% of the rows and labeled most, a tail of small tags (TF-IDF): its wordings split into
    dozens of candidates nearest it, yet nothing was said, since its confidences stayed under the 'explained' gate;
    and where the gate passed, the run advised merging them all, which sent two unnamed SNIPS intents into a
    catch-all class (helper 104): named now, with reading before merging."""
    from shared_paths import SHARED

    train = pd.read_csv(SHARED / "stackoverflow" / "train.tsv", sep="\t")
    tags = sorted(train.label.unique())
    big, tail = tags[0], tags[1:13]
    frame = pd.concat([train[train.label == big].head(600)] + [train[train.label == tag].head(n) for tag, n in
                                                                zip(tail, [30, 25, 20, 20, 15, 15, 15, 12, 12, 10, 10, 10])],
                      ignore_index=True)
    first = frame.groupby("label").cumcount()
    frame["label"] = frame.label.where(first < np.where(frame.label == big, 60, 3))
    frame.to_csv(tmp_path / "one_big_tag.csv", index=False)
    done = discovery("run", tmp_path / "one_big_tag.csv", "--model", "tfidf", "--quiet", "--label-next", "0",
                     "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    nearest = pd.read_csv(tmp_path / "out" / "clusters.csv").query("status == 'candidate'").nearest_known_label
    n_big = int((nearest == big).sum())
    assert n_big > len(nearest) / 2
    assert not any(line.startswith("candidates: they hold") for line in done.stdout.splitlines())
    line = next(line for line in done.stdout.splitlines() if line.startswith(f"candidates: {n_big} of the"))
    assert f"lie nearest one class, {big!r}" in line and "read each" in line and "may still be a new category" in line


def test_a_fill_in_setting_turned_off_is_said_and_recorded(demo_slice, tmp_path):
    """Helper 129: with --no-balance the manifest's fill_balance was {} and neither the CLI nor the Fill-in page said
    anything; --no-words, unlike the words blended in, went unsaid. With the real model (not fine-tuned, so the words
    would be blended in)."""
    import json

    ran = discovery("run", demo_slice, "--no-adapt", "--no-balance", "--no-words", "--quiet", "--out", tmp_path / "a")
    assert ran.returncode == 0, ran.stderr
    assert "class balance: not used, turned off in the settings (--no-balance)" in ran.stdout
    assert "fill-in: the texts' words were not blended in: turned off in the settings (--no-words)" in ran.stdout
    record = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert record["fill_balance"] == {"used": False, "reason": "turned off in the settings (--no-balance)",
                                      "share_gap": None}
    assert record["fill_words"] is False
    usual = discovery("run", demo_slice, "--no-adapt", "--quiet", "--out", tmp_path / "b")
    assert "(--no-balance)" not in usual.stdout and "not blended in" not in usual.stdout
    assert "the texts' words were blended in" in usual.stdout
    tfidf = discovery("run", demo_slice, "--model", "tfidf", "--no-words", "--quiet", "--out", tmp_path / "c")
    assert "texts' words" not in tfidf.stdout  # TF-IDF never blends them in: the setting changed nothing (review 131)
    from dashboard.state import for_dashboard
    assert for_dashboard(record["fill_balance"]["reason"]) == "turned off in the settings (the sidebar's More settings)"


def test_the_advised_next_run_keeps_what_it_can_of_any_manifest_and_says_what_it_leaves_out():
    """Review 131: one setting no flag sets (an earlier version's n_neighbors 15) made the whole line fall back to the
    default model and method without a word; a count of new clusters given to the run was advised again on top of
    the categories named in review."""
    import shlex
    from pathlib import Path

    from discovery.cli import build_parser, next_run_command, parse_args

    def parsed(line):
        return parse_args(build_parser(), shlex.split(line)[1:])

    older = {"config": {"model": "tfidf", "method": "hdbscan", "random_state": 4, "n_neighbors": 15,
                        "fill_methods": ["knn", "propagation", "classifier"], "a_setting_since_removed": 1,
                        "make_map": False}}
    line, notes = next_run_command(Path("copy.parquet"), older, None, "text", "label", True)
    args = parsed(line)
    assert (args.model, args.method, args.seed, args.balance) == ("tfidf", "hdbscan", 4, False)
    assert notes == ["a_setting_since_removed: no longer a setting", "n_neighbors=15: no flag sets it"]
    dashboard = {"config": {"model": None, "random_state": 0, "make_map": True, "cache_dir": "/somewhere",
                            "n_new_clusters": 30, "leave_out": ["sent from my iphone"]}}
    line, notes = next_run_command(Path("copy.parquet"), dashboard, 12, "utterance", "label", True)
    args = parsed(line)
    assert (args.text_col, args.new_clusters, args.keep_new_clusters, args.leave_out) == (
        "utterance", None, 12, ["sent from my iphone"])
    assert len(notes) == 1 and notes[0].startswith("--new-clusters 30: the categories named in review")
    line, notes = next_run_command(Path("copy.parquet"), {}, 7, "text", "label", False)  # no manifest beside it
    assert parsed(line).keep_new_clusters == 7 and parsed(line).missing_words is False and notes == []
    # hunt 132: the threshold, --label-next and --split-flagged went unsaid; a model folder named from where the
    # first run ran could not be found from elsewhere
    folder = Path(__file__).resolve().parents[1]
    cli_run = {"config": {"model": "tests", "random_state": 0}, "min_confidence": 0.8, "command_folder": str(folder),
               "command": "discovery run data.csv --model tests --min-confidence 0.8 --label-next 20 --split-flagged "
                          "--out out"}
    args = parsed(next_run_command(Path("copy.parquet"), cli_run, None, "text", "label", True)[0])
    assert (args.min_confidence, args.label_next, args.split_flagged, args.model) == (0.8, 20, True,
                                                                                      str(folder / "tests"))


def test_help_and_a_refused_flag_answer_without_loading_the_libraries_a_run_needs(tmp_path):
    """`discovery --help` and a flag that cannot be (here with a table that does not exist, so no table was read
    first) are answered before scikit-learn, pandas or torch load: they took 3 s of imports, now a tenth of one."""
    probe = ("import contextlib, io, json, sys\n"
             "from discovery.cli import main\n"
             "err = io.StringIO()\n"
             "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):\n"
             "    try:\n"
             "        main(sys.argv[1:])\n"
             "    except SystemExit:\n"
             "        pass\n"
             "print(json.dumps([err.getvalue(), [m for m in ('sklearn', 'pandas', 'torch', 'scipy') if m in sys.modules]]))\n")
    said = {}
    for args in (["--help"], ["run", tmp_path / "absent.csv", "--out", tmp_path / "out", "--min-cluster-size", "5"],
                 ["add-labels", tmp_path / "absent.csv", tmp_path / "absent2.csv", "--out", tmp_path / "x.csv"]):
        done = subprocess.run([sys.executable, "-c", probe, *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                              timeout=120)
        said[args[0]], loaded = json.loads(done.stdout)
        assert loaded == [], (args, loaded)
    # the flag, not the missing table: flags are checked before the table is read
    assert said["run"].startswith("error: --min-cluster-size sets how fine hdbscan's clusters are"), said
    assert said["add-labels"].startswith("error: --out") and ".parquet" in said["add-labels"], said


def test_the_package_still_gives_every_name_it_lists():
    """The package loads its names when first asked for (so the CLI starts fast); each one listed is there."""
    import discovery

    for name in discovery.__all__:
        assert getattr(discovery, name).__name__ == name
    assert set(discovery.__all__) <= set(dir(discovery))
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        discovery.no_such_name
