"""The immutable result of a run, and the researcher's decisions that derive new results.

``Discovery`` holds a per-row table (keyed by ``row_id``) and a per-cluster table.
A decision never mutates a result: ``apply_decision(result, decision)`` returns a
new ``Discovery`` whose rows, clusters and proposed labels are all consistent.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError
from .summarize import CANDIDATE, candidate_name, summarize_clusters

HUMAN, CLUSTER, CANDIDATE_SOURCE = "human", "cluster", "candidate"
SOURCES = (HUMAN, CLUSTER, "knn", "propagation", "classifier", CANDIDATE_SOURCE)


@dataclass(frozen=True)
class Discovery:
    """One run's outcome. ``rows``: one row per input row; ``clusters``: one row per cluster."""

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

    @property
    def candidates(self) -> pd.DataFrame:
        """Candidate new categories still open, largest and tightest first."""
        c = self.clusters[(self.clusters.status == CANDIDATE) & ~self.clusters.dismissed]
        return c.sort_values(["size", "cohesion"], ascending=[False, False], kind="stable")

    def labeled_table(self) -> pd.DataFrame:
        """The user's columns plus the proposed label set, in input order."""
        out = self.table.frame.copy()
        extra = self.rows[["proposed_label", "label_source", "confidence", "cluster_id", "cluster_status"]].copy()
        extra["accepted"] = (self.rows.label_source == HUMAN) | (self.rows.confidence >= self.min_confidence)
        for name in extra.columns:
            column = name if name not in out.columns else f"{name}_discovery"
            out[column] = extra[name].to_numpy()
        return out


def _cohesion(X: np.ndarray, clusters: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Cosine similarity of each row to its cluster's center."""
    return np.einsum("ij,ij->i", X, centers[clusters])


def propose_labels(rows: pd.DataFrame, clusters: pd.DataFrame, fill_method: str | None) -> pd.DataFrame:
    """Apply the labelling rule; returns ``rows`` with proposed_label / label_source / confidence.

    Human labels stay. Unlabeled rows of an open candidate cluster get the
    candidate's name; other unlabeled rows get the best fill-in method's label
    (or their cluster's label when no fill-in ran). Noise rows keep half confidence.
    """
    rows = rows.copy()
    status = clusters.status.reindex(rows.cluster_id).to_numpy()
    dismissed = clusters.dismissed.reindex(rows.cluster_id).to_numpy()
    names = clusters.display_name.reindex(rows.cluster_id).to_numpy()
    majority = clusters.majority_label.reindex(rows.cluster_id).to_numpy()
    in_candidate = (status == CANDIDATE) & ~dismissed
    rows["cluster_status"] = np.where(dismissed, "dismissed", status)
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
    use_cluster = renamed & ~in_candidate & (fill_method is not None)
    fill_label = np.where(use_cluster, names, fill_label)
    source = np.where(use_cluster, CLUSTER, source)
    candidate_conf = (1 - fill_conf) if fill_method is not None else rows.cohesion.clip(0, 1).to_numpy(dtype=float)
    proposed = np.where(in_candidate, names, fill_label)
    label_source = np.where(in_candidate, CANDIDATE_SOURCE, source)
    confidence = np.where(in_candidate, candidate_conf, fill_conf)
    confidence = np.where(rows.was_noise.to_numpy(), confidence * 0.5, confidence)
    rows["proposed_label"] = np.where(human, rows.human_label.to_numpy(dtype=object), proposed)
    rows["label_source"] = np.where(human, HUMAN, label_source)
    rows["confidence"] = np.round(np.where(human, 1.0, confidence).astype(float), 6)
    return rows


def _decorate_clusters(summary: pd.DataFrame, cohesion: np.ndarray, clusters: np.ndarray,
                       names: dict | None = None, dismissed: set | None = None) -> pd.DataFrame:
    summary = summary.copy()
    names, dismissed = names or {}, dismissed or set()
    mean_cohesion = pd.Series(cohesion).groupby(clusters).mean()
    summary["cohesion"] = mean_cohesion.reindex(summary.index).to_numpy()
    summary["name"] = [names.get(int(c)) for c in summary.index]
    summary["renamed"] = summary["name"].notna()
    summary["dismissed"] = [int(c) in dismissed for c in summary.index]
    default = [m if s != CANDIDATE and m is not None else candidate_name(int(c), k)
               for c, s, m, k in zip(summary.index, summary.status, summary.majority_label, summary.keywords)]
    summary["display_name"] = [n if n is not None else d for n, d in zip(summary["name"], default)]
    return summary


def build_rows(table, clusters: np.ndarray, noise_mask: np.ndarray, summary: pd.DataFrame, fill, coords: np.ndarray,
               embeddings: np.ndarray | None = None, centers: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-row table (proposals applied) and the decorated cluster table."""
    names = table.codec.names
    rows = pd.DataFrame(index=table.frame.index)
    rows["text"] = table.texts
    rows["human_label"] = pd.Series(table.codec.decode(table.labels), index=rows.index, dtype=object)
    rows["cluster_id"] = clusters.astype(np.int64)
    rows["was_noise"] = noise_mask
    cohesion = _cohesion(embeddings, clusters, centers) if embeddings is not None else np.ones(len(rows))
    rows["cohesion"] = cohesion
    for method, dist in fill.distributions.items():
        rows[f"{method}_label"] = np.array(names, dtype=object)[dist.argmax(1)]
        rows[f"{method}_confidence"] = dist.max(1)
    rows["x"], rows["y"] = coords[:, 0], coords[:, 1]
    decorated = _decorate_clusters(summary, cohesion, clusters)
    return propose_labels(rows, decorated, fill.best), decorated


# ---- decisions -------------------------------------------------------------------------------

def _with(result: Discovery, decision: dict, **changes) -> Discovery:
    return dataclasses.replace(result, decisions=result.decisions + (decision,), **changes)


def _require_clusters(result: Discovery, ids) -> None:
    missing = [int(i) for i in ids if int(i) not in result.clusters.index]
    if missing:
        raise InputError(f"cluster {missing[0]} does not exist in this result; pick one of the listed clusters.")


def name_cluster(result: Discovery, cluster_id: int, name: str) -> Discovery:
    """Give a cluster a name; a named candidate's rows take the name as their new label."""
    name = str(name).strip()
    if not name:
        raise InputError("a cluster name cannot be empty; type a name.")
    _require_clusters(result, [cluster_id])
    clusters = result.clusters.copy()
    clusters.loc[cluster_id, ["name", "display_name", "renamed", "dismissed"]] = [name, name, True, False]
    rows = propose_labels(result.rows, clusters, result.fill_method)
    return _with(result, {"action": "name", "cluster_id": int(cluster_id), "name": name}, rows=rows, clusters=clusters)


def dismiss_candidate(result: Discovery, cluster_id: int) -> Discovery:
    """Not a new category: the cluster's unlabeled rows fall back to the fill-in labels."""
    _require_clusters(result, [cluster_id])
    clusters = result.clusters.copy()
    clusters.loc[cluster_id, "dismissed"] = True
    rows = propose_labels(result.rows, clusters, result.fill_method)
    return _with(result, {"action": "dismiss", "cluster_id": int(cluster_id)}, rows=rows, clusters=clusters)


def merge_clusters(result: Discovery, cluster_ids, into: int | None = None) -> Discovery:
    """Merge clusters into ``into`` (default: the first); the merged cluster is summarized afresh."""
    ids = [int(c) for c in cluster_ids]
    if len(set(ids)) < 2:
        raise InputError("pick at least two different clusters to merge.")
    _require_clusters(result, ids)
    target = int(into) if into is not None else ids[0]
    rows = result.rows.copy()
    rows.loc[rows.cluster_id.isin(ids), "cluster_id"] = target
    clusters_arr = rows.cluster_id.to_numpy()
    table = result.table
    summary = summarize_clusters(table.texts, result.embeddings, clusters_arr, table.labels, table.codec,
                                 row_ids=table.row_ids)
    from sklearn.preprocessing import normalize

    centers = result.cluster_centers.copy()
    members = clusters_arr == target
    centers[target] = normalize(result.embeddings[members].mean(0, keepdims=True))[0]
    rows["cohesion"] = _cohesion(result.embeddings, clusters_arr, centers)
    old = result.clusters
    names = {int(c): n for c, n in old["name"].items() if n is not None and int(c) in summary.index}
    dismissed = {int(c) for c, d in old.dismissed.items() if d and int(c) in summary.index}
    clusters = _decorate_clusters(summary, rows.cohesion.to_numpy(), clusters_arr, names, dismissed)
    rows = propose_labels(rows, clusters, result.fill_method)
    return _with(result, {"action": "merge", "cluster_ids": ids, "into": target}, rows=rows, clusters=clusters,
                 cluster_centers=centers)


def assign_label(result: Discovery, row_ids, label: str) -> Discovery:
    """The researcher labels rows by hand (e.g. a lasso selection): they become human labels."""
    label = str(label).strip()
    if not label:
        raise InputError("a label cannot be empty; type a label.")
    ids = [int(r) for r in row_ids]
    unknown = [r for r in ids if r not in result.rows.index]
    if unknown:
        raise InputError(f"row {unknown[0]} does not exist in this data.")
    rows = result.rows.copy()
    rows.loc[ids, "human_label"] = label
    rows = propose_labels(rows, result.clusters, result.fill_method)
    return _with(result, {"action": "assign", "row_ids": ids, "label": label}, rows=rows)


def set_min_confidence(result: Discovery, threshold: float) -> Discovery:
    """Proposals at or above this confidence count as accepted in the export."""
    threshold = float(threshold)
    if not 0.0 <= threshold <= 1.0:
        raise InputError("the confidence threshold must lie between 0 and 1.")
    return _with(result, {"action": "threshold", "value": threshold}, min_confidence=threshold)


ACTIONS = {
    "name": lambda r, d: name_cluster(r, d["cluster_id"], d["name"]),
    "dismiss": lambda r, d: dismiss_candidate(r, d["cluster_id"]),
    "merge": lambda r, d: merge_clusters(r, d["cluster_ids"], d.get("into")),
    "assign": lambda r, d: assign_label(r, d["row_ids"], d["label"]),
    "threshold": lambda r, d: set_min_confidence(r, d["value"]),
}


def apply_decision(result: Discovery, decision: dict) -> Discovery:
    """Apply one decision given as a plain dict (the form stored in a workspace)."""
    action = decision.get("action")
    if action not in ACTIONS:
        raise InputError(f"unknown decision {action!r}; expected one of {', '.join(ACTIONS)}.")
    return ACTIONS[action](result, decision)


def replay(result: Discovery, decisions) -> Discovery:
    """Apply stored decisions in order, skipping (and reporting) any that no longer fit this result."""
    skipped = []
    for decision in decisions:
        try:
            result = apply_decision(result, decision)
        except (InputError, KeyError, TypeError, ValueError) as exc:
            skipped.append((decision, str(exc)))
    return dataclasses.replace(result, skipped_decisions=tuple(skipped)) if skipped else result
