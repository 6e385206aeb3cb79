"""Which unlabeled rows to label next: where the fill-in is least sure and its methods disagree.

Labels the researcher adds where the proposals are weakest teach the fill-in more than labels on
rows it already gets right. Each fill-in method (kNN, propagation, classifier, blend, balanced)
votes a label for every row; a row scores by how many of them disagree with its proposal plus how
unsure the proposal is (query by committee with uncertainty sampling), and the picks are spread over
the proposed classes so that one confusable pair does not take the whole batch. Rows of candidate
clusters are left out (they are named as a group on the candidates page), as are rows of a cluster the
researcher named (its name is their proposal, which no method votes for).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .errors import InputError
from .result import CANDIDATE_SOURCE, CLUSTER, HUMAN, Discovery, empty_text_rows

LABEL_SUFFIX, CONFIDENCE_SUFFIX = "_label", "_confidence"


def labels_in_one_cell(labels) -> str:
    """``labels`` joined by ``, ``, a label holding a comma, a double quote or outer spaces in double quotes as CSV
    quotes a field, so ``csv.reader([cell], skipinitialspace=True)`` gives them back: joined plainly,
    ``billing, refund, 007`` could not be split where ``billing, refund`` is one label (helper 110)."""
    return ", ".join(f'"{label.replace(chr(34), 2 * chr(34))}"' if ("," in label or '"' in label
                                                                   or label != label.strip()) else label
                     for label in map(str, labels))


def committee(rows: pd.DataFrame) -> list[str]:
    """The fill-in methods whose labels the rows hold (each has ``<method>_label`` and ``<method>_confidence``)."""
    return [column[:-len(LABEL_SUFFIX)] for column in rows.columns
            if column.endswith(LABEL_SUFFIX) and f"{column[:-len(LABEL_SUFFIX)]}{CONFIDENCE_SUFFIX}" in rows.columns]


def rows_to_label_next(result: Discovery, n: int = 50, per_class: int | None = None) -> pd.DataFrame:
    """The ``n`` unlabeled rows whose labels would help the fill-in most, most useful first.

    ``per_class``: at most this many picks per proposed label (default: twice an even share of
    ``n``, at least 2). A text held by several rows is picked once (its copies share one proposal).
    Returns one row per pick, indexed by row id: text, proposed label and confidence, ``disagreement`` (share of the fill-in methods proposing another label), the
    other labels proposed (``alternatives``), cluster id and a one-line ``reason``.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise InputError(f"the number of rows to suggest must be a whole number, 0 for none (got {n!r}).")
    if per_class is not None and (isinstance(per_class, bool) or not isinstance(per_class, (int, np.integer))
                                  or per_class < 1):  # 0 gave an empty table without a word (helper 112)
        raise InputError(f"per_class, the most rows to suggest for one proposed label, must be a whole number of at "
                         f"least 1, or None for twice an even share (got {per_class!r}).")
    rows = result.rows
    methods = committee(rows)
    open_rows = rows[~rows.label_source.isin([HUMAN, CANDIDATE_SOURCE, CLUSTER])
                     & ~empty_text_rows(rows)]  # a label for "..." teaches nothing
    columns = ["text", "proposed_label", "confidence", "disagreement", "alternatives", "cluster_id", "reason"]
    if open_rows.empty or not methods or n == 0:  # 0: none, as --label-next 0 (it was refused: helper 124)
        return pd.DataFrame(columns=columns, index=pd.Index([], name=rows.index.name))
    proposed = open_rows.proposed_label.to_numpy(dtype=object)
    votes = np.stack([open_rows[f"{m}{LABEL_SUFFIX}"].to_numpy(dtype=object) for m in methods], axis=1)
    disagreement = (votes != proposed[:, None]).mean(axis=1)
    confidence = open_rows.confidence.to_numpy(dtype=float)
    priority = disagreement + (1 - confidence)
    order = np.argsort(-priority, kind="stable")
    if per_class is None:
        per_class = max(2, math.ceil(2 * n / max(1, len(set(proposed)))))
    texts = open_rows.text.to_numpy(dtype=object)
    copies = pd.Series(texts).value_counts()
    taken: dict = {}
    seen_texts: set = set()
    picks = []
    for i in order:
        if taken.get(proposed[i], 0) >= per_class or texts[i] in seen_texts:  # one row per distinct text
            continue
        taken[proposed[i]] = taken.get(proposed[i], 0) + 1
        seen_texts.add(texts[i])
        picks.append(i)
        if len(picks) == n:
            break
    picks = np.array(picks, dtype=int)
    alternatives = [labels_in_one_cell(dict.fromkeys(v for v in votes[i] if v != proposed[i])) for i in picks]
    reasons = [f"{confidence[i]:.0%} sure of {proposed[i]}" +
               (f"; {sum(v != proposed[i] for v in votes[i])} of {len(votes[i])} fill-in methods propose another "
                f"label ({alt})" if alt else "; the fill-in methods agree")
               + (f"; {copies[texts[i]]} unlabeled rows hold this text" if copies[texts[i]] > 1 else "")
               for i, alt in zip(picks, alternatives)]
    out = open_rows.iloc[picks][["text", "proposed_label", "confidence", "cluster_id"]].copy()
    out["disagreement"] = disagreement[picks]
    out["alternatives"] = alternatives
    out["reason"] = reasons
    return out[columns]
