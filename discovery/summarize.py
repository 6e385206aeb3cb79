"""Describe each cluster: size, labels, purity, status, keywords (class-based TF-IDF), representatives."""

from __future__ import annotations

import re
import warnings
from collections import Counter

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

from .io import MARKUP_PATTERN, same_text_ids
from .labels import LabelCodec
from .words import KEYWORD, WORD_CHAR, lower_case, word_vectorizer_options

KNOWN, MIXED, CANDIDATE = "known", "mixed", "candidate"

# Markup that names no category: HTML/XML tags, URLs, e-mail addresses and entities. Left in, e-mails exported as
# HTML gave every cluster the keywords "p", "div", "body", "html", "https" and a candidate the name "card, p, new".
# tags, links, e-mail addresses, entities, and a retweet's mark ("RT @user:", which put 'rt' among every cluster's
# keywords in a helper's tweets; a radiotherapy "RT" is a word and stays)
MARKUP = re.compile(MARKUP_PATTERN + r"|\bRT(?= @\w)")  # @mentions stay: a Java @Autowired is a keyword


def without_markup(text: str) -> str:
    """``text`` lowercased, with ``MARKUP`` taken out (the keywords' reading of a text)."""
    return lower_case(MARKUP.sub(" ", str(text)))


def document_term_counts(texts: list[str], extra_stop_words=()):
    """Word and bigram counts of each text, ``(counts, vocabulary)``; counts are ``None`` when no text has a word.

    English stop words are left out, and ``extra_stop_words`` too (those of the other languages the texts are
    in: ``language.stop_words_for``), and so is markup (``without_markup``); no pair spans a sentence's end. Words are cut as ``words.py`` says
    (any script's combining marks kept; Chinese and Japanese read by ``UnspacedTerms``). Depends on the texts (and their languages) only, so one result and every
    result derived from it can share it.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = word_vectorizer_options(texts, KEYWORD, ENGLISH_STOP_WORDS | set(extra_stop_words), without_markup,
                                    sentences=True)
    try:
        vectorizer = CountVectorizer(min_df=1, max_features=100_000, **words)
        with warnings.catch_warnings():  # a stop word like "l'on" is split by the pattern: it is left out all the same
            warnings.filterwarnings("ignore", message="Your stop_words may be inconsistent")
            counts = vectorizer.fit_transform(texts)
    except ValueError:  # only stop words or empty texts
        return None, np.array([], dtype=object)
    return counts, vectorizer.get_feature_names_out()


# a word that at least SPREAD_MIN_SHARE of the texts of each group hold (a cluster, a labeled class), in all but
# 1 - SPREAD_GROUPS of the groups, and there not under SPREAD_EVENNESS times its median share, tells no group apart
SPREAD_MIN_SHARE = 0.05
SPREAD_GROUPS = 0.8
SPREAD_EVENNESS = 0.5
SPREAD_MIN_GROUPS = 3
# a term one class holds: labeled rows outside that class hold it under ONE_CLASS_OUTSIDE_SHARE times as often as
# all labeled rows, and ONE_CLASS_MIN_ROWS labeled rows at least hold it (one row says nothing of a class)
ONE_CLASS_OUTSIDE_SHARE = 0.5
ONE_CLASS_MIN_ROWS = 5


def _groups(groups: np.ndarray):
    """(the distinct groups, a groups-by-rows membership matrix) of ``groups``, one per row."""
    from scipy.sparse import csr_matrix

    ids = np.unique(groups)
    position = np.searchsorted(ids, groups)
    return ids, csr_matrix((np.ones(len(groups)), (position, np.arange(len(groups)))), shape=(len(ids), len(groups)))


def spread_terms(counts, groups: np.ndarray) -> np.ndarray:
    """Which terms (columns of ``counts``, texts by terms) nearly every group of ``groups`` holds alike (all but
    ``1 - SPREAD_GROUPS`` of them, each in ``SPREAD_MIN_SHARE`` of its texts at least): a greeting, a
    signature's "best regards", a ticket header's "priority" that the boilerplate cut left (a header whose fields
    vary is cut in part). On a helper's two support tables they were among the keywords of 14 of 15 and
    13 of 16 clusters; on the true classes of the four benchmark datasets no word is spread. Fewer than
    ``SPREAD_MIN_GROUPS`` groups: none."""
    ids, membership = _groups(groups)
    if len(ids) < SPREAD_MIN_GROUPS:
        return np.zeros(counts.shape[1], dtype=bool)
    holding = (membership @ (counts > 0).astype(np.float64)).tocsc()
    spread = np.zeros(counts.shape[1], dtype=bool)
    held_widely = np.flatnonzero(np.diff(holding.indptr) >= SPREAD_GROUPS * len(ids))  # the only ones that can be
    if len(held_widely):
        share = holding[:, held_widely].toarray() / np.asarray(membership.sum(1))
        low = np.quantile(share, 1 - SPREAD_GROUPS, axis=0)
        spread[held_widely] = (low >= SPREAD_MIN_SHARE) & (low >= SPREAD_EVENNESS * np.median(share, axis=0))
    return spread


def one_class_terms(counts, labels: np.ndarray) -> np.ndarray:
    """Which terms (columns of ``counts``, labeled texts by terms) one class's texts hold: outside the class with
    the most texts holding a term, under ``ONE_CLASS_OUTSIDE_SHARE`` times the share of every labeled text holding it
    (a class of 80% of a table split into most clusters holds its words in all of them; the other classes do
    not). Counted over every other class together: a class of 5 labeled rows says too little on its own."""
    ids, membership = _groups(labels)
    if len(ids) < 2:
        return np.zeros(counts.shape[1], dtype=bool)
    holding = (membership @ (counts > 0).astype(np.float64)).toarray()
    top = holding.argmax(0)
    sizes = np.asarray(membership.sum(1)).ravel()
    outside = (holding.sum(0) - holding.max(0)) / np.maximum(len(labels) - sizes[top], 1)
    return (holding.sum(0) >= ONE_CLASS_MIN_ROWS) & (outside < ONE_CLASS_OUTSIDE_SHARE * holding.sum(0) / len(labels))


def keywords_from_counts(term_counts, clusters: np.ndarray, n_keywords: int = 8,
                         labels: np.ndarray | None = None) -> dict[int, list[str]]:
    """Class-based TF-IDF keywords of each cluster from ``document_term_counts``' output, without the terms every
    cluster holds alike (``spread_terms``) unless, with ``labels`` (-1 unlabeled), the labeled rows of one class hold
    it (``one_class_terms``): a class split into most of the clusters (one class 80% of a table) keeps its words."""
    counts, vocab = term_counts
    ids, membership = _groups(clusters)
    if counts is None:
        return {int(c): [] for c in ids}
    spread = spread_terms(counts, clusters)
    if spread.any() and labels is not None:
        labeled, columns = np.flatnonzero(np.asarray(labels) >= 0), np.flatnonzero(spread)
        spread[columns[one_class_terms(counts[labeled][:, columns], np.asarray(labels)[labeled])]] = False
    if spread.any():  # and every pair of words with one of them ("card regards": a question's last word, the sign-off)
        words = {str(term) for term in vocab[spread]}
        spread |= np.array([" " in term and any(part in words for part in term.split(" "))
                            for term in vocab.astype(str)])
    per_cluster = (membership @ counts).astype(np.float64)
    tf = normalize(per_cluster, norm="l1")
    avg_words = per_cluster.sum() / max(len(ids), 1)
    idf = np.log(1 + avg_words / np.maximum(np.asarray(per_cluster.sum(0)).ravel(), 1e-12))
    scores = tf.multiply(idf * ~spread).tocsr()
    scores.eliminate_zeros()
    out = {}
    for i, c in enumerate(ids):
        start, end = scores.indptr[i], scores.indptr[i + 1]
        indices, data = scores.indices[start:end], scores.data[start:end]
        top = indices[np.argsort(-data, kind="stable")[:n_keywords]]
        out[int(c)] = [str(vocab[j]) for j in top]
    return out


def class_tfidf_keywords(texts: list[str], clusters: np.ndarray, n_keywords: int = 8,
                         extra_stop_words=()) -> dict[int, list[str]]:
    """Top words per cluster by class-based TF-IDF (BERTopic's c-TF-IDF): one document per cluster."""
    return keywords_from_counts(document_term_counts(texts, extra_stop_words), clusters, n_keywords)


def representative_rows(X: np.ndarray, clusters: np.ndarray, n: int = 5, only=None) -> dict[int, list[int]]:
    """Positions of the members closest to their cluster's mean direction, most typical first, one per vector:
    copies of a text share one vector, and showed the same example twice (a named candidate lent its name to fewer
    texts). Texts that differ but embed alike (tfidf: the same words in another order) count once too.

    ``only``: the cluster ids to describe (default: all).
    """
    out = {}
    for c in (np.unique(clusters) if only is None else only):
        members = np.flatnonzero(clusters == c)
        center = normalize(X[members].mean(0, keepdims=True))[0]
        order = np.argsort(-(X[members] @ center), kind="stable")
        chosen, seen = [], set()
        for position in members[order]:
            vector = np.asarray(X[position]).tobytes()
            if vector not in seen:
                seen.add(vector)
                chosen.append(int(position))
                if len(chosen) == n:
                    break
        out[int(c)] = chosen
    return out


def cluster_status(n_labeled: int, size: int, purity: float, labeled_share_overall: float,
                   candidate_share: float = 0.1, mixed_purity: float = 0.8) -> str:
    """``candidate`` when (almost) no members are labeled, ``mixed`` when labels disagree, else ``known``."""
    if n_labeled == 0 or n_labeled / size < candidate_share * labeled_share_overall:
        return CANDIDATE
    return MIXED if purity < mixed_purity else KNOWN


HIDDEN_CATEGORY_SHARE = 0.3  # share of a labeled cluster's unlabeled rows beyond its labels that flags it
HIDDEN_CATEGORY_MIN_ROWS = 2  # and at least this many rows (one row is no category, and splitting needs two)
FEW_LABELS_A_CLASS = 3  # under this median of labeled rows a class (or a labeled cluster), labeled shares are chance


def unlabeled_beyond_labels(sizes, n_labeled) -> np.ndarray:
    """Unlabeled members of each cluster beyond what its labeled members predict (0 for clusters without labels).

    When labels were drawn at about the same rate in every class, a class's cluster holds about
    ``n_labeled / share`` rows, ``share`` being the median labeled share of the clusters with labels.
    A cluster holding many more took in rows its labels do not explain: a category nobody has named
    yet, or a class labeled less often than the others. Such rows get the cluster's class from the
    fill-in, with a confidence measured on labeled rows only. On the benchmark draws (five datasets,
    known ratios 0.25-0.75, seeds 0-2; docs/benchmarks.md), 46-63% of the unlabeled rows of clusters where
    these rows were at least ``HIDDEN_CATEGORY_SHARE`` belonged to unnamed classes, against 2-34% in the
    other labeled clusters; with every class of BANKING77 named no cluster reached it.
    """
    sizes = np.asarray(sizes, dtype=float)
    n_labeled = np.asarray(n_labeled, dtype=float)
    has_labels = n_labeled > 0
    if not has_labels.any():
        return np.zeros(len(sizes), dtype=np.int64)
    share = typical_labeled_share(sizes, n_labeled)
    expected_unlabeled = n_labeled / share - n_labeled
    beyond = np.where(has_labels, np.clip(sizes - n_labeled - expected_unlabeled, 0, None), 0.0)
    return np.round(beyond).astype(np.int64)


def typical_labeled_share(sizes, n_labeled) -> float:
    """The median labeled share of the clusters with labels (at least one)."""
    sizes, n_labeled = np.asarray(sizes, dtype=float), np.asarray(n_labeled, dtype=float)
    has_labels = n_labeled > 0
    return float(np.median(n_labeled[has_labels] / sizes[has_labels]))


def may_hide_new_category(summary: pd.DataFrame, sizes=None) -> np.ndarray:
    """Labeled clusters of a summary whose ``unlabeled_beyond_labels`` are at least ``HIDDEN_CATEGORY_SHARE``
    of their unlabeled rows and at least ``HIDDEN_CATEGORY_MIN_ROWS`` (``sizes``: the clusters' sizes to count them
    from; default ``summary["size"]``), and which hold more than one distinct text: 200 copies of one text hide no
    other category, and ``--split-flagged`` could not split them (helper 111). With a median under
    ``FEW_LABELS_A_CLASS`` labeled rows a cluster, its size at the typical labeled share must also predict more than
    one label more than it has: one label against two is chance. No benchmark draw has so few."""
    beyond = summary.unlabeled_beyond_labels.to_numpy()
    sizes = summary["size"].to_numpy() if sizes is None else np.asarray(sizes)
    n_labeled = summary.n_labeled.to_numpy()
    unlabeled = sizes - n_labeled
    distinct = summary["distinct_texts"].to_numpy() if "distinct_texts" in summary else np.full(len(summary), 2)
    flagged = ((summary.status != CANDIDATE).to_numpy() & (beyond >= HIDDEN_CATEGORY_MIN_ROWS)
               & (beyond >= HIDDEN_CATEGORY_SHARE * unlabeled) & (distinct > 1))
    has_labels = n_labeled > 0
    if flagged.any() and np.median(n_labeled[has_labels]) < FEW_LABELS_A_CLASS:
        # a label or two a class: one label against two is chance, not a category hiding (helper 114: 130 of 360
        # single-label classes of a table with no unnamed category were flagged); its size at the typical share must
        # predict more than one label more than it has
        flagged &= sizes * typical_labeled_share(np.maximum(sizes, 1), n_labeled) > n_labeled + 1
    return flagged


def candidate_rows(clusters: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Rows whose cluster ``summarize_clusters`` calls a candidate, without describing the clusters."""
    clusters = np.asarray(clusters)
    labels = np.asarray(labels)
    if len(clusters) == 0:
        return np.zeros(0, dtype=bool)
    sizes = np.bincount(clusters)
    n_labeled = np.bincount(clusters[labels >= 0], minlength=len(sizes))
    labeled_share = float(np.mean(labels >= 0))
    candidate = np.array([size > 0 and cluster_status(int(k), int(size), 1.0, labeled_share) == CANDIDATE
                          for k, size in zip(n_labeled, sizes)])
    return candidate[clusters]


def _describe(c: int, members: np.ndarray, labels: np.ndarray, codec: LabelCodec, labeled_share: float) -> dict:
    member_labels = labels[members & (labels >= 0)]
    counts = Counter(codec.names[k] for k in member_labels)
    majority, top = (counts.most_common(1)[0] if counts else (None, 0))
    purity = top / len(member_labels) if len(member_labels) else float("nan")
    size = int(members.sum())
    return {"cluster_id": int(c), "size": size, "n_labeled": int(len(member_labels)), "majority_label": majority,
            "purity": purity, "status": cluster_status(len(member_labels), size, purity, labeled_share),
            "label_counts": dict(counts.most_common())}


SUMMARY_COLUMNS = ("cluster_id", "size", "distinct_texts", "n_labeled", "majority_label", "purity", "status",
                   "label_counts", "keywords", "representative_ids", "shared_phrase")

# A candidate whose texts mostly hold one phrase that labeled texts of several classes hold too may be gathered by
# that phrase (a signature, a template line), not by what the texts ask: "Sent from Outlook for Android", on 70% of
# one M-CID intent and 6% of the others, made a candidate of 42 texts of nine intents (helper 83)
PHRASE_WORDS = (4, 8)  # a phrase of this many words, fewest to most (3 put "my top up" on BANKING77 top-up intents)
PHRASE_SHARE = 0.6  # of the candidate's distinct texts holding it
PHRASE_LABELED = 5  # labeled rows holding it, at least, of PHRASE_CLASSES classes or more
PHRASE_CLASSES = 3
PHRASE_TEXTS_READ = 2000  # distinct texts of a candidate its phrases are counted on
PHRASE_MIN_TEXTS = 5  # distinct texts a candidate holds at least, for its phrases to be counted
_PHRASE_WORD = re.compile(f"{WORD_CHAR}+")  # with combining marks: a Hindi word keeps its vowel signs


def phrases_across_classes(texts: list[str], clusters: np.ndarray, labels: np.ndarray, keywords: dict) -> dict:
    """For each cluster of ``keywords`` (cluster id: its keywords; the candidates), the longest phrase of
    ``PHRASE_WORDS`` words, one of its first three keywords among them, that ``PHRASE_SHARE`` of its distinct texts
    hold and that labeled rows (``labels`` >= 0) of ``PHRASE_CLASSES`` classes or more hold too; None where none
    does. A category nobody has named has no labeled rows holding its words, and a class's rewording one class's."""
    clusters, labels = np.asarray(clusters), np.asarray(labels)
    labeled, out = None, {}
    for c, words in keywords.items():
        members = np.flatnonzero(clusters == c)
        distinct = list(dict.fromkeys(texts[i] for i in members if isinstance(texts[i], str)))[:PHRASE_TEXTS_READ]
        out[c] = None
        if len(distinct) < PHRASE_MIN_TEXTS:
            continue
        key_words = {word for keyword in words[:3] for word in _PHRASE_WORD.findall(keyword.lower())}
        counts = Counter(phrase for text in distinct for phrase in _phrases_with(text, key_words))
        held = sorted((phrase for phrase, n in counts.items() if n >= PHRASE_SHARE * len(distinct)),
                      key=lambda phrase: (-len(phrase), -counts[phrase], phrase))
        if not held:
            continue
        if labeled is None:
            rows = np.flatnonzero(labels >= 0)
            labeled = [(labels[i], " " + " ".join(_PHRASE_WORD.findall(str(texts[i]).lower())) + " ") for i in rows]
        for phrase in held[:50]:
            needle = " " + " ".join(phrase) + " "
            classes = [label for label, text in labeled if needle in text]
            if len(classes) >= PHRASE_LABELED and len(set(classes)) >= PHRASE_CLASSES:
                out[c] = " ".join(phrase)
                break
    return out


def _phrases_with(text: str, key_words: set) -> set:
    """The runs of ``PHRASE_WORDS`` words of ``text`` (lower case) holding one of ``key_words``."""
    words = _PHRASE_WORD.findall(text.lower())
    keys = [i for i, word in enumerate(words) if word in key_words]
    return {tuple(words[i:i + n]) for k in keys for n in range(PHRASE_WORDS[0], PHRASE_WORDS[1] + 1)
            for i in range(max(0, k - n + 1), min(k, len(words) - n) + 1)}


def summarize_clusters(texts: list[str], X: np.ndarray, clusters: np.ndarray, labels: np.ndarray, codec: LabelCodec,
                       row_ids: np.ndarray | None = None, n_keywords: int = 8, n_representatives: int = 5,
                       term_counts=None, previous: pd.DataFrame | None = None, changed=(),
                       extra_stop_words=(), text_ids: np.ndarray | None = None) -> pd.DataFrame:
    """One row per cluster, sorted by cluster id; representatives are row ids. ``text_ids``: ``io.same_text_ids`` of
    the texts when the caller has them (a cluster's ``distinct_texts`` counts them).

    To update a summary after merges without describing every cluster again: ``term_counts`` is
    ``document_term_counts(texts, extra_stop_words)`` computed earlier, ``previous`` the summary of an assignment in
    which the clusters in ``changed`` had other members (all others exactly the same ones). Their
    descriptions are taken from ``previous``; keywords are ranked afresh for every cluster (class-based
    TF-IDF depends on all of them). The outcome equals a summary from scratch.
    """
    row_ids = np.arange(len(texts)) if row_ids is None else np.asarray(row_ids)
    term_counts = document_term_counts(texts, extra_stop_words) if term_counts is None else term_counts
    keywords = keywords_from_counts(term_counts, clusters, n_keywords, labels=labels)
    ids = np.unique(clusters)
    changed = {int(c) for c in changed}
    fresh = [int(c) for c in ids if previous is None or int(c) in changed or int(c) not in previous.index]
    reps = representative_rows(X, clusters, n_representatives, only=fresh)
    labeled_share = float(np.mean(labels >= 0)) if len(labels) else 0.0
    # a candidate of 200 rows and 8 distinct texts is a pile of "no comment", "none", "ok": read at a glance
    text_ids = same_text_ids(texts) if text_ids is None else text_ids
    distinct = pd.Series(text_ids).groupby(np.asarray(clusters)).nunique()
    kept = {} if previous is None else previous.loc[[c for c in ids if int(c) not in reps],
                                                    list(SUMMARY_COLUMNS)].to_dict("index")
    records = []
    for c in ids:
        c = int(c)
        if c in reps:
            record = _describe(c, clusters == c, labels, codec, labeled_share)
            record["representative_ids"] = [int(row_ids[i]) for i in reps[c]]
        else:
            record = kept[c]
        record["keywords"] = keywords.get(c, [])
        record["distinct_texts"] = int(distinct.get(c, 0))
        records.append({name: record.get(name) for name in SUMMARY_COLUMNS})
    # every candidate's, kept ones too: its keywords are ranked afresh, and the phrase must hold one of them
    candidates = {r["cluster_id"]: r["keywords"] for r in records if r["status"] == CANDIDATE}
    phrases = phrases_across_classes(texts, clusters, labels, candidates) if candidates else {}
    for record in records:
        record["shared_phrase"] = phrases.get(record["cluster_id"])
    return pd.DataFrame.from_records(records).set_index("cluster_id", drop=False)


def candidate_name(cluster_id: int, keywords: list[str]) -> str:
    """Default proposed label for a candidate cluster until the researcher names it."""
    words = ", ".join(keywords[:3]) if keywords else "no keywords"
    return f"new {cluster_id}: {words}"
