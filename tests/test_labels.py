"""Label spellings: typos flagged, real label sets left alone."""

from collections import Counter

import pandas as pd
import pytest

from discovery.io import table_from_frame
from discovery.labels import similar_label_spellings
from shared_paths import SHARED


def test_a_rare_label_a_letter_or_a_separator_away_from_a_common_one_is_flagged():
    labels = ["card_acceptance"] * 12 + ["card_acceptence", "ATM support"] + ["atm_support"] * 10 + ["refund"] * 5 + [
        "refunds", "lost_card", "lost_cards", "lost_cards"] + ["lost_card"] * 30
    assert similar_label_spellings(labels) == [("ATM support", 1, "atm_support", 10),
                                               ("card_acceptence", 1, "card_acceptance", 12),
                                               ("lost_cards", 2, "lost_card", 31)]  # 'refunds': 'refund' is no more common
    numbered = (["category_12"] + ["category_13"] * 20 + ["product 2023"] + ["product 2024"] * 20
                + ["category_x"] + ["category_y"] * 20 + ["v1"] + ["v2"] * 20)
    assert similar_label_spellings(numbered) == []  # numbered or lettered classes, not typos
    short = ["PlayMusik"] + ["PlayMusic"] * 18 + ["refund_not_showng"] + ["refund_not_showing"] * 12
    assert [pair[0] for pair in similar_label_spellings(short)] == ["PlayMusik", "refund_not_showng"]
    table = table_from_frame(pd.DataFrame({"text": [f"text {i}" for i in range(len(labels))], "label": labels}))
    assert any("'card_acceptence' (1 row) looks like 'card_acceptance' (12 rows)" in w for w in table.warnings)


@pytest.mark.parametrize("dataset", ["banking", "stackoverflow", "snips", "mcid_mtpclnn", "stackoverflow_mtpclnn"])
def test_no_class_of_a_real_label_set_looks_like_a_typo_even_when_rare(dataset):
    """Each class of the benchmark label sets, cut down to one row, against the others at their real counts."""
    names = sorted(set(pd.read_csv(SHARED / dataset / "train.tsv", sep="\t", dtype=str, keep_default_na=False).label))
    for rare in names:
        counts = Counter({name: 50 for name in names if name != rare})
        counts[rare] = 1
        assert similar_label_spellings(list(counts.elements())) == []
