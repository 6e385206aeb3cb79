"""The immutable result of a run, and the researcher's decisions that derive new results.

``Discovery`` holds a per-row table (keyed by ``row_id``) and a per-cluster table.
A decision never mutates a result: ``apply_decision(result, decision)`` returns a
new ``Discovery`` whose rows, clusters and proposed labels are all consistent.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import normalize

from .boilerplate import GIVEN, phrases_of, texts_as_read, unmatched_phrases
from .cluster import best_of_inits
from .errors import InputError
from .embed import TFIDF_MODEL
from .io import (ROW_ID, _as_label, contentless_rows, free_column_name, same_text_ids, why_read_as_no_label,
                 with_row_ids)
from .labels import listed, spelling_key
from .language import LanguageCheck, language_warning, stop_words_for
from .summarize import (CANDIDATE, KNOWN, MIXED, PHRASE_CLASSES, candidate_name, candidate_rows, document_term_counts,
                        may_hide_new_category, representative_rows, summarize_clusters, unlabeled_beyond_labels)

HUMAN, CLUSTER, CANDIDATE_SOURCE = "human", "cluster", "candidate"
LONG_TEXTS_MIN_SHARE = 0.01  # from this share of texts run past what the model reads, the run warns
LONG_LABELED_MIN_SHARE = 0.1  # and from this share of labeled texts run past what fine-tuning reads
NAMED_STATUS, DISMISSED_STATUS = "named", "dismissed"
LABELED_BY_HAND_STATUS = "labeled by hand"  # a candidate whose every row has a label given by hand: decided
SOURCES = (HUMAN, CLUSTER, "knn", "propagation", "classifier", "blend", "balanced", CANDIDATE_SOURCE)


@dataclass(frozen=True, eq=False)  # two results are one only if they are the same object (their frames do not compare)
class Discovery:
    """One run's outcome. ``rows``: one row per input row; ``clusters``: one row per cluster.

    A cluster's ``status`` is what its labels make it (``known``, ``mixed``, ``candidate``); ``cluster_status``
    adds the decisions (``named``, ``labeled by hand``, ``dismissed``), as the rows' ``cluster_status`` and every
    export say it.
    """

    table: Any  # LabeledTable
    config: Any  # DiscoveryConfig
    embeddings: np.ndarray
    cluster_centers: np.ndarray
    rows: pd.DataFrame
    clusters: pd.DataFrame
    fill_accuracy: dict
    fill_method: str | None
    timings: dict
    used_labels: dict
    decisions: tuple = field(default=())
    min_confidence: float = 0.0
    skipped_decisions: tuple = field(default=())
    adaptation: dict = field(default_factory=dict)  # held-out kNN accuracy with the base and the adapted model
    clustering: dict = field(default_factory=dict)  # how many new clusters, whether estimated, and how sure (cluster_report)
    fill_balance: dict = field(default_factory=dict)  # whether the balanced fill-in ran, and why (pipeline.should_balance)
    fill_words: bool = False  # the blend took in a classifier on the texts' words (pipeline.uses_words)
    fill_calibration: dict = field(default_factory=dict)  # method -> power its confidences were raised to (fill.calibration_power)
    fill_estimate: dict = field(default_factory=dict)  # what the proposal's accuracy estimate covers, and its caveats (pipeline.fill_estimate)
    text_reading: dict = field(default_factory=dict)  # tokens the model read of each text, texts cut (pipeline.reading_record)
    boilerplate: dict = field(default_factory=dict)  # words many texts share that the model did not read (boilerplate.py)
    environment: dict = field(default_factory=dict)  # git revision, torch's threads, model identity when it ran (export.run_environment)
    label_check: pd.DataFrame | None = field(default=None, compare=False)  # labeled rows checked against the rest (pipeline.labels_in_doubt)
    language: LanguageCheck | None = field(default=None, compare=False)  # the texts' languages (language.check_languages)
    shared: dict = field(default_factory=dict, repr=False, compare=False)
    """Work that depends on the input only (the texts' term counts), shared with every derived result."""

    def __post_init__(self):
        """The vectors and the cluster centres are shared by every result a decision derives: read-only views, so
        writing into one result's never changes another's."""
        for name in ("embeddings", "cluster_centers"):
            array = getattr(self, name)
            if isinstance(array, np.ndarray) and array.flags.writeable:
                view = array.view()
                view.flags.writeable = False
                object.__setattr__(self, name, view)

    @property
    def labeled_by_decisions(self) -> np.ndarray:
        """Per row: a decision of this run gave it a label, or another label than the data's."""
        human = self.rows.human_label.to_numpy(dtype=object)
        data = np.array(self.table.codec.decode(self.table.labels), dtype=object)
        return pd.notna(human) & (human != data)

    @property
    def language_warning(self) -> str | None:
        """A warning when the model reads English only and a fifth or more of the texts are in another language."""
        return None if self.language is None else language_warning(self.language, self.config.model)

    @property
    def warnings(self) -> list[str]:
        """What the CLI prints as ``warning:`` and the manifest lists: how the table was read (``table.warnings``),
        texts in a language the model did not learn, texts longer than it reads or that it reads nothing of,
        boilerplate left out. The estimate's caveats are in ``fill_estimate_now`` (``describe_fill_estimate`` says
        them in a sentence)."""
        return list(self.table.warnings) + [w for w in (self.language_warning, self.long_text_warning,
                                                        self.unread_text_warning, self.boilerplate_warning) if w]

    @property
    def texts_read(self) -> list:
        """The texts as the model, the word classifier and the keywords read them: without boilerplate."""
        if "texts_read" not in self.shared:  # read once: every decision's keywords read them again
            self.shared["texts_read"] = texts_as_read(self.table.texts, phrases_of(self.boilerplate))
        return self.shared["texts_read"]

    @property
    def boilerplate_warning(self) -> str | None:
        """Says which words many texts share were left out of what the model read (``boilerplate.py``), and which
        phrases the researcher asked to leave out no text holds (``unmatched_phrases``: a typo is otherwise silent)."""
        if "unmatched_phrases" not in self.shared:
            self.shared["unmatched_phrases"] = unmatched_phrases(self.table.texts, self.config.leave_out)
        unmatched = self.shared["unmatched_phrases"]
        none_hold = (f"no text holds {listed(unmatched, repr, ' or ')}, asked to be left out: check "
                     f"{'its' if len(unmatched) == 1 else 'their'} spelling") if unmatched else None
        found = self.boilerplate
        if not found:
            return none_hold[0].upper() + none_hold[1:] if none_hold else None
        readers = ("the keywords and the fill-in's word classifier read the texts without them (the vectors were "
                   "given to the run: embed result.texts_read to match)" if found.get("vectors_given") else
                   "the model, the keywords and the fill-in read the texts without them")
        cut = [piece if len(piece) <= 80 else piece[:79] + "…" for piece in found.get("example_cut", ())][:3]
        such_as = " and ".join(map(repr, cut)) if cut else repr(" ".join(found["example"][:120].split()))
        given = sum(phrase.startswith(GIVEN) for phrase in found.get("phrases", ()))
        found_here = len(found.get("phrases", ())) - given  # the phrases the run found itself
        given -= len(unmatched)  # those the texts hold
        what = ("a phrase you asked to leave out" if not found_here else
                "words that many texts of every kind share (a greeting, a header, a form's prompt)"
                + (" or a phrase you asked to leave out" if given else ""))
        read_as = " ".join(found["example_read_as"].split())
        read_as = read_as if len(read_as) <= 80 else read_as[:79] + "…"
        return (f"{found['texts']:,} texts ({found['share']:.0%}) hold {what}, such as {such_as}: {readers} (one "
                f"text read as {read_as!r})"
                + ("" if not found_here else ", as they tell no labeled class apart")
                + "; the files keep every text whole" + (f"; {none_hold}" if none_hold else ""))

    def __repr__(self) -> str:
        """A few lines a notebook shows for a result (the fields at full length ran to 16,000 characters)."""
        unlabeled = int(self.rows.human_label.isna().sum())
        in_data = len(self.table.codec)
        named = self.clusters.display_name[self.clusters.renamed & ~self.clusters.dismissed].astype(str)
        known = {spelling_key(c) for c in self.table.codec.names}
        added = len({spelling_key(c) for c in [*pd.unique(self.rows.human_label.dropna().astype(str)), *named]} - known)
        lines = [f"Discovery: {len(self.rows):,} rows, {len(self.rows) - unlabeled:,} labeled, "
                 f"{in_data} classes{f' (+{added} from decisions)' if added else ''}; "
                 f"{len(self.clusters)} clusters, {len(self.candidates)} open "
                 f"candidate new categories; {len(self.decisions)} decisions"]
        estimate = self.fill_estimate_now
        if self.fill_method and estimate:
            lines.append(f"fill-in by {self.fill_method}, estimated accuracy {estimate['accuracy']:.1%}"
                         + (" (caveats: describe_fill_estimate(result.fill_estimate_now))" if estimate.get("caveat")
                            else ""))
        if warnings := self.warnings:
            lines.append(f"{len(warnings)} warning{'s' if len(warnings) > 1 else ''}: result.warnings")
        lines.append("rows: result.rows; clusters: result.clusters; candidates: result.candidates")
        return "\n".join(lines)

    @property
    def long_text_warning(self) -> str | None:
        """A warning when 1% or more of the texts run past what the model reads (only their beginning is
        embedded), a tenth or more of the labeled texts past what fine-tuning read of them, or 1% or more of the rows
        begin alike for all the model reads (or any such group holds labeled rows of two classes)."""
        reading = self.text_reading
        if "texts_cut" not in reading:  # TF-IDF reads every word
            return None
        parts = []
        cut_many = reading["texts_cut"] >= LONG_TEXTS_MIN_SHARE * len(self.rows)
        kept = bool(self.adaptation.get("used"))
        if cut_many:
            parts.append(f"{reading['texts_cut']:,} of the texts ({reading['share_cut']:.0%}) run past the "
                         f"{reading['tokens_read']} word pieces the model reads: only their beginning is embedded")
        past, labeled = reading.get("labeled_texts_past_training", 0), reading.get("labeled_texts", 0)
        if labeled and past >= LONG_LABELED_MIN_SHARE * labeled:
            parts.append(f"fine-tuning read the first {reading['training_tokens']} word pieces of each labeled "
                         f"text, and {past:,} of the {labeled:,} labeled texts ({past / labeled:.0%}) are longer"
                         + ("" if kept else " (the fine-tuned model was not kept: the base model labeled held-out "
                                            "rows better)"))
        alike, apart = reading.get("texts_read_alike", 0), reading.get("groups_read_alike_labeled_apart", 0)
        read_alike = bool(apart or alike >= LONG_TEXTS_MIN_SHARE * len(self.rows))
        if read_alike:
            groups = reading["groups_read_alike"]
            parts.append(f"{alike:,} rows begin alike for all the model reads of them (a long quoted message or "
                         f"preamble), in {groups:,} group{'s' if groups != 1 else ''}: the model reads each group as one "
                         "text and gives it one vector"
                         + (f", and {apart:,} of these groups hold{'s' if apart == 1 else ''} labeled rows of different "
                            "classes, which the model cannot tell apart" if apart else ""))
        if not parts:
            return None
        # the vectors follow the beginnings when they were cut, or come from the model trained on beginnings
        return ("; ".join(parts) + ("; so clusters and proposals follow how the texts begin (keywords still come "
                                    "from the whole text)" if cut_many or kept or read_alike else "")
                + ": if what tells a text's category comes later (after a greeting, a quoted message or a "
                "signature), cut the texts to that part, or use a model that reads further (README, Models)")

    @property
    def unread_text_warning(self) -> str | None:
        """A warning when some texts hold nothing the run reads (``pipeline.unread_rows``), with examples."""
        unread, labeled = self.text_reading.get("texts_unread", 0), self.text_reading.get("labeled_unread", 0)
        if not unread:
            return None
        empty = self.rows.empty_text.to_numpy(dtype=bool)
        read = np.array(self.texts_read, dtype=object)[empty]  # not the texts of boilerplate only: read as empty
        examples = ", ".join(repr(text) for text in list(dict.fromkeys(
            self.rows.text[empty][~contentless_rows(read)]))[:3])
        them = "it" if unread == 1 else "them"
        reader = (f"TF-IDF finds no word of two characters or more in {them}: symbols, single letters or digits"
                  if self.config.model == TFIDF_MODEL else
                  f"the model reads {them} as unknown pieces only: a script its vocabulary lacks, or symbols")
        parts = []
        if unread > labeled and self.fill_method:
            parts.append(f"as for an empty text, the {unread - labeled:,} unlabeled get the most common class as a "
                         "guess, never accepted, and no candidate of their own")
        elif unread > labeled:  # no fill-in: they stay where the clustering put them
            parts.append(f"as for an empty text, the proposals of the {unread - labeled:,} unlabeled are never accepted")
        if labeled:
            parts.append(f"the {labeled:,} labeled keep their label, never doubted")
        return (f"{unread:,} {'text holds' if unread == 1 else 'texts hold'} nothing the run can read ({examples}; "
                f"{reader}): " + "; ".join(parts))

    @property
    def candidates(self) -> pd.DataFrame:
        """Candidate new categories still open (neither named nor dismissed, and some row still unlabeled: a
        candidate whose every row was labeled by hand is decided): the most rows no named class explains first
        (``known_class_fit``), then the largest and tightest."""
        c = self.clusters
        c = c[(c.status == CANDIDATE) & ~c.dismissed & ~c.renamed & ~c.labeled_by_hand]
        return c.sort_values(["unexplained_rows", "size", "cohesion"], ascending=[False, False, False], kind="stable",
                             na_position="last")

    @property
    def candidates_explained(self) -> tuple[float, float] | None:
        """(share of the unlabeled rows in open candidates, how far the named classes explain those rows: their
        mean ``known_fit``), when candidates hold at least half the unlabeled rows and the named classes explain
        at least 0.9 of them; None otherwise. Then many candidates are likely parts of named classes, not new
        categories: on 800 SNIPS texts with every intent named, TF-IDF vectors gave 40 candidates holding 70% of
        the unlabeled rows, explained 0.92 (MiniLM: no candidate)."""
        c = self.candidates
        unlabeled = c["size"] - c.n_labeled
        total = int(self.rows.human_label.isna().sum())
        known = c.known_fit.notna()
        if not total or not known.any():
            return None
        share = float(unlabeled.sum()) / total
        fit = float((c.known_fit[known] * unlabeled[known]).sum() / max(int(unlabeled[known].sum()), 1))
        return (share, fit) if share >= 0.5 and fit >= 0.9 else None

    @property
    def candidates_behind_one_class(self) -> tuple[str, int, int] | None:
        """(class, candidates, open candidates) when more than half the open candidates (3 or more) lie nearest one
        named class (``nearest_known_label``); None otherwise. A class labeled far more than the others is read in
        many wordings and split into as many candidates (a helper's StackOverflow table, TF-IDF: 88% of the big
        tag's unlabeled rows in 47 of them): many may be its rows, though a catch-all class can also draw unnamed
        categories near it (``READ_BEFORE_MERGING``)."""
        c = self.candidates
        nearest = c.nearest_known_label.dropna()
        if len(nearest) < 3:
            return None
        counts = nearest.value_counts()
        return (str(counts.index[0]), int(counts.iloc[0]), len(c)) if counts.iloc[0] > len(c) / 2 else None

    @property
    def candidates_holding_a_class(self) -> list[tuple[int, str, str, int]]:
        """(cluster id, its name, class, that class's labeled rows) for each open candidate holding every labeled row
        of a named class. A class labeled far less often than the others falls below the labeled share a cluster
        needs to count as known: helper 111's class of one labeled row in a table labeled at 26% came back as a
        candidate new category, its 56 unlabeled rows given a placeholder name."""
        labeled = self.rows[self.rows.human_label.isin(self.table.codec.names)]  # hand labels count (review 115),
        # of the classes the data names only: a new category labeled by hand is no class labeled less (review 117)
        totals = labeled.human_label.value_counts()
        inside = labeled.groupby(["cluster_id", "human_label"]).size()
        return [(int(c), str(name), str(label), int(n)) for c, name in
                zip(self.candidates.index, self.candidates.display_name)
                for label, n in (inside.loc[c].items() if c in inside.index.get_level_values(0) else ())
                if n == totals[label]]

    @property
    def phrase_candidates(self) -> pd.DataFrame:
        """The open candidates most of whose texts hold a phrase that labeled texts of several classes hold too
        (``shared_phrase``: ``summarize.phrases_across_classes``)."""
        c = self.candidates
        return c[c.shared_phrase.notna()] if "shared_phrase" in c else c.iloc[:0]

    def phrase_candidate_notes(self, leave_out_how: str) -> dict[int, str]:
        """For each open candidate most of whose texts hold a phrase that labeled texts of several classes hold too
        (``shared_phrase``: ``summarize.phrases_across_classes``), why it may be no new category: a signature or a
        template line may have gathered its texts, not what they ask. ``leave_out_how``: how the researcher leaves
        a phrase out of what the run reads, with ``{phrase}`` where the phrase goes (the CLI's flag, the
        dashboard's setting)."""
        c = self.phrase_candidates
        return {int(cluster): f"most of its texts hold {phrase!r}, and labeled texts of {PHRASE_CLASSES} classes or "
                              "more hold it too: it may gather texts by that phrase (a signature, a template line), "
                              "not by what they ask. If the phrase says nothing of a text's category, "
                              f"{leave_out_how.format(phrase=repr(phrase))} and run again; otherwise name it as usual"
                for cluster, phrase in zip(c.index, c.shared_phrase)}

    @property
    def named_categories(self) -> pd.DataFrame:
        """Candidates the researcher has named, largest first: new categories their rows now carry."""
        c = self.clusters[(self.clusters.status == CANDIDATE) & ~self.clusters.dismissed & self.clusters.renamed]
        return c.sort_values(["size", "cohesion"], ascending=[False, False], kind="stable")

    @property
    def hidden_category_clusters(self) -> pd.DataFrame:
        """Labeled clusters flagged as maybe hiding a new category (``may_hide_new_category``), not dismissed."""
        return self.clusters[self.clusters.may_hide_new_category & ~self.clusters.dismissed]

    @property
    def from_named_cluster(self) -> pd.Series:
        """Per row: its label is the name the researcher gave its cluster (a decision, so accepted whatever
        the threshold; its confidence still says how far the row is from every labeled class)."""
        clusters = self.clusters
        named = (clusters.renamed & ~clusters.dismissed).reindex(self.rows.cluster_id).to_numpy(dtype=bool)
        return pd.Series(named & (self.rows.label_source == CLUSTER).to_numpy(), index=self.rows.index)

    @property
    def fill_estimate_now(self) -> dict:
        """``fill_estimate`` with its row counts as this result's decisions leave them: the unlabeled rows the
        fill-in labels (the estimate is for them) and those in open candidates (named, merged or dismissed ones
        are no longer there)."""
        if not self.fill_estimate:
            return {}
        unlabeled = self.rows.human_label.isna().to_numpy()
        source = self.rows.label_source.to_numpy()
        by_fill = unlabeled & ~np.isin(source, [CLUSTER, CANDIDATE_SOURCE])
        guessed = by_fill & empty_text_rows(self.rows)  # no word to read: a guess, never accepted, not estimated
        return dict(self.fill_estimate, rows_covered=int((by_fill & ~guessed).sum()),
                    rows_in_open_candidates=int((unlabeled & (source == CANDIDATE_SOURCE)).sum()),
                    rows_without_words=int(guessed.sum()))

    @property
    def from_merge(self) -> pd.Series:
        """Per row: its label is the class of the labeled cluster the researcher merged its candidate into (a
        decision, so accepted whatever the threshold, as a named cluster's rows are)."""
        by_merge = merged_into_class(self.rows, self.clusters)
        return pd.Series(by_merge & (self.rows.label_source == CLUSTER).to_numpy(), index=self.rows.index)

    @property
    def labels_to_check(self) -> pd.DataFrame:
        """Labeled rows the rest of the data contradicts (``label_check``), most doubtful first, without
        those a decision has labeled since (corrected, or kept as they were): the text, the label,
        the label the held-out prediction suggests and how likely each is."""
        check = self.label_check
        if check is None or check.empty:
            return pd.DataFrame(columns=["text", "label", "suggested_label", "label_probability",
                                         "suggested_probability"], index=pd.Index([], name="row_id"))
        decided = {int(r) for d in self.decisions if d.get("action") == "assign" for r in d["row_ids"]}
        open_ = check[check.flagged & ~check.index.isin(list(decided))].drop(columns="flagged")
        return pd.concat([self.rows.text.reindex(open_.index), open_], axis=1)

    @property
    def decided_by_threshold(self) -> pd.Series:
        """Per row: is its acceptance up to ``min_confidence``? Not for human labels and named clusters (decided),
        nor for an open candidate's rows: its placeholder name ("new 12: ...") is not a label until it is named,
        nor for empty or punctuation-only texts: their label is a guess (the most common class), never accepted."""
        rows = self.rows
        return (~rows.label_source.isin([HUMAN, CANDIDATE_SOURCE]) & ~self.from_named_cluster & ~self.from_merge
                & ~empty_text_rows(rows))

    @property
    def accepted(self) -> pd.Series:
        """Per row: does its proposed label go into the label set? A human label, a cluster the
        researcher named, or another proposal (not an open candidate's) at least ``min_confidence`` sure; never
        an empty or punctuation-only text's (a guess)."""
        sure = self.decided_by_threshold & (self.rows.confidence >= self.min_confidence)
        guessed = empty_text_rows(self.rows)  # an empty text's label is a guess, even a named cluster's name
        decided = self.from_named_cluster | self.from_merge
        return (self.rows.label_source == HUMAN) | (decided & ~guessed) | sure

    def require_rows_in_order(self) -> None:
        """Refuse a result whose ``rows`` were sorted in place (``sort_values(..., inplace=True)`` in a notebook):
        its rows are read by position beside the table and the vectors, and the export had given 878 of 1,000
        rows another row's label (helper 124)."""
        if not self.rows.index.is_monotonic_increasing or len(self.rows) != len(self.table.frame):
            raise InputError("result.rows is no longer one row per input row in row order: it was sorted in place "
                             "(sort_values(..., inplace=True)?) or rows were dropped, and the result reads its rows by "
                             "position. A sorted result goes on as dataclasses.replace(result, "
                             "rows=result.rows.sort_index()); sort or filter a copy to look at it "
                             "(result.rows.sort_values(...), without inplace).")

    def labeled_table(self) -> pd.DataFrame:
        """The row id, the user's columns and the proposed label set, in input order (the row id lets
        ``add-labels`` take labels corrected in this table back into the data), and ``text_as_read`` when the run
        left boilerplate out of what it read (``texts_read``). A blank label cell is missing
        (null in JSONL and Parquet, as ``isna`` finds it; a CSV reads it as blank either way)."""
        self.require_rows_in_order()
        out = with_row_ids(self.table.frame)
        label = self.table.label_column
        if label in out.columns and not pd.api.types.is_numeric_dtype(out[label]):
            blank = out[label].map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(dtype=bool)
            out[label] = out[label].astype(object).where(~blank, None)
        extra = self.rows[["proposed_label", "label_source", "confidence", "cluster_id", "cluster_status"]].copy()
        extra["accepted"] = self.accepted
        if self.rows.was_noise.any():  # hdbscan left them out; their confidence is halved, and this says why
            extra["assigned_from_noise"] = self.rows.was_noise.to_numpy(dtype=bool)
        if self.boilerplate:  # what the model, the keywords and the fill-in read of each text: what was cut shows
            extra["text_as_read"] = np.asarray(self.texts_read, dtype=object)
        for name in extra.columns:
            out[free_column_name(out.columns, name)] = extra[name].to_numpy()
        return out


def name_clash(result: "Discovery", cluster_id: int, name: str) -> str | None:
    """What a cluster's new ``name`` would share its spelling with (``spelling_key``: case, width, surrounding spaces, leading zeros, look-alike characters and word separators aside): a labeled class or
    another named cluster, which naming alone does not join, or a label given by hand in another spelling, which
    the name takes. None when the name is new."""
    wanted = spelling_key(name)
    classes = [c for c in result.table.codec.names if spelling_key(c) == wanted]
    if classes:
        return (f"{classes[0]!r} is already a labeled class, so the cluster takes that spelling: merge cluster "
                f"{cluster_id} into that class's cluster to make them one category now (a run with your labels reads "
                "them as one class).")
    clusters = result.clusters
    named = clusters[clusters.renamed & ~clusters.dismissed & (clusters.index != cluster_id)]
    same = [int(i) for i, n in named.display_name.items() if spelling_key(n) == wanted]
    if same:
        return (f"cluster {same[0]} is already named {named.display_name[same[0]]!r}, so this one takes that spelling: "
                "merge the two to make them one category now (a run with your labels reads them as one class).")
    # the spelling naming takes (``_Decisions._spelling_in_use``: the alphabetically first of those given by hand)
    by_hand = sorted(label for label in pd.unique(result.rows.human_label.dropna().astype(str))
                     if spelling_key(label) == wanted)
    if by_hand and by_hand[0] != name.strip():
        return (f"rows you labeled by hand already carry {by_hand[0]!r}, so the cluster takes that spelling (a run "
                "with your labels reads them as one class).")
    return None


def cluster_statuses(clusters: pd.DataFrame) -> pd.Series:
    """Each cluster's status as a researcher reads it: ``known``, ``mixed``, ``candidate`` (open), ``named``
    (a candidate the researcher named), ``labeled by hand`` (a candidate whose every row the researcher labeled:
    no longer open, as ``Discovery.candidates`` says) or ``dismissed``."""
    named = (clusters.status == CANDIDATE) & clusters.renamed
    status = clusters.status.where(~named, NAMED_STATUS)
    if "labeled_by_hand" in clusters:  # a frame from before the column (a stored result) has none
        status = status.where(~(clusters.labeled_by_hand & (clusters.status == CANDIDATE) & ~clusters.renamed),
                              LABELED_BY_HAND_STATUS)
    return status.where(~clusters.dismissed, DISMISSED_STATUS)


def _mark_labeled_by_hand(clusters: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """``clusters`` with ``labeled_by_hand`` (every row of the cluster has a label) and its status read again; such
    a candidate, unnamed, shows the labels its rows were given (most rows first) in place of its placeholder
    ("new 12: ...", which its rows no longer take)."""
    unlabeled = rows.human_label.isna().groupby(rows.cluster_id.to_numpy()).sum()
    clusters = clusters.copy()
    clusters["labeled_by_hand"] = unlabeled.reindex(clusters.index, fill_value=0).to_numpy() == 0
    clusters["cluster_status"] = cluster_statuses(clusters)
    by_hand = clusters.index[(clusters.cluster_status == LABELED_BY_HAND_STATUS).to_numpy()]
    if len(by_hand):
        in_them = rows[rows.cluster_id.isin(by_hand)]
        for cluster_id, labels in in_them.human_label.astype(str).groupby(in_them.cluster_id.to_numpy()):
            counts = labels.value_counts()
            shown = " / ".join(counts.index[:3]) + (f" / +{len(counts) - 3} more" if len(counts) > 3 else "")
            clusters.loc[cluster_id, "display_name"] = shown
    return clusters


def _cohesion(X: np.ndarray, clusters: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Cosine similarity of each row to its cluster's center."""
    return np.einsum("ij,ij->i", X, centers[clusters])


def propose_labels(rows: pd.DataFrame, clusters: pd.DataFrame, fill_method: str | None) -> pd.DataFrame:
    """Apply the labelling rule; returns ``rows`` with proposed_label / label_source / confidence.

    Human labels stay. Unlabeled rows of an open candidate cluster get the
    candidate's name; rows of a named candidate its name, and rows of a candidate merged into a
    labeled class's cluster that class (decisions); other unlabeled rows get the best fill-in method's
    label (or their cluster's label when no fill-in ran). Noise rows keep half confidence.
    """
    rows = rows.copy()
    status = clusters.status.reindex(rows.cluster_id).to_numpy()
    dismissed = clusters.dismissed.reindex(rows.cluster_id).to_numpy()
    names = clusters.display_name.reindex(rows.cluster_id).to_numpy()
    majority = clusters.majority_label.reindex(rows.cluster_id).to_numpy()
    in_candidate = (status == CANDIDATE) & ~dismissed
    rows["cluster_status"] = cluster_statuses(clusters).reindex(rows.cluster_id).to_numpy()
    human = rows.human_label.notna().to_numpy()
    if fill_method is not None:
        fill_label = rows[f"{fill_method}_label"].to_numpy(dtype=object)
        fill_conf = rows[f"{fill_method}_confidence"].to_numpy(dtype=float)
        source = np.full(len(rows), fill_method, dtype=object)
    else:
        fill_label = majority
        fill_conf = rows.cohesion.clip(0, 1).to_numpy(dtype=float)
        source = np.full(len(rows), CLUSTER, dtype=object)
    renamed = clusters.renamed.reindex(rows.cluster_id).to_numpy()
    use_cluster = renamed & ~dismissed & ~in_candidate & (fill_method is not None)  # dismissed: its name goes too
    fill_label = np.where(use_cluster, names, fill_label)
    source = np.where(use_cluster, CLUSTER, source)
    by_merge = merged_into_class(rows, clusters) & ~in_candidate
    fill_label = np.where(by_merge, rows.merged_class.to_numpy(dtype=object) if by_merge.any() else None, fill_label)
    source = np.where(by_merge, CLUSTER, source)
    fill_conf = np.where(by_merge, rows.cohesion.clip(0, 1).to_numpy(dtype=float), fill_conf)  # the fill-in's was another class's
    candidate_conf = (1 - fill_conf) if fill_method is not None else rows.cohesion.clip(0, 1).to_numpy(dtype=float)
    proposed = np.where(in_candidate, names, fill_label)
    label_source = np.where(in_candidate, np.where(renamed, CLUSTER, CANDIDATE_SOURCE), source)
    confidence = np.where(in_candidate, candidate_conf, fill_conf)
    confidence = np.where(rows.was_noise.to_numpy(), confidence * 0.5, confidence)
    rows["proposed_label"] = np.where(human, rows.human_label.to_numpy(dtype=object), proposed)
    rows["label_source"] = np.where(human, HUMAN, label_source)
    rows["confidence"] = np.round(np.where(human, 1.0, confidence).astype(float), 6)
    return rows


def merged_into_class(rows: pd.DataFrame, clusters: pd.DataFrame) -> np.ndarray:
    """Per row: a candidate it belonged to was merged into a labeled class's cluster (``merged_class``: that class,
    as it was at the merge), and it still sits in a labeled cluster, not dismissed: the researcher said these rows
    are that class, so they take it as a decision. A later merge of that cluster into another class's leaves it."""
    if "merged_class" not in rows:
        return np.zeros(len(rows), dtype=bool)
    target = clusters.reindex(rows.cluster_id)
    labeled = (target.status != CANDIDATE).to_numpy() & ~target.dismissed.to_numpy(dtype=bool)
    return rows.merged_class.notna().to_numpy() & labeled


def _set_decision_columns(clusters: pd.DataFrame, names: dict, dismissed: set, defaults) -> None:
    """name / renamed / dismissed / display_name / cluster_status from the decisions, with the same types on every path."""
    ids = [int(c) for c in clusters.index]
    given = [names.get(c) for c in ids]
    clusters["name"] = pd.Series(given, index=clusters.index, dtype=object)
    clusters["renamed"] = np.array([n is not None for n in given], dtype=bool)
    clusters["dismissed"] = np.array([c in dismissed for c in ids], dtype=bool)
    clusters["display_name"] = [n if n is not None else d for n, d in zip(given, defaults)]
    if "labeled_by_hand" not in clusters:  # set from the rows once a row is labeled by hand (_mark_labeled_by_hand)
        clusters["labeled_by_hand"] = np.zeros(len(clusters), dtype=bool)
    clusters["cluster_status"] = cluster_statuses(clusters)  # as a researcher reads it, and as rows and exports say


def known_class_fit(clusters: np.ndarray, human: np.ndarray | None, fill_labels: np.ndarray | None,
                    fill_confidence: np.ndarray | None, index: pd.Index) -> pd.DataFrame:
    """How well the named classes explain each cluster's unlabeled rows, by the fill-in's proposals for them.

    ``nearest_known_label``: the named class the fill-in proposes most often for them; ``known_fit``: their
    mean fill-in confidence (calibrated on held-out labeled rows of the named classes);
    ``unexplained_rows``: their number times ``1 - known_fit``, the rows no named class accounts for (rows
    with no confidence, NaN, such as empty texts, count in neither).
    A candidate made of a named class's rows (a sub-group of it, or rows the clustering set apart) has a
    high ``known_fit``, and the researcher merges it into ``nearest_known_label``; a category nobody has
    named has a low one. Candidates are reviewed by ``unexplained_rows``, most first: on draws where every
    category but two was named, this put the unnamed categories' candidates higher than size alone did on
    four datasets (docs/benchmarks.md, "Which candidates to review first"). Without a fill-in the
    columns are empty (None / NaN).
    """
    out = pd.DataFrame(index=index)
    out["nearest_known_label"] = pd.Series(None, index=index, dtype=object)
    out["known_fit"] = np.nan
    out["unexplained_rows"] = np.nan
    if fill_labels is None or fill_confidence is None:
        return out
    unlabeled = pd.isna(human)
    frame = pd.DataFrame({"cluster": np.asarray(clusters)[unlabeled],
                          "label": np.asarray(fill_labels, dtype=object)[unlabeled],
                          "confidence": np.asarray(fill_confidence, dtype=float)[unlabeled]}).dropna(subset=["confidence"])
    if frame.empty:
        return out
    by_cluster = frame.groupby("cluster")
    fit = by_cluster.confidence.mean()
    counts = frame.groupby(["cluster", "label"]).size()  # sorted by cluster, then label
    nearest = counts.sort_values(ascending=False, kind="stable").groupby(level=0).head(1).reset_index(level=1)["label"]
    out["nearest_known_label"] = pd.Series([label if isinstance(label, str) else None for label in nearest.reindex(index)],
                                           index=index, dtype=object)
    out["known_fit"] = fit.reindex(index).to_numpy()
    out["unexplained_rows"] = (by_cluster.size() * (1 - fit)).reindex(index).to_numpy()
    return out


def empty_text_rows(rows: pd.DataFrame) -> np.ndarray:
    """Per row: its text is empty or punctuation only (``io.is_contentless``)."""
    if "empty_text" in rows.columns:
        return rows.empty_text.to_numpy(dtype=bool)
    return contentless_rows(rows.text.to_numpy(dtype=object))


def uninformative_rows(rows: pd.DataFrame) -> np.ndarray:
    """Per row: an unlabeled empty or punctuation-only text, which joins a cluster by a guess and is left out of
    its statistics (``informative_sizes``, ``informative_cohesion``)."""
    return empty_text_rows(rows) & rows.human_label.isna().to_numpy()


def informative_sizes(summary: pd.DataFrame, clusters: np.ndarray, rows: pd.DataFrame) -> np.ndarray:
    """Each cluster's size without its unlabeled empty or punctuation-only texts (``io.is_contentless``):
    they join the cluster of a guessed class, and would make it look as if it took in rows its labels
    do not explain (``unlabeled_beyond_labels``)."""
    uninformative = uninformative_rows(rows)
    counts = pd.Series(uninformative).groupby(np.asarray(clusters)).sum()
    return (summary["size"] - counts.reindex(summary.index, fill_value=0)).to_numpy()


def informative_cohesion(rows: pd.DataFrame, clusters: np.ndarray) -> np.ndarray:
    """The rows' ``cohesion`` with unlabeled empty or punctuation-only texts left out (NaN) where their cluster holds
    other rows: they join a cluster by a guess, and their distance to its center says nothing of the cluster."""
    cohesion = rows.cohesion.to_numpy(dtype=float).copy()
    uninformative = uninformative_rows(rows)
    if not uninformative.any():
        return cohesion
    clusters = np.asarray(clusters)
    informative_clusters = np.unique(clusters[~uninformative])
    cohesion[uninformative & np.isin(clusters, informative_clusters)] = np.nan
    return cohesion


def _decorate_clusters(summary: pd.DataFrame, cohesion: np.ndarray, clusters: np.ndarray,
                       names: dict | None = None, dismissed: set | None = None,
                       fit: pd.DataFrame | None = None, sizes: np.ndarray | None = None) -> pd.DataFrame:
    """``fit``: ``known_class_fit`` of the clusters (None: empty columns); ``sizes``: ``informative_sizes``
    (None: the clusters' sizes)."""
    summary = summary.copy()
    summary["cohesion"] = pd.Series(cohesion).groupby(clusters).mean().reindex(summary.index).to_numpy()
    fit = fit if fit is not None else known_class_fit(clusters, None, None, None, summary.index)
    for column in fit.columns:
        summary[column] = fit[column].reindex(summary.index)
    sizes = summary["size"].to_numpy() if sizes is None else sizes
    summary["unlabeled_beyond_labels"] = unlabeled_beyond_labels(sizes, summary.n_labeled)
    summary["may_hide_new_category"] = may_hide_new_category(summary, sizes)
    default = [m if s != CANDIDATE and m is not None else candidate_name(int(c), k)
               for c, s, m, k in zip(summary.index, summary.status, summary.majority_label, summary.keywords)]
    _set_decision_columns(summary, names or {}, dismissed or set(), default)
    return summary


def _fit_of(rows: pd.DataFrame, clusters: np.ndarray, fill_method: str | None, index: pd.Index) -> pd.DataFrame:
    """``known_class_fit`` from the rows' columns of the chosen fill-in method."""
    if fill_method is None:
        fit = known_class_fit(clusters, None, None, None, index)
    else:
        confidence = rows[f"{fill_method}_confidence"].to_numpy(dtype=float).copy()
        confidence[empty_text_rows(rows)] = np.nan  # an empty text tells nothing of fit
        fit = known_class_fit(clusters, rows.human_label.to_numpy(dtype=object),
                              rows[f"{fill_method}_label"].to_numpy(dtype=object), confidence, index)
    fit["outside_share"] = outside_share(rows, clusters, index)
    return fit


# A candidate with this share of its unlabeled rows outside every named class or more is not offered a one-click
# merge without a word (the Candidates page says so); the numbers are in ``outside_share``'s docstring.
APART_FROM_NAMED = 0.1


def outside_share(rows: pd.DataFrame, clusters: np.ndarray, index: pd.Index) -> np.ndarray:
    """Per cluster: the share of its unlabeled rows outside every named class (``rows.outside_named_classes``,
    ``cluster.rows_outside_known_classes``; empty texts aside, as in ``known_class_fit``), NaN without them. Evidence that a candidate is new that does not come
    from the fill-in, which can be sure of rows of a class nobody named. On draws with every class but two named
    (fine-tuned model), merging each candidate the named classes explain at 0.8 or more would have merged away 51-54%
    of the unnamed rows in candidates on snips and 1-18% on mcid; sparing those with ``APART_FROM_NAMED`` of their
    rows outside or more, 0-14% and 1-8% (docs/benchmarks.md, "Rows outside every named class, per candidate")."""
    if "outside_named_classes" not in rows.columns:
        return np.full(len(index), np.nan)
    unlabeled = pd.isna(rows.human_label.to_numpy(dtype=object)) & ~empty_text_rows(rows)
    outside = pd.Series(rows.outside_named_classes.to_numpy(dtype=float)[unlabeled])
    return outside.groupby(np.asarray(clusters)[unlabeled]).mean().reindex(index).to_numpy()


def build_rows(table, clusters: np.ndarray, noise_mask: np.ndarray, summary: pd.DataFrame, fill, coords: np.ndarray,
               embeddings: np.ndarray | None = None, centers: np.ndarray | None = None,
               empty: np.ndarray | None = None, outside: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-row table (proposals applied) and the decorated cluster table; ``empty``: ``io.contentless_rows`` of the
    texts when the caller has it; ``outside``: ``cluster.rows_outside_known_classes`` (None: not measured)."""
    names = table.codec.names
    rows = pd.DataFrame(index=table.frame.index)
    rows["text"] = table.texts
    rows["empty_text"] = contentless_rows(table.texts) if empty is None else empty  # a guess, never a suggestion
    rows["human_label"] = pd.Series(table.codec.decode(table.labels), index=rows.index, dtype=object)
    rows["cluster_id"] = clusters.astype(np.int64)
    rows["was_noise"] = noise_mask
    rows["merged_class"] = pd.Series(None, index=rows.index, dtype=object)  # set by merge decisions (``merged_into_class``)
    rows["merged_shown"] = False  # a merged candidate's representative row: the next run learns its class
    cohesion = _cohesion(embeddings, clusters, centers) if embeddings is not None else np.ones(len(rows))
    rows["cohesion"] = cohesion
    for method, dist in fill.distributions.items():
        rows[f"{method}_label"] = np.array(names, dtype=object)[dist.argmax(1)]
        rows[f"{method}_confidence"] = dist.max(1)
    rows["x"], rows["y"] = coords[:, 0], coords[:, 1]
    if outside is not None:
        rows["outside_named_classes"] = np.asarray(outside, dtype=bool)
    decorated = _decorate_clusters(summary, informative_cohesion(rows, clusters), clusters,
                                   fit=_fit_of(rows, clusters, fill.best, summary.index),
                                   sizes=informative_sizes(summary, clusters, rows))
    return propose_labels(rows, decorated, fill.best), decorated


# ---- decisions -------------------------------------------------------------------------------

def prepare_decisions(result: Discovery) -> Discovery:
    """Compute now what a merge needs (the texts' term counts, ~1 s on 50k texts) so the first merge is fast too.

    Shared with every result derived from this one; returns ``result`` itself.
    """
    _term_counts(result)
    return result


def _text_ids(result: Discovery) -> np.ndarray:
    """``io.same_text_ids`` of the texts as read, once for a result and every result derived from it."""
    if "text_ids" not in result.shared:
        result.shared["text_ids"] = same_text_ids(result.texts_read)
    return result.shared["text_ids"]


def _term_counts(result: Discovery):
    if "term_counts" not in result.shared:
        result.shared["term_counts"] = document_term_counts(result.texts_read, stop_words_for(result.language))
    return result.shared["term_counts"]


MAX_NAME_LENGTH = 200


def _whole_number(value, what: str, column: str) -> int:
    """An id as given (an int, or its text): ``int()`` alone read 1.7 and True as 1, and raised on None or "abc"."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if isinstance(value, (bool, np.bool_)) or not number.is_integer():
        raise InputError(f"{what} {value!r} is not a {what}; give whole numbers (the {column} column).")
    return int(number)


def _row_id(value) -> int:
    return _whole_number(value, "row id", "row_id")


def _at_own_position(own: pd.Series, value) -> bool:
    """Whether row ``value`` (read as a row id) holds ``value`` in ``own``, the DataFrame index the table kept."""
    try:
        position = _row_id(value)
    except InputError:
        return False
    return 0 <= position < len(own) and str(own.iloc[position]) == str(value)


def _cluster_id(value) -> int:
    return _whole_number(value, "cluster id", "cluster_id")


def _typed_label(value, what: str) -> str:
    """A label or name given to a decision, read as the data's labels are (``io._as_label``: 2.0 is the class '2',
    as the data's float column reads it); a missing value or several values are refused, not made a class
    called '<NA>' or "['a', 'b']"."""
    if isinstance(value, (list, tuple, dict, set, np.ndarray, pd.Series, pd.Index)):
        raise InputError(f"a {what} is one text, not a {type(value).__name__} ({str(value)[:60]}); give one {what}.")
    if value is None or (not isinstance(value, (str, bytes, bytearray)) and pd.isna(value)):
        raise InputError(f"a {what} cannot be missing ({value!r}); type a {what}.")
    return _as_label(value, None, missing_words=False) or ""


def _check_length(name: str, what: str, classes=()) -> None:
    """A class name is a short label, shown in every table, message and export: a paragraph is a slip. A class the
    data already has (``classes``) is its own length, whatever that is."""
    if len(name) > MAX_NAME_LENGTH and name not in classes:
        raise InputError(f"a {what} of {len(name):,} characters ({name[:40]!r}...); keep it under "
                         f"{MAX_NAME_LENGTH} characters.")


def _check_read_as_a_label(name: str, what: str, read_with: dict) -> None:
    """A name the next run would read as no label at all (``io.why_read_as_no_label``): accepted, it was dropped
    without a word by the run on the reviewed copy."""
    why = why_read_as_no_label(name, read_with)
    if why == "blank":
        raise InputError(f"{name!r} holds only invisible characters; type a {what}.")
    if why == "marker":
        raise InputError(f"{name!r} is this data's unlabeled marker, so the next run would read it as no label; "
                         f"choose another {what}.")
    if why == "missing word":
        raise InputError(f"{name!r} is a usual way of writing a missing value, and this data is read with such words "
                         f"as no label, so the next run would drop it; choose another {what} (such as 'no_category' "
                         "or 'other'), or read such words as labels (Data page, the box below the marker; "
                         "--missing-words-are-labels).")


class _Decisions:
    """A working copy of what decisions change in a result; ``build`` makes one new, consistent result.

    Each decision is checked and recorded cheaply; the expensive part (summaries of merged clusters,
    proposed labels for every row) is done once in ``build``, however many decisions were applied.
    Nothing of the original result is modified.
    """

    def __init__(self, result: Discovery):
        if not isinstance(result, Discovery):  # a DataFrame or a table failed with an AttributeError (helper 112)
            raise InputError(f"decisions are made on the result of run_discovery, not on a {type(result).__name__}; "
                             "run run_discovery(table, config) first and give its result.")
        result.require_rows_in_order()
        clusters = result.clusters
        self.result = result
        self.clusters = {int(c) for c in clusters.index}
        self.names = {int(c): n for c, n, r in zip(clusters.index, clusters["name"], clusters.renamed) if r}
        self.dismissed = {int(c) for c, d in zip(clusters.index, clusters.dismissed) if d}
        self.decisions = list(result.decisions)
        self.min_confidence = result.min_confidence
        self.cluster_of = None  # per-row cluster ids, copied at the first merge or split
        self.centers = None
        self.changed: set[int] = set()  # clusters whose members changed (merged into, split)
        self.human = None  # per-row human labels, copied at the first assignment
        self.merged = None  # per-row ``merged_class``, copied at the first merge into a labeled class
        self.merged_shown = None  # per-row ``merged_shown``, copied with ``merged``
        self.row_label_spellings = None  # spelling_key -> the spelling rows are labeled with, built when first needed
        self.clusters_changed = False
        self.existing_ids = len(result.cluster_centers)  # ids below this are the result's; above, a split's
        self.split_ids: dict[int, int] = {}  # the id a stored split recorded -> the id its replay gave

    def _require(self, ids) -> None:
        missing = [i for i in map(_cluster_id, ids) if i not in self.clusters]
        if missing:
            raise InputError(f"cluster {missing[0]} does not exist in this result; pick one of the listed clusters.")

    def _is_candidate(self, cluster_id: int) -> bool:
        """Whether the cluster, as this draft's merges and splits left it, has (almost) no labeled row: what
        ``summarize_clusters`` would call a candidate."""
        if cluster_id not in self.changed:
            return self.result.clusters.status.get(cluster_id) == CANDIDATE
        members = np.flatnonzero(self.cluster_of == cluster_id)
        return bool(len(members)) and bool(candidate_rows(self.cluster_of, self.result.table.labels)[members[0]])

    def _holds_labeled_class(self, cluster_id: int) -> bool:
        """Whether the cluster is a labeled class's (most of its labeled rows, not a stray few): a named or split
        candidate is not."""
        if cluster_id in self.changed:
            return not self._is_candidate(cluster_id)
        return self.result.clusters.status.get(cluster_id) in (KNOWN, MIXED)

    def _require_candidate(self, cluster_id: int, only: str = "only a candidate new category takes a name") -> None:
        """A name is for a candidate new category. A labeled class's cluster named would give its unlabeled rows
        the name and leave its labeled ones their class: one class read as two by the next run. Dismissing is
        for candidates too: a labeled class's cluster dismissed listed its labeled rows as dismissed."""
        if self._is_candidate(cluster_id):
            return
        labels = self.result.table.labels
        current = self.cluster_of if self.cluster_of is not None else self.result.rows.cluster_id.to_numpy()
        held = labels[(current == cluster_id) & (labels >= 0)]
        most = pd.Series(held).value_counts().index[:3]  # the majority first
        classes = ", ".join(repr(self.result.table.codec.names[int(c)]) for c in most)
        raise InputError(f"cluster {cluster_id} holds labeled rows ({classes}); {only}. To give some of its rows another label, select them on the Map (assign_label); to "
                         "split off the rows its labels do not explain, split it.")

    def _spelling_in_use(self, label: str, cluster_id: int | None = None) -> str:
        """``label`` as a class, another named cluster or a label given by hand already spells it, its
        ``spelling_key`` aside (case, spaces, separators, look-alikes: the next run reads such spellings as one
        class); else ``label``."""
        wanted = spelling_key(label)
        if self.row_label_spellings is None:  # built once: replaying many labels stays linear in the rows
            given = pd.unique(pd.Series(self.result.rows.human_label.dropna().astype(str)))
            self.row_label_spellings = {}
            for spelling in (*self.result.table.codec.names, *sorted(given)):
                self.row_label_spellings.setdefault(spelling_key(spelling), spelling)
        named = [n for c, n in self.names.items() if c != cluster_id and c not in self.dismissed]
        for spelling in (*self.result.table.codec.names, *named):
            if spelling_key(spelling) == wanted:
                return spelling
        return self.row_label_spellings.get(wanted, label)

    def name(self, cluster_id: int, name: str) -> "_Decisions":
        cluster_id = _cluster_id(cluster_id)
        name = _typed_label(name, "name")
        if not name:
            raise InputError("a cluster name cannot be empty; type a name.")
        _check_length(name, "cluster name", self.result.table.codec.names)
        _check_read_as_a_label(name, "name", self.result.table.read_with)
        self._require([cluster_id])
        cluster_id = int(cluster_id)
        self._require_candidate(cluster_id)
        name = self._spelling_in_use(name, cluster_id)
        self.names[cluster_id] = name
        self.dismissed.discard(cluster_id)
        self.clusters_changed = True
        self.decisions.append({"action": "name", "cluster_id": cluster_id, "name": name})
        return self

    def dismiss(self, cluster_id: int) -> "_Decisions":
        cluster_id = _cluster_id(cluster_id)
        self._require([cluster_id])
        if self._holds_labeled_class(int(cluster_id)):
            self._require_candidate(int(cluster_id), "only a candidate new category can be dismissed")
        if int(cluster_id) in self.dismissed:  # recorded twice, it took two Undos to take back (helper 124)
            raise InputError(f"cluster {cluster_id} is dismissed already.")
        self.dismissed.add(int(cluster_id))
        self.clusters_changed = True
        self.decisions.append({"action": "dismiss", "cluster_id": int(cluster_id)})
        return self

    def merge(self, cluster_ids, into: int | None = None) -> "_Decisions":
        if isinstance(cluster_ids, (str, bytes)) or not hasattr(cluster_ids, "__iter__"):
            raise InputError(f"cluster_ids {cluster_ids!r} is not a list of cluster ids; give a list, e.g. [3, 7].")
        ids = [_cluster_id(c) for c in cluster_ids]
        if len(set(ids) | ({_cluster_id(into)} if into is not None else set())) < 2:  # one listed into another: two
            raise InputError("pick at least two different clusters to merge.")
        self._require(ids)
        target = _cluster_id(into) if into is not None else ids[0]
        self._require([target])
        self._copy_assignment()
        candidates = [c for c in set(ids) if self._is_candidate(c)]
        from_candidates = np.isin(self.cluster_of, candidates)
        shown = representative_rows(self.result.embeddings, self.cluster_of, only=sorted(candidates))
        target_was_candidate = self._is_candidate(target)
        self.cluster_of[np.isin(self.cluster_of, ids)] = target
        members = self.cluster_of == target
        self.centers[target] = normalize(self.result.embeddings[members].mean(0, keepdims=True))[0]
        # a target without a name or a dismissal takes the first merged name, else a dismissal, whatever the order of
        # the list (helper 112: merged as [other, named] a candidate lost its name; review 115: a name given and then
        # dismissed is a dismissal)
        others = [c for c in ids if c != target]
        lender = next((c for c in others if c in self.names and c not in self.dismissed),
                      next((c for c in others if c in self.dismissed), None))
        lent_name = None if lender is None or lender in self.dismissed else self.names[lender]
        for c in set(ids) - {target}:
            self.clusters.discard(c)
            self.names.pop(c, None)
            self.dismissed.discard(c)
        self.changed.add(target)
        if lender is not None and target not in self.names and target not in self.dismissed and self._is_candidate(target):
            if lent_name is not None:
                self.names[target] = lent_name
            else:
                self.dismissed.add(target)
        if self.merged is None:
            rows = self.result.rows
            self.merged = rows.merged_class.to_numpy(dtype=object).copy()
            self.merged_shown = (rows.merged_shown.to_numpy(dtype=bool).copy() if "merged_shown" in rows
                                 else np.zeros(len(rows), dtype=bool))
        # the rows read when merging: the class the merge gave them, or the name their merged candidate gets
        self.merged_shown[[i for positions in shown.values() for i in positions]] = True
        if not self._is_candidate(target):  # a named candidate merged into a labeled class is that class now
            self.names.pop(target, None)
            if target_was_candidate:  # a dismissed candidate that kept the id: the merge is the decision now
                self.dismissed.discard(target)
            self.merged[from_candidates] = self._majority_label(members)
        self.clusters_changed = True
        self.decisions.append({"action": "merge", "cluster_ids": ids, "into": target})
        return self

    def _majority_label(self, members: np.ndarray) -> str | None:
        """The most common data label among ``members``, a tie going to the label met first, as
        ``summarize_clusters`` reads a cluster's majority label."""
        labels = self.result.table.labels[members]
        counts = Counter(self.result.table.codec.names[k] for k in labels[labels >= 0])
        return counts.most_common(1)[0][0] if counts else None

    def _copy_assignment(self) -> None:
        if self.cluster_of is None:
            self.cluster_of = self.result.rows.cluster_id.to_numpy(dtype=np.int64).copy()
            self.centers = self.result.cluster_centers.copy()

    def split(self, cluster_id: int, stored_new_id: int | None = None) -> "_Decisions":
        """Split a cluster in two; the new cluster takes the next free id.

        Seeded k-means inside the cluster, with each label among its human-labeled rows as a seed and
        one free center: the labeled rows and the unlabeled rows nearest them keep the cluster, the
        group of unlabeled rows farthest from every label becomes the new cluster (with no labels, a
        candidate). This is how a labeled cluster that may hide a new category
        (``may_hide_new_category``) gives that category up. A cluster without labels splits into its
        two k-means halves, the larger keeping the id.

        ``stored_new_id``: the new id the split got when it was decided; replayed after an earlier split was
        taken back it gets another, and later decisions naming the stored id are sent to it (``apply``).
        """
        cluster_id = _cluster_id(cluster_id)
        self._require([cluster_id])
        current = self.cluster_of if self.cluster_of is not None else self.result.rows.cluster_id.to_numpy()
        members = np.flatnonzero(current == cluster_id)
        human = self.human if self.human is not None else self.result.rows.human_label.to_numpy(dtype=object)
        labeled = pd.notna(human[members])
        if (~labeled).sum() < 2:
            raise InputError(f"cluster {cluster_id} has fewer than two unlabeled rows; there is nothing to split off.")
        y = np.full(len(members), -1, dtype=np.int64)
        y[labeled] = np.unique(human[members][labeled].astype(str), return_inverse=True)[1]
        n_seeded = int(y.max()) + 1
        X = self.result.embeddings[members]
        parts, _ = best_of_inits(X, y, 1 if n_seeded else 2, n_init=5, random_state=self.result.config.random_state)
        apart = parts == (n_seeded if n_seeded else np.argmin(np.bincount(parts, minlength=2)))
        if not apart.any() or apart.all():
            raise InputError(f"cluster {cluster_id} holds no group of rows apart from the rest; it was not split.")
        self._copy_assignment()
        new_id = len(self.centers)
        self.cluster_of[members[apart]] = new_id
        self.split_ids[_cluster_id(stored_new_id) if stored_new_id is not None else new_id] = new_id
        self.centers = np.vstack([self.centers, np.zeros((1, self.centers.shape[1]), dtype=self.centers.dtype)])
        for cluster, rows in ((cluster_id, members[~apart]), (new_id, members[apart])):
            self.centers[cluster] = normalize(self.result.embeddings[rows].mean(0, keepdims=True))[0]
        self.clusters.add(new_id)
        self.changed |= {cluster_id, new_id}
        self.dismissed.discard(cluster_id)
        self.clusters_changed = True
        self.decisions.append({"action": "split", "cluster_id": cluster_id, "new_cluster_id": new_id})
        return self

    def assign(self, row_ids, label: str) -> "_Decisions":
        label = _typed_label(label, "label")
        if not label:
            raise InputError("a label cannot be empty; type a label.")
        _check_length(label, "label", self.result.table.codec.names)
        _check_read_as_a_label(label, "label", self.result.table.read_with)
        if isinstance(row_ids, (str, bytes)) or not hasattr(row_ids, "__iter__"):
            raise InputError(f"row_ids {row_ids!r} is not a list of row ids; give a list, e.g. [3, 7, 12].")
        row_ids = self._rows_of_mask(row_ids)
        kept = self.result.table.kept_index
        if kept and isinstance(row_ids, (pd.Index, pd.Series)) and row_ids.name != ROW_ID:
            # helper 112: a filtered frame's index read as positions labeled 4 of 5 other rows, without a word; only
            # values that are their own rows' index values are harmless (review 117: a string or partial index too)
            own = self.result.table.frame[kept[0]]
            if not all(_at_own_position(own, value) for value in row_ids):
                raise InputError(f"row_ids holds values of your DataFrame's own index, which the table kept as column "
                                 f"{kept[0]!r}: rows are identified by their position (row_id 0, 1, ...), so they "
                                 "would label other rows. Give result.rows.index[mask] or positions (a list); to pick "
                                 f"rows by your index: np.flatnonzero(result.table.frame[{kept[0]!r}].isin(your_index)).")
        ids = [_row_id(r) for r in row_ids]
        if not ids:
            raise InputError("no row to label; select or type at least one row id.")
        positions = self.result.rows.index.get_indexer(ids)
        if (positions < 0).any():
            raise InputError(f"row {ids[int(np.argmax(positions < 0))]} does not exist in this data.")
        if self.human is None:
            self.human = self.result.rows.human_label.to_numpy(dtype=object).copy()
        label = self._spelling_in_use(label)
        self.row_label_spellings.setdefault(spelling_key(label), label)
        self.human[positions] = label
        self.decisions.append({"action": "assign", "row_ids": ids, "label": label})
        return self

    def _rows_of_mask(self, row_ids):
        """The row ids a boolean mask picks (``result.rows.cluster_id == 3``: it was read as row ids 0 and 1, and
        refused as another index's values: helper 124); other ``row_ids`` as given."""
        if getattr(row_ids, "dtype", None) != bool:
            return row_ids
        rows = self.result.rows.index
        if isinstance(row_ids, pd.Series) and row_ids.index.sort_values().equals(rows):  # result.rows', any order
            return row_ids.index[row_ids.to_numpy(dtype=bool)].rename(rows.name)
        mask = np.asarray(row_ids, dtype=bool)
        if mask.shape != (len(rows),):
            raise InputError(f"row_ids is a mask of {mask.size:,} values; a mask picks rows with one value for each "
                             f"of the {len(rows):,} rows of result.rows (e.g. result.rows.cluster_id == 3).")
        return rows[mask]

    def threshold(self, threshold: float) -> "_Decisions":
        given = threshold
        try:
            threshold = float(threshold) if not isinstance(threshold, (bool, np.bool_, str)) else None
        except (TypeError, ValueError):
            threshold = None
        if threshold is None or not 0.0 <= threshold <= 1.0:
            raise InputError(f"the confidence threshold must lie between 0 and 1 (a number; got {given!r}).")
        self.min_confidence = threshold
        self.decisions.append({"action": "threshold", "value": threshold})
        return self

    def apply(self, decision: dict) -> "_Decisions":
        """One decision given as a plain dict (the form stored in a workspace)."""
        if not isinstance(decision, dict):
            raise InputError(f"a decision is a dict such as {{'action': 'dismiss', 'cluster_id': 3}} (result.decisions "
                             f"holds them), not {type(decision).__name__}.")
        action = decision.get("action")
        if action not in ACTIONS:
            raise InputError(f"unknown decision {action!r}; expected one of {', '.join(ACTIONS)}.")
        lacking = [key for key in REQUIRED_KEYS[action] if key not in decision]
        if lacking:
            raise InputError(f"the {action} decision {decision!r} has no {lacking[0]!r}.")
        return ACTIONS[action](self, self._with_split_ids(decision))

    def _with_split_ids(self, decision: dict) -> dict:
        """``decision`` with the ids of clusters made by splits as this replay made them: a split taken back
        shifts the ids of the later ones, and a decision on the part it made must not land on another part."""
        def actual(cluster_id):
            cluster_id = _cluster_id(cluster_id)
            if cluster_id < self.existing_ids:
                return cluster_id
            if cluster_id not in self.split_ids:
                raise InputError(f"cluster {cluster_id} does not exist in this result; if a split made it, that split "
                                 "was taken back or no longer applies.")
            return self.split_ids[cluster_id]

        out = dict(decision)
        for key in ("cluster_id", "into"):
            if out.get(key) is not None:
                out[key] = actual(out[key])
        if isinstance(out.get("cluster_ids"), (list, tuple)):  # anything else merge() refuses
            out["cluster_ids"] = [actual(c) for c in out["cluster_ids"]]
        return out

    def build(self) -> Discovery:
        result = self.result
        if len(self.decisions) == len(result.decisions):
            return result
        rows, clusters, changes = result.rows, result.clusters, {}
        if self.human is not None:
            rows = rows.copy()
            rows["human_label"] = pd.Series(self.human, index=rows.index, dtype=object)
        if self.merged is not None:
            rows = rows.copy() if rows is result.rows else rows
            merged = self.merged.copy()
            if self.cluster_of is not None:  # split off into a candidate: the merge no longer speaks for them
                merged[candidate_rows(self.cluster_of, result.table.labels)] = None
            rows["merged_class"] = pd.Series(merged, index=rows.index, dtype=object)
            # rows a split took out of the class they were merged into: not read as anything any more
            rows["merged_shown"] = self.merged_shown & ~(pd.isna(merged) & pd.notna(self.merged))
        if self.cluster_of is not None:
            rows = rows.copy() if rows is result.rows else rows
            rows["cluster_id"] = self.cluster_of
            rows["cohesion"] = _cohesion(result.embeddings, self.cluster_of, self.centers)
            table = result.table
            summary = summarize_clusters(result.texts_read, result.embeddings, self.cluster_of, table.labels, table.codec,
                                         row_ids=table.row_ids, term_counts=_term_counts(result), text_ids=_text_ids(result),
                                         previous=result.clusters, changed=self.changed)
            clusters = _decorate_clusters(summary, informative_cohesion(rows, self.cluster_of), self.cluster_of,
                                          self.names, self.dismissed,
                                          fit=_fit_of(rows, self.cluster_of, result.fill_method, summary.index),
                                          sizes=informative_sizes(summary, self.cluster_of, rows))
            changes["cluster_centers"] = self.centers
        else:
            if self.clusters_changed:
                clusters = clusters.copy()
                _set_decision_columns(clusters, self.names, self.dismissed, result.clusters.display_name)
            if self.human is not None:  # rows labeled in review no longer count as unexplained
                clusters = clusters.copy() if clusters is result.clusters else clusters
                fit = _fit_of(rows, rows.cluster_id.to_numpy(), result.fill_method, clusters.index)
                clusters[fit.columns] = fit
        if any(d.get("action") == "assign" for d in self.decisions):  # this draft's or an earlier one's
            clusters = _mark_labeled_by_hand(clusters, rows)
        if rows is not result.rows or clusters is not result.clusters:
            rows = propose_labels(rows, clusters, result.fill_method)
        # frames of its own even when no decision changed them (a threshold): editing one result's frame in
        # place must not edit another's (copy-on-write makes a shallow copy cost nothing until one is edited)
        rows = rows.copy(deep=False) if rows is result.rows else rows
        clusters = clusters.copy(deep=False) if clusters is result.clusters else clusters
        return dataclasses.replace(result, rows=rows, clusters=clusters, decisions=tuple(self.decisions),
                                   min_confidence=self.min_confidence, **changes)


REQUIRED_KEYS = {"name": ("cluster_id", "name"), "dismiss": ("cluster_id",), "merge": ("cluster_ids",),
                 "split": ("cluster_id",), "assign": ("row_ids", "label"), "threshold": ("value",)}
ACTIONS = {
    "name": lambda draft, d: draft.name(d["cluster_id"], d["name"]),
    "dismiss": lambda draft, d: draft.dismiss(d["cluster_id"]),
    "merge": lambda draft, d: draft.merge(d["cluster_ids"], d.get("into")),
    "split": lambda draft, d: draft.split(d["cluster_id"], d.get("new_cluster_id")),
    "assign": lambda draft, d: draft.assign(d["row_ids"], d["label"]),
    "threshold": lambda draft, d: draft.threshold(d["value"]),
}


def describe_decision(decision: dict) -> str:
    """A stored decision in a few plain words, e.g. ``named cluster 54 'card_lost_abroad'``."""
    try:
        return _described(decision)
    except (AttributeError, KeyError, TypeError, ValueError):  # a damaged or older stored decision
        return str(decision)


def _described(decision: dict) -> str:
    action = decision.get("action")
    if action == "name":
        return f"named cluster {decision['cluster_id']} '{decision['name']}'"  # as typed (repr doubles backslashes)
    if action == "dismiss":
        return f"dismissed cluster {decision['cluster_id']}"
    if action == "merge":
        others = [c for c in decision["cluster_ids"] if c != decision.get("into")]
        return f"merged cluster{'s' if len(others) != 1 else ''} {', '.join(map(str, others))} into {decision.get('into')}"
    if action == "split":
        return f"split cluster {decision['cluster_id']}"
    if action == "assign":
        n = len(decision["row_ids"])
        return f"labeled {n} row{'s' if n != 1 else ''} '{decision['label']}'"
    if action == "threshold":
        return f"set the threshold to {float(decision['value']):.2f}"
    return str(action)


def name_cluster(result: Discovery, cluster_id: int, name: str) -> Discovery:
    """Give a cluster a name; a named candidate's rows take the name as their new label."""
    return _Decisions(result).name(cluster_id, name).build()


def dismiss_candidate(result: Discovery, cluster_id: int) -> Discovery:
    """Not a new category: the cluster's unlabeled rows fall back to the fill-in labels."""
    return _Decisions(result).dismiss(cluster_id).build()


def merge_clusters(result: Discovery, cluster_ids, into: int | None = None) -> Discovery:
    """Merge clusters into ``into`` (default: the first; one not listed takes in the listed ones, and the decision
    records it as ``into``); the merged cluster is summarized afresh.

    The other clusters keep their members and descriptions; keywords are re-ranked for all of
    them, since class-based TF-IDF depends on every cluster. The outcome equals summarizing the
    new assignment from scratch.
    """
    return _Decisions(result).merge(cluster_ids, into).build()


def split_cluster(result: Discovery, cluster_id: int) -> Discovery:
    """Split off the group of a cluster's unlabeled rows farthest from its labels as a new cluster
    (``_Decisions.split``); a labeled cluster that may hide a new category gives it up as a candidate."""
    return _Decisions(result).split(cluster_id).build()


def assign_label(result: Discovery, row_ids, label: str) -> Discovery:
    """The researcher labels rows by hand (e.g. a lasso selection): they become human labels."""
    return _Decisions(result).assign(row_ids, label).build()


def set_min_confidence(result: Discovery, threshold: float) -> Discovery:
    """Proposals at or above this confidence count as accepted in the export."""
    return _Decisions(result).threshold(threshold).build()


def apply_decision(result: Discovery, decision: dict) -> Discovery:
    """Apply one decision given as a plain dict (the form stored in a workspace)."""
    return _Decisions(result).apply(decision).build()


def replay(result: Discovery, decisions, warn: bool = True) -> Discovery:
    """Apply stored decisions in order, skipping (and reporting) any that no longer fit this result.

    Skipped decisions are listed in the new result's ``skipped_decisions`` with why, and, with ``warn``, said in a
    ``UserWarning`` too: in a notebook a list of ten decisions that applied eight looked applied (the dashboard,
    which shows them on the page, passes ``warn=False``).

    The decisions are checked and recorded one by one, and the new result is built once at the
    end, so replaying many decisions costs about as much as one; the outcome equals applying them
    one at a time with ``apply_decision``. Decisions ``result`` already holds, given first (``replay(decided,
    decided.decisions)``), are not applied again: a split was made twice, with nothing said. A list that starts like
    them but leaves some out (an undo tried on the decided result) is refused: decisions are taken back by replaying
    onto the result that holds none.
    """
    if decisions is None or isinstance(decisions, (dict, str)):
        raise InputError("replay takes a list of decisions (dicts, as result.decisions holds them); for one decision "
                         "use apply_decision.")
    decisions = list(decisions)
    held = list(result.decisions)
    if held and decisions[:len(held)] == held:
        decisions = decisions[len(held):]
    elif held and decisions and decisions[0] == held[0]:  # helper 112: the last split made again, not taken back
        raise InputError(f"replay applies decisions on top of the result given, which holds {len(held)} already, and "
                         "these start like them but leave some out: to take decisions back, replay onto the result "
                         "run_discovery returned, which holds none (replay(first_result, decided.decisions[:-1]))")
    draft, skipped = _Decisions(result), []
    for decision in decisions:
        try:
            draft.apply(decision)
        except (InputError, KeyError, TypeError, ValueError, AttributeError) as exc:
            skipped.append((decision, str(exc)))
    result = draft.build()
    if not skipped:
        return result
    if warn:
        first, why = skipped[0]
        warnings.warn(f"replay skipped {len(skipped)} of {len(decisions)} decisions that do not fit this result "
                      f"(first: {first!r}: {why}); the result's skipped_decisions lists each with why", UserWarning,
                      stacklevel=2)
    return dataclasses.replace(result, skipped_decisions=tuple(skipped))


def adaptation_note(adaptation: dict) -> str | None:
    """One line on whether the model was fine-tuned on the labels, and why not (None before the record existed)."""
    if not adaptation:
        return None
    if adaptation.get("used"):
        return (f"fine-tuned on the labels: kNN labels the held-out labeled rows {adaptation['adapted']:.1%} right "
                f"(the model as it was: {adaptation['base']:.1%})" if "adapted" in adaptation else "fine-tuned on the labels")
    reason = adaptation.get("reason")
    return f"not fine-tuned on the labels: {reason}" if reason else None


# a catch-all class labeled far more than the rest made the fill-in sure of it, and its advice to merge sent two
# unnamed SNIPS intents into it (helper 104): the researcher reads before merging
READ_BEFORE_MERGING = ("read each, and merge into it{where} those that are; one unlike its labeled texts may still be "
                       "a new category")


def candidates_holding_a_class_note(result, where: str = " on the dashboard") -> str | None:
    """Names the open candidates holding every labeled row of a class (``Discovery.candidates_holding_a_class``)."""
    found = result.candidates_holding_a_class
    if not found:
        return None
    shown = listed(found, lambda f: f"cluster {f[0]} ({f[1]}) holds {'the only' if f[3] == 1 else f'all {f[3]}'} "
                                    f"labeled row{'s' if f[3] != 1 else ''} of {f[2]!r}")
    return (f"candidates: {shown}. A class labeled far less often than the others falls below the share of labeled "
            "rows a cluster needs to count as that class's, so its cluster shows as new: if its rows are that class, "
            f"name the candidate so{where} (its rows then take that class); else those labels may be mistaken")


def candidates_behind_note(result, where: str = " on the dashboard") -> str | None:
    """When most candidates lie nearest one class though the named classes do not explain them well enough for
    ``candidates_explained_note``: a big class read in many wordings, split into as many candidates (helper 104: 355
    of 379 candidate rows were one class's, and nothing was said)."""
    behind = result.candidates_behind_one_class
    if behind is None or result.candidates_explained is not None:
        return None
    name, n, total = behind
    return (f"candidates: {n} of the {total} lie nearest one class, {name!r}: some may be its rows in other wordings, "
            f"split by how they are worded ({READ_BEFORE_MERGING.format(where=where)})")
