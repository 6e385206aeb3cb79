"""``discovery evaluate``: the standard New Intent Discovery (NID) protocol on a benchmark folder or a labeled table.

A benchmark folder holds ``train.tsv`` and ``test.tsv`` (header ``text<TAB>label``, standard
CSV quoting: a few texts are quoted and span lines). For each seed:

1. **Known classes**: ``np.random.RandomState(seed).choice(sorted(unique train labels),
   round(|C| * known_ratio), replace=False)``. ``np.unique`` is the sorted list, and a
   fresh ``RandomState(seed)`` draws exactly what ``np.random.seed(seed); np.random.choice``
   draws in the DeepAligned / TEXTOIR ``DataManager``.
2. **Labeled rows**: as in the DeepAligned ``dataloader.py`` / TEXTOIR ``bert_loader.get_examples``:
   for each known class *in the order it was drawn*, ``random.sample(positions of that class
   in train, round(n_c * labeled_ratio))`` with Python's ``random`` seeded by ``seed``
   (those loaders call ``random.seed(seed)`` first; here a private ``random.Random(seed)``).
   Positions are row indices in file order. The papers' loader reads the TSV with
   ``quotechar=None`` and drops the 13 multi-line records of banking/train, so on banking the
   positions (and therefore the sampled rows) differ slightly from theirs; on files without
   multi-line records they are identical.
3. Everything else in train is unlabeled. The core adapts the model to the labeled rows
   (unless ``adapt=False``), fits on **all of train** (labels only for the labeled rows),
   then every **test** row joins the cluster its 15 nearest train rows vote for
   (``assign_to_clusters``: an inductive evaluation, test rows never reach the fit).
4. Scores on test (x100): Hungarian ACC, NMI, ARI, known-class ACC, novel-class ACC and
   their harmonic mean (H-score), plus ``n_clusters``, ``fillin_acc`` (accuracy of the
   proposed label on unlabeled train rows whose true class is known), ``fillin_confidence`` (the
   mean confidence the tool gave those proposals, open candidates' placeholders among them),
   ``fillin_named_acc`` and ``fillin_named_confidence`` (the same on those rows given a named class:
   honest when the two match), ``fillin_in_candidates`` (the share of them left in open candidates, whose
   placeholder counts wrong in ``fillin_acc``) and ``seconds`` (wall time of the seed's whole run,
   adaptation and embedding included).

With ``known_ratio = 1.0`` there is no novel class: ``novel_acc`` and ``h_score`` are
``null`` (a harmonic mean with an undefined term is undefined; ``known_acc`` is then the
whole story). ``k="given"`` sets the number of new clusters to ``|C| - |known|`` (``C``: the classes of
train and test);
``k="estimated"`` lets the core estimate it.

A table file of one's own (CSV, TSV, JSONL or Parquet, every scored row labeled; ``text_column`` and
``label_column`` name its columns) is split first: ``test_ratio`` of every class held out as test, drawn with
``RandomState(0)`` so every seed scores on the same rows, as a benchmark's fixed test split. Copies of one text
(spaces and case aside) go to the same side: a test row whose text train also holds is scored partly on memory of
that text. Benchmark folders are used as they are; when their test texts occur in train too, a note says so.

``max_train_rows`` (smoke tests) keeps a stratified sample of train drawn with
``RandomState(0)``, the same for every seed, and a stratified sample of test of the same
proportion; the protocol then runs on the sample.

Labels are handed to the core as zero-padded codes (``class_0007``) in sorted-label order,
so no benchmark label can be mistaken for a missing value (``None``, ``NA``) or unified
with another by case.
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
import warnings
from pathlib import Path
from typing import IO, Sequence

import numpy as np
import pandas as pd

from .errors import InputError
from .io import composed, read_text_table, same_text_key
from .labels import listed

METRIC_KEYS = ("acc", "nmi", "ari", "known_acc", "novel_acc", "h_score", "n_clusters", "fillin_acc", "fillin_confidence",
               "fillin_named_acc", "fillin_named_confidence", "fillin_in_candidates",
               "seconds")
K_SETTINGS = ("estimated", "given")
SPLITS = ("train", "test")
DEFAULT_TEST_RATIO = 0.2  # of a table file's rows (each class), held out as test


# ---- data -------------------------------------------------------------------------------------

def read_split(dataset_dir: str | Path, split: str) -> pd.DataFrame:
    """One split as a frame with ``text`` and ``label`` (str), or ``InputError`` naming the fix."""
    path = Path(dataset_dir) / f"{split}.tsv"
    if not path.is_file():
        raise InputError(f"{path}: file not found; a benchmark folder needs train.tsv and test.tsv "
                         "with a header row text<TAB>label.")
    notes: list[str] = []
    try:  # as read_table reads a TSV: rows a stray quote swallowed or a line break shifted are named in the notes
        frame = read_text_table(path.read_bytes(), str(path), "tsv", notes)
    except InputError as exc:
        raise InputError(f"{exc} A benchmark folder holds tab-separated UTF-8 files with a header row "
                         "text<TAB>label.") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in ("text", "label") if c not in frame.columns]
    if missing:
        shown = ", ".join(repr(c) for c in list(frame.columns)[:10])
        raise InputError(f"{path}: no {' and no '.join(repr(c) for c in missing)} column (the columns are {shown}); "
                         "the header row must be text<TAB>label.")
    frame = frame[["text", "label"]].reset_index(drop=True)
    frame.attrs["notes"] = notes
    frame["text"] = frame["text"].map(lambda text: composed(text) if isinstance(text, str) else text)  # as a run reads
    frame["label"] = frame["label"].str.strip()
    if frame.empty:
        raise InputError(f"{path}: the file has a header but no data rows; add rows text<TAB>label.")
    if (frame["label"] == "").any():
        n = int((frame["label"] == "").sum())
        raise InputError(f"{path}: {n} rows have an empty label; every benchmark row needs its true label.")
    return frame


def split_table(path: Path, text_column: str | None, label_column: str | None, test_ratio: float,
                unlabeled_marker: str | None = None, missing_words: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test frames (``text``, ``label``) of a labeled table file: ``test_ratio`` of each class's texts
    held out, the same rows for every seed (``RandomState(0)``), every copy of a text on one side (module doc)."""
    from .io import DEFAULT_TEXT_COLUMN, likely_label_column, read_table

    if not 0 < test_ratio < 1:
        raise InputError(f"--test-ratio must be between 0 and 1 (got {test_ratio}).")
    table = read_table(path, text_column=text_column or DEFAULT_TEXT_COLUMN, label_column=label_column,
                       unlabeled_marker=unlabeled_marker, missing_words=missing_words)
    if table.label_column is None:
        likely = likely_label_column(table.frame, table.text_column)
        raise InputError(f"{path}: no label column to score against (the columns are "
                         f"{listed([str(c) for c in table.frame.columns], repr)}); name it with --label-col"
                         + (f" (--label-col {likely!r} looks like labels)." if likely else "."))
    name = f"{table.source_name}: "  # the CLI names the file before every note
    notes = [w[len(name):] if w.startswith(name) else w for w in table.warnings]
    labeled = table.labels >= 0
    if not labeled.all():
        notes.append(f"{int((~labeled).sum()):,} rows without a label in {table.label_column!r} left out: evaluate "
                     "scores against the true label of every row.")
    frame = pd.DataFrame({"text": np.asarray(table.texts, dtype=object)[labeled],
                          "label": np.asarray(table.codec.decode(table.labels[labeled]), dtype=object)})
    if frame["label"].nunique() < 2:
        raise InputError(f"{path}: {table.label_column!r} holds fewer than two classes on its labeled rows; "
                         "evaluate needs at least two.")
    # one row per distinct text decides which side all its copies go to
    keys = frame["text"].map(same_text_key)
    first = ~keys.duplicated().to_numpy()
    held = stratified_sample(frame["label"].to_numpy()[first], int(round(first.sum() * test_ratio)),
                             np.random.RandomState(0), keep_one=True)
    test_keys = set(keys[first].to_numpy()[held])
    in_test = keys.isin(test_keys).to_numpy()
    if not in_test.any() or in_test.all():
        raise InputError(f"{path}: {len(frame):,} labeled rows ({int(first.sum()):,} distinct texts, each held out with "
                         f"its copies) are too few to hold out {test_ratio:g} of them as test; give more rows or another "
                         "--test-ratio.")
    train, test = frame[~in_test].reset_index(drop=True), frame[in_test].reset_index(drop=True)
    notes.append(f"{len(test):,} of its {len(frame):,} labeled rows held out as test (--test-ratio {test_ratio:g} of each "
                 "class, the same rows for every seed; copies of a text on one side).")
    train.attrs["notes"], test.attrs["notes"] = notes, []
    return train, test


def texts_in_train_and_test(train: pd.DataFrame, test: pd.DataFrame) -> str | None:
    """A note when test rows hold a text train holds too (spaces and case aside): such a row joins the cluster of
    its copy, so part of its score is memory, not discovery."""
    seen = set(train["text"].map(same_text_key))
    shared = test["text"].map(same_text_key).isin(seen)
    if not shared.any():
        return None
    return (f"{int(shared.sum()):,} test rows ({100 * shared.mean():.1f}%) hold a text that train holds too (spaces and "
            "case aside): each joins the cluster of its copy, so part of the score measures memory of train's texts.")


def stratified_sample(labels: np.ndarray, n: int, rng: np.random.RandomState, keep_one: bool = False) -> np.ndarray:
    """Sorted indices of about ``n`` rows, every class in proportion (each kept class >= 1 row). ``keep_one``:
    never every row of a class (a held-out split leaves each class a row to learn from) and no class takes a
    row unless its share rounds to one."""
    labels = np.asarray(labels)
    if n >= len(labels) and not keep_one:
        return np.arange(len(labels))
    frac = n / len(labels)
    chosen = []
    for label in np.unique(labels):
        pos = np.flatnonzero(labels == label)
        take = min(int(round(len(pos) * frac)), len(pos) - 1) if keep_one else max(1, int(round(len(pos) * frac)))
        chosen.append(rng.choice(pos, min(take, len(pos)), replace=False))
    chosen = np.concatenate(chosen)
    if len(chosen) > n:
        chosen = rng.choice(chosen, n, replace=False)
    return np.sort(chosen)


def load_dataset(dataset_dir: str | Path, max_train_rows: int | None = None, text_column: str | None = None,
                 label_column: str | None = None, test_ratio: float | None = None, unlabeled_marker: str | None = None,
                 missing_words: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test frames of a benchmark folder, or of a table file split into the two (``test_ratio``, None:
    ``DEFAULT_TEST_RATIO``; its labels read as ``read_table`` reads them), optionally subsampled (see module doc)."""
    folder = Path(dataset_dir)
    if not folder.exists():
        raise InputError(f"{folder}: not found; give a folder holding train.tsv and test.tsv, or a labeled table "
                         "file (CSV, TSV, JSONL, Parquet).")
    if folder.is_dir():
        given = [flag for flag, value in (("--text-col", text_column not in (None, "text")),
                                          ("--label-col", label_column not in (None, "label")),
                                          ("--test-ratio", test_ratio is not None),
                                          ("--unlabeled-marker", unlabeled_marker is not None),
                                          ("--missing-words-are-labels", not missing_words)) if value]
        if given:
            raise InputError(f"{folder}: {', '.join(given)} read{'s' if len(given) == 1 else ''} a table file; a benchmark "
                             "folder has its own test.tsv, and its files the columns text and label, every row labeled.")
        train, test = read_split(folder, "train"), read_split(folder, "test")
    else:
        train, test = split_table(folder, text_column, label_column,
                                  DEFAULT_TEST_RATIO if test_ratio is None else test_ratio, unlabeled_marker, missing_words)
    notes = {"train": train.attrs.get("notes", []), "test": test.attrs.get("notes", [])}
    if max_train_rows is not None:
        if max_train_rows < 2:
            raise InputError(f"--max-train-rows must be at least 2 (got {max_train_rows}).")
        if max_train_rows < len(train):
            rng = np.random.RandomState(0)
            n_test = max(1, int(round(len(test) * max_train_rows / len(train))))
            cut_from, full_labels = len(train), train["label"]
            train = train.iloc[stratified_sample(train["label"].to_numpy(), max_train_rows, rng)].reset_index(drop=True)
            train.attrs["subsampled_from"] = cut_from
            train.attrs["largest_class_share"] = float(full_labels.value_counts(normalize=True).max())
            held = set(test["label"].astype(str))
            test = test.iloc[stratified_sample(test["label"].to_numpy(), n_test, rng)].reset_index(drop=True)
            test.attrs["classes_before_cut"] = held
    train.attrs["notes"], test.attrs["notes"] = notes["train"], notes["test"]  # what reading each file found
    return train, test


def protocol_draw(train_labels: Sequence[str], known_ratio: float, labeled_ratio: float,
                  seed: int) -> tuple[list[str], np.ndarray]:
    """(known classes in drawn order, boolean mask of labeled train rows) for one seed: the papers' draw."""
    train_labels = np.asarray(train_labels, dtype=object)
    all_labels = np.unique(train_labels.astype(str))
    n_known = int(round(len(all_labels) * known_ratio))
    known = [str(c) for c in np.random.RandomState(seed).choice(all_labels, n_known, replace=False)]
    sampler = random.Random(seed)
    labeled = np.zeros(len(train_labels), dtype=bool)
    for label in known:
        pos = list(np.flatnonzero(train_labels == label))
        num = int(round(len(pos) * labeled_ratio))
        labeled[sampler.sample(pos, num)] = True
    return known, labeled


# ---- embedding ----------------------------------------------------------------------------------

def embed_texts(model: str | None, texts: list[str], random_state: int = 0,
                progress: bool = False, embedder=None) -> tuple[np.ndarray, dict]:
    """Vectors for ``texts`` through the core's embedder (cached on disk), with timing and cache facts.

    ``embedder``: an already fitted embedder (e.g. one adapted to the labeled rows) instead of ``model``.
    """
    from .embed import TFIDF_MODEL, make_embedder
    from .progress import TqdmStages

    embedder = embedder or make_embedder(model, random_state)
    computed = {}
    bars = TqdmStages(enabled=progress, leave=False)

    def report(done: int, total: int) -> None:
        computed.setdefault("total", total)
        if total:
            bars("embed", done, total)

    start = time.perf_counter()
    vectors = embedder.transform(texts, progress=report)
    seconds = time.perf_counter() - start
    bars.close()
    is_tfidf = embedder.model_id == TFIDF_MODEL
    n_computed = int(computed.get("total", 0))
    info = {"model": embedder.model_id, "embed_seconds": seconds,
            "embedded_texts": n_computed,  # texts the model had to encode (0: everything came from the cache)
            "cache_warm": None if is_tfidf else n_computed == 0}
    return vectors, info


# ---- one seed ----------------------------------------------------------------------------------

def _codes(labels: Sequence[str], names: np.ndarray) -> np.ndarray:
    index = {name: i for i, name in enumerate(names)}
    return np.array([f"class_{index[label]:04d}" for label in labels], dtype=object)


def _nan_to_none(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def unnamed_rows(train_labels: np.ndarray, known: set, labeled: np.ndarray) -> np.ndarray:
    """Unlabeled rows whose true class is none of the named ones."""
    return ~labeled & ~np.isin(np.asarray(train_labels).astype(str), list(known))


def hidden_category_check(result, train_labels: np.ndarray, known: set, labeled: np.ndarray) -> dict:
    """How well ``may_hide_new_category`` points at unnamed classes inside labeled clusters (benchmark truth):
    unlabeled rows, and those of unnamed classes, in flagged clusters and in the other labeled clusters."""
    from .summarize import CANDIDATE

    clusters = result.clusters
    member_of = result.rows["cluster_id"].to_numpy()
    labeled_clusters = clusters.index[clusters.status != CANDIDATE]
    flagged = result.hidden_category_clusters.index
    unnamed = unnamed_rows(train_labels, known, labeled)
    in_flagged = ~labeled & np.isin(member_of, flagged)
    in_other = ~labeled & np.isin(member_of, labeled_clusters) & ~in_flagged
    return {"flagged": int(len(flagged)), "labeled_clusters": int(len(labeled_clusters)),
            "unlabeled_in_flagged": int(in_flagged.sum()), "unnamed_in_flagged": int((in_flagged & unnamed).sum()),
            "unlabeled_in_other": int(in_other.sum()), "unnamed_in_other": int((in_other & unnamed).sum())}


def split_flagged_check(result, train_labels: np.ndarray, known: set, labeled: np.ndarray) -> dict:
    """What splitting every flagged cluster once (``split_cluster``) would give, scored with the benchmark's
    truth: rows split off and the unnamed-class ones among them (against the flagged clusters' unlabeled rows
    before), and unnamed-class and known-class unlabeled rows in candidate clusters before and after."""
    from .result import CANDIDATE_SOURCE, split_cluster

    unnamed = unnamed_rows(train_labels, known, labeled)
    known_unlabeled = ~labeled & ~unnamed
    flagged = result.hidden_category_clusters.index.tolist()
    in_flagged = ~labeled & np.isin(result.rows["cluster_id"].to_numpy(), flagged)
    candidates_before = (result.rows["label_source"] == CANDIDATE_SOURCE).to_numpy()
    split_off = np.zeros(len(labeled), dtype=bool)
    for cluster in flagged:
        try:
            result = split_cluster(result, cluster)
        except InputError:  # no group apart from the rest: nothing split off there
            continue
        split_off |= result.rows["cluster_id"].to_numpy() == result.decisions[-1]["new_cluster_id"]
    candidates_after = (result.rows["label_source"] == CANDIDATE_SOURCE).to_numpy()
    return {"flagged": len(flagged), "split_off_rows": int(split_off.sum()),
            "unnamed_in_split_off": int((split_off & unnamed).sum()),
            "flagged_unlabeled": int(in_flagged.sum()), "unnamed_in_flagged": int((in_flagged & unnamed).sum()),
            "unnamed": int(unnamed.sum()), "unnamed_in_candidates_before": int((candidates_before & unnamed).sum()),
            "unnamed_in_candidates_after": int((candidates_after & unnamed).sum()),
            "known_unlabeled": int(known_unlabeled.sum()),
            "known_unlabeled_in_candidates_before": int((candidates_before & known_unlabeled).sum()),
            "known_unlabeled_in_candidates_after": int((candidates_after & known_unlabeled).sum())}


def evaluate_seed(train: pd.DataFrame, test: pd.DataFrame, seed: int, known_ratio: float, labeled_ratio: float,
                  k: str, method: str, model: str | None, progress: bool = False, adapt: bool = True,
                  adapt_layers: int | str = "auto") -> dict:
    """One seed of the protocol: draw, adapt the model to the labeled rows, embed (cache), fit on train,
    assign test, score. Only the drawn labeled rows' labels reach adaptation and clustering."""
    from .boilerplate import spelled_out, texts_as_read, without_boilerplate
    from .embed import TfidfEmbedder
    from .io import table_from_frame
    from .metrics import clustering_scores
    from .cluster import best_is_largest_tried
    from .pipeline import (DiscoveryConfig, assign_to_clusters, fit_embedder, is_adapted, labels_to_learn_from,
                           make_embedder, run_discovery, table_boilerplate)
    from .progress import TqdmStages

    start = time.perf_counter()
    train_labels = train["label"].to_numpy(dtype=object)
    names = np.unique(np.concatenate([train_labels, test["label"].to_numpy(dtype=object)]).astype(str))
    known, labeled = protocol_draw(train_labels, known_ratio, labeled_ratio, seed)
    true_codes = _codes(train_labels, names)
    frame = pd.DataFrame({"text": train["text"].to_numpy(), "label": np.where(labeled, true_codes, "")})
    table = table_from_frame(frame, name="train.tsv", data_hash=f"evaluate-seed-{seed}", text_column="text",
                             label_column="label")
    n_new = None if k == "estimated" else max(len(names) - len(known), 0)  # the true count: test-only classes too
    config = DiscoveryConfig(model=model, method=method, random_state=seed, make_map=False, n_new_clusters=n_new,
                             adapt=adapt, adapt_layers=adapt_layers)

    adapt_start = time.perf_counter()
    boilerplate = table_boilerplate(table)  # read as run_discovery reads the texts (none in a benchmark)
    stripped = without_boilerplate(table.texts, boilerplate)
    read = spelled_out(stripped, boilerplate)
    base = make_embedder(config.model, config.random_state, config.cache_dir)
    learned, *_ = labels_to_learn_from(table, stripped, read, base)  # as run_discovery's
    embedder = fit_embedder(read, learned, config, TqdmStages(leave=False) if progress else None, base=base)
    adapt_seconds = time.perf_counter() - adapt_start
    texts = list(read) + texts_as_read(test["text"].tolist(), boilerplate)
    if isinstance(embedder, TfidfEmbedder):  # it learns its words from the train texts only, as a model is fixed
        embedder.fit(texts[:len(train)])
    vectors, info = embed_texts(model, texts, random_state=seed, progress=progress, embedder=embedder)
    X_train, X_test = vectors[:len(train)], vectors[len(train):]

    middle_start = time.perf_counter()  # a fine-tuned model's middle layer, as run_discovery reads it: embedding too
    middle = embedder.sentence_and_middle_layer(read)[1] if is_adapted(embedder) else None
    info["embed_seconds"] += time.perf_counter() - middle_start
    with warnings.catch_warnings():  # tiny labeled classes make sklearn warn on every k-fold split
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        result = run_discovery(table, config, embeddings=X_train, embeddings_adapted=is_adapted(embedder),
                               middle_layer=middle)
    test_pred = assign_to_clusters(result, X_test)
    scores = clustering_scores(test["label"].to_numpy(dtype=object).astype(str), test_pred, known)
    if not math.isfinite(scores.get("novel_acc", float("nan"))) or not math.isfinite(scores.get("known_acc", float("nan"))):
        scores["h_score"] = float("nan")  # undefined without novel (or known) classes in test

    known_set = set(known)
    unlabeled_known = ~labeled & np.array([label in known_set for label in train_labels])
    proposed = result.rows["proposed_label"].to_numpy(dtype=object)
    fillin = 100 * float(np.mean(proposed[unlabeled_known] == true_codes[unlabeled_known])) \
        if unlabeled_known.any() else float("nan")
    confidence = 100 * float(result.rows["confidence"].to_numpy()[unlabeled_known].mean()) \
        if unlabeled_known.any() else float("nan")
    # the rows given a named class (not an open candidate's placeholder, whose confidence is how unlike every named
    # class the row is): the pair to compare when asking whether confidences are honest
    named = unlabeled_known & (result.rows["label_source"].to_numpy() != "candidate")
    named_acc = 100 * float(np.mean(proposed[named] == true_codes[named])) if named.any() else float("nan")
    named_confidence = 100 * float(result.rows["confidence"].to_numpy()[named].mean()) if named.any() else float("nan")
    in_candidates = 100 * float(1 - named[unlabeled_known].mean()) if unlabeled_known.any() else float("nan")
    seconds = time.perf_counter() - start
    out = {"seed": int(seed), **{key: _nan_to_none(float(scores[key])) for key in
                                 ("acc", "nmi", "ari", "known_acc", "novel_acc", "h_score")},
           "n_clusters": int(len(result.clusters)), "fillin_acc": _nan_to_none(fillin),
           "fillin_confidence": _nan_to_none(confidence), "fillin_named_acc": _nan_to_none(named_acc),
           "fillin_named_confidence": _nan_to_none(named_confidence),
           "fillin_in_candidates": _nan_to_none(in_candidates), "seconds": seconds,
           "adapt_seconds": adapt_seconds, "adapted": is_adapted(embedder),
           "embed_seconds": info["embed_seconds"], "embedded_texts": info["embedded_texts"],
           "embedding_cache_warm": info["cache_warm"], "n_known": len(known), "n_labeled": int(labeled.sum()),
           "fill_method": result.fill_method, "known_classes": known,
           # the fit still rose at the most new clusters the estimate tried: weak evidence for the count
           "k_at_largest_tried": best_is_largest_tried(result.clustering.get("estimate")),
           "hidden_categories": hidden_category_check(result, train_labels, known_set, labeled),
           "split_flagged": split_flagged_check(result, train_labels, known_set, labeled)}
    # kept for the benchmark peers (same draw, same embeddings); dropped before JSON
    out["_state"] = {"X_train": X_train, "X_test": X_test, "labeled": labeled, "known": known,
                     "result": result, "model": getattr(embedder, "base_model_id", info["model"])}
    return out


# ---- the whole evaluation ------------------------------------------------------------------------

def _validate(known_ratio: float, labeled_ratio: float, seeds, k: str) -> None:
    if not 0.0 <= known_ratio <= 1.0:
        raise InputError(f"--known-ratio must lie between 0 and 1 (got {known_ratio}).")
    if not 0.0 < labeled_ratio <= 1.0:
        raise InputError(f"--labeled-ratio must lie in (0, 1] (got {labeled_ratio}).")
    if not seeds:
        raise InputError("give at least one seed (--seeds 0 1 2).")
    repeated = sorted({int(s) for s in seeds if list(map(int, seeds)).count(int(s)) > 1})
    if repeated:
        raise InputError(f"--seeds repeats {', '.join(map(str, repeated))}: each seed is one draw, and a repeat would "
                         "count that draw twice in the mean; give distinct seeds.")
    if k not in K_SETTINGS:
        raise InputError(f"--k must be one of {', '.join(K_SETTINGS)} (got {k!r}).")


def _check_draw_labels_something(train_labels, known_ratio: float, labeled_ratio: float,
                                 subsampled_by: int | None = None, largest_share: float | None = None,
                                 whole_rows: int | None = None) -> None:
    """A known ratio that names no class, or a labeled ratio that labels no row of any class (not even the
    largest), would score a run without labels as if it were the protocol asked for: refused, saying what would.
    ``subsampled_by``: the --max-train-rows that cut train down, when it did (then keeping more rows is the fix);
    ``largest_share``: the largest class's share of the whole train split, which the advice is sized on;
    ``whole_rows``: the whole train split's rows (more than that cannot be kept: then the ratio must rise)."""
    counts = pd.Series(np.asarray(train_labels, dtype=str)).value_counts()
    if known_ratio > 0 and round(len(counts) * known_ratio) == 0:
        raise InputError(f"--known-ratio {known_ratio} names no class of the {len(counts)} in train "
                         f"(round({len(counts)} x {known_ratio}) = 0); give at least {1 / len(counts):.3g}, or 0 for "
                         "plain discovery.")
    if known_ratio > 0 and round(counts.max() * labeled_ratio) == 0:
        if subsampled_by is not None:
            # round(n x ratio) >= 1 needs n > 0.5 / ratio; a fifth more for the sampling's rounding
            needed = math.floor(0.5 / labeled_ratio) + 1
            share = largest_share or counts.max() / len(train_labels)
            if whole_rows is not None and math.ceil(1.2 * needed / share) > whole_rows:
                largest = max(1, round(share * whole_rows))
                if round(largest * labeled_ratio) == 0:  # not even every row would do
                    raise InputError(f"--labeled-ratio {labeled_ratio} labels no row even of the whole train split "
                                     f"({whole_rows} rows; its largest class has {largest}): give at least "
                                     f"{1 / largest:.3g}.")
                raise InputError(f"--labeled-ratio {labeled_ratio} labels no row of the {len(train_labels)} train rows "
                                 f"--max-train-rows {subsampled_by} keeps (the largest class keeps {counts.max()}); "
                                 "leave --max-train-rows out (the whole split labels some).")
            raise InputError(f"--labeled-ratio {labeled_ratio} labels no row of the {len(train_labels)} train rows "
                             f"--max-train-rows {subsampled_by} keeps (the largest class keeps {counts.max()}); keep "
                             f"about {math.ceil(1.2 * needed / share)} rows or more, or leave --max-train-rows out.")
        raise InputError(f"--labeled-ratio {labeled_ratio} labels no row: the largest class has {counts.max()} train "
                         f"rows (round({counts.max()} x {labeled_ratio}) = 0); give at least {1 / counts.max():.3g}.")


def known_classes_left_unlabeled(train_labels, known_ratio: float, labeled_ratio: float, seeds,
                                 subsampled: bool = False) -> str | None:
    """A note when a seed's draw names classes it labels no row of (``round(rows x ratio) = 0`` for small
    classes): the tool is never told of them, yet every score counts them as known."""
    labels = np.asarray(train_labels, dtype=str)
    missing = {}
    for seed in seeds:
        known, labeled = protocol_draw(labels, known_ratio, labeled_ratio, int(seed))
        unlabeled = len(set(known) - set(labels[labeled]))
        if unlabeled:
            missing[int(seed)] = (unlabeled, len(known))
    if not missing:
        return None
    seed, (n, of) = next(iter(missing.items()))
    more = f" (and on {len(missing) - 1} more seed{'s' if len(missing) > 2 else ''})" if len(missing) > 1 else ""
    return (f"--labeled-ratio {labeled_ratio} labels no row of {n} of the {of} known classes on seed {seed}{more}: the "
            "tool is never told of them, yet every score counts them as known; raise --labeled-ratio"
            + (" or --max-train-rows" if subsampled else "") + ".")


def classes_only_in_test(train: pd.DataFrame, test: pd.DataFrame) -> str | None:
    """A note when test holds classes train never shows: the tool can find them only as new clusters, and every
    score counts them as unnamed, which a benchmark's published split never does."""
    unseen = sorted(set(test["label"].astype(str)) - set(train["label"].astype(str)))
    if not unseen:
        return None
    shown = listed(unseen, repr)
    rows = int(test["label"].astype(str).isin(unseen).sum())
    return (f"{len(unseen)} test class{'es' if len(unseen) != 1 else ''} ({shown}; {rows} test rows) never "
            f"appear{'s' if len(unseen) == 1 else ''} in train: only new clusters can hold them, and every score "
            "counts them as unnamed.")


def classes_only_in_train(train: pd.DataFrame, test: pd.DataFrame, split_here: bool = True) -> str | None:
    """A note when train holds classes test never shows (a table's class of a row or two keeps its rows to learn
    from; ``split_here``: the table was split by evaluate, not a folder's own test.tsv; test's
    ``classes_before_cut``: its classes before ``--max-train-rows`` cut it with train): no score counts them, and a
    seed that leaves only such classes unnamed scores no unnamed class at all."""
    unseen = sorted(set(train["label"].astype(str)) - set(test["label"].astype(str)))
    if not unseen:
        return None
    before_cut = test.attrs.get("classes_before_cut")
    by_reason: dict[str, list[str]] = {}
    for name in unseen:
        why = ("test was cut with train by --max-train-rows" if before_cut is not None and name in before_cut else
               "too few rows to hold one out: each class keeps a row to learn from" if split_here else
               "test.tsv holds none")
        by_reason.setdefault(why, []).append(name)
    parts = []
    for why, names in by_reason.items():
        rows = int(train["label"].astype(str).isin(names).sum())
        parts.append(f"{len(names)} class{'es' if len(names) != 1 else ''} ({listed(names, repr)}; {rows} train "
                     f"row{'s' if rows != 1 else ''}) {'have' if len(names) != 1 else 'has'} no test row ({why})")
    return ("; ".join(parts) + ": no score counts them, and a seed that leaves only such classes unnamed scores no "
            "unnamed class (novel_acc and h_score n/a there).")


def seeds_behind_means(per_seed: list[dict]) -> dict:
    """The metrics whose mean and std cover only some seeds (the others n/a: no unnamed class in that seed's test
    rows, say), each with the seeds they cover; empty when every mean covers every seed."""
    return {key: [s["seed"] for s in per_seed if s.get(key) is not None] for key in METRIC_KEYS
            if 0 < sum(s.get(key) is not None for s in per_seed) < len(per_seed)}


def describe_seeds_behind_means(partial: dict, seeds) -> str | None:
    """``seeds_behind_means`` in words, for the table and the report's notes."""
    if not partial:
        return None
    groups: dict[tuple, list[str]] = {}
    for key, covered in partial.items():
        groups.setdefault(tuple(covered), []).append(key)
    return "; ".join(f"{', '.join(keys)}: mean and std of seed{'s' if len(covered) != 1 else ''} "
                     f"{', '.join(map(str, covered))} only (n/a on seed{'s' if len(seeds) - len(covered) != 1 else ''} "
                     f"{', '.join(str(s) for s in seeds if s not in covered)})" for covered, keys in groups.items())


def summarize(per_seed: list[dict]) -> tuple[dict, dict]:
    """Mean and (population) std over seeds of each metric; a metric that is null in every seed stays null."""
    mean, std = {}, {}
    for key in METRIC_KEYS:
        values = np.array([s[key] for s in per_seed if s.get(key) is not None], dtype=float)
        mean[key] = float(values.mean()) if len(values) else None
        std[key] = float(values.std()) if len(values) else None
    return mean, std


def evaluate_dataset(dataset_dir, known_ratio: float = 0.75, labeled_ratio: float = 0.1, seeds=(0, 1, 2),
                     k: str = "estimated", method: str = "auto", model: str | None = None,
                     max_train_rows: int | None = None, progress: bool = False, keep_state: bool = False,
                     adapt: bool = True, adapt_layers: int | str = "auto", say=None, text_column: str | None = None,
                     label_column: str | None = None, test_ratio: float | None = None,
                     unlabeled_marker: str | None = None, missing_words: bool = True) -> dict:
    """Run the NID protocol over ``seeds`` on a benchmark folder or a labeled table file (``text_column``,
    ``label_column``, ``test_ratio``, ``unlabeled_marker``, ``missing_words``: see ``load_dataset``); returns the
    report dict (``write_json`` writes it).

    ``say``: called with each note on the data (``notes`` in the report) before the first seed runs.

    ``keep_state=True`` keeps each seed's draw, embeddings and result under ``per_seed[i]["_state"]``
    (the benchmark suite scores its peers on them); ``write_json`` never writes it.
    """
    from .pipeline import DiscoveryConfig

    _validate(known_ratio, labeled_ratio, seeds, k)
    resolved = DiscoveryConfig(method=method).resolved_method()
    if k == "given" and resolved == "hdbscan":  # refused now, not after the first seed's fine-tuning
        raise InputError("--k given sets how many new clusters seeded-kmeans makes; --method hdbscan finds its own: "
                         "leave --k out (estimated), or use --method seeded-kmeans.")
    train, test = load_dataset(dataset_dir, max_train_rows, text_column, label_column, test_ratio, unlabeled_marker,
                               missing_words)
    subsampled = "subsampled_from" in train.attrs
    _check_draw_labels_something(train.label, known_ratio, labeled_ratio, max_train_rows if subsampled else None,
                                 train.attrs.get("largest_class_share"), train.attrs.get("subsampled_from"))
    notes = [*train.attrs.get("notes", []), *test.attrs.get("notes", []),
             *[note for note in (classes_only_in_test(train, test),
                                 classes_only_in_train(train, test, not Path(dataset_dir).is_dir()),
                                 known_classes_left_unlabeled(train.label, known_ratio, labeled_ratio, seeds,
                                                              subsampled),
                                 texts_in_train_and_test(train, test)) if note]]
    for note in notes if say else ():
        say(note)
    seeds = [int(s) for s in seeds]
    iterator = seeds
    if progress:
        from tqdm import tqdm

        iterator = tqdm(seeds, desc=f"{Path(dataset_dir).name} seeds", unit="seed", file=sys.stderr, dynamic_ncols=True)
    per_seed = []
    for seed in iterator:
        per_seed.append(evaluate_seed(train, test, seed, known_ratio, labeled_ratio, k, resolved, model,
                                      progress=progress, adapt=adapt, adapt_layers=adapt_layers))
    mean, std = summarize(per_seed)
    partial = seeds_behind_means(per_seed)
    if partial:
        notes.append(describe_seeds_behind_means(partial, seeds))
    model_id = per_seed[0]["_state"]["model"]
    if not keep_state:
        for row in per_seed:
            row.pop("_state")
    warm = [s["embedding_cache_warm"] for s in per_seed]
    return {
        "dataset": Path(dataset_dir).resolve().name,
        "known_ratio": known_ratio,
        "labeled_ratio": labeled_ratio,
        "k": k,
        "seeds": seeds,
        "method": resolved,
        "model": model_id,
        "adapted": all(row["adapted"] for row in per_seed),
        "adapt_layers": adapt_layers,
        # was the on-disk cache warm when the first seed embedded? (null for tfidf, which has no cache)
        "embedding_cache_warm": warm[0],
        "n_train": len(train),
        "n_test": len(test),
        "n_classes": len(set(train["label"]) | set(test["label"])),  # as --k given counts them
        "max_train_rows": max_train_rows,
        "test_ratio": None if Path(dataset_dir).is_dir() else test_ratio or DEFAULT_TEST_RATIO,  # a table file's
        "notes": notes,
        "mean": mean,
        "std": std,
        "mean_seeds": partial,  # metrics whose mean covers only some seeds: the seeds it covers
        "per_seed": per_seed,
    }


def _clean(value):
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return _nan_to_none(float(value))
    return value


def write_json(report: dict, file: IO[str]) -> None:
    """The report as strict JSON (NaN -> null, private keys dropped)."""
    json.dump(_clean(report), file, indent=2, allow_nan=False)
    file.write("\n")


def _fmt(value, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def format_table(report: dict) -> str:
    """A plain-text table: one line per seed, then mean and std."""
    cols = ("acc", "nmi", "ari", "known_acc", "novel_acc", "h_score", "n_clusters", "fillin_acc", "fillin_confidence",
            "seconds")
    shown = {"fillin_confidence": "fillin_conf"}
    head = (f"{report['dataset']}: known ratio {report['known_ratio']}, labeled ratio {report['labeled_ratio']}, "
            f"K {report['k']}, method {report['method']}, model {report['model']}, "
            f"{report['n_train']} train / {report['n_test']} test rows, {report['n_classes']} classes"
            + ("" if report["embedding_cache_warm"] is None else
               f", embedding cache {'warm' if report['embedding_cache_warm'] else 'cold'}"))
    lines = [head, f"{'':>6}" + "".join(f"{shown.get(c, c):>12}" for c in cols)]
    for row in report["per_seed"]:
        lines.append(f"{'seed ' + str(row['seed']):>6}" + "".join(
            f"{_fmt(row.get(c), 0 if c == 'n_clusters' else (1 if c == 'seconds' else 2)):>12}" for c in cols))
    for name in ("mean", "std"):
        lines.append(f"{name:>6}" + "".join(f"{_fmt(report[name].get(c), 1 if c in ('n_clusters', 'seconds') else 2):>12}"
                                             for c in cols))
    if len(report["per_seed"]) > 1:
        lines.append("(std: the spread of the seeds themselves, numpy's std with ddof 0, as the JSON's \"std\"; the "
                     "first seed's seconds include loading the libraries and the model once)")
    partial = describe_seeds_behind_means(report.get("mean_seeds") or {}, [row["seed"] for row in report["per_seed"]])
    if partial:
        lines.append(f"({partial})")
    largest = [str(row["seed"]) for row in report["per_seed"] if row.get("k_at_largest_tried")]
    if largest:
        lines.append(f"(seed{'s' if len(largest) > 1 else ''} {', '.join(largest)}: the estimate's best fit was the most "
                     "new clusters it tried, its fit still rising there"
                     + (" as TF-IDF vectors' fit does whatever the data holds" if report["model"] == "tfidf" else "")
                     + ": the cluster count is weak evidence; --k given scores with the true count)")
    return "\n".join(lines)
