"""The labels a new run should learn from: the data's own, plus what the researcher decided in this one.

A run learns only from the label column it read. Labels given during review (a row labeled by
hand, a lasso selection, a suggestion from ``rows_to_label_next``) and categories named on the
candidates are decisions on top of that run; ``labels_for_next_run`` folds them into a copy of
the user's table, so running again on it adapts the model, clusters and fills in with them.

What is carried, row by row:

* every row labeled by hand keeps its label;
* a named cluster lends its name to the representative rows shown with it (the texts the
  researcher read when naming it), not to every row: the next run finds the rest of the
  category from those examples, and its accuracy estimate is not scored on rows nobody read.

* a candidate merged into a labeled class lends that class to its representative rows shown when
  it was merged, for the same reason; one merged into another candidate, the name that one gets.

Dismissals, splits, other merges and the acceptance threshold refer to this run's clusters and
proposals, which a new run recomputes: they are not carried, and ``not_carried`` lists them so
the caller can say so. They stay with this run's decisions.

The ``label_origin`` column says where each label came from. Reading the table again recognizes it
(``LabeledTable.labeled_in_review``): labels given during review train every stage but are never
held out, because they were picked where the proposals were unsure (or, for named clusters, are a
cluster's most typical rows) and would skew the accuracy estimate.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .io import (DEFAULT_LABEL_COLUMN, ORIGIN_ACCEPTED, ORIGIN_ASSIGNED, ORIGIN_COLUMN, ORIGIN_DATA, ORIGIN_KEPT,
                 ORIGIN_NAMED, free_column_name, without_formula_quote)
from .labels import spelling_key
from .summarize import CANDIDATE
from .result import LABELED_BY_HAND_STATUS, merged_into_class

ROW_ACTIONS = ("assign",)
CHECK_COLUMN = "suggested_label"  # the column that tells labels_to_check.csv (export.labels_to_check_table)
CLUSTER_NAME_ACTION = "name"
MERGE_ACTION = "merge"


@dataclass(frozen=True)
class NextRunLabels:
    """The user's table with every carried label in ``label_column`` and where each came from in ``origin_column``."""

    frame: pd.DataFrame
    text_column: str
    label_column: str
    origin_column: str
    assigned_rows: int  # rows given a label (or another label) this time
    named_rows: dict  # category name -> rows labeled with it this time (its representatives)
    not_carried: tuple  # decisions (plain dicts) that only apply to this run's clusters
    relabeled: tuple = ()  # (row_id, label before, label now) of rows that had another label before
    blanked: tuple = ()  # row ids whose label the labeled file left blank although the data has one (kept)
    kept_rows: int = 0  # rows whose label the researcher looked at and kept as the data has it
    merged_rows: dict = dataclasses.field(default_factory=dict)  # class -> representative rows of candidates merged into it
    respelled: tuple = ()  # (as typed, the data's spelling it took) of labels typed in another case, spacing or leading zeros
    from_decisions: int = 0  # rows labeled by the decisions the labeled file's run recorded (``recorded_decision_labels``)
    accepted_rows: int = 0  # of ``assigned_rows``, those typed as the proposal a proposed_labels file showed (``ORIGIN_ACCEPTED``
    # unless drawn at random)
    confirmed_rows: int = 0  # accepted proposals typed again where no proposal stood beside them: read, now labeled in review

    @property
    def n_labeled(self) -> int:
        return int(self.frame[self.label_column].notna().sum())

    def write(self, path: str | os.PathLike) -> Path:
        """Save the table to run again on as Parquet (what ``discovery add-labels`` writes): every column and
        type kept, no index column, written atomically."""
        from .workspace import atomic_write_bytes

        path = Path(path)
        if path.suffix.lower() not in (".parquet", ".pq"):
            raise InputError(f"{path}: write a .parquet file (it keeps every column and type exactly).")
        atomic_write_bytes(path, next_run_file(self))
        return path

    @property
    def changes_anything(self) -> bool:
        """Whether the copy differs from the data in a label or in where a label came from."""
        return bool(self.assigned_rows or self.kept_rows or self.from_decisions or self.confirmed_rows)

    @property
    def new_labels(self) -> int:
        """Rows that had no label and have one now; a label put in place of the data's is ``relabeled``."""
        return (self.assigned_rows - len(self.relabeled) + sum(self.named_rows.values())
                + sum(self.merged_rows.values()))

    @property
    def carries_anything(self) -> bool:
        """Whether a run on the copy learns anything a run on the data does not: a label given, or a doubtful label
        kept as it was (never flagged to check again)."""
        return bool(self.new_labels or self.changes_anything)

    def summary(self) -> str:
        """One plain sentence of what the next run learns and what it does not."""
        parts = []
        if self.assigned_rows:
            replaced = (f" ({len(self.relabeled):,} of them in place of the data's label)" if self.relabeled else "")
            parts.append(f"{self.assigned_rows:,} row{'s' if self.assigned_rows != 1 else ''} you labeled{replaced}")
        if self.kept_rows:
            parts.append(f"{self.kept_rows:,} label{'s' if self.kept_rows != 1 else ''} you kept as the data has "
                         f"{'them' if self.kept_rows != 1 else 'it'} (not flagged to check again)")
        if self.named_rows:
            shown = ", ".join(f"{name!r} ({n})" for name, n in self.named_rows.items())
            many = len(self.named_rows) != 1
            parts.append(f"the representative rows of {len(self.named_rows)} named categor{'ies' if many else 'y'}: "
                         f"{shown}")
        if self.merged_rows:
            shown = ", ".join(f"{name!r} ({n})" for name, n in self.merged_rows.items())
            parts.append(f"the representative rows of the candidates you merged into a class: {shown}")
        text = ("The next run learns from " + " and ".join(parts) + ".") if parts else \
            "No decision adds a label: the next run would learn from the data's labels only."
        if self.not_carried:
            counts = pd.Series([d.get("action") for d in self.not_carried]).value_counts()
            listed = ", ".join(f"{n} {action}" for action, n in counts.items())
            text += (f" Not carried ({listed}): they refer to this run's clusters or proposals and stay saved "
                     "with this run.")
        return text


def recorded_origin(table) -> np.ndarray:
    """Per row: where its label came from (``data`` unless an earlier round recorded review), None if unlabeled."""
    origin = np.where(table.labels >= 0, ORIGIN_DATA, None).astype(object)
    if table.label_origin is not None:
        review = table.labeled_in_review | table.kept_in_review
        origin[review] = table.label_origin[review]
    return origin


def labels_for_next_run(result) -> NextRunLabels:
    """Fold this result's row labels and named categories into a copy of the user's table (``NextRunLabels``).

    The label column keeps its name (``label`` when the data had none); labeled rows hold their
    label as text, unlabeled rows are empty, so the unlabeled marker is no longer needed.
    """
    result.require_rows_in_order()
    table, rows, clusters = result.table, result.rows, result.clusters
    human = rows.human_label.to_numpy(dtype=object)
    labels = np.where(pd.notna(human), human, None).astype(object)
    data_labels = np.array(table.codec.decode(table.labels), dtype=object)
    origin = recorded_origin(table)
    assigned = result.labeled_by_decisions
    origin[assigned] = ORIGIN_ASSIGNED
    kept = _kept_in_review(result) & ~assigned  # a doubtful label looked at and kept: not listed again
    origin[kept] = ORIGIN_KEPT
    origin[kept & table.accepted_proposals] = ORIGIN_ASSIGNED  # read now, but the tool's guess: no random draw

    named_rows: dict[str, int] = {}
    named_into: set[int] = set()  # named clusters whose rows are carried: the merges into them are too
    merged_shown = (rows.merged_shown.to_numpy(dtype=bool) & rows.merged_class.isna().to_numpy()
                    if "merged_shown" in rows else np.zeros(len(rows), dtype=bool))
    for cluster_id, cluster in clusters[clusters.renamed & ~clusters.dismissed].iterrows():
        shown = rows.index.get_indexer([r for r in cluster.representative_ids if r in rows.index])
        # and the rows read when a candidate was merged into it: its texts, not only the merged cluster's middle
        shown = np.union1d(shown, np.flatnonzero(merged_shown & (rows.cluster_id.to_numpy() == cluster_id)))
        free = shown[pd.isna(labels[shown])]
        if len(free):
            named_into.add(int(cluster_id))
            labels[free] = cluster["name"]
            origin[free] = ORIGIN_NAMED
            named_rows[str(cluster["name"])] = named_rows.get(str(cluster["name"]), 0) + len(free)

    merged_rows: dict[str, int] = {}
    merged_into: set[int] = set()  # clusters holding carried rows of a candidate merged into them
    if "merged_shown" in rows:  # a candidate merged into a labeled class: its representatives are that class
        free = np.flatnonzero(merged_into_class(rows, clusters) & rows.merged_shown.to_numpy(dtype=bool)
                              & pd.isna(labels))
        merged_into = {int(c) for c in rows.cluster_id.iloc[free]}
        for i in free:
            labels[i] = rows.merged_class.iloc[i]
            origin[i] = ORIGIN_NAMED
            merged_rows[str(labels[i])] = merged_rows.get(str(labels[i]), 0) + 1

    replaced = np.flatnonzero(assigned & (table.labels >= 0))
    relabeled = tuple((int(rows.index[i]), data_labels[i], human[i]) for i in replaced)
    carried = ROW_ACTIONS + (CLUSTER_NAME_ACTION,)
    not_carried = tuple(d for d in result.decisions if d.get("action") not in carried
                        and not (d.get("action") == MERGE_ACTION and int(d.get("into", -1)) in merged_into | named_into))
    return dataclasses.replace(
        _with_labels(table, labels, origin, int(assigned.sum()), named_rows, not_carried, relabeled),
        kept_rows=int(kept.sum()), merged_rows=merged_rows)


def text_key(text) -> str:
    """A short fingerprint of a row's text, runs of spaces and line breaks aside (as ``_same_text`` compares)."""
    import hashlib

    return hashlib.sha256(" ".join(str(text).split()).encode("utf-8")).hexdigest()[:16]


def decision_labels(result) -> list[dict]:
    """The labels this result's decisions give rows, as ``labels_for_next_run`` carries them (rows labeled by hand,
    the representative rows of named categories and of candidates merged into a class, doubtful labels kept), each
    with its row's ``text_key``. The manifest records them: the dashboard keeps decisions in its workspace, not in
    the data, so ``add-labels`` on a label_next.csv saved beside them carries them from there."""
    if not result.decisions:
        return []
    carried = labels_for_next_run(result)
    labels = carried.frame[carried.label_column].to_numpy(dtype=object)
    origin = carried.frame[carried.origin_column].to_numpy(dtype=object)
    before = np.array(result.table.codec.decode(result.table.labels), dtype=object)
    rows = np.flatnonzero((labels != before) | (origin != recorded_origin(result.table)))
    texts = np.asarray(result.table.texts, dtype=object)
    return [{"row_id": int(row), "label": labels[row], "origin": origin[row], "text_key": text_key(texts[row])}
            for row in rows if labels[row] is not None]


def run_manifest(labeled_path: str | os.PathLike) -> dict:
    """The manifest.json beside ``labeled_path``, written by the run that wrote it (empty when there is none, or it
    cannot be read). The functions below that read it take it as ``manifest`` too, so a caller reads it once."""
    try:
        manifest = json.loads((Path(labeled_path).parent / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def recorded_decision_labels(labeled_path: str | os.PathLike, table, manifest: dict | None = None) -> pd.DataFrame:
    """The labels the decisions of the run that wrote ``labeled_path`` gave rows (its manifest.json's
    ``labels_from_decisions``; none when it records none), each row checked to hold the same text in ``table``.
    Columns ``row_id``, ``label``, ``origin``."""
    manifest_path = Path(labeled_path).parent / "manifest.json"
    columns = ["row_id", "label", "origin"]
    manifest = run_manifest(labeled_path) if manifest is None else manifest
    decided = _decisions_frame(manifest, required=False)
    if decided is None:
        return pd.DataFrame(columns=columns)
    rows = decided.row_id.to_numpy()
    outside = (rows < 0) | (rows >= len(table))
    texts = np.asarray(table.texts, dtype=object)
    other = outside.copy()
    other[~outside] = [text_key(text) != key for text, key in zip(texts[rows[~outside]], decided.text_key[~outside])]
    if other.any():
        row = int(rows[other][0])
        where = (f"is not a row of {table.source_name} (it has {len(table):,})" if outside[other][0]
                 else f"holds another text in {table.source_name}")
        raise InputError(f"{manifest_path} records {len(decided):,} labels given by decisions in the run that wrote "
                         f"{Path(labeled_path).name} (labeled in the dashboard, named categories), but row {row} "
                         f"{where}: add the labels to the data that run read ({run_reading(labeled_path, manifest).get('name', 'its input')}), "
                         f"or, to leave those decisions out, move {Path(labeled_path).name} away from that manifest.json.")
    return decided[columns]


def decisions_not_recorded(labeled_path: str | os.PathLike, manifest: dict | None = None) -> str | None:
    """Why the labels given by the decisions of the run that wrote ``labeled_path`` cannot be carried, or None: its
    manifest.json records decisions that label rows but no readable ``labels_from_decisions`` (written by an earlier
    version, or edited)."""
    manifest_path = Path(labeled_path).parent / "manifest.json"
    manifest = run_manifest(labeled_path) if manifest is None else manifest
    try:
        labeling = [d for d in manifest.get("decisions") or [] if isinstance(d, dict)
                    and d.get("action") in ROW_ACTIONS + (CLUSTER_NAME_ACTION, MERGE_ACTION)]
    except (TypeError, AttributeError):
        return None
    if not labeling:
        return None
    if _decisions_frame(manifest, required=True) is None:
        return (f"{manifest_path} records {len(labeling)} decision{'s' if len(labeling) != 1 else ''} that label rows "
                "(rows labeled in the dashboard, named categories) but not the labels they give (a folder saved by an "
                "earlier version, or an edited manifest): they are not carried. Save all files again from the "
                "dashboard (Export page) and type into that label_next.csv, or use Run again with my labels.")
    return None


def _decisions_frame(manifest, required: bool) -> pd.DataFrame | None:
    """A manifest's ``labels_from_decisions`` as a frame (row_id, label, origin, text_key); None when unreadable,
    or, if ``required``, missing (a manifest without it records no labels from decisions: empty when not required)."""
    try:
        recorded = manifest["labels_from_decisions"] if required else (manifest.get("labels_from_decisions") or [])
        decided = pd.DataFrame(recorded, columns=["row_id", "label", "origin", "text_key"])
        decided["row_id"] = decided.row_id.astype(np.int64)
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
    return decided


def _kept_in_review(result) -> np.ndarray:
    """Per row: the label check listed it and an ``assign`` decision gave it the very label the data has (the
    researcher looked at the doubtful label and kept it). Only listed rows: labeling a lasso selection gives many
    rows the label they have already, which says nothing of a review of theirs."""
    rows = result.rows
    check = result.label_check
    flagged = set() if check is None or check.empty else set(check.index[check.flagged].tolist())
    decided = {int(r) for d in result.decisions if d.get("action") == "assign" for r in d["row_ids"]} & flagged
    listed = rows.index.isin(list(decided))
    data = np.array(result.table.codec.decode(result.table.labels), dtype=object)
    human = rows.human_label.to_numpy(dtype=object)
    return listed & pd.notna(data) & (human == data)


def new_clusters_to_keep(result, carried: NextRunLabels) -> int | None:
    """The new-cluster count a run on ``carried`` should keep when the data fits it about as well as its
    best (``DiscoveryConfig.preferred_n_new_clusters``): this run's estimated count, less the categories
    named in it, which the next run knows as classes: candidates named, and candidates whose every row was given
    a label no class has by hand (on the Map; ``add-labels`` counts those typed for half a candidate's rows:
    helper 98), each name once. None when this run's count was given, not estimated."""
    clustering = getattr(result, "clustering", None) or {}
    estimate = clustering.get("estimate")
    if clustering.get("n_new_clusters_given") or not estimate:
        return None
    known = {spelling_key(name) for name in result.table.codec.names}
    named = {spelling_key(name) for name in carried.named_rows} - known
    clusters, rows = result.clusters, result.rows
    if "cluster_status" in clusters:
        for cluster in clusters.index[clusters.cluster_status == LABELED_BY_HAND_STATUS]:
            given = rows.human_label[rows.cluster_id == cluster].dropna().astype(str)
            if len(given):
                label = spelling_key(given.value_counts().index[0])
                named |= {label} - known
    return max(0, int(estimate["n_new"]) - len(named))


def new_clusters_to_keep_after(labeled_path: str | os.PathLike, carried: NextRunLabels, table,
                               manifest: dict | None = None, labeled=None) -> int | None:
    """``new_clusters_to_keep`` for ``discovery add-labels``: the new-cluster count the run that wrote
    ``labeled_path`` estimated (its manifest.json), less the categories named in its decisions (as
    ``new_clusters_to_keep``: a label typed for a few rows is no category found) and those named by typing a label
    no class has for at least half of an open candidate's rows (``labeled``, the file as read: a proposed_labels
    export says each row's cluster; helper 89), each name once. None when that run was given its count, or no
    manifest says."""
    try:
        clustering = (run_manifest(labeled_path) if manifest is None else manifest)["clustering"]
        if clustering.get("n_new_clusters_given") or not clustering.get("estimate"):
            return None
        estimated = int(clustering["estimate"]["n_new"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    known = {spelling_key(name) for name in table.codec.names}
    frame = carried.frame
    named = {spelling_key(label) for label, origin in zip(frame[carried.label_column], frame[carried.origin_column])
             if origin == ORIGIN_NAMED and label is not None} - known
    return max(0, estimated - len(named | _candidates_named_by_typing(labeled, carried, table, known)))


def _candidates_named_by_typing(labeled, carried: NextRunLabels, table, known: set) -> set:
    """The spelling keys of the new labels that name open candidates of the run that wrote ``labeled`` (a
    proposed_labels export: its ``earlier_proposals`` hold each row's ``cluster_id`` and ``cluster_status``): a
    candidate at least half of whose rows, unlabeled in ``table``, are labeled now with labels no class of
    ``known`` (spelling keys) has is named by the most common of them, which the next run knows as a class. A label
    typed for a few of its rows is no category found (``new_clusters_to_keep``), and two candidates typed with one
    label are one category."""
    proposals = None if labeled is None else labeled.earlier_proposals
    if proposals is None or "row_id" not in labeled.frame.columns:
        return set()
    cluster, status = _run_column(proposals, "cluster_id"), _run_column(proposals, "cluster_status")
    if cluster is None or status is None:
        return set()
    rows = pd.DataFrame({"row": pd.to_numeric(labeled.frame["row_id"], errors="coerce").to_numpy(),
                         "cluster": proposals[cluster].to_numpy(),
                         "open": proposals[status].astype(str).to_numpy() == CANDIDATE})
    rows = rows[rows.open & rows.row.between(0, len(carried.frame) - 1)]
    at = rows.row.astype(int).to_numpy()
    label = carried.frame[carried.label_column].to_numpy(dtype=object)[at]
    unlabeled = np.asarray(table.labels)[at] < 0
    new = [key if lab is not None and free and (key := spelling_key(lab)) not in known else None
           for lab, free in zip(label, unlabeled)]
    rows = rows.assign(new=new)
    found = set()
    for _, cluster in rows.groupby("cluster"):
        typed = cluster.new.dropna()
        if len(typed) * 2 >= len(cluster):
            found.add(typed.value_counts().index[0])
    return found


def _run_column(proposals: pd.DataFrame, name: str) -> str | None:
    """The run's column ``name`` among an export's ``earlier_proposals`` (``name_discovery`` beside one of the user's
    own: the last of them), or None."""
    columns = [c for c in proposals.columns if str(c).startswith(name)]
    return columns[-1] if columns else None


def _with_labels(table, labels: np.ndarray, origin: np.ndarray, assigned_rows: int, named_rows: dict,
                 not_carried: tuple, relabeled: tuple = ()) -> NextRunLabels:
    frame = table.frame.copy().rename_axis(None)  # rows by position, as a frame run on again reads them
    label_column = table.label_column or free_column_name(frame.columns, "label")
    origin_column = table.origin_column or free_column_name(frame.columns, ORIGIN_COLUMN)
    frame[label_column] = pd.Series([None if pd.isna(v) else str(v) for v in labels], index=frame.index,
                                    dtype=object)
    frame[origin_column] = pd.Series(origin, index=frame.index, dtype=object)
    return NextRunLabels(frame=frame, text_column=table.text_column, label_column=label_column,
                         origin_column=origin_column, assigned_rows=assigned_rows, named_rows=named_rows,
                         not_carried=not_carried, relabeled=relabeled)


# what pandas' read_csv reads as missing by default: a text "NA" or "None" comes back blank from a file it re-saved
READ_AS_MISSING = frozenset({"#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                             "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})
SPREADSHEET_CELL_LIMIT = 32_767  # Excel keeps at most this many characters of a cell
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)$")  # no exponent: 1e3 is no spreadsheet's 1000


def _same_text(text: str, copy: str) -> bool:
    """Equal, or equal once the ``'`` our CSV files put before a spreadsheet formula is taken off, or once runs of
    spaces and line breaks are made one space (spreadsheets trim cells and rewrite line breaks), or as the programs
    that re-save a file change a text: a blank for ``NA`` (pandas), a cell cut at 32,767 characters, ``7`` for
    ``007`` (spreadsheets). Helper 110: each refused the whole file as "written for another file"."""
    if copy == text or (copy != without_formula_quote(copy) and without_formula_quote(copy) == text):
        return True
    copy = without_formula_quote(copy)
    if " ".join(copy.split()) == " ".join(text.split()):
        return True
    if not copy.strip():
        return text.strip() in READ_AS_MISSING
    if SPREADSHEET_CELL_LIMIT in (len(copy), len(copy.encode("utf-16-le")) // 2):  # Excel counts UTF-16 units
        return text.startswith(copy)
    # exact, as decimals: 12345678901234567 and ...568 are one float (review 115)
    return bool(_NUMBER.match(text.strip()) and _NUMBER.match(copy.strip())) and Decimal(text) == Decimal(copy)


def add_labels(table, labeled, source_name: str | None = None,
               unlabeled_marker: str | None = None, drawn_at_random: bool = False,
               decided: pd.DataFrame | None = None) -> NextRunLabels:
    """Fold labels given in a copy of some rows (``label_next.csv`` with its label column filled in) into
    ``table``: each row is found by its ``row_id`` and must still hold the same text; a blank label (or the
    ``unlabeled_marker``, also as a spreadsheet escapes it: ``'-1``) leaves the row as it was. A label typed
    with another case, spacing or leading zeros than one of the data's takes the data's spelling. Those rows count as
    labeled in review, like labels given in the dashboard; in a proposed_labels export, a label typed as the very
    proposal it shows for its row (proposals copied into the label column to accept them) counts as an accepted
    proposal (``ORIGIN_ACCEPTED``), never held out either, and recorded as the tool's guess it is.

    ``labeled``: a ``LabeledTable`` read with the same text and label columns as ``table``.
    ``drawn_at_random``: the rows were picked at random (not from label_next.csv, where the proposals were
    unsure), so their labels count as the data's and may be held out to estimate the fill-in's accuracy.
    ``decided``: labels the run's decisions gave rows (``recorded_decision_labels``), folded in first with the
    origin they were given; a label typed for the same row replaces its decision's.
    """
    frame = labeled.frame
    source_name = source_name or labeled.source_name
    if "row_id" not in frame.columns:
        raise InputError(f"{source_name}: no 'row_id' column; label the rows in the label_next.csv that "
                         "`discovery run` wrote (it keeps each row's id) and pass that file.")
    if labeled.label_column is None:
        columns = ", ".join(repr(str(c)) for c in frame.columns[:12])
        raise InputError(f"{source_name}: no {table.label_column or 'label'!r} column (its columns: {columns}); "
                         f"rename the column holding the labels you typed to {table.label_column or 'label'!r}, "
                         f"the label column of {table.source_name}.")
    typed = np.array([None if label is None else without_formula_quote(label)
                      for label in labeled.codec.decode(labeled.labels)], dtype=object)
    marker = None if unlabeled_marker is None else spelling_key(unlabeled_marker)
    given = np.array([label is not None and spelling_key(label) != marker for label in typed], dtype=bool)
    data_labels = np.array(table.codec.decode(table.labels), dtype=object)
    data_origin = recorded_origin(table)
    labels, origin = data_labels.copy(), data_origin.copy()
    decided_rows = np.zeros(0, dtype=np.int64)
    if decided is not None and len(decided):
        rows = decided.row_id.to_numpy(dtype=np.int64)
        moved = (labels[rows] != decided.label.to_numpy(dtype=object)) | (origin[rows] != decided.origin.to_numpy(dtype=object))
        decided_rows = rows[moved]
        labels[rows], origin[rows] = decided.label.to_numpy(dtype=object), decided.origin.to_numpy(dtype=object)
    if not given.any() and len(decided_rows):
        return dataclasses.replace(_with_labels(table, labels, origin, 0, {}, ()),
                                   from_decisions=len(decided_rows))
    if not given.any():
        raise InputError(f"{source_name}: no row of its {labeled.label_column or 'label'!r} column is filled in; "
                         "type a label for the rows you want to add, then run this again.")
    ids = pd.to_numeric(frame["row_id"].astype(object).where(frame["row_id"].notna(), None), errors="coerce")
    not_ids = given & ~(ids.notna() & (ids % 1 == 0)).to_numpy()  # 124.0, as spreadsheets write it, is row 124
    if not_ids.any():
        first = int(np.flatnonzero(not_ids)[0])
        value = frame["row_id"].iloc[first]
        raise InputError(f"{source_name}: the row with the text {_short(labeled.texts[first])!r} has the row_id "
                         f"{'(blank)' if pd.isna(value) or not str(value).strip() else repr(value)}, not a row number; copy its row_id from "
                         "label_next.csv or proposed_labels.csv.")
    row_ids = ids.to_numpy()[given].astype(np.int64)
    outside = (row_ids < 0) | (row_ids >= len(table))
    if outside.any():
        raise InputError(f"{source_name}: row_id {int(row_ids[outside][0])} is not a row of {table.source_name} "
                         f"(it has {len(table):,} rows); was it written for another file?")
    texts = np.asarray(table.texts, dtype=object)[row_ids]
    other = np.array([not _same_text(text, copy) for text, copy in
                      zip(texts, np.asarray(labeled.texts, dtype=object)[given])], dtype=bool)
    if other.any():
        own_ids = ("; row_id is the tool's row number (from 0, as label_next.csv writes it), not the data's own "
                   "row_id column (the tool's files keep that one as row_id_input)" if "row_id" in table.frame.columns else "")
        raise InputError(f"{source_name}: row {int(row_ids[other][0])} holds another text than in "
                         f"{table.source_name}; was it written for another file or another text column{own_ids}, or "
                         "is one of the two read in the wrong encoding (--encoding, --labeled-encoding)?")
    spelling = {spelling_key(name): name for name in table.codec.names}
    new = np.array([spelling.get(spelling_key(label), label) for label in typed[given]], dtype=object)
    respelled = tuple(sorted({(str(a), str(b)) for a, b in zip(typed[given], new) if str(a).strip() != str(b)}))
    shown_proposals = _proposals_shown(labeled, given, row_ids)
    row_ids, new = _one_label_a_row(row_ids, new, source_name)
    changed = row_ids[data_labels[row_ids] != new]  # typed labels are set against the data's, a decision's aside
    unchanged = row_ids[data_labels[row_ids] == new]
    relabeled = tuple((int(row), data_labels[row], label) for row, label in zip(row_ids, new)
                      if data_labels[row] is not None and data_labels[row] != label)
    labels[row_ids] = new
    origin[unchanged] = data_origin[unchanged]  # typed as the data has it: a decision's other label is undone
    origin[changed] = ORIGIN_DATA if drawn_at_random else ORIGIN_ASSIGNED
    changed_rows = set(changed.tolist())
    accepted = np.array([row for row, label in zip(row_ids, new) if row in changed_rows
                         and row in shown_proposals and spelling_key(label) == shown_proposals[row]], dtype=np.int64)
    if not drawn_at_random:  # drawn at random they are the data's, as asked: the CLI warns (refuses from 100)
        origin[accepted] = ORIGIN_ACCEPTED
    kept = np.zeros(0, dtype=np.int64)
    if any(str(column).startswith(CHECK_COLUMN) for column in frame.columns) and not drawn_at_random:
        kept = unchanged  # labels_to_check.csv: a doubtful label left as it was is kept
        origin[kept] = ORIGIN_KEPT
    confirmed = np.zeros(0, dtype=np.int64)
    if labeled.earlier_proposals is None:
        # an accepted proposal typed again where no proposal stands beside it (label_next.csv, labels_to_check.csv)
        # was read: labeled in review (kept in review would make the tool's guess a random draw, held out)
        confirmed = unchanged[data_origin[unchanged] == ORIGIN_ACCEPTED]
        origin[confirmed] = ORIGIN_ASSIGNED
    listed = ~given & (ids.notna() & (ids % 1 == 0) & (ids >= 0) & (ids < len(table))).to_numpy()
    labeled_here = set(row_ids.tolist())
    blanked = tuple(int(row) for row in np.unique(ids.to_numpy()[listed].astype(np.int64))
                    if data_labels[row] is not None and row not in labeled_here)
    return dataclasses.replace(_with_labels(table, labels, origin, len(changed), {}, (), relabeled), blanked=blanked,
                               kept_rows=len(kept), respelled=respelled, accepted_rows=len(accepted),
                               confirmed_rows=len(np.setdiff1d(confirmed, kept)),
                               from_decisions=len(np.setdiff1d(decided_rows, row_ids)))


def _proposals_shown(labeled, given: np.ndarray, row_ids: np.ndarray) -> dict:
    """Row id -> the spelling key of the proposal ``labeled`` shows beside each typed label, when it is a
    proposed_labels export (its ``earlier_proposals``; the run's ``proposed_label``, ``proposed_label_discovery``
    beside one of the user's own). Empty for other files: a proposal confirmed in label_next.csv was read."""
    proposals = labeled.earlier_proposals
    column = None if proposals is None else _run_column(proposals, "proposed_label")
    if column is None:
        return {}
    shown = proposals[column].to_numpy(dtype=object)[given]
    return {int(row): spelling_key(without_formula_quote(str(p))) for row, p in zip(row_ids, shown) if _cell(p)}


def _one_label_a_row(row_ids: np.ndarray, labels: np.ndarray, source_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Each row once; a row listed twice with two labels is refused (which one was meant cannot be told)."""
    frame = pd.DataFrame({"row": row_ids, "label": labels})
    conflicts = frame.groupby("row").label.nunique()
    conflicts = conflicts[conflicts > 1]
    if len(conflicts):
        row = int(conflicts.index[0])
        both = " and ".join(repr(v) for v in frame.label[frame.row == row].unique()[:2])
        raise InputError(f"{source_name}: row_id {row} is listed {int((frame.row == row).sum())} times with the "
                         f"labels {both}; keep one line per row and run this again.")
    frame = frame.drop_duplicates("row")
    return frame.row.to_numpy(), frame.label.to_numpy(dtype=object)


def _short(text, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def run_reading(labeled_path: str | os.PathLike, manifest: dict | None = None) -> dict:
    """How the run that wrote ``labeled_path`` read its data: the ``input`` record of the manifest.json beside
    it (empty when there is none, or it cannot be read)."""
    read = (run_manifest(labeled_path) if manifest is None else manifest).get("input")
    return read if isinstance(read, dict) else {}


CORRECTABLE = ("proposed_label", "accepted")  # what a run proposed: add-labels reads the label column only


def edited_proposals(labeled_path: str | os.PathLike, labeled, manifest: dict | None = None) -> list[int]:
    """Row ids whose ``proposed_label`` or ``accepted`` in ``labeled`` (the file as read: its
    ``earlier_proposals``) differ from what the run that wrote it proposed, as the untouched copies beside it say
    (proposed_labels.parquet, .jsonl or .csv whose SHA-256 the manifest.json records). A researcher who corrects
    proposals there expects them taken in, while labels come from the label column only; empty when there is
    nothing to compare with."""
    from .io import file_sha256, read_table

    path, edited_file = Path(labeled_path), labeled.earlier_proposals
    columns = [c for c in CORRECTABLE if edited_file is not None and c in edited_file.columns]
    if not columns or "row_id" not in labeled.frame.columns:
        return []
    written = (run_manifest(labeled_path) if manifest is None else manifest).get("written_files")
    if not isinstance(written, dict):
        return []
    for name in ("proposed_labels.parquet", "proposed_labels.jsonl", "proposed_labels.csv"):
        original = path.parent / name
        try:
            if original.resolve() == path.resolve() or written.get(name) != file_sha256(original):
                continue
            table = read_table(original, text_column=labeled.text_column, label_column=labeled.label_column)
            proposed = table.earlier_proposals.assign(row_id=table.frame["row_id"].to_numpy())
            proposed = proposed.assign(row_id=pd.to_numeric(proposed.row_id)).set_index("row_id")[columns]
        except (OSError, ValueError, KeyError, TypeError, AttributeError, InputError):
            continue
        ids = pd.to_numeric(labeled.frame["row_id"], errors="coerce").to_numpy()
        known = np.isin(ids, proposed.index)
        edited = np.zeros(int(known.sum()), dtype=bool)
        for column in columns:
            now, then = edited_file[column].to_numpy()[known], proposed.loc[ids[known], column].to_numpy()
            edited |= np.array([_cell(a) != _cell(b) for a, b in zip(now, then)], dtype=bool)
        return sorted({int(row) for row in ids[known][edited]})
    return []


def _cell(value) -> str:
    """A cell as text to compare: a spreadsheet writes True as TRUE, and may pad a label with spaces."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value).strip().lower()


def review_labels_left_behind(labeled_path: str | os.PathLike, table, labeled=None, read: dict | None = None) -> str | None:
    """Why adding the labels of ``labeled_path`` to ``table`` would drop labels given in an earlier round, or None.

    A label_next.csv (or proposed_labels.csv) written by a run on a reviewed copy (``discovery add-labels``'s
    output) lists the rows to label next, not the rows labeled before: added to the original data instead of
    that copy, those earlier labels and corrections are silently gone. Two signs: the file carries the copy's
    ``label_origin`` column (``labeled``, the file as read) while ``table`` has none, or the run's manifest.json
    beside it read other bytes with as many rows and more labeled rows, or more labeled in review (``read``: its
    ``run_reading``, when the caller has it)."""
    name, where = None, None
    read = run_reading(labeled_path) if read is None else read
    run_column = read.get("label_column") or DEFAULT_LABEL_COLUMN
    if table.label_column is None and isinstance(read.get("labeled_rows"), int) and read["labeled_rows"] > 0:
        return (f"{table.source_name} has no label column {run_column!r}, which the run that wrote {labeled_path} read "
                f"{read['labeled_rows']:,} labels from: give the data's label column with --label-col (the review "
                "file's is read as that run wrote it), or add the labels to the file that run read.")
    if labeled is not None and labeled.origin_column is not None and table.origin_column is None:
        where = f"its {labeled.origin_column!r} column"
    manifest_path = Path(labeled_path).parent / "manifest.json"
    try:
        name = str(read["name"])
        if (read["sha256"] != table.data_hash and int(read["rows"]) == len(table)
                and (int(read["labeled_rows"]) > table.n_labeled
                     or int(read.get("labeled_in_review", 0)) > int(np.sum(table.labeled_in_review)))):
            where = f"says {manifest_path}"
    except (ValueError, KeyError, TypeError):  # no manifest, or one without these fields
        pass
    if where is None:
        return None
    copy = name or "the reviewed copy (the --out of the earlier discovery add-labels)"
    other_run = ("move it away from that manifest.json" if where.startswith("says ")
                 else f"drop its {labeled.origin_column!r} column")
    return (f"{labeled_path} was written by a run on {copy} ({where}), which holds labels given in an earlier "
            f"round that {table.source_name} does not: added to {table.source_name} they would be lost. Add the "
            f"labels to that copy instead (discovery add-labels COPY {labeled_path} --out ...), or, if the file "
            f"belongs to another run, {other_run}.")


ADVICE_KEY = "label_discovery.keep_new_clusters"  # in a copy's Parquet metadata: the new-cluster count advised for it


def next_run_file(labels: NextRunLabels, keep_new_clusters: int | None = None) -> bytes:
    """The table to run again on, as Parquet (types and texts kept exactly; every reader of the tool opens it).
    ``keep_new_clusters``: the count of new clusters advised for the run on it (``new_clusters_to_keep``), kept in
    the file itself, so the run that opens it (``discovery run``, the dashboard) keeps that count wherever the file
    is moved (``advised_new_clusters``)."""
    from .export import to_parquet_bytes

    notes = None if keep_new_clusters is None else {ADVICE_KEY: str(int(keep_new_clusters))}
    try:
        return to_parquet_bytes(labels.frame, notes)  # a column mixing numbers and texts is written as texts
    except (ValueError, TypeError, ImportError) as exc:
        raise InputError(f"the table cannot be written for the next run ({exc}); export the labels instead "
                         "and add them to your file.") from exc


def advised_new_clusters(path: str | os.PathLike) -> int | None:
    """The new-cluster count ``add-labels`` (or the dashboard's *Run again with my labels*) advised for the copy at
    ``path`` (``next_run_file``); None for any other file, or one that cannot be read as Parquet."""
    if Path(path).suffix.lower() not in (".parquet", ".pq"):
        return None
    try:
        import pyarrow.parquet as pq

        value = (pq.read_schema(path).metadata or {}).get(ADVICE_KEY.encode())
        count = None if value is None else int(value)
    except (OSError, ValueError, ImportError):  # pyarrow's ArrowInvalid is a ValueError
        return None
    return count if count is not None and count >= 0 else None
