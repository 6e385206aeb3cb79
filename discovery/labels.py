"""The one place where user label strings become integer codes (-1 = unlabeled)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

UNLABELED = -1


def count_classes(codes) -> int:
    """Known classes in an array of codes: one more than the highest code, 0 when nothing is labeled."""
    codes = np.asarray(codes)
    return int(codes.max()) + 1 if (codes >= 0).any() else 0


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


def spelling_key(label: str) -> str:
    """What two spellings of one label share: the label without surrounding spaces, in any case."""
    return str(label).strip().casefold()


def normalize_label_spellings(labels: Sequence[str | None]) -> tuple[list[str | None], dict[str, str]]:
    """Unify labels that differ only by case or surrounding spaces.

    Each group of spellings that are equal after ``strip().casefold()`` takes its
    most frequent spelling (ties: the alphabetically first). Returns the new labels
    and a map of every changed spelling to the one kept, so callers can report it.
    """
    stripped = [None if lab is None else lab.strip() for lab in labels]
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
