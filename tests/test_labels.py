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


def test_labels_apart_only_by_their_word_separators_or_look_alike_characters_are_one_class():
    """Helper 87: ``lost_or_stolen_card`` and ``lost or stolen card`` (10 rows each), ``exchange rate`` with a
    no-break space, ``top‑up`` with a non-breaking hyphen and ``customer’s`` with a curly apostrophe were classes of
    their own beside the usual spelling, without a word. Now one class each, said; a sign, an edge underscore and
    other characters still tell labels apart, and no two classes of the benchmark label sets become one."""
    from discovery.labels import spelling_key

    same = [("lost_or_stolen_card", "lost or stolen card"), ("exchange\u00a0rate", "exchange rate"),
            ("exchange  rate", "exchange\trate"), ("top\u2011up", "top-up"), ("top-up", "top up"),
            ("customer\u2019s card", "customer's card"), ("Card-Arrival", "card_arrival"),
            ("card_\u200barrival", "card_arrival"),  # a zero-width space inside, copied from a web page (helper 89)
            ("card_arriv\u0430l", "card_arrival"), ("\u0430ge limit", "age limit"),  # a Cyrillic a (helper 90)
            ("fees/card payment", "fees > card payment"), ("Fees | Card payment", "fees -> card_payment"),  # levels
            ("card_arrival_", "card_arrival"), ("007_", "7"),  # an underscore left at the end (helper 90)
            ("İade", "iade"), ("к\u0061рта", "карта")]  # Turkish dotted I; a Latin a in a Cyrillic word (helper 99)
    apart = [("-7", "7"), ("_misc", "misc"), ("A-", "A"), ("c++", "c#"), ("fees/card", "fees card"), ("top up", "topup"),
             ("\u0441\u043e\u0440", "cop")]  # a word of one script keeps its letters
    assert all(spelling_key(a) == spelling_key(b) for a, b in same)
    assert not any(spelling_key(a) == spelling_key(b) for a, b in apart)
    rows = pd.read_csv(SHARED / "banking" / "train.tsv", sep="\t", dtype=str, keep_default_na=False)
    rows = rows[rows.label.isin(["lost_or_stolen_card", "exchange_rate", "card_arrival"])].groupby("label").head(20)
    labels = rows.label.str.replace("exchange_rate", "exchange rate").tolist()
    labels = [label.replace("_", " ").replace(" ", "\u00a0") if i % 2 and label != "card_arrival" else
              label.replace("_", "_\u200b") if i % 2 else label for i, label in enumerate(labels)]
    table = table_from_frame(pd.DataFrame({"text": rows.text.tolist(), "label": labels}), name="t.csv")
    assert len(table.codec) == 3
    said = [w for w in table.warnings if "differ only by the separators between their words" in w]
    assert len(said) == 1 and "'lost\\xa0or\\xa0stolen\\xa0card' -> 'lost_or_stolen_card'" in said[0]
    assert "'exchange\\xa0rate' -> 'exchange rate'" in said[0]  # the no-break space shown
    for dataset in ("banking", "stackoverflow", "snips", "mcid_mtpclnn", "stackoverflow_mtpclnn"):
        names = set(pd.read_csv(SHARED / dataset / "train.tsv", sep="\t", dtype=str, keep_default_na=False).label)
        assert len({spelling_key(name) for name in names}) == len(names), dataset


def test_a_label_that_starts_others_is_named_as_two_levels_of_one_taxonomy():
    """Helper 87: 52 "fees" beside "fees/card payment", "fees/transfer", ... (12 each) took 193 of the 339 unlabeled
    fee rows, with nothing said (``label_prefixes``); labels that only share a first word are no such pair."""
    from discovery.labels import label_prefixes

    labels = (["fees"] * 52 + ["fees/card payment"] * 12 + ["fees/transfer"] * 13 + ["fees > exchange"] * 12
              + ["card"] * 9 + ["card_arrival"] * 9 + ["cardholder"] * 3 + ["top up"] * 5 + ["top up failed"] * 5)
    assert label_prefixes(labels) == [("fees", 52, 3, "fees/transfer")]
    labels += ["fees > transfer"] * 4  # another separator between the levels: one class (helper 87)
    table = table_from_frame(pd.DataFrame({"text": [f"text {i}" for i in range(len(labels))], "label": labels}))
    assert list(table.codec.decode(table.labels)).count("fees/transfer") == 17
    assert any("'fees > transfer' -> 'fees/transfer'" in w and "between levels" in w for w in table.warnings)
    assert any("'fees' (52 rows) and 3 labels under it, such as 'fees/transfer'" in w for w in table.warnings)


def test_cells_holding_several_labels_are_named_not_read_silently_as_classes():
    """Helper 110: multi-label cells (billing;refund, "refund,billing", a list as pandas writes it) became classes of
    their own without a word, and billing|refund was said to be a finer kind of billing. Labels of a taxonomy and
    labels that merely hold a separator are no such cells."""
    from discovery.labels import combined_labels

    labels = (["billing"] * 9 + ["refund"] * 8 + ["billing; refund"] * 7 + ["refund,billing"] * 6 + ["['billing', ' refund']"] * 5
              + ['["billing"]'] * 4 + ["billing|refund"] * 3 + ["fees/transfer"] * 3 + ["Q&A site"] * 2 + ["c++"] * 2 + [None])
    assert combined_labels(labels) == [("billing; refund", 7, ["billing", "refund"]), ("refund,billing", 6, ["refund", "billing"]),
                                       ("['billing', ' refund']", 5, ["billing", "refund"]), ('["billing"]', 4, ["billing"]),
                                       ("billing|refund", 3, ["billing", "refund"])]
    table = table_from_frame(pd.DataFrame({"text": [f"text {i}" for i in range(len(labels))], "label": labels}),
                             name="tickets.csv")
    said = [w for w in table.warnings if "several labels in one cell" in w]
    assert len(said) == 1 and said[0].startswith("tickets.csv: 'billing; refund' (7 rows: 'billing' and 'refund')")
    assert "'label'" in said[0] and "one label a row" in said[0]
    assert not any("start of other labels" in w for w in table.warnings)
    assert not any("several labels" in w for w in table_from_frame(pd.DataFrame({
        "text": [f"text {i}" for i in range(8)], "label": ["fees", "fees/card", "card", "c#", "c++", "Q&A", "A", "a,b"]})).warnings)

