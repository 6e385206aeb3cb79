"""``discovery run`` and ``discovery evaluate``: the whole job headless.

Bad input exits with status 2 and one line ``error: ...`` on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError
from .progress import TqdmStages

if TYPE_CHECKING:
    from .pipeline import DiscoveryConfig

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


_INTERRUPTED = threading.Event()


def _on_interrupt(signum, frame):
    """Ctrl-C: ``KeyboardInterrupt``, as Python's own handler raises it, and remembered. Raised while Python runs
    a finalizer (any allocation may start one) it is only printed ("Exception ignored in"), and the run would go on
    to exit 0; remembered, the run stops at its next progress report (``_stopping_at_interrupt``) or at its end."""
    _INTERRUPTED.set()
    raise KeyboardInterrupt


def _stopping_at_interrupt(progress):
    """``progress`` that raises ``KeyboardInterrupt`` again at its next report once Ctrl-C came (``_on_interrupt``)."""
    def report(stage: str, done: int, total: int) -> None:
        if _INTERRUPTED.is_set():
            raise KeyboardInterrupt
        progress(stage, done, total)
    return report


def _layers(value: str) -> int | str:
    if value in ("auto", "all"):
        return value
    if value.isdigit() and int(value) > 0:
        return int(value)
    raise argparse.ArgumentTypeError(f"expected auto, all or a positive whole number of layers, not {value!r}")


def _seed(value: str) -> int:
    """A random_state numpy accepts: a whole number from 0 to 2**32 - 1."""
    try:
        seed = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 0 <= seed < 2**32:
        raise argparse.ArgumentTypeError(f"{value} is outside 0 to 4294967295 (2**32 - 1)")
    return seed


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=None, help="sentence-transformers name or path, or 'tfidf' (default: bundled all-MiniLM-L6-v2)")
    p.add_argument("--method", default="auto", choices=["auto", "hdbscan", "seeded-kmeans"],
                   help="how rows are clustered (default auto: seeded-kmeans, chosen by measurement; docs/benchmarks.md)")
    p.add_argument("--no-adapt", dest="adapt", action="store_false",
                   help="use the model as it is, without fine-tuning it on the labeled rows first")
    p.add_argument("--adapt-layers", type=_layers, default="auto", metavar="auto|all|N",
                   help="transformer layers to fine-tune: all, the top N, or auto (default: every layer of a model "
                        "up to 6 layers deep such as the default, the top 4 of a deeper one; README, Models)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def _add_text_column(p: argparse.ArgumentParser, default: str | None = "text",
                     help: str = "the column holding the texts (default: 'text')") -> None:
    p.add_argument("--text-col", default=default, help=help)


def _add_missing_words(p: argparse.ArgumentParser) -> None:
    p.add_argument("--missing-words-are-labels", dest="missing_words", action="store_false",
                   help="read NA, N/A, null, None and none in the label column as class names (by default they "
                        "mean unlabeled, as blank cells do)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="discovery", description="Find unnamed categories and fill in labels.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="cluster a partly labeled table and write the proposed label set")
    run.add_argument("input", help="CSV, TSV, JSONL or Parquet file")
    _add_text_column(run)
    run.add_argument("--label-col", default=None, help="default: 'label' when present, else everything is unlabeled")
    run.add_argument("--unlabeled-marker", default=None, help="a label value that means unlabeled (blank and NaN always do)")
    _add_missing_words(run)
    run.add_argument("--encoding", default=None, help="text encoding when the file is not UTF-8 (e.g. latin-1)")
    run.add_argument("--out", required=True, help="output folder")
    run.add_argument("--no-balance", dest="balance", action="store_false",
                     help="never hold the proposed labels to the labeled rows' class shares (when your labels were "
                          "not drawn evenly across classes)")
    run.add_argument("--no-words", dest="words", action="store_false",
                     help="when the model is not fine-tuned, leave the texts' words out of the fill-in (blend and "
                          "balanced take in a classifier on them by default)")
    run.add_argument("--leave-out", action="append", default=None, metavar="PHRASE",
                     help="a phrase the model, the keywords and the fill-in do not read, wherever a text holds it, in "
                          "any case (a signature such as 'Sent from my iPhone'; digits stand for any number); give it "
                          "again for more. The files keep every text whole")
    run.add_argument("--new-clusters", type=int, default=None, metavar="N",
                     help="seeded-kmeans: look for N new categories beyond the labeled ones (default: estimated from the data)")
    run.add_argument("--keep-new-clusters", type=int, default=None, metavar="N",
                     help="when estimating, keep N new categories if the data fits N about as well as its best count "
                          "(e.g. the previous run's, from its manifest, when running again with a few more labels)")
    run.add_argument("--min-cluster-size", type=int, default=None, metavar="N",
                     help="hdbscan: the fewest rows a cluster holds; larger makes fewer, coarser clusters "
                          "(default: from the number of rows, 5 to 50)")
    run.add_argument("--noise-budget", type=float, default=None, metavar="P",
                     help="hdbscan: the share of rows (0 to below 1) it may leave as noise before it is pushed to "
                          "cluster more of them (default 0.2)")
    run.add_argument("--split-flagged", action="store_true",
                     help="split every labeled cluster that may hide a new category: its unlabeled rows farthest from "
                          "its labels become a candidate (recorded as decisions in the manifest)")
    run.add_argument("--label-next", type=int, default=100, metavar="N",
                     help="write label_next.csv: the N unlabeled rows whose labels would help the fill-in most "
                          "(default 100; 0 for none)")
    run.add_argument("--min-confidence", type=float, default=0.0, metavar="P",
                     help="proposed labels at least this confident (0 to 1) are marked accepted in proposed_labels "
                          "(default 0: every fill-in proposal; an unnamed candidate's rows never are)")
    run.add_argument("--seed", type=_seed, default=0, help="one random_state for every stage (default 0)")
    _add_common(run)
    add = sub.add_parser("add-labels", help="fold the labels typed into label_next.csv into a copy of the data, "
                                             "to run again on")
    add.add_argument("input", help="the data file `discovery run` read")
    add.add_argument("labeled", help="label_next.csv (or any file with row_id, the text and the label column) "
                                     "with labels typed in")
    _add_text_column(add, None, "the column holding the texts (default: the run's, from the manifest.json beside "
                                "LABELED when INPUT is the file that run read; else 'text')")
    add.add_argument("--label-col", default=None, help="default: the run's, as --text-col; else 'label' when present")
    add.add_argument("--unlabeled-marker", default=None,
                     help="a label value that means unlabeled (default: the marker of the run that wrote LABELED, from "
                          "the manifest.json beside it, when INPUT is the file that run read)")
    _add_missing_words(add)
    add.add_argument("--encoding", default=None, help="text encoding of the data file when it is not UTF-8")
    add.add_argument("--labeled-encoding", default=None,
                     help="text encoding of LABELED when it is not UTF-8 (a spreadsheet saved it in latin-1, cp1252, ...)")
    add.add_argument("--drawn-at-random", action="store_true",
                     help="the labeled rows were picked at random (not from label_next.csv): their labels count as "
                          "the data's, so the next run may hold them out to estimate its accuracy")
    add.add_argument("--out", required=True, help="the .parquet file to write (run `discovery run` on it next)")

    ev = sub.add_parser("evaluate", help="score on a benchmark folder (train.tsv + test.tsv), or on a labeled table "
                                         "of one's own, with the NID protocol")
    ev.add_argument("dataset_dir", metavar="FOLDER_OR_FILE", help="folder with train.tsv and test.tsv (columns text and label), e.g. "
                                        "../shared/datasets/banking; or a CSV, TSV, JSONL or Parquet file whose rows "
                                        "are labeled (--test-ratio of them held out as test)")
    _add_text_column(ev, default=None, help="a table file's text column (default: 'text')")
    ev.add_argument("--label-col", default=None, help="a table file's label column (default: 'label')")
    ev.add_argument("--test-ratio", type=float, default=None,
                    help="a table file's share of each class held out as test, the same rows for every seed "
                         "(default 0.2; a benchmark folder has its own test.tsv)")
    ev.add_argument("--unlabeled-marker", default=None,
                    help="a table file's label value that means unlabeled (blank and NaN always do): such rows are "
                         "left out, as evaluate scores every row against its label")
    _add_missing_words(ev)
    ev.add_argument("--known-ratio", type=float, default=0.75,
                    help="share of the classes whose rows may be labeled; the rest are the categories to discover "
                         "(default 0.75)")
    ev.add_argument("--labeled-ratio", type=float, default=0.1,
                    help="share of each known class's training rows that keep their label (default 0.1)")
    ev.add_argument("--seeds", type=_seed, nargs="+", default=[0, 1, 2],
                    help="one draw per seed, each seed the random_state of every stage (default 0 1 2)")
    ev.add_argument("--k", choices=["estimated", "given"], default="estimated",
                    help="number of clusters: estimated by the tool (default) or given the true count, as some papers do")
    ev.add_argument("--max-train-rows", type=int, default=None,
                    help="subsample train to N rows, and test in the same proportion (smoke tests)")
    ev.add_argument("--json", default=None, help="write the JSON result to FILE, or '-' for stdout")
    _add_common(ev)

    cache = sub.add_parser("cache", help="say what the cache folder holds (fine-tuned models, vectors, kept "
                                         "results), or clear some of it")
    cache.add_argument("--clear", action="append", choices=["adapted", "embeddings", "results", "all"],
                       metavar="adapted|embeddings|results|all",
                       help="remove that kind's entries (give it again for another kind); the next run that needs "
                            "one makes it again. Clear between runs: a run going on may read what it found there. "
                            "Decisions (workspaces/) are never cleared")
    cache.add_argument("--older-than", type=float, default=None, metavar="DAYS",
                       help="with --clear: only the entries not written for DAYS days")
    return parser


def parse_args(parser: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    """``parser.parse_args``, with a value ``--`` given as ``--unlabeled-marker=--`` kept (argparse before Python
    3.12 drops it and leaves [])."""
    args = parser.parse_args(argv)
    for name, value in vars(args).items():
        # no option of one value takes an empty list: a value "--" was dropped (--leave-out, given again for more,
        # starts at None and is never empty: helper 87 found every run refused while it started at [])
        if isinstance(value, list) and not value:
            setattr(args, name, "--")
    return args


def config_from_args(args) -> "DiscoveryConfig":
    """The run's settings from `discovery run`'s parsed flags."""
    from .pipeline import DiscoveryConfig, fill_methods_for

    fill_methods = fill_methods_for(args.balance)
    noise_budget = DiscoveryConfig.noise_budget if args.noise_budget is None else args.noise_budget
    # none of the files written holds the dashboard's 2-d map: skipping it took the demo's run from 51 s to 17 s
    return DiscoveryConfig(model=args.model, method=args.method, random_state=args.seed, adapt=args.adapt,
                           adapt_layers=args.adapt_layers, n_new_clusters=args.new_clusters,
                           preferred_n_new_clusters=args.keep_new_clusters, min_cluster_size=args.min_cluster_size,
                           noise_budget=noise_budget, fill_methods=fill_methods, fill_words=args.words,
                           leave_out=tuple(args.leave_out or ()), make_map=False)


def run_command(input_path: str, out: str, config: "DiscoveryConfig", text_column: str = "text",
                label_column: str | None = None, unlabeled_marker: str | None = None, missing_words: bool = True,
                encoding: str | None = None, program: str = "discovery", min_confidence: float = 0.0) -> str:
    """The `discovery run` command line that repeats a run of these settings headless (the dashboard's Export page
    shows it), flags for the settings away from their defaults only, each as ``--flag=value`` (a value such as
    the marker ``--`` would read as a flag); ValueError for a setting no flag carries. ``program``: how the shell
    finds the command (``.venv/bin/discovery`` where it is not on the PATH). ``min_confidence``: the threshold
    that marks proposals accepted (the dashboard's Fill-in page applies one), so the files mark the same rows. Settings the run would not read
    (``effective_config``: the dashboard keeps each method's settings while another runs) are left out, as the
    CLI refuses most of them there."""
    from .pipeline import DiscoveryConfig, effective_config, fill_methods_for

    default, config = DiscoveryConfig(), effective_config(config)
    balance = config.fill_methods == fill_methods_for(True)
    if not balance and config.fill_methods != fill_methods_for(False):
        raise ValueError(f"fill_methods={config.fill_methods!r}: no flag of `discovery run` sets these")
    unflagged = [name for name in ("seed_threshold", "n_neighbors", "known_rows_by_fill")
                 if getattr(config, name) != getattr(default, name)]
    if unflagged:
        raise ValueError(f"{', '.join(unflagged)}: no flag of `discovery run` sets {'it' if len(unflagged) == 1 else 'them'}")
    hdbscan = config.resolved_method() == "hdbscan"
    words = [str(program), "run", str(input_path) if not str(input_path).startswith("-") else f"./{input_path}",
             f"--out={out}"]
    flags = [("--text-col", text_column if text_column != "text" else None), ("--label-col", label_column),
             ("--unlabeled-marker", unlabeled_marker), ("--encoding", encoding),
             ("--model", config.model), ("--method", None if config.method == default.method else config.method),
             ("--adapt-layers", None if config.adapt_layers == default.adapt_layers else config.adapt_layers),
             ("--new-clusters", None if hdbscan else config.n_new_clusters),  # hdbscan refuses one
             ("--keep-new-clusters", config.preferred_n_new_clusters), ("--min-cluster-size", config.min_cluster_size),
             ("--noise-budget", None if config.noise_budget == default.noise_budget else config.noise_budget),
             ("--seed", config.random_state or None), ("--min-confidence", min_confidence or None)]
    words += [f"{flag}={value}" for flag, value in flags if value is not None]
    words += [f"--leave-out={phrase}" for phrase in config.leave_out]
    words += [flag for flag, on in (("--missing-words-are-labels", not missing_words), ("--no-adapt", not config.adapt),
                                    ("--no-balance", not balance), ("--no-words", not config.fill_words)) if on]
    return shlex.join(words)


def refuse_run_flags(args) -> None:
    """InputError for `discovery run` flags that do not go together or lie out of range: found before anything is
    imported or read, so a mistyped flag is answered at once, not after a large table was read."""
    if args.method == "hdbscan" and (args.new_clusters is not None or args.keep_new_clusters is not None):
        given = "--new-clusters" if args.new_clusters is not None else "--keep-new-clusters"
        raise InputError(f"{given} sets how many new clusters seeded-kmeans makes; --method hdbscan finds its own "
                         "(--min-cluster-size sets how fine): leave it out, or use --method seeded-kmeans.")
    if args.new_clusters is not None and args.keep_new_clusters is not None:
        raise InputError(f"--new-clusters {args.new_clusters} sets the number of new clusters, --keep-new-clusters "
                         f"{args.keep_new_clusters} one to keep when the data fits it about as well as its best: give one "
                         "of them.")
    if args.min_cluster_size is not None and args.method != "hdbscan":
        raise InputError("--min-cluster-size sets how fine hdbscan's clusters are; add --method hdbscan, or leave it "
                         "out (seeded-kmeans takes --new-clusters).")
    if args.min_cluster_size is not None and args.min_cluster_size < 2:
        raise InputError(f"--min-cluster-size must be 2 or more (got {args.min_cluster_size}).")
    if args.new_clusters is not None and args.new_clusters < 0:
        raise InputError(f"--new-clusters must be 0 or more (got {args.new_clusters}); leave it out to estimate it.")
    if args.keep_new_clusters is not None and args.keep_new_clusters < 0:
        raise InputError(f"--keep-new-clusters must be 0 or more (got {args.keep_new_clusters}).")
    if args.label_next < 0:
        raise InputError(f"--label-next must be 0 or more (got {args.label_next}); 0 writes no label_next.csv.")
    if not 0.0 <= args.min_confidence <= 1.0:
        raise InputError(f"--min-confidence must lie between 0 and 1 (got {args.min_confidence}).")
    if args.noise_budget is not None and args.method != "hdbscan":
        raise InputError("--noise-budget sets how many rows hdbscan may leave as noise; add --method hdbscan, or "
                         "leave it out.")
    if args.noise_budget is not None and not 0.0 <= args.noise_budget < 1.0:
        raise InputError(f"--noise-budget must lie from 0 to below 1 (got {args.noise_budget}).")


def cmd_run(args) -> int:
    from .boilerplate import refused_phrase

    refuse_run_flags(args)
    if Path(args.out).expanduser().is_file():  # found out now, not after the run
        raise InputError(f"--out {args.out}: is a file; give a folder for the output files.")
    check_out_path(args.out, "a folder for the output files")
    for phrase in args.leave_out or ():
        if refused := refused_phrase(phrase):
            raise InputError(f"--leave-out {phrase!r}: {refused}.")
    from .io import nothing_to_fill_in, read_table

    table = read_table(args.input, text_column=args.text_col, label_column=args.label_col,
                       unlabeled_marker=args.unlabeled_marker, encoding=args.encoding,
                       missing_words=args.missing_words)
    from .boilerplate import canonical_phrases
    from .embed import TFIDF_MODEL
    from .export import describe_moved_aside, write_run_files
    from .language import language_warning
    from .pipeline import (describe_fill_estimate, fill_skipped_reason, hdbscan_size_hides_new, run_discovery,
                           table_boilerplate, table_languages, unestimated_accuracy_advice, words_turned_off)
    from .relabel import SPREADSHEET_CELL_LIMIT, advised_new_clusters
    from .result import (adaptation_note, candidates_behind_note, candidates_holding_a_class_note, set_min_confidence,
                         split_cluster)

    for message in table.warnings:
        print(f"warning: {message}", file=sys.stderr)
    if note := nothing_to_fill_in(table):
        print(f"note: {note}", file=sys.stderr)
    # said before the run starts, so a researcher can stop it and pick a model that reads the texts
    # found once: the run reads the texts without it too, the phrases spelled as its config keeps them
    boilerplate = table_boilerplate(table, canonical_phrases(args.leave_out or ()))
    language = table_languages(table, random_state=args.seed, boilerplate=boilerplate)
    if warning := language_warning(language, args.model):
        print(f"warning: {args.input}, column {table.text_column!r}: {warning}", file=sys.stderr)
    if args.new_clusters is None and args.keep_new_clusters is None and args.method != "hdbscan" \
            and (advised := advised_new_clusters(args.input)) is not None:
        args.keep_new_clusters = advised  # add-labels' advice travels in the copy it wrote, as its printed line gives
        print(f"note: {args.input} asks to keep {advised} new cluster{'s' if advised != 1 else ''}, the count add-labels "
              "advised when it wrote the copy (kept while the data fits it about as well as its best; "
              "--keep-new-clusters N sets another, --new-clusters N a fixed count)", file=sys.stderr)
    config = config_from_args(args)
    config.resolved_method()
    progress = TqdmStages(enabled=not args.quiet)
    try:
        result = run_discovery(table, config, progress=_stopping_at_interrupt(progress), language=language,
                               boilerplate=boilerplate)
    finally:
        progress.close()
    for warning in (result.long_text_warning, result.unread_text_warning, result.boilerplate_warning):
        if warning:
            print(f"warning: {args.input}, column {table.text_column!r}: {warning}", file=sys.stderr)
    flagged = result.hidden_category_clusters.index.tolist() if args.split_flagged else []
    split = []
    for cluster in flagged:
        try:
            result = split_cluster(result, cluster)
            split.append(cluster)
        except InputError as exc:  # no group apart from the rest: the run's files are still written
            print(f"note: --split-flagged: {exc}", file=sys.stderr)
    if args.min_confidence:
        result = set_min_confidence(result, args.min_confidence)
    files = write_run_files(result, args.out, args.label_next, command=getattr(args, "command_line", None))
    written = files.written
    cut = sum(len(text) > SPREADSHEET_CELL_LIMIT for text in table.texts)
    if cut:  # helper 110: nothing said that a spreadsheet would cut them
        print(f"note: {cut:,} text{'s are' if cut != 1 else ' is'} longer than the {SPREADSHEET_CELL_LIMIT:,} characters a "
              "spreadsheet keeps in a cell: Excel cuts them in the CSV files (the .parquet and .jsonl hold them whole; "
              "add-labels takes a cut text back as its row's)", file=sys.stderr)
    if files.moved_aside:
        print(f"warning: {describe_moved_aside(files.moved_aside)}; give the labels typed there (if any) to "
              "add-labels with the data that run read", file=sys.stderr)
    if files.removed:
        print(f"removed {files.removed}: an earlier run's suggestions (--label-next 0 writes none)")
    if args.label_next:
        if not result.fill_method:
            print("label_next.csv: no rows to suggest: suggestions weigh the fill-in's proposals, and the fill-in "
                  "needs labeled rows of at least two classes; label a few rows of the categories you know")
        elif files.label_next_written == 0 and table.n_labeled == len(table):
            print("label_next.csv: no rows to suggest: every row is labeled")
        elif files.label_next_written == 0:
            print("label_next.csv: no rows to suggest: every unlabeled row is in an open candidate (its label is a "
                  "name for you to give, not a proposal to check) or has no words: name or dismiss candidates, or "
                  "ask for fewer new clusters")
        elif files.label_next_written < args.label_next:
            print(f"label_next.csv: {files.label_next_written:,} rows, not the {args.label_next:,} asked for: only "
                  "unlabeled rows with words outside open candidates are suggested, one per distinct text, and no "
                  "proposed label takes more than twice its even share")
    n_candidates = len(result.candidates)
    print(f"{len(table)} rows, {table.n_labeled} labeled; {len(result.clusters)} clusters, {n_candidates} candidate new "
          f"categor{'y' if n_candidates == 1 else 'ies'}; fill-in by {result.fill_method or 'clusters'}"
          # rounded as the estimate's sentence rounds it (80.645% read 80.6 here and 80.7 there: helper 89)
          + (f" (estimated accuracy {round(result.fill_accuracy[result.fill_method], 4):.1%})"
             if result.fill_method and result.fill_accuracy.get(result.fill_method) is not None else ""))
    if args.min_confidence:  # how many a threshold accepts was said nowhere (helper 111)
        by_threshold = result.decided_by_threshold
        open_proposals, sure = int(by_threshold.sum()), int((by_threshold & result.accepted).sum())
        print(f"--min-confidence {args.min_confidence:g}: {sure:,} of {open_proposals:,} proposals accepted (the "
              "accepted column; human labels and clusters you named are accepted whatever the threshold, an open "
              "candidate's rows and texts without words never are)")
    if split:
        new = [d["new_cluster_id"] for d in result.decisions if d["action"] == "split"]
        print(f"split {len(split)} flagged cluster{'s' if len(split) != 1 else ''}"
              + (f" of {len(flagged)}" if len(flagged) > len(split) else "")
              + f": {int(result.rows.cluster_id.isin(new).sum())} rows are now candidate "
              f"cluster{'s' if len(new) != 1 else ''} {', '.join(map(str, new))}")
    elif flagged:  # said "split 1 flagged cluster: 0 rows are now candidate clusters" (helper 111)
        print(f"--split-flagged: {len(flagged)} flagged cluster{'s' if len(flagged) != 1 else ''}, none split (the "
              "notes above say why); the files hold the clusters as found")
    elif args.split_flagged:
        print("--split-flagged: no labeled cluster was flagged as hiding a new category (may_hide_new_category in "
              "clusters.csv); nothing split")
    explained = candidates_explained_note(result)
    for note in (new_clusters_note(result.clustering, explained is not None, result.config.model == TFIDF_MODEL,
                                   unread=result.language_warning is not None),
                 explained, candidates_behind_note(result), candidates_holding_a_class_note(result),
                 moved_rows_note(result),
                 hidden_categories_note(result, split=bool(flagged))):
        if note:
            print(note)
    note = noise_note(result)
    if note:
        print(f"warning: {note}", file=sys.stderr)
    if (sizes := hdbscan_size_hides_new(result.clustering)) is not None:
        print(f"warning: hdbscan made no new cluster with --min-cluster-size {sizes[0]}, above the automatic one for "
              f"this table ({sizes[1]}): no unnamed group of fewer rows could stand apart, and any such group's rows "
              "went to named classes; run again without --min-cluster-size (automatic) to look for smaller ones",
              file=sys.stderr)
    for cluster, note in result.phrase_candidate_notes("give it to --leave-out {phrase}").items():
        print(f"warning: candidate {result.clusters.display_name[cluster]!r} ({result.clusters['size'][cluster]:,} "
              f"rows; shared_phrase in clusters.csv): {note}", file=sys.stderr)
    note = adaptation_note(result.adaptation)
    if note:
        print(f"adaptation: {note}")
    doubts = len(result.labels_to_check)
    if doubts:
        print(f"labels to check: {doubts} of {table.n_labeled} labeled rows look mislabeled to the rest of the data "
              "(labels_to_check.csv: correct the label column there and give it back with add-labels)")
    estimate = describe_fill_estimate(result.fill_estimate_now)
    if estimate:
        print(f"{'warning' if result.fill_estimate.get('caveat') else 'fill-in'}: {estimate}",
              file=sys.stderr if result.fill_estimate.get("caveat") else sys.stdout)
    if result.fill_balance:
        print(f"class balance: {'used' if result.fill_balance['used'] else 'not used'}, {result.fill_balance['reason']}")
    skipped = fill_skipped_reason(table.codec.names)
    if skipped and table.n_labeled < len(table):
        print(f"fill-in: {skipped}")
    if result.fill_method and result.fill_accuracy.get(result.fill_method) is None:
        print("fill-in: too few labeled rows to hold some back, so the proposals' accuracy is not estimated and "
              "their confidences are not calibrated (read them as a ranking, not as probabilities); "
              + unestimated_accuracy_advice(table))
    if result.fill_words:
        print("fill-in: the texts' words were blended in (the model was not fine-tuned on the labels; "
              "--no-words leaves them out)")
    elif words_turned_off(result):
        print("fill-in: the texts' words were not blended in: turned off in the settings (--no-words)")
    print(f"wrote {', '.join(str(p) for p in written.values())}")
    return 0


def check_out_path(out, wanted: str) -> None:
    """Refuse an --out below a file (``data.csv/out``) before any work, not after it: nothing can be written there."""
    from .export import file_in_the_way

    folder = file_in_the_way(Path(out).expanduser().absolute().parent)
    if folder is not None:
        raise InputError(f"--out {out}: {folder} is a file, so nothing can be written below it; give {wanted}.")


ACCEPTED_IN_BULK = 100  # labels typed as the proposals shown, from which add-labels warns of proposals copied unread


def cmd_add_labels(args) -> int:
    out = Path(args.out).expanduser()
    if out.suffix.lower() not in (".parquet", ".pq"):
        raise InputError(f"--out {args.out}: write a .parquet file (it keeps every column and type exactly).")
    if out.is_dir():
        raise InputError(f"--out {args.out}: is a folder; give a file name ending in .parquet.")
    check_out_path(out, "a .parquet file in a folder")
    from .io import DEFAULT_TEXT_COLUMN, ORIGIN_ACCEPTED, file_sha256, read_table
    from .labels import listed, looks_like_a_marker, similar_spellings_note, spelling_key
    from .relabel import (add_labels, decisions_not_recorded, edited_proposals, new_clusters_to_keep_after,
                          next_run_file, recorded_decision_labels, review_labels_left_behind, run_manifest,
                          run_reading)
    from .workspace import atomic_write_bytes

    options = dict(text_column=args.text_col or DEFAULT_TEXT_COLUMN, label_column=args.label_col,
                   unlabeled_marker=args.unlabeled_marker, encoding=args.encoding, missing_words=args.missing_words)
    manifest = run_manifest(args.labeled)  # of the run that wrote the review file, read once
    run_read = run_reading(args.labeled, manifest)
    adopted = as_the_run_read(run_read, file_sha256(args.input) if run_read else None, args)
    options.update(adopted)  # the same data as the run read: its columns, its labels as it read them ("?" no class)
    table = read_table(args.input, **options)
    if adopted:
        print(f"note: {args.input} read as the run that wrote {args.labeled} read it "
              f"({', '.join(reading_flags(adopted, repr))}, from its manifest.json)", file=sys.stderr)
    marker = run_read.get("unlabeled_marker") if args.unlabeled_marker is None and not adopted else None
    if marker is not None and spelling_key(str(marker)) in {spelling_key(name) for name in table.codec.names}:
        options["unlabeled_marker"] = str(marker)  # other bytes (rows added since?) but the marker that run read
        table = read_table(args.input, **options)
        print(f"note: {args.input}: {marker!r} in {table.label_column!r} read as unlabeled, as the run that wrote "
              f"{args.labeled} read its data (--unlabeled-marker, from its manifest.json; this file holds other "
              "bytes than that run read); give --unlabeled-marker to read it otherwise", file=sys.stderr)
    for warning in table.warnings:  # before anything is refused: how the data was read may be why
        print(f"warning: {warning}", file=sys.stderr)
    markers = [name for name in table.codec.names if looks_like_a_marker(str(name))]
    if run_read and "unlabeled_marker" not in run_read and args.unlabeled_marker is None and markers:
        print(f"warning: {Path(args.labeled).parent / 'manifest.json'} was written by an earlier version, which did "
              f"not record the unlabeled marker its run read, so {args.input} is read with none: if "
              f"{markers[0]!r} marked unlabeled rows in that run, give --unlabeled-marker {shlex.quote(str(markers[0]))}",
              file=sys.stderr)
    # the typed file is the run's: its marker means unlabeled there whatever file the labels are folded onto (a
    # second review file of one run folded onto the copy the first made, which holds no marker cell: helper 89)
    typed_marker = (options["unlabeled_marker"] if options["unlabeled_marker"] is not None or args.unlabeled_marker
                    is not None else run_read.get("unlabeled_marker"))
    review_columns = columns_as_the_run_wrote(args.labeled, table, run_read, args.labeled_encoding)
    for role, column in review_columns.items():
        print(f"note: {args.labeled} read with its {role} column {column!r}, as the run that wrote it named it "
              f"({args.input}'s is {getattr(table, role + '_column')!r})", file=sys.stderr)
    try:  # the tool writes label_next.csv in UTF-8 whatever the data's encoding; --encoding is the data's
        labeled = read_table(args.labeled, **{**options, "encoding": args.labeled_encoding,
                                              "unlabeled_marker": typed_marker,
                                              **{f"{role}_column": column for role, column in review_columns.items()}})
    except InputError as exc:
        raise InputError(str(exc).replace("--encoding", "--labeled-encoding")) from None
    if left_behind := review_labels_left_behind(args.labeled, table, labeled, run_read):
        raise InputError(left_behind)
    if not_recorded := decisions_not_recorded(args.labeled, manifest):
        print(f"warning: {not_recorded}", file=sys.stderr)
    carried = add_labels(table, labeled, source_name=Path(args.labeled).name, unlabeled_marker=typed_marker,
                         drawn_at_random=args.drawn_at_random, decided=recorded_decision_labels(args.labeled, table, manifest))
    edited = edited_proposals(args.labeled, labeled, manifest)
    if edited:
        shown = listed(edited)
        ignored = (f"{args.labeled}: {len(edited):,} row{'s' if len(edited) != 1 else ''} (row_id {shown}) "
                   f"{'have' if len(edited) != 1 else 'has'} another proposed_label or accepted than the run wrote, "
                   f"but add-labels reads only the {carried.label_column!r} column: type each label you mean into it "
                   "(a proposal you keep too: copy it there)")
        if not carried.changes_anything:
            raise InputError(ignored + ", and run this again; nothing was written.")
        print(f"warning: {ignored}; those rows were left as they were", file=sys.stderr)
    if args.drawn_at_random and carried.accepted_rows >= ACCEPTED_IN_BULK:
        raise InputError(f"{args.labeled}: {carried.accepted_rows:,} of the labels typed are the proposal the file "
                         "shows for their row (proposed_label): with --drawn-at-random they would be held out, and the "
                         "next run's accuracy estimate would score the tool on its own guesses. Leave --drawn-at-random "
                         "out (they are then recorded as accepted proposals, never held out), or type the labels of "
                         "rows you picked at random into a file without the proposals; nothing was written.")
    if not carried.changes_anything:
        proposals = labeled.earlier_proposals is not None and "proposed_label" in labeled.earlier_proposals.columns
        raise InputError(f"{args.labeled}: adds no label: every label filled in its {carried.label_column!r} column is "
                         f"the one {table.source_name} has already"
                         + (" (add-labels reads that column only, not proposed_label)" if proposals else "")
                         + f"; type the labels you mean into {carried.label_column!r} and run this again; nothing was written.")
    # of the labeled file's warnings, those on how its cells were read (spellings take the data's in add_labels)
    reading = tuple(w for w in labeled.warnings if " read as " in w)
    for warning in (w.replace("--encoding", "--labeled-encoding") for w in reading):
        print(f"warning: {warning}", file=sys.stderr)
    keep = new_clusters_to_keep_after(args.labeled, carried, table, manifest, labeled)
    try:
        atomic_write_bytes(out, next_run_file(carried, keep))
    except OSError as exc:
        raise InputError(f"--out {args.out}: cannot write it ({exc.strerror or exc}); free some disk space or "
                         "choose another --out.") from None
    relabeled = len(carried.relabeled)
    how = ("added as the data's own (drawn at random)" if args.drawn_at_random
           else "labeled" if carried.accepted_rows else "labeled in review")
    use = ("they train every stage and may be held out to score the estimate, as the data's labels" if args.drawn_at_random
           else "rows labeled in review train every stage and are never held out to score the estimate; "
                "--drawn-at-random, for rows picked at random, lets them be")
    next_run, left_out = next_run_command(out, manifest, keep, table.text_column, carried.label_column,
                                          options["missing_words"])
    accepted = (f"{carried.accepted_rows:,} of {'these' if relabeled else 'them'} typed as the proposal the file "
                "shows" + ("" if args.drawn_at_random else f": recorded as '{ORIGIN_ACCEPTED}'"
                           + (", the others as labeled in review" if carried.assigned_rows > carried.accepted_rows else "")))
    print((f"{carried.assigned_rows - relabeled:,} unlabeled rows of {table.source_name} {how}" if carried.assigned_rows
           else f"{table.source_name}: no label typed that it lacks or holds otherwise")
          + (f" and {relabeled:,} labeled rows given another label" if relabeled else "")
          + (f" ({accepted})" if carried.accepted_rows else "")
          + (f", and {carried.from_decisions:,} rows labeled (or doubtful labels kept) by the decisions of the run that "
             f"wrote {Path(args.labeled).name} (in the dashboard; from its manifest.json)" if carried.from_decisions else "")
          + (f" ({carried.kept_rows:,} doubtful label{'s' if carried.kept_rows != 1 else ''} kept as "
             f"{'they were' if carried.kept_rows != 1 else 'it was'}: not listed to check again; a row not looked at yet "
             "stays listed when its label cell is left blank)"
             if carried.kept_rows else "")
          + (f", and {carried.confirmed_rows:,} accepted proposal{'s' if carried.confirmed_rows != 1 else ''} typed "
             "again as the label the data has: read, so now labeled in review" if carried.confirmed_rows else "")
          + f": {carried.n_labeled:,} labeled rows in all (before: {table.n_labeled:,}); wrote {out} (run "
          f"`{next_run}` on it: {use})")
    for note in left_out:
        print(f"note: the line above leaves out {note}, of the run that wrote {args.labeled} (its manifest.json)",
              file=sys.stderr)
    if carried.accepted_rows and args.drawn_at_random:  # from ACCEPTED_IN_BULK on refused above
        print(f"warning: {args.labeled}: {carried.accepted_rows:,} of the labels typed are the proposal the file shows "
              "for their row: added as drawn at random, they may be held out, and the accuracy estimate then scores "
              "the tool on its own guesses; leave --drawn-at-random out if they were not labeled by reading rows "
              "picked at random", file=sys.stderr)
    elif carried.accepted_rows >= ACCEPTED_IN_BULK:
        print(f"warning: {args.labeled}: {carried.accepted_rows:,} of the labels typed are the proposal the file shows "
              "for their row (proposed_label), as when proposals are copied into the label column: the next run "
              "learns from them as labels, the proposals' errors included, no accuracy estimate can check them (it "
              "is measured on the data's own labels, and says the rows left are harder), and the label check rarely "
              "flags them (the vectors that proposed them agree with them); copy only the proposals you have read",
              file=sys.stderr)
    markers = sorted({label for _, _, label in carried.relabeled if looks_like_a_marker(label)}
                     | {label for label in carried.frame[carried.label_column].dropna().unique()
                        if looks_like_a_marker(str(label)) and str(label) not in table.codec.names})
    if markers:
        shown = ", ".join(map(repr, markers))
        print(f"warning: {args.labeled}: {shown} typed as a label is taken as a class name; if it means unlabeled, "
              "leave that cell blank and run this again (a blank label leaves its row as it was)", file=sys.stderr)
    new_spellings, respelled = typed_spellings(labeled, table, carried.respelled)
    if new_spellings:
        print(f"note: {args.labeled}: new labels typed in more than one spelling (case, spaces, separators) were made one: "
              f"{listed(new_spellings, lambda pair: f'{pair[0]!r} -> {pair[1]!r}')}", file=sys.stderr)
    if respelled:
        shown = listed(respelled, lambda pair: f"{pair[0]!r} -> {pair[1]!r}")
        print(f"note: {args.labeled}: labels typed otherwise than the data's (case, spaces, separators, look-alike "
              f"characters, width, leading zeros) took its spelling: {shown}", file=sys.stderr)
    typos = similar_spellings_note(carried.frame[carried.label_column].tolist(), only=set(table.codec.names))
    if typos:  # the data's own were named on reading it: only spellings the review file brought
        print(f"warning: {args.labeled}: {typos}.", file=sys.stderr)
    if carried.blanked:
        shown = listed(carried.blanked)
        many = len(carried.blanked) != 1
        print(f"note: {len(carried.blanked):,} row{'s' if many else ''} of {Path(args.labeled).name} "
              f"{'have' if many else 'has'} a blank label where "
              f"{table.source_name} has one (row_id {shown}): they keep it; add-labels adds and corrects labels, it "
              "never removes one (to unlabel a row, blank it in the data)", file=sys.stderr)
    if relabeled:
        shown = ", ".join(f"row {row}: {old!r} -> {new!r}" for row, old, new in carried.relabeled[:5])
        print(f"warning: labels changed from those {table.source_name} holds: {shown}"
              + (f" and {relabeled - 5} more" if relabeled > 5 else ""), file=sys.stderr)
    return 0


def typed_spellings(labeled, table, respelled) -> tuple[list, list]:
    """The spellings reading the review file changed, as (as typed, as kept) pairs: of labels the data does not have,
    typed in two spellings or more (``CARD_ARRIVAL`` and ``card_arrival``), which reading the file made one; and of
    the data's labels, every spelling typed otherwise than the data writes it, with ``respelled``
    (``NextRunLabels.respelled``, which compares only the spelling reading the file kept: of ``age_limit`` and ``Age
    Limit`` typed 8 times each, only one was said, helper 89), kept as the data's."""
    from .labels import spelling_key

    data = {spelling_key(name): name for name in table.codec.names}
    new, of_data = set(), set(respelled)
    for typed, kept in labeled.label_spellings.items():
        spelling = data.get(spelling_key(kept), kept)
        if typed.strip() != spelling:
            (of_data if spelling_key(kept) in data else new).add((typed.strip(), spelling))
    return sorted(new), sorted(of_data)


def columns_as_the_run_wrote(labeled_path, table, read: dict, encoding: str | None = None) -> dict:
    """The review file's text and label columns where they are not the data's (``table``): the run that wrote the
    file named them (``read``: its ``run_reading``), and the data's were renamed since, so ``--label-col category``
    for the data found no such column in label_next.csv, which nothing could then read (helper 101). Only a role
    whose data column the file lacks and whose run column it holds: {"text" or "label": column}."""
    from .io import DEFAULT_LABEL_COLUMN, DEFAULT_TEXT_COLUMN, _find_column, peek_rows

    header = peek_rows(path=str(labeled_path), rows=1, encoding=encoding)
    if not len(header.columns):
        return {}
    found = {}
    for role, default in (("text", DEFAULT_TEXT_COLUMN), ("label", DEFAULT_LABEL_COLUMN)):
        data_column = getattr(table, f"{role}_column")
        run_column = str(read.get(f"{role}_column") or default)
        if data_column is not None and data_column != run_column and _find_column(header, data_column) is None \
                and _find_column(header, run_column) is not None:
            found[role] = run_column
    return found


def next_run_command(out: Path, manifest: dict, keep: int | None, text_column: str, label_column: str,
                     missing_words: bool) -> tuple[str, list[str]]:
    """The `discovery run` line ``add-labels`` advises on its copy, and notes on the settings it leaves out: the
    settings of the run that wrote the review file (its manifest.json's ``config``: the model, method, seed,
    fine-tuning, fill-in and phrases left out; helper 129: a TF-IDF or hdbscan run's next line ran the default model
    and method) with ``keep`` new clusters to keep. A count of new clusters that run was given is left to the next
    run to estimate (the categories named in review are classes now: the same count on top of them splits more), and
    a setting no flag sets (a manifest of an earlier version: ``n_neighbors`` 15) or no longer known is left out,
    each said."""
    from dataclasses import fields, replace

    from .io import DEFAULT_LABEL_COLUMN
    from .pipeline import DiscoveryConfig, as_config, fill_methods_for

    label_column = None if label_column == DEFAULT_LABEL_COLUMN else label_column
    default, notes = DiscoveryConfig(), []
    recorded = manifest.get("config") if isinstance(manifest.get("config"), dict) else {}
    known = {f.name for f in fields(DiscoveryConfig)}
    settings = {name: value for name, value in recorded.items() if name in known and name != "cache_dir"}
    if unknown := sorted(name for name in recorded if name not in known):
        notes.append(f"{', '.join(unknown)}: no longer a setting")
    for name in ("seed_threshold", "n_neighbors", "known_rows_by_fill"):  # no flag of `discovery run` sets them
        if name in settings and settings[name] != getattr(default, name):
            notes.append(f"{name}={settings.pop(name)!r}: no flag sets it")
    if isinstance(settings.get("fill_methods"), (list, tuple)):
        settings["fill_methods"] = fill_methods_for("balanced" in settings["fill_methods"])
    if settings.get("n_new_clusters") is not None:
        notes.append(f"--new-clusters {settings.pop('n_new_clusters')}: the categories named in review are classes "
                     "now, so the next run estimates its own count (give --new-clusters again to set one)")
    try:
        config = as_config(settings)
    except InputError as exc:
        notes.append(f"that run's settings ({exc})")
        config = default
    config = replace(config, preferred_n_new_clusters=keep) if keep is not None else config
    folder = manifest.get("command_folder")
    if config.model and folder and not Path(config.model).is_absolute() and (Path(folder) / config.model).exists():
        config = replace(config, model=str(Path(folder) / config.model))  # a model folder named from where it ran
    threshold = manifest.get("min_confidence") if isinstance(manifest.get("min_confidence"), (int, float)) else 0.0
    try:
        line = run_command(out, "...", config, text_column=text_column, label_column=label_column,
                           missing_words=missing_words, min_confidence=threshold)
    except ValueError as exc:
        notes.append(f"that run's settings ({exc})")
        line = run_command(out, "...", DiscoveryConfig(preferred_n_new_clusters=keep), text_column=text_column,
                           label_column=label_column, missing_words=missing_words, min_confidence=threshold)
    return line + "".join(f" {flag}" for flag in _run_only_flags(manifest)), notes


def _run_only_flags(manifest: dict) -> list[str]:
    """The flags of the `discovery run` that wrote a manifest which set no run setting but what it wrote:
    ``--label-next``, ``--split-flagged`` (read back from its ``command``; none for a dashboard's manifest)."""
    parser = build_parser()
    try:
        args = parse_args(parser, shlex.split(str(manifest["command"]))[1:])
    except (KeyError, ValueError, SystemExit):
        return []
    if getattr(args, "command", None) != "run":
        return []
    default = parser.parse_args(["run", "x", "--out", "y"])
    flags = [f"--label-next={args.label_next}"] if args.label_next != default.label_next else []
    return flags + (["--split-flagged"] if args.split_flagged else [])


def as_the_run_read(read: dict, data_hash: str | None, args) -> dict:
    """The reading options of the run that wrote the review file (``relabel.run_reading``) that this command was not
    given, when the data file (``data_hash``: its SHA-256) holds the very bytes that run read: its text and label
    columns (without them a run given ``--text-col utterance --label-col intent`` was advised to rename columns, and
    that dropped the data's labels), its unlabeled marker, missing words as labels, and its encoding."""
    from .io import DEFAULT_LABEL_COLUMN, DEFAULT_TEXT_COLUMN

    if not read or read.get("sha256") != data_hash:
        return {}
    adopted = {}
    if args.text_col is None and read.get("text_column") not in (None, DEFAULT_TEXT_COLUMN):
        adopted["text_column"] = str(read["text_column"])
    if args.label_col is None and read.get("label_column") not in (None, DEFAULT_LABEL_COLUMN):
        adopted["label_column"] = str(read["label_column"])
    if args.unlabeled_marker is None and read.get("unlabeled_marker") is not None:
        adopted["unlabeled_marker"] = str(read["unlabeled_marker"])
    if args.missing_words and read.get("missing_words_are_labels") is True:
        adopted["missing_words"] = False
    if args.encoding is None and read.get("encoding") is not None:
        adopted["encoding"] = str(read["encoding"])
    return adopted


def reading_flags(options: dict, quote=shlex.quote) -> list[str]:
    """The flags that read data as ``options`` (``read_table``'s keywords) say, leaving out the defaults:
    ``--text-col``, ``--label-col``, ``--unlabeled-marker``, ``--missing-words-are-labels`` (without the last,
    the advised next run read classes named none or NA as unlabeled). ``quote``: how a value is written."""
    from .io import DEFAULT_LABEL_COLUMN, DEFAULT_TEXT_COLUMN

    flags = []
    if options.get("text_column") not in (None, DEFAULT_TEXT_COLUMN):
        flags.append(f"--text-col {quote(options['text_column'])}")
    if options.get("label_column") not in (None, DEFAULT_LABEL_COLUMN):
        flags.append(f"--label-col {quote(options['label_column'])}")
    if options.get("unlabeled_marker") is not None:
        flags.append(f"--unlabeled-marker {quote(options['unlabeled_marker'])}")
    if options.get("missing_words") is False:
        flags.append("--missing-words-are-labels")
    if options.get("encoding") is not None:
        flags.append(f"--encoding {quote(options['encoding'])}")
    return flags


def candidates_explained_note(result) -> str | None:
    """A warning when candidates hold most unlabeled rows and the named classes explain them (``candidates_explained``)."""
    explained = result.candidates_explained
    if explained is None:
        return None
    share, fit = explained
    fewer = ("a larger --min-cluster-size" if result.clustering.get("method") == "hdbscan"
             else "fewer --new-clusters")
    return (f"candidates: they hold {share:.0%} of the unlabeled rows, and the named classes explain {fit:.0%} of those "
            "(clusters.csv's known_fit): many may be parts of named classes, not new categories"
            + one_class_behind(result) + ". Read the least "
            f"explained first (unexplained_rows), or run again with {fewer}")



def one_class_behind(result) -> str:
    """``Discovery.candidates_behind_one_class`` as the end of ``candidates_explained_note``'s sentence."""
    from .result import READ_BEFORE_MERGING

    behind = result.candidates_behind_one_class
    if behind is None:
        return ""
    name, n, total = behind
    return (f", and {n} of the {total} lie nearest one class, {name!r}: many may be its rows in other wordings ("
            f"{READ_BEFORE_MERGING.format(where=' on the dashboard')})")


def new_clusters_note(clustering: dict, candidates_explained: bool = False, words_only: bool = False,
                      unread: bool = False) -> str | None:
    """One line on the estimated number of new clusters, and how firmly the data fixes it (not that the data may
    hold more when the named classes explain most candidates' rows: ``candidates_explained_note`` says so).
    ``words_only``: the vectors are TF-IDF, whose fit rises with the count whatever the data holds; ``unread``: the
    model reads English only and many texts are in other languages (``Discovery.language_warning``), so the fit
    says little of the count either."""
    from .cluster import best_is_largest_tried
    from .pipeline import FEW_LABELS_CAVEAT, few_labels_to_judge

    note = _estimate_note(clustering)
    few = few_labels_to_judge(clustering)
    if note and few is not None:
        note += f"; {FEW_LABELS_CAVEAT.format(median=few, who='the run')}: --new-clusters N asks for the number you expect"
    empty = clustering.get("empty_new_clusters", 0)
    if note and empty:  # k-means can leave a cluster without rows; the tables list only the others
        note += f"; {empty} of them ended with no rows and are not listed"
    weak = best_is_largest_tried(clustering.get("estimate"), even_capped_by_rows=True)
    if note and weak and words_only:
        note += (f"; the best fit is the largest count tried ({clustering['estimate']['best']}): with TF-IDF vectors "
                 "the fit keeps rising with the count (word vectors split a category by its wordings), so this count "
                 "is weak evidence: --new-clusters N sets the number you expect, or a sentence model (the default) "
                 "estimates it")
    elif note and weak and unread:
        note += (f"; the best fit is the largest count tried ({clustering['estimate']['best']}), weak evidence from a "
                 "model that does not read many of these texts (see the language warning)")
    elif note and best_is_largest_tried(clustering.get("estimate")) and not candidates_explained:
        note += (f"; the best fit is the largest count tried ({clustering['estimate']['best']}), so the data may hold "
                 "more: --new-clusters N asks for more")
    return note


def _estimate_note(clustering: dict) -> str | None:
    from .cluster import none_asked_despite_evidence

    estimate = clustering.get("estimate")
    if clustering.get("n_new_clusters_given"):
        asked = clustering.get("n_new_clusters_asked")
        if asked is not None and asked > clustering["n_new_clusters"]:
            return (f"new clusters: {clustering['n_new_clusters']} (--new-clusters {asked} asked for more than the "
                    "unlabeled rows allow)")
        if asked is not None and asked < clustering["n_new_clusters"]:  # said "(given)" for a count nobody gave
            return (f"new clusters: {clustering['n_new_clusters']} (--new-clusters {asked} asked, but with no labeled "
                    "class the rows need at least one cluster)")
        if none_asked_despite_evidence(clustering):
            return (f"new clusters: 0 (given), though {clustering['outside_share']:.0%} of the unlabeled rows lie outside "
                    "every named class, a sign of categories nobody named: they were put in named classes; leave "
                    "--new-clusters out to estimate the count")
        return f"new clusters: {clustering['n_new_clusters']} (given)"
    if not estimate:
        return None
    low, high = estimate["plausible"]
    if estimate.get("preferred") is not None and not estimate.get("kept_preferred"):
        return (f"new clusters: {estimate['n_new']} (estimated; --keep-new-clusters {estimate['preferred']} was not kept: "
                f"the data fits counts from {low} to {high} about as well as its best)")
    if estimate.get("kept_preferred"):
        return (f"new clusters: {estimate['n_new']} (kept as asked; any count from {low} to {high} fits the data about "
                f"as well, the best fit being {estimate['best']})")
    if low == high:
        return f"new clusters: {estimate['n_new']} (estimated)"
    return (f"new clusters: {estimate['n_new']} (estimated; any count from {low} to {high} fits the data about as "
            "well: --new-clusters N sets it; asking for more than you expect finds more of the categories nobody "
            "named, and clusters.csv's unexplained_rows says which candidates to read first)")


def noise_note(result) -> str | None:
    """A warning when hdbscan found no dense group for most rows (``pipeline.mostly_noise``), or left more noise
    than ``--noise-budget`` allows at every ``min_samples`` it tried."""
    from .pipeline import mostly_noise

    noise = mostly_noise(result.clustering)
    if noise is None:
        if result.clustering.get("hdbscan_noise_budget_met") is False:
            return (f"hdbscan left {result.clustering['hdbscan_noise_share']:.1%} of the rows as noise, above "
                    f"--noise-budget {result.config.noise_budget:g}, at every min_samples it tried (halved down to 1); "
                    f"the try that left the least was kept (min_samples {result.clustering['hdbscan_min_samples']}), "
                    "its noise rows each put in their nearest cluster (assigned_from_noise, confidence halved)")
        return None
    group = f"group of {noise['size']} or more close rows" if noise["size"] else "dense group"
    if noise["cut_to"]:
        group += f" (--min-cluster-size is at most half the rows: {noise['cut_to']})"
    automatic = f" (automatic for this table: {noise['automatic']})" if noise["automatic"] else ""
    if noise["nothing_dense"]:
        said = f"hdbscan found no {group}: the unlabeled rows are one cluster, so no new category can show; "
    else:
        said = (f"hdbscan found no {group} for "
                + ("any unlabeled row" if noise["every"] else f"{noise['assigned']:.0%} of the rows")
                + ": they were each put in their nearest cluster (assigned_from_noise, confidence halved), so "
                + ("no new category can show; " if noise["every"] else "few new categories can show; "))
    return (said
            + (f"a smaller --min-cluster-size{automatic} finds more" if noise["smaller_helps"]
               else "--method seeded-kmeans (the default) does not leave rows out"))


def moved_rows_note(result) -> str | None:
    """One line on the rows that left the cluster nearest to them for the known class the fill-in is sure of."""
    moved = result.clustering.get("rows_moved_to_fill_in_class", 0)
    if not moved:
        return None
    return (f"known clusters: {moved} unlabeled rows moved to the cluster of the class the fill-in is at least "
            f"{result.config.known_rows_by_fill:.0%} sure of")


def hidden_categories_note(result, split: bool = False) -> str | None:
    """One line naming the labeled clusters that may hide a new category (``may_hide_new_category``);
    ``split``: ``--split-flagged`` tried to split each flagged cluster once (a cluster it could not split stays
    flagged: the run told it to use --split-flagged, which it had just used: helper 111)."""
    flagged = result.hidden_category_clusters
    if flagged.empty:
        return None
    names = ", ".join(f"cluster {c} ({n})" for c, n in zip(flagged.cluster_id, flagged.display_name))
    if split:
        return (f"labeled clusters still flagged after --split-flagged (not split, as said above, or what stayed still "
                f"holds more unlabeled rows than their labels predict; look at them on the dashboard or in "
                f"clusters.csv): {names}")
    return (f"labeled clusters that may hide a new category, or be classes you labeled less often than the others "
            f"(far more unlabeled rows than their labels predict; may_hide_new_category in clusters.csv): {names}. "
            f"Look at their rows, then run again with --split-flagged, or split them on the dashboard's Candidates "
            f"page, to make their unlabeled rows farthest from their labels a candidate each")


def _check_writable(given: str | Path) -> None:
    """Create the folder of the file ``given`` and check the file can be written there, or raise ``InputError``."""
    path = Path(given)
    if path.is_dir() or str(given).endswith(("/", os.sep)):
        raise InputError(f"--json {path}: is a folder; give the path of the file to write, e.g. {path / 'result.json'}.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--json {path}: cannot create its folder ({exc.strerror}); choose another path.") from None
    if not os.access(path if path.exists() else path.parent, os.W_OK):
        raise InputError(f"--json {path}: cannot write there (permission denied); choose another path.")


def cmd_evaluate(args) -> int:
    from .evaluate import evaluate_dataset, format_table, write_json

    if args.json not in (None, "-"):  # found out now, not after hours of evaluation
        _check_writable(args.json)
    report = evaluate_dataset(args.dataset_dir, known_ratio=args.known_ratio, labeled_ratio=args.labeled_ratio,
                              seeds=args.seeds, k=args.k, method=args.method, model=args.model,
                              max_train_rows=args.max_train_rows, progress=not args.quiet, adapt=args.adapt,
                              adapt_layers=args.adapt_layers, text_column=args.text_col, label_column=args.label_col,
                              test_ratio=args.test_ratio, unlabeled_marker=args.unlabeled_marker,
                              missing_words=args.missing_words, say=lambda note: print(f"note: {args.dataset_dir}: {note}", file=sys.stderr))
    if args.json == "-":
        write_json(report, sys.stdout)
    else:
        print(format_table(report))
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                write_json(report, f)
    return 0


def cmd_cache(args) -> int:
    """``discovery cache``: one line a kind of what the cache folder holds; with ``--clear``, remove entries first."""
    from .cache_folder import KINDS, RECENT_SECONDS, cache_entries, clear_cache, describe_size, usage_lines
    from .embed import default_cache_dir

    root = default_cache_dir()
    if root.exists() and not root.is_dir():
        raise InputError(f"the cache folder {root} is a file, not a folder: point LABEL_DISCOVERY_CACHE at a folder.")
    if args.older_than is not None and not args.clear:
        raise InputError("--older-than says which entries --clear removes; give --clear too (e.g. --clear adapted).")
    if args.clear:
        kinds = tuple(KINDS) if "all" in args.clear else tuple(dict.fromkeys(args.clear))
        cleared = clear_cache(kinds, args.older_than, root)
        age = "" if args.older_than is None else f" not written for {args.older_than:g} days"
        print(f"removed {len(cleared.removed):,} entr{'y' if len(cleared.removed) == 1 else 'ies'} of "
              f"{', '.join(KINDS[k] for k in kinds)}{age} ({describe_size(cleared.size)})")
        if cleared.in_use:
            print(f"kept {len(cleared.in_use):,} written in the last {RECENT_SECONDS // 60} minutes or being put in "
                  "place by a run going on", file=sys.stderr)
        for entry, why in cleared.failed:
            print(f"warning: could not remove {entry.path} ({why})", file=sys.stderr)
    print(f"cache folder: {root}" + ("" if root.is_dir() else " (none yet)"))
    for line in usage_lines(cache_entries(root)):
        print(f"  {line}")
    print("  decisions (workspaces/) are never cleared here")
    return 0


def main(argv=None) -> int:
    parser = build_parser()
    args = parse_args(parser, argv)
    args.command_line = shlex.join(["discovery", *(sys.argv[1:] if argv is None else map(str, argv))])
    warnings.filterwarnings("ignore", category=FutureWarning)
    _INTERRUPTED.clear()
    # in the main thread (Python's rule), and only where Ctrl-C raises KeyboardInterrupt: a run a script started in
    # the background has it ignored, and keeps it so
    own_handler = (threading.current_thread() is threading.main_thread()
                   and signal.getsignal(signal.SIGINT) is signal.default_int_handler)
    if own_handler:
        signal.signal(signal.SIGINT, _on_interrupt)
    try:
        commands = {"run": cmd_run, "add-labels": cmd_add_labels, "evaluate": cmd_evaluate, "cache": cmd_cache}
        code = commands[args.command](args)
        if _INTERRUPTED.is_set():  # swallowed on the way (``_on_interrupt``) after the last progress report
            raise KeyboardInterrupt
        return code
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted. A rerun reuses what the cache holds: a sentence model's vectors computed so far "
              "and a fine-tuned model whose training finished; a fine-tuning under way, TF-IDF and the later stages "
              "start over.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` or the like, which stopped reading: no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python flushes stdout again at exit
        return 141  # as a shell reports a process ended by SIGPIPE
    finally:
        if own_handler:
            signal.signal(signal.SIGINT, signal.default_int_handler)


def console_main() -> None:
    """The ``discovery`` command. After an input error or Ctrl-C it leaves without interpreter teardown: a failed
    Parquet read leaves pyarrow's thread pool running, and tearing it down can abort the process ("terminate called
    without an active exception", exit -6) after the error line was printed, seen once in a clean-clone test run;
    after Ctrl-C during embedding the process ended killed by SIGINT (-2) after its message, 2 of 6 tries."""
    code = main()
    if code in (2, 130):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    console_main()
