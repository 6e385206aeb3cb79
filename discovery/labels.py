"""The one place where user label strings become integer codes (-1 = unlabeled)."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from .words import lower_case

UNLABELED = -1


def count_classes(codes) -> int:
    """Known classes in an array of codes: one more than the highest code, 0 when nothing is labeled."""
    codes = np.asarray(codes)
    return int(codes.max()) + 1 if (codes >= 0).any() else 0


def median_labels_per_class(codes) -> float:
    """The median of the labeled rows of each class that has any (0.0 when nothing is labeled)."""
    codes = np.asarray(codes)
    counts = np.bincount(codes[codes >= 0]) if (codes >= 0).any() else np.zeros(0, dtype=int)
    counts = counts[counts > 0]
    return float(np.median(counts)) if len(counts) else 0.0


@dataclass(frozen=True)
class LabelCodec:
    """Maps label names to codes 0..n-1 (sorted names) and back; -1 is unlabeled."""

    names: tuple[str, ...]

    @classmethod
    def from_labels(cls, labels: Iterable[str | None]) -> "LabelCodec":
        return cls(tuple(sorted({lab for lab in labels if lab is not None})))

    def encode(self, labels: Sequence[str | None]) -> np.ndarray:
        index = {name: code for code, name in enumerate(self.names)}
        return np.array([UNLABELED if lab is None else index[lab] for lab in labels], dtype=np.int64)

    def decode(self, codes: Sequence[int]) -> list[str | None]:
        return [None if c < 0 else self.names[c] for c in codes]

    def __len__(self) -> int:
        return len(self.names)


# words that say a row has no label yet; "unknown" may be a class of its own, so a word here only warns
MARKER_WORDS = frozenset({"unlabeled", "unlabelled", "no label", "no_label", "nolabel", "not labeled",
                          "not labelled", "unassigned", "unknown", "tbd", "todo", "to do", "to label", "pending"})


def looks_like_a_marker(label: str) -> bool:
    """``-1`` (the unlabeled code of scikit-learn's semi-supervised estimators and much ML code), a label of
    symbols only (``?``, ``-``) or a word such as ``unlabeled`` (``MARKER_WORDS``, any case): more often a way of
    writing "unlabeled" than a class name."""
    return (label == "-1" or not any(character.isalnum() for character in label)
            or " ".join(label.split()).casefold() in MARKER_WORDS)


_LEADING_ZEROS = re.compile(r"^([+-]?)0+(?=[0-9])", re.ASCII)
_WHOLE_NUMBER = re.compile(r"^[+-]?[0-9]+$", re.ASCII)


def listed(items, show=str, separator: str = ", ", limit: int = 5) -> str:
    """The first ``limit`` of ``items`` as ``show`` writes them, and how many more there are (for messages)."""
    items = list(items)
    more = f" and {len(items) - limit:,} more" if len(items) > limit else ""
    return separator.join(show(item) for item in items[:limit]) + more


def narrow(label: str) -> str:
    """``label`` with full-width and half-width forms as their usual characters (ＳＩＭ as SIM, １ as 1, ｶ as カ,
    as East Asian input methods type them), and nothing else: x² and x2, Ⅳ and IV stay apart. Composed again
    (NFC): a half-width voiced mark (ﾄﾞ) narrows to a combining one, which must join its kana (ド)."""
    return unicodedata.normalize("NFC", "".join(
        unicodedata.normalize("NFKC", char) if unicodedata.decomposition(char).startswith(("<wide>", "<narrow>"))
        else char for char in label))


INVISIBLE_CHARACTERS = "\u200b\u200c\u200d\u2060\ufeff"  # zero-width spaces and joiners, word joiner, BOM
# characters that look like others: dashes and a minus as "-", curly quotes as straight ones (a word processor's
# "customer’s" beside a typed "customer's"), and zero-width ones as none
_LOOK_ALIKES = str.maketrans({**dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
                              **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
                              **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
                              **dict.fromkeys(INVISIBLE_CHARACTERS)})
# Cyrillic and Greek letters that look like Latin ones, read as those in a word that mixes them with Latin letters
# ("card_arrivаl" with a Cyrillic "а" was a class beside card_arrival, helper 90); a word of one script keeps its own
_HOMOGLYPHS = str.maketrans(dict(zip("асеіјорѕухԁһӏαεικνορτυχ", "aceijopsyxdhlaeikvoptux")))
# the other way, for a word mostly in Cyrillic or Greek with a stray Latin look-alike (a keyboard layout switched)
_TO_CYRILLIC = str.maketrans(dict(zip("aceijopsyxdhl", "асеіјорѕухԁһӏ")))
_TO_GREEK = str.maketrans(dict(zip("aeikvoptux", "αεικνορτυχ")))
# between two word characters, any run of spaces (a no-break space, a tab, two spaces), "_" and "-" is one separator
_INNER_SEPARATORS = re.compile(r"(?<=\w)[\s_\-]+(?=\w)")
# an underscore left at the end (``card_arrival_``); not at the start (``_misc`` sorts first on purpose), nor a
# trailing "-" (the grade ``A-`` is not ``A``)
_TRAILING_UNDERSCORES = re.compile(r"(?<=[^\W_])_+$")
# between two levels of a taxonomy: "fees/card payment", "fees > card payment", "fees | card payment", "fees -> ..."
_LEVEL_SEPARATORS = re.compile(r"(?<=\w)\s*(?:->|=>|[/>|\\])\s*(?=\w)")


def spelling_key(label: str) -> str:
    """What two spellings of one label share: the label without surrounding spaces, in any case and width
    (``narrow``), a whole number (ASCII digits) without leading zeros (spreadsheets read the code 007 as 7), and
    any other label with look-alike characters as one (a no-break space as a space, a curly apostrophe as a
    straight one) and "_", "-" and spaces between its words as one separator: ``lost_or_stolen_card`` and ``lost
    or stolen card``, 10 rows each, were two classes (helper 87), 45 and 36 of one intent's rows apart; likewise
    "/", ">", "|", "\\" and "->" between two levels of a taxonomy (``fees/card payment``, ``fees > card payment``);
    and an underscore left at its end (``card_arrival_``)."""
    key = lower_case(narrow(str(label)).strip()).casefold()  # "İ" folds to "i", not "i" and a dot
    key = _TRAILING_UNDERSCORES.sub("", key.translate(_LOOK_ALIKES).rstrip())
    if _WHOLE_NUMBER.match(key):  # "007_" is "7" too
        return _LEADING_ZEROS.sub(r"\1", key)
    if not key.isascii():
        key = re.sub(r"\w+", lambda word: _one_script(word[0]), key)
    return _INNER_SEPARATORS.sub(" ", _LEVEL_SEPARATORS.sub("/", key))


def _one_script(word: str) -> str:
    """A word of Latin letters and Cyrillic or Greek look-alikes in the script most of its letters are in
    (``card_arrivаl`` with a Cyrillic а reads Latin, ``кaрта`` with a Latin a reads Cyrillic); a word of one
    script keeps its letters."""
    latin = len(re.findall("[a-z]", word))
    if not latin:
        return word
    cyrillic, greek = len(re.findall("[\u0400-\u04ff]", word)), len(re.findall("[\u0370-\u03ff]", word))
    if cyrillic > latin and cyrillic >= greek:
        return word.translate(_TO_CYRILLIC)
    if greek > latin:
        return word.translate(_TO_GREEK)
    return word.translate(_HOMOGLYPHS)


def normalize_label_spellings(labels: Sequence[str | None]) -> tuple[list[str | None], dict[str, str]]:
    """Unify labels that differ only by case, width, surrounding spaces, a whole number's leading zeros, look-alike
    characters or the separators between their words (``spelling_key``).

    Each group of spellings that share a ``spelling_key`` takes its
    most frequent spelling (ties: the alphabetically first). Returns the new labels
    and a map of every changed spelling to the one kept, so callers can report it.
    """
    stripped = [None if lab is None else " ".join(lab.split()) for lab in labels]  # a no-break space, a tab as one
    counts = Counter(lab for lab in stripped if lab)
    groups: dict[str, list[tuple[int, str]]] = {}
    for spelling, n in counts.items():
        groups.setdefault(spelling_key(spelling), []).append((-n, spelling))
    canonical = {key: sorted(variants)[0][1] for key, variants in groups.items()}
    renamed: dict[str, str] = {}
    out: list[str | None] = []
    for original, lab in zip(labels, stripped):
        if not lab:
            out.append(None)
            continue
        kept = canonical[spelling_key(lab)]
        if original != kept:
            renamed[original] = kept
        out.append(kept)
    return out, renamed


# what follows a label in a finer kind of it ("fees" and "fees/transfer", "fees > exchange", "fees - card")
_FINER_KIND = re.compile(r"\s*[/>|:]\s*\S|\s+-\s+\S")  # not "." ("3" and "3.5" are two ratings, "U" and "U.S.")


def label_prefixes(labels: Iterable[str | None]) -> list[tuple[str, int, int, str]]:
    """Labels that are the start of others, set apart by a separator (``_FINER_KIND``): (label, its rows,
    how many labels start with it, the most frequent of them), most rows first. A parent beside its children is two
    levels of one taxonomy in one column: helper 87's 52 "fees" beside 4 "fees/<kind>" of 12 took 193 of the 339
    unlabeled fee rows, with nothing said."""
    counts = Counter(label for label in labels if label is not None)
    ordered = sorted(counts)
    found = []
    for label, n in counts.most_common():
        under = set()
        i = bisect_left(ordered, label)
        while i < len(ordered) and ordered[i].startswith(label):
            if _FINER_KIND.match(ordered[i], len(label)):
                under.add(ordered[i])
            i += 1
        if under:
            found.append((label, n, len(under), max(under, key=lambda other: (counts[other], other))))
    return found


_LIST_CELL = re.compile(r"""^\[\s*(['"]).*\1\s*\]$""", re.DOTALL)  # ['billing', 'refund'], ["billing"]
_QUOTED = re.compile(r"""['"]([^'"]+)['"]""")
_BETWEEN_LABELS = re.compile(r"\s*[;,|+&]\s*")


def combined_labels(labels: Iterable[str | None]) -> list[tuple[str, int, list[str]]]:
    """Labels that hold several labels in one cell: a list as Python or JSON writes it (``['billing', 'refund']``),
    or other labels of the same column joined by ``;``, ``,``, ``|``, ``+`` or ``&`` (``billing;refund`` beside
    ``billing`` and ``refund``): (label, its rows, the labels it holds), most rows first. Multi-label data read
    one label a row makes each combination a class of its own, without a word (helper 110)."""
    counts = Counter(label.strip() for label in labels if label is not None)
    keys = {spelling_key(label) for label in counts}
    found = []
    for label, n in counts.most_common():
        if _LIST_CELL.match(label):
            found.append((label, n, [part.strip() for part in _QUOTED.findall(label)]))
            continue
        parts = [part for part in _BETWEEN_LABELS.split(label) if part]
        if len(parts) > 1 and all(spelling_key(part) in keys for part in parts):
            found.append((label, n, parts))
    return found


def is_whole_number(label: str) -> bool:
    """``label`` is a whole number in ASCII digits (any width): one class with its leading zeros or without."""
    return bool(_WHOLE_NUMBER.match(narrow(str(label)).strip()))


MAX_TYPO_ROWS = 2  # a label on at most this many rows (and a tenth of the other's) can be a typo of it


def _separators_as_spaces(label: str) -> str:
    return re.sub(r"[\s_\-]+", " ", spelling_key(label)).strip()


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b``, or ``limit + 1`` once it is sure to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _looks_like_typo(rare: str, common: str) -> bool:
    """Only ``_``, ``-`` and spaces apart, or one letter apart (labels of 5 characters or more), or two (10 or
    more); not when they differ only in digits or in a last part of one or two characters (numbered or lettered
    classes: ``category_12``/``category_13``, ``type_a``/``type_b``)."""
    if rare == common:
        return True
    if re.sub(r"\d", "", rare) == re.sub(r"\d", "", common):
        return False
    *head, last = rare.split(" ")
    *other_head, other_last = common.split(" ")
    if head and head == other_head and max(len(last), len(other_last)) <= 2:
        return False
    shortest = min(len(rare), len(common))
    allowed = 2 if shortest >= 10 else 1 if shortest >= 5 else 0
    return allowed > 0 and _edit_distance(rare, common, allowed) <= allowed


def similar_label_spellings(labels: Iterable[str | None], max_classes: int = 500) -> list[tuple[str, int, str, int]]:
    """Labels that look like a typo of another: (rare, its rows, common, its rows) for each label on at most
    ``MAX_TYPO_ROWS`` rows, and a tenth of the other's, that ``_looks_like_typo`` of a more common one
    (``ATM support`` of ``atm_support``, ``card_acceptence`` of ``card_acceptance``, ``PlayMusik`` of
    ``PlayMusic``). Each becomes a class of its own, which a researcher rarely means; the caller warns and
    changes nothing (they may be two classes). Skipped above ``max_classes`` labels (pairs grow with the square)."""
    counts = Counter(label for label in labels if label is not None)
    if len(counts) > max_classes:
        return []
    keys = {label: _separators_as_spaces(label) for label in counts}
    found = []
    for rare, n_rare in sorted(counts.items(), key=lambda item: (item[1], item[0])):
        if n_rare > MAX_TYPO_ROWS:
            break
        best = None
        for common, n_common in counts.items():
            if common == rare or n_common < max(3, 10 * n_rare):
                continue
            if _looks_like_typo(keys[rare], keys[common]) and (best is None or n_common > best[1]):
                best = (common, n_common)
        if best:
            found.append((rare, n_rare, best[0], best[1]))
    return found


def similar_spellings_note(labels: Iterable[str | None], only: set | None = None) -> str | None:
    """One warning naming ``similar_label_spellings`` (at most five), or None; ``only``: leave out the rare
    spellings in this set (a review file's note names only the spellings it brought, not the data's)."""
    found = [pair for pair in similar_label_spellings(labels) if not only or pair[0] not in only]
    if not found:
        return None
    shown = listed(found, lambda typo: f"{typo[0]!r} ({typo[1]} row{'s' if typo[1] != 1 else ''}) looks like "
                                       f"{typo[2]!r} ({typo[3]} rows)", "; ")
    return (f"labels that look like a typo of another: {shown}; each is a class of its own: if one is "
            "meant, correct the rarer spelling")
