"""Describe each cluster: size, labels, purity, status, keywords (class-based TF-IDF), representatives."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

from .labels import LabelCodec

KNOWN, MIXED, CANDIDATE = "known", "mixed", "candidate"


def class_tfidf_keywords(texts: list[str], clusters: np.ndarray, n_keywords: int = 8) -> dict[int, list[str]]:
    """Top words per cluster by class-based TF-IDF (BERTopic's c-TF-IDF): one document per cluster."""
    ids = np.unique(clusters)
    try:
        vectorizer = CountVectorizer(stop_words="english", ngram_range=(1, 2), min_df=1, max_features=100_000,
                                     token_pattern=r"(?u)\b\w[\w'-]*\w\b|\b\w\b")
        counts = vectorizer.fit_transform(texts)
    except ValueError:  # only stop words or empty texts
        return {int(c): [] for c in ids}
    from scipy.sparse import csr_matrix

    index = {c: i for i, c in enumerate(ids)}
    membership = csr_matrix((np.ones(len(clusters)), ([index[c] for c in clusters], np.arange(len(clusters)))),
                            shape=(len(ids), len(clusters)))
    per_cluster = (membership @ counts).astype(np.float64)
    tf = normalize(per_cluster, norm="l1")
    avg_words = per_cluster.sum() / max(len(ids), 1)
    idf = np.log(1 + avg_words / np.maximum(np.asarray(per_cluster.sum(0)).ravel(), 1e-12))
    scores = tf.multiply(idf).tocsr()
    vocab = vectorizer.get_feature_names_out()
    out = {}
    for i, c in enumerate(ids):
        row = scores.getrow(i)
        top = row.indices[np.argsort(-row.data, kind="stable")[:n_keywords]]
        out[int(c)] = [str(vocab[j]) for j in top]
    return out


def representative_rows(X: np.ndarray, clusters: np.ndarray, n: int = 5) -> dict[int, list[int]]:
    """Positions of the members closest to their cluster's mean direction, most typical first."""
    out = {}
    for c in np.unique(clusters):
        members = np.flatnonzero(clusters == c)
        center = normalize(X[members].mean(0, keepdims=True))[0]
        order = np.argsort(-(X[members] @ center), kind="stable")
        out[int(c)] = members[order[:n]].tolist()
    return out


def cluster_status(n_labeled: int, size: int, purity: float, labeled_share_overall: float,
                   candidate_share: float = 0.1, mixed_purity: float = 0.8) -> str:
    """``candidate`` when (almost) no members are labeled, ``mixed`` when labels disagree, else ``known``."""
    if n_labeled == 0 or n_labeled / size < candidate_share * labeled_share_overall:
        return CANDIDATE
    return MIXED if purity < mixed_purity else KNOWN


def summarize_clusters(texts: list[str], X: np.ndarray, clusters: np.ndarray, labels: np.ndarray, codec: LabelCodec,
                       row_ids: np.ndarray | None = None, n_keywords: int = 8, n_representatives: int = 5) -> pd.DataFrame:
    """One row per cluster, sorted by cluster id; representatives are row ids."""
    row_ids = np.arange(len(texts)) if row_ids is None else np.asarray(row_ids)
    keywords = class_tfidf_keywords(texts, clusters, n_keywords)
    reps = representative_rows(X, clusters, n_representatives)
    labeled_share = float(np.mean(labels >= 0)) if len(labels) else 0.0
    records = []
    for c in np.unique(clusters):
        members = clusters == c
        member_labels = labels[members & (labels >= 0)]
        counts = Counter(codec.names[k] for k in member_labels)
        majority, top = (counts.most_common(1)[0] if counts else (None, 0))
        purity = top / len(member_labels) if len(member_labels) else float("nan")
        size = int(members.sum())
        records.append({
            "cluster_id": int(c), "size": size, "n_labeled": int(len(member_labels)),
            "majority_label": majority, "purity": purity,
            "status": cluster_status(len(member_labels), size, purity, labeled_share),
            "label_counts": dict(counts.most_common()), "keywords": keywords.get(int(c), []),
            "representative_ids": [int(row_ids[i]) for i in reps[int(c)]],
        })
    return pd.DataFrame.from_records(records).set_index("cluster_id", drop=False)


def candidate_name(cluster_id: int, keywords: list[str]) -> str:
    """Default proposed label for a candidate cluster until the researcher names it."""
    words = ", ".join(keywords[:3]) if keywords else "no keywords"
    return f"new {cluster_id}: {words}"
