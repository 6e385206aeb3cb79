"""``discovery evaluate``: the NID protocol end to end, the paper's draw, and bad benchmark folders."""

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from discovery.errors import InputError
from discovery.evaluate import evaluate_dataset, format_table, load_dataset, protocol_draw, stratified_sample

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
MCID = SHARED / "mcid_mtpclnn"
BANKING = SHARED / "banking"
KEYS = {"acc", "nmi", "ari", "known_acc", "novel_acc", "h_score", "n_clusters", "fillin_acc", "fillin_confidence",
        "fillin_named_acc", "fillin_named_confidence", "fillin_in_candidates", "seconds"}

needs_data = pytest.mark.skipif(not (MCID / "train.tsv").exists() or not (BANKING / "train.tsv").exists(),
                                reason="shared benchmark datasets not present")


def run_cli(*args, timeout=120):
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", "discovery.cli", "evaluate", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, env=env)


@needs_data
def test_cli_json_on_mcid_is_sane():
    proc = run_cli(MCID, "--seeds", "0", "--known-ratio", "0.75", "--json", "-", "--model", "tfidf", "--quiet")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)  # strict JSON: stdout holds nothing else
    assert {"dataset", "known_ratio", "labeled_ratio", "k", "seeds", "mean", "std", "per_seed", "method", "model",
            "embedding_cache_warm"} <= set(report)
    assert report["dataset"] == "mcid_mtpclnn" and report["seeds"] == [0] and report["k"] == "estimated"
    assert report["known_ratio"] == 0.75 and report["labeled_ratio"] == 0.1
    assert report["model"] == "tfidf" and report["method"] == "seeded-kmeans"
    assert report["embedding_cache_warm"] is None  # tfidf has no cache
    assert set(report["mean"]) == KEYS and set(report["std"]) == KEYS
    seed = report["per_seed"][0]
    n_known = round(16 * 0.75)
    assert seed["n_known"] == n_known == len(seed["known_classes"])
    for key in ("acc", "nmi", "ari", "known_acc", "novel_acc", "h_score", "fillin_acc", "fillin_confidence"):
        assert 0.0 <= seed[key] <= 100.0, key
        assert seed[key] == report["mean"][key] and report["std"][key] == 0.0
    # the confidence of rows given a named class is compared with their accuracy; open candidates' rows apart
    in_candidates = seed["fillin_in_candidates"] / 100
    assert 0 < in_candidates < 1 and seed["fillin_named_acc"] > seed["fillin_acc"]
    assert seed["fillin_acc"] == pytest.approx(seed["fillin_named_acc"] * (1 - in_candidates))  # placeholders: wrong
    assert abs(seed["fillin_named_confidence"] - seed["fillin_named_acc"]) < 10
    # tf-idf on 16 COVID intents is far above chance (1/16) but not perfect
    assert 25.0 < seed["acc"] < 95.0
    assert seed["n_clusters"] > n_known  # the new classes got clusters of their own
    # TF-IDF's fit rises with the count: 60 clusters for 16 classes, at the estimate's top; the table says so
    assert seed["k_at_largest_tried"] and "seed 0: the estimate's best fit was the most new clusters it tried" \
        in format_table(report)
    assert seed["seconds"] > 0 and seed["embed_seconds"] <= seed["seconds"]
    h = 2 * seed["known_acc"] * seed["novel_acc"] / (seed["known_acc"] + seed["novel_acc"])
    assert seed["h_score"] == pytest.approx(h)
    # 10% of each known class's train rows are labeled
    train = pd.read_csv(MCID / "train.tsv", sep="\t", dtype=str, keep_default_na=False)
    counts = train.label.value_counts()
    assert seed["n_labeled"] == sum(round(counts[c] * 0.1) for c in seed["known_classes"])
    # the flag check counts rows of the draw: unlabeled rows in labeled clusters, the unnamed ones among them
    hidden = seed["hidden_categories"]
    assert 0 <= hidden["flagged"] <= hidden["labeled_clusters"] >= n_known
    in_labeled = hidden["unlabeled_in_flagged"] + hidden["unlabeled_in_other"]
    assert 0 < in_labeled <= len(train) - seed["n_labeled"]
    assert 0 <= hidden["unnamed_in_flagged"] + hidden["unnamed_in_other"] <= counts.drop(seed["known_classes"]).sum()
    # splitting every flagged cluster moves only their unlabeled rows, into new candidates
    split = seed["split_flagged"]
    assert split["flagged"] == hidden["flagged"] and split["flagged_unlabeled"] == hidden["unlabeled_in_flagged"]
    assert split["unnamed"] == counts.drop(seed["known_classes"]).sum()
    assert split["known_unlabeled"] == len(train) - seed["n_labeled"] - split["unnamed"]
    assert split["unnamed_in_split_off"] <= split["split_off_rows"] <= split["flagged_unlabeled"]
    assert (split["split_off_rows"] > 0) == (split["flagged"] > 0)
    moved = split["unnamed_in_candidates_after"] - split["unnamed_in_candidates_before"]
    moved += split["known_unlabeled_in_candidates_after"] - split["known_unlabeled_in_candidates_before"]
    assert moved == split["split_off_rows"]  # every split-off row became a candidate's row


@needs_data
def test_k_given_and_known_ratio_one_with_subsample():
    # K given: exactly |C| clusters (the known ones plus |C| - |known| new)
    report = evaluate_dataset(MCID, known_ratio=0.5, seeds=[1], k="given", model="tfidf")
    assert report["per_seed"][0]["n_clusters"] == 16
    # no novel classes: novel accuracy and H-score are null, ACC is the known-class accuracy
    report = evaluate_dataset(MCID, known_ratio=1.0, seeds=[0], k="given", model="tfidf", max_train_rows=600)
    seed = report["per_seed"][0]
    assert seed["novel_acc"] is None and seed["h_score"] is None and report["mean"]["h_score"] is None
    assert seed["known_acc"] == pytest.approx(seed["acc"])
    assert report["n_train"] <= 600 and report["n_test"] == pytest.approx(349 * report["n_train"] / 1220, abs=17)
    assert "n/a" in format_table(report)


@needs_data
def test_protocol_draw_is_the_papers_on_banking():
    train = pd.read_csv(BANKING / "train.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert len(train) == 9003  # standard quoting: 13 multi-line texts are one row each
    labels = sorted(train.label.unique())
    assert len(labels) == 77
    known, labeled = protocol_draw(train.label.to_numpy(), 0.75, 0.1, seed=0)
    expected = list(np.random.RandomState(0).choice(np.array(labels), 58, replace=False))
    assert known == expected  # drawn order kept: it decides which rows get labeled
    np.random.seed(0)  # what the DeepAligned / TEXTOIR DataManager does
    assert known == list(np.random.choice(np.unique(train.label.to_numpy()), 58, replace=False))
    # labeled rows: per known class in drawn order, random.sample(positions, round(n_c * 0.1)), random seeded 0
    rng = random.Random(0)
    ids = []
    y = train.label.to_numpy()
    for label in expected:
        pos = list(np.flatnonzero(y == label))
        ids.extend(rng.sample(pos, round(len(pos) * 0.1)))
    assert sorted(ids) == list(np.flatnonzero(labeled))
    assert set(y[labeled]) == set(expected)
    # another seed draws another set
    assert protocol_draw(y, 0.75, 0.1, seed=1)[0] != known


def test_stratified_sample_keeps_every_class():
    labels = np.array(["a"] * 90 + ["b"] * 9 + ["c"] * 1)
    idx = stratified_sample(labels, 20, np.random.RandomState(0))
    assert len(idx) <= 20 and set(labels[idx]) == {"a", "b", "c"}
    assert list(idx) == sorted(set(idx))


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


GOOD = "text\tlabel\n" + "".join(f"hello {i}\t{'ab'[i % 2]}\n" for i in range(10))


@pytest.mark.parametrize("case, needle", [
    ("missing_dir", "not found; give a folder holding train.tsv and test.tsv, or a labeled table file"),
    ("no_train", "train.tsv: file not found"),
    ("no_test", "test.tsv: file not found"),
    ("no_label_column", "no 'label' column"),
    ("empty_file", "empty"),
    ("header_only", "no data rows"),
])
def test_bad_folders_exit_2_with_one_error_line(tmp_path, case, needle):
    folder = tmp_path / case
    if case == "no_train":
        _write(folder, "test.tsv", GOOD)
    elif case == "no_test":
        _write(folder, "train.tsv", GOOD)
    elif case == "no_label_column":
        _write(folder, "train.tsv", "text\tintent\nhello\ta\n")
        _write(folder, "test.tsv", GOOD)
    elif case == "empty_file":
        _write(folder, "train.tsv", "")
        _write(folder, "test.tsv", GOOD)
    elif case == "header_only":
        _write(folder, "train.tsv", "text\tlabel\n")
        _write(folder, "test.tsv", GOOD)
    with pytest.raises(InputError, match=needle):
        load_dataset(folder)
    proc = run_cli(folder, "--seeds", "0", "--model", "tfidf", "--quiet")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_bad_settings_are_input_errors(tmp_path):
    _write(tmp_path, "train.tsv", GOOD)
    _write(tmp_path, "test.tsv", GOOD)
    with pytest.raises(InputError, match="known-ratio"):
        evaluate_dataset(tmp_path, known_ratio=1.5, model="tfidf")
    with pytest.raises(InputError, match="labeled-ratio"):
        evaluate_dataset(tmp_path, labeled_ratio=0.0, model="tfidf")


def test_a_draw_that_would_label_nothing_is_refused_saying_what_would():
    from discovery.evaluate import _check_draw_labels_something

    labels = ["a"] * 120 + ["b"] * 80 + ["c"] * 50 + ["d"] * 30 + ["e"] * 20 + ["f"] * 10 + ["g"] * 5
    with pytest.raises(InputError, match=r"--known-ratio 0.05 names no class of the 7 .* at least 0.143"):
        _check_draw_labels_something(labels, 0.05, 0.1)
    with pytest.raises(InputError, match=r"--labeled-ratio 0.001 labels no row: the largest class has 120 .* 0.00833"):
        _check_draw_labels_something(labels, 0.75, 0.001)
    _check_draw_labels_something(labels, 0.0, 0.001)  # plain discovery labels nothing on purpose
    _check_draw_labels_something(labels, 0.15, 1 / 120)


@needs_data
def test_a_subsample_too_small_to_label_says_so_and_repeated_seeds_are_refused():
    with pytest.raises(InputError, match=r"labels no row of the \d+ train rows --max-train-rows 10 keeps .* leave "
                                         r"--max-train-rows out"):
        evaluate_dataset(SHARED / "snips", seeds=[0], model="tfidf", max_train_rows=10)
    with pytest.raises(InputError, match="--seeds repeats 0: each seed is one draw"):
        evaluate_dataset(MCID, seeds=[0, 1, 0], model="tfidf")
    with pytest.raises(InputError, match="--k given sets how many new clusters seeded-kmeans makes"):
        evaluate_dataset(MCID, seeds=[0], model="tfidf", method="hdbscan", k="given")


def test_the_max_train_rows_advice_only_when_it_cut_the_table(tmp_path):
    rows = "".join(f"text number {i}\t{'a' if i % 2 else 'b'}\n" for i in range(12))
    _write(tmp_path, "train.tsv", "text\tlabel\n" + rows)
    _write(tmp_path, "test.tsv", "text\tlabel\n" + rows)
    with pytest.raises(InputError) as refused:
        evaluate_dataset(tmp_path, seeds=[0], model="tfidf", labeled_ratio=0.05, max_train_rows=5000)
    assert "the largest class has 6 train rows" in str(refused.value) and "--max-train-rows" not in str(refused.value)


@needs_data
def test_test_classes_missing_from_train_are_noted_before_the_run(tmp_path):
    """MCID with one intent's train rows removed: its test rows can only be found as new clusters."""
    train, test = load_dataset(MCID)
    gone = sorted(train.label.unique())[0]
    train[train.label != gone].to_csv(tmp_path / "train.tsv", sep="\t", index=False)
    test.to_csv(tmp_path / "test.tsv", sep="\t", index=False)
    proc = run_cli(tmp_path, "--seeds", "0", "--model", "tfidf", "--quiet", "--json", tmp_path / "r.json")
    assert proc.returncode == 0, proc.stderr
    rows = int((test.label == gone).sum())
    assert f"note: {tmp_path}: 1 test class ('{gone}'; {rows} test rows) never appears in train" in proc.stderr
    assert json.loads((tmp_path / "r.json").read_text())["notes"][0].startswith("1 test class")
    notes = json.loads(run_cli(MCID, "--seeds", "0", "--model", "tfidf", "--quiet", "--max-train-rows", "300",
                               "--json", "-").stdout)["notes"]
    assert not any("never appear" in note for note in notes)
    # --k given is the true number of classes, the test-only one among them (it was one short)
    given = evaluate_dataset(tmp_path, seeds=[0], model="tfidf", k="given")
    assert given["per_seed"][0]["n_clusters"] == test.label.nunique() == train.label.nunique()
    assert given["n_classes"] == test.label.nunique()  # the test-only class counted, as --k given counts it


@needs_data
def test_known_classes_a_draw_labels_no_row_of_are_noted_and_the_subsample_advice_is_enough():
    """At --labeled-ratio 0.005, small BANKING77 classes get round(rows x 0.005) = 0 labels: the tool is never
    told of them, yet they were scored as known without a word. And the --max-train-rows advice was sized on the
    subsample's classes (2 rows: 'keep about 10'), so following it failed again, four times in a row."""
    from discovery.evaluate import known_classes_left_unlabeled

    train, _ = load_dataset(SHARED / "banking")
    known, labeled = protocol_draw(train.label.to_numpy(), 0.75, 0.005, 0)
    missing = len(set(known) - set(train.label[labeled]))
    note = known_classes_left_unlabeled(train.label, 0.75, 0.005, [0, 1])
    assert missing > 0 and note.startswith(f"--labeled-ratio 0.005 labels no row of {missing} of the {len(known)} "
                                           "known classes on seed 0 (and on 1 more seed)")
    assert known_classes_left_unlabeled(train.label, 0.75, 0.1, [0, 1, 2]) is None
    with pytest.raises(InputError) as refused:
        evaluate_dataset(SHARED / "banking", seeds=[0], model="tfidf", max_train_rows=2)
    advised = int(str(refused.value).split("keep about ")[1].split()[0])
    report = evaluate_dataset(SHARED / "banking", seeds=[0], model="tfidf", max_train_rows=advised)
    assert report["per_seed"][0]["n_labeled"] > 0 and any("known classes on seed 0" in n for n in report["notes"])
    assert any("has no test row (test was cut with train by --max-train-rows)" in n for n in report["notes"])
    # advice the data cannot follow (more rows than train has) is not given: the ratio must rise
    largest = int(train.label.value_counts().max())
    with pytest.raises(InputError, match=f"labels no row even of the whole train split \\({len(train)} rows; its "
                                         f"largest class has {largest}\\): give at least {1 / largest:.3g}"):
        evaluate_dataset(SHARED / "banking", seeds=[0], model="tfidf", max_train_rows=400, labeled_ratio=0.001)


@needs_data
def test_a_stray_quote_in_a_benchmark_tsv_neither_merges_rows_nor_passes_unsaid(tmp_path):
    """A researcher's TSV with a text opening a quote it never closes: pandas' default quoting read the lines
    after it into that one text (61 rows became one, one label) and the scores came out as usual. Read as
    ``read_table`` reads a TSV, every line is a row and the note says why."""
    train, test = load_dataset(MCID)
    texts = train.text.tolist()
    texts[200], texts[260] = '"is it safe to go out', 'what does "flatten the curve" mean'
    _write(tmp_path, "train.tsv", "text\tlabel\n" + "".join(f"{t}\t{l}\n" for t, l in zip(texts, train.label)))
    test.to_csv(tmp_path / "test.tsv", sep="\t", index=False)
    read, _ = load_dataset(tmp_path)
    assert read.text.tolist() == texts and read.label.tolist() == train.label.tolist()
    assert any("row 200" in note and "double quote" in note for note in read.attrs["notes"])
    report = evaluate_dataset(tmp_path, seeds=[0], model="tfidf", max_train_rows=600)
    assert any("row 200" in note for note in report["notes"])


def test_subsample_advice_never_asks_for_more_rows_than_train_has():
    """Where the whole split labels a row but the advice's margin went past its size, it said 'keep about 123 rows'
    of 110: it says to leave --max-train-rows out."""
    from discovery.evaluate import _check_draw_labels_something

    with pytest.raises(InputError, match="leave --max-train-rows out \\(the whole split labels some\\)"):
        _check_draw_labels_something(["a"] * 10 + ["b"] * 10, 0.75, 0.01, subsampled_by=20, largest_share=0.5,
                                     whole_rows=110)


@needs_data
def test_the_table_says_which_std_it_shows():
    """Two seeds at 65.04 and 65.62 showed std 0.29 (ddof 0) where a reader expects 0.41 (ddof 1), unsaid."""
    import numpy as np

    report = evaluate_dataset(MCID, seeds=[0, 1], model="tfidf", max_train_rows=600)
    accs = [seed["acc"] for seed in report["per_seed"]]
    assert report["std"]["acc"] == pytest.approx(float(np.std(accs)))
    assert "numpy's std with ddof 0" in format_table(report)
    assert "the first seed's seconds include loading the libraries and the model once" in format_table(report)


@needs_data
def test_evaluate_reads_train_and_test_texts_without_boilerplate_as_a_run_does():
    """A benchmark of support chats, half the texts opened by a chat greeting: the run leaves it out of what the
    model reads, so evaluate embeds both splits so too (test rows embedded with it would meet clusters without)."""
    from discovery.evaluate import evaluate_seed
    from shared_paths import intent_rows
    from test_boilerplate import GREETINGS

    frame = intent_rows("banking", slice(0, 20), per_intent=40)
    test = frame.groupby("label").tail(10).reset_index(drop=True)
    train = frame.drop(frame.groupby("label").tail(10).index).reset_index(drop=True)

    def greeted(split):
        return split.assign(text=[GREETINGS[i % 2] + text if i % 2 == 0 or i % 3 == 0 else text
                                  for i, text in enumerate(split.text)])

    plain = evaluate_seed(train, test, 0, 1.0, 0.1, "estimated", "seeded-kmeans", None, adapt=False)
    chats = evaluate_seed(greeted(train), greeted(test), 0, 1.0, 0.1, "estimated", "seeded-kmeans", None, adapt=False)
    # read with the greetings: ACC 46.0 and fill-in 31.1 against 88.5 and 89.6, with 100 clusters for 20 intents
    assert chats["fillin_acc"] >= plain["fillin_acc"] - 2 and chats["acc"] >= plain["acc"] - 2, (chats, plain)


def test_test_texts_never_shape_the_training_rows_vectors(tmp_path):
    """TF-IDF learned its words and its SVD from train and test together: the same train split with another test
    split gave another fill-in (27.2 against 25.0 on a helper's SNIPS cut). Fill-in reads train rows only."""
    train = pd.read_csv(MCID / "train.tsv", sep="\t").head(500)
    test = pd.read_csv(MCID / "test.tsv", sep="\t")
    fills = []
    for name, part in (("a", test.head(200)), ("b", test.tail(200))):
        (tmp_path / name).mkdir()
        train.to_csv(tmp_path / name / "train.tsv", sep="\t", index=False)
        part.to_csv(tmp_path / name / "test.tsv", sep="\t", index=False)
        fills.append(evaluate_dataset(tmp_path / name, seeds=[0], model="tfidf")["per_seed"][0]["fillin_acc"])
    assert fills[0] == fills[1]


def test_a_labeled_table_of_ones_own_is_split_and_scored(tmp_path):
    """A researcher with one labeled CSV (its own column names) had to write train.tsv and test.tsv by hand, and
    copies of a text split across them scored partly on memory without a word."""
    frame = pd.concat([pd.read_csv(MCID / "train.tsv", sep="\t"), pd.read_csv(MCID / "test.tsv", sep="\t")])
    frame = frame.rename(columns={"text": "utterance", "label": "intent"}).reset_index(drop=True)
    frame.loc[::25, "intent"] = None  # unlabeled rows cannot be scored: left out
    frame.loc[1::25, "intent"] = "-1"  # as much ML code marks them
    copies = frame.iloc[2::25].assign(utterance=lambda f: "  " + f.utterance.str.upper())  # the same texts, shouted
    frame = pd.concat([frame, copies], ignore_index=True)
    path = tmp_path / "mine.csv"
    frame.to_csv(path, index=False)
    train, test = load_dataset(path, text_column="utterance", label_column="intent", test_ratio=0.25,
                               unlabeled_marker="-1")
    labeled = frame.dropna(subset=["intent"])[lambda f: f.intent != "-1"]
    assert len(train) + len(test) == len(labeled) and len(test) == pytest.approx(0.25 * len(labeled), rel=0.05)
    shares = test.label.value_counts(normalize=True) - labeled.intent.value_counts(normalize=True)
    assert shares.abs().max() < 0.02  # every class in proportion
    def key(texts):
        return set(texts.str.split().str.join(" ").str.casefold())

    assert key(train.text).isdisjoint(key(test.text))  # copies of a text on one side, spaces and case aside
    assert load_dataset(path, text_column="utterance", label_column="intent", test_ratio=0.25,
                        unlabeled_marker="-1")[1].equals(test)
    assert any("rows without a label in 'intent' left out" in note for note in train.attrs["notes"])
    proc = run_cli(path, "--text-col", "utterance", "--label-col", "intent", "--test-ratio", "0.25", "--seeds", "0",
                   "--unlabeled-marker", "-1", "--model", "tfidf", "--quiet", "--json", "-")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["dataset"] == "mine.csv" and report["test_ratio"] == 0.25 and report["n_test"] == len(test)
    assert report["n_classes"] == labeled.intent.nunique() and 25.0 < report["mean"]["acc"] < 95.0
    assert not any("hold a text that train holds too" in note for note in report["notes"])
    marker = run_cli(path, "--text-col", "utterance", "--label-col", "intent", "--seeds", "0", "--model", "tfidf",
                     "--quiet", "--json", "-")  # without the marker, '-1' is a class, and the note says how to tell
    assert "--unlabeled-marker '-1'" in marker.stderr and f"note: {path}: {path}" not in marker.stderr
    assert json.loads(marker.stdout)["n_classes"] == labeled.intent.nunique() + 1  # "-1" among them
    for args, needle in (((), "no text column 'text'"),
                         (("--text-col", "utterance"), "no label column to score against (the columns are 'utterance', "
                                                       "'intent'); name it with --label-col (--label-col 'intent' looks"),
                         (("--text-col", "utterance", "--label-col", "intent", "--test-ratio", "1.5"), "--test-ratio")):
        refused = run_cli(path, *args, "--seeds", "0", "--model", "tfidf", "--quiet")
        assert refused.returncode == 2 and needle in refused.stderr and "Traceback" not in refused.stderr, refused.stderr
    refused = run_cli(MCID, "--label-col", "intent", "--test-ratio", "5", "--quiet")
    assert refused.returncode == 2 and "--label-col, --test-ratio read a table file; a benchmark folder has its own" \
        in refused.stderr
    one_text = tmp_path / "one_text.csv"
    pd.DataFrame({"text": ["hello"] * 10 + ["Hello "] * 10, "label": ["a", "b"] * 10}).to_csv(one_text, index=False)
    with pytest.raises(InputError, match=r"20 labeled rows \(1 distinct texts"):
        load_dataset(one_text)


@needs_data
def test_test_texts_that_train_holds_too_are_noted():
    """MCID's published split holds 18 test texts that train holds too (spaces and case aside)."""
    from discovery.evaluate import texts_in_train_and_test

    assert "18 test rows (5.2%) hold a text that train holds too" in texts_in_train_and_test(*load_dataset(MCID))
    train = pd.DataFrame({"text": ["Where is my card?", "refund please"], "label": ["a", "b"]})
    test = pd.DataFrame({"text": ["where is  my CARD?", "cancel it"], "label": ["a", "c"]})
    assert texts_in_train_and_test(train, test).startswith("1 test rows (50.0%)")


@needs_data
def test_a_class_with_no_test_row_is_noted_and_means_over_fewer_seeds_say_which(tmp_path):
    """A table's class of one row keeps it in train: no test row, no note, and on the seeds that left only it unnamed
    novel_acc and h_score were n/a, so their means covered other seeds than every other column's without a word
    (helper 100)."""
    frame = pd.read_csv(SHARED / "stackoverflow" / "train.tsv", sep="\t")
    frame = pd.concat([frame[frame.label == "scala"].head(400), frame[frame.label == "oracle"].head(60),
                       frame[frame.label == "hibernate"].head(1)], ignore_index=True)
    path = tmp_path / "one_row_class.csv"
    frame.to_csv(path, index=False)
    said = []
    report = evaluate_dataset(path, seeds=(0, 1, 2, 3), model="tfidf", say=said.append)
    assert any("1 class ('hibernate'; 1 train row) has no test row (too few rows" in note for note in said)
    unscored = [row["seed"] for row in report["per_seed"] if row["novel_acc"] is None]
    assert 0 < len(unscored) < 4  # this draw: seeds 0 and 2 leave hibernate alone unnamed
    scored = [seed for seed in (0, 1, 2, 3) if seed not in unscored]
    assert report["mean_seeds"] == {"novel_acc": scored, "h_score": scored}
    line = f"novel_acc, h_score: mean and std of seeds {', '.join(map(str, scored))} only"
    assert any(line in note for note in report["notes"]) and line in format_table(report)
    assert evaluate_dataset(MCID, seeds=(0,), model="tfidf", max_train_rows=400)["mean_seeds"] == {}
