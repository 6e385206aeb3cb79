"""Bad and unusual input through the Python API: every case is either handled (and the run and
export go through) or refused with an InputError naming the file, the column and the fix."""

import codecs
import io
import json

import numpy as np
import pandas as pd
import pytest

from discovery import InputError, read_table, read_table_bytes, write_outputs
from discovery.export import to_csv_bytes
from rel_helpers import parquet_bytes, topic_rows


def exported(result, tmp_path):
    """The three exports read back: (csv, jsonl, parquet) frames."""
    files = write_outputs(result, tmp_path / "out")
    csv = pd.read_csv(files["proposed_labels.csv"], encoding="utf-8-sig", dtype=str, keep_default_na=False)
    jsonl = pd.read_json(files["proposed_labels.jsonl"], lines=True, dtype=False)
    parquet = pd.read_parquet(files["proposed_labels.parquet"])
    return csv, jsonl, parquet


# ---- refused: InputError naming the file and the fix ------------------------------------------

REFUSED = [
    (b"", "empty.csv", "the file is empty"),
    (b"   \n\n", "blank.csv", "the file is empty"),
    (b"text,label\n", "header.csv", "no data rows"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "photo.csv", "PNG image"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(200), "photo2.csv", "JPEG image"),
    (b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "sheet.csv", "save the sheet as CSV"),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "paper.csv", "PDF document"),
    (b"\x1f\x8b\x08\x00" + bytes(100), "data.csv", "decompress it first"),
    (b"PAR1" + bytes(100), "table.csv", "give it the .parquet extension"),
    (bytes(range(256)) * 20, "random.csv", "binary file"),
    ("text,label\ncafé,a\n".encode("latin-1"), "latin.csv", "--encoding latin-1"),
    (b"text,label\n,a\n  ,b\n", "notext.csv", "text column 'text' is empty in every row"),
    (b'{"text": "a", "label": "x"}\n{"text": "b", \n{"text": "c"}\n', "broken.jsonl", "line 2 is not valid JSON"),
    (b'{"text": "a"}\n[1, 2]\n', "array.jsonl", "line 2 is not a JSON object"),
    (b"text,label\na,b,c\nd,e\n", "ragged.csv", "more fields than the header"),
    (b'text,label\n"never closed,a\nb,c\n', "quote.csv", "every quote is closed"),
    (b"body,cat\nhello,a\n", "columns.csv", "no text column 'text'"),
    (b"text\tlabel\nhi\ta\n", "table.xlsx", "unknown file format"),
]


@pytest.mark.parametrize("data, name, fragment", REFUSED, ids=[case[1] for case in REFUSED])
def test_refused_with_a_clear_message(data, name, fragment):
    with pytest.raises(InputError) as info:
        read_table_bytes(data, name)
    message = str(info.value)
    assert message.startswith(f"{name}: ") and fragment in message, message
    assert "\n" not in message


def test_all_nan_text_column_in_parquet_is_refused():
    data = parquet_bytes(pd.DataFrame({"text": [None, np.nan, None], "label": ["a", "b", None]}))
    with pytest.raises(InputError, match=r"t\.parquet: the text column 'text' is empty in every row; choose"):
        read_table_bytes(data, "t.parquet")


def test_nested_text_or_label_column_is_refused_naming_the_column():
    data = parquet_bytes(pd.DataFrame({"body": [["a", "b"], ["c"]], "label": ["x", "y"]}))
    with pytest.raises(InputError, match=r"column 'body' holds lists or nested values.*plain text"):
        read_table_bytes(data, "n.parquet", text_column="body")
    data = parquet_bytes(pd.DataFrame({"text": ["a b", "c d"], "tags": [["x"], ["y", "z"]]}))
    with pytest.raises(InputError, match=r"column 'tags' holds lists.*--label-col"):
        read_table_bytes(data, "n.parquet", label_column="tags")


def test_unknown_encoding_and_wrong_encoding_are_refused():
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        read_table_bytes(b"text\nhi\n", "t.csv", encoding="klingon")
    with pytest.raises(InputError, match=r"line 2\) cannot be decoded as 'utf-8'; pick another --encoding"):
        read_table_bytes("text\ncafé\n".encode("latin-1"), "t.csv", encoding="utf-8")


def test_damaged_parquet_is_refused():
    data = parquet_bytes(pd.DataFrame({"text": ["a b"] * 50}))
    with pytest.raises(InputError, match="t.parquet: not a readable Parquet file"):
        read_table_bytes(data[: len(data) // 2], "t.parquet")


def test_file_larger_than_memory_is_refused_early_with_its_size(tmp_path, monkeypatch):
    import discovery.io

    path = tmp_path / "big.csv"
    path.write_text(topic_rows(2000))
    size = path.stat().st_size
    monkeypatch.setattr(discovery.io, "available_memory_bytes", lambda: size * 4)  # needs size * 8
    with pytest.raises(InputError) as info:
        read_table(path)
    message = str(info.value)
    assert str(path) in message and "KiB" in message and "available" in message and "split" in message
    with pytest.raises(InputError, match="big.csv: the file is .* needs about"):
        read_table_bytes(path.read_bytes(), "big.csv")  # dashboard uploads are checked too
    monkeypatch.setattr(discovery.io, "available_memory_bytes", lambda: size * 9)
    assert len(read_table(path)) == 2000
    monkeypatch.setattr(discovery.io, "available_memory_bytes", lambda: None)  # no /proc/meminfo: no check
    assert len(read_table(path)) == 2000


def test_compressed_parquet_is_judged_by_its_uncompressed_size(tmp_path, monkeypatch):
    import discovery.io

    path = tmp_path / "t.parquet"
    rng = np.random.RandomState(0)
    texts = [" ".join(f"w{j}" for j in rng.randint(300, size=40)) for _ in range(3000)]
    pd.DataFrame({"text": texts}).to_parquet(path, compression="zstd")  # ~3x smaller than its data
    size = path.stat().st_size
    monkeypatch.setattr(discovery.io, "available_memory_bytes", lambda: int(size * 8.3))  # size * 8 would pass
    with pytest.raises(InputError, match="t.parquet: the file is"):
        read_table(path)


def test_output_folder_that_is_a_file_is_a_clear_error(run_fast, tmp_path):
    _, result = run_fast(topic_rows(12).encode(), "t.csv")
    (tmp_path / "out").write_text("I am a file")
    with pytest.raises(InputError, match="cannot create the output folder.*choose another --out"):
        write_outputs(result, tmp_path / "out")


# ---- handled: the run and the exports go through ----------------------------------------------

def test_single_row_labeled_or_not(run_fast, tmp_path):
    table, result = run_fast(b"text,label\nmy card is lost,card\n", "one.csv")
    assert result.labeled_table().proposed_label.tolist() == ["card"]
    table, result = run_fast(b"text,label\nmy card is lost,\n", "one.csv")
    assert result.labeled_table().label_source.tolist() == ["candidate"]
    csv, jsonl, parquet = exported(result, tmp_path)
    assert len(csv) == len(jsonl) == len(parquet) == 1


@pytest.mark.parametrize("n_rows", [1, 2, 3])
def test_tiny_tables_with_hdbscan(n_rows, tmp_path):
    """HDBSCAN needs a few rows for density; tiny tables still get one cluster each, not a crash."""
    from discovery import DiscoveryConfig, read_table_bytes, run_discovery

    body = "text,label\n" + "".join(f"my card number {i} is lost,{'card' if i == 0 else ''}\n" for i in range(n_rows))
    table = read_table_bytes(body.encode(), "tiny.csv")
    result = run_discovery(table, DiscoveryConfig(model="tfidf", method="hdbscan", make_map=False))
    proposed = result.labeled_table()
    assert len(proposed) == n_rows and proposed.proposed_label.iloc[0] == "card"
    assert proposed.proposed_label.notna().all()


@pytest.mark.parametrize("encoding, bom", [("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE),
                                           ("utf-16-be", codecs.BOM_UTF16_BE), ("utf-16-le", b""),
                                           ("utf-16-be", b"")])
def test_bom_and_utf16_are_decoded(run_fast, encoding, bom):
    body = "text,label\ncafé crème ☕,drink\nnaïve façade,\nrésumé,drink\n"
    table, result = run_fast(bom + body.encode(encoding), "enc.csv")
    assert table.text_column == "text" and list(table.frame.columns[:2]) == ["text", "label"]  # no BOM in the name
    assert table.texts == ["café crème ☕", "naïve façade", "résumé"]
    if not bom:
        assert any("UTF-16" in w for w in table.warnings)


def test_latin1_reads_with_encoding_option(run_fast):
    data = "text,label\ncafé au lait,drink\nGrüße aus Köln,\n".encode("latin-1")
    table, _ = run_fast(data, "latin.csv", encoding="latin-1")
    assert table.texts == ["café au lait", "Grüße aus Köln"]
    table, _ = run_fast(data, "latin.csv", encoding="cp1252")
    assert table.texts[1] == "Grüße aus Köln"


def test_mixed_types_and_numbers_in_the_label_column():
    lines = [{"text": f"row {i}", "label": v} for i, v in
             enumerate([1, 1.0, "1", " 1 ", "1.0", 2, True, "true", "x", None, float("nan"), "", "N/A"])]
    table = read_table_bytes("\n".join(json.dumps(r) for r in lines).encode(), "mixed.jsonl")
    assert table.codec.names == ("1", "2", "True", "x")
    assert table.codec.decode(table.labels) == ["1"] * 5 + ["2", "True", "True", "x"] + [None] * 4
    csv = b"text,label\na,3\nb,3.0\nc,3.00\nd,v1.0\ne,\n"
    table = read_table_bytes(csv, "mixed.csv")
    assert table.codec.decode(table.labels) == ["3", "3", "3", "v1.0", None]
    assert any("whole-number decimals" in w for w in table.warnings)


def test_labels_differing_by_case_or_spaces_are_unified_and_reported(run_fast):
    data = b"text,label\nlost card,Card\nstolen card,card \nmy card,  CARD\ncard gone,Card\nrefund,refund\nhi,\n"
    table, result = run_fast(data, "case.csv")
    assert table.codec.names == ("Card", "refund")
    assert any("differ only by case or spaces" in w and "'card' -> 'Card'" in w and "'CARD' -> 'Card'" in w for w in table.warnings)
    assert result.labeled_table().proposed_label.tolist()[:4] == ["Card"] * 4


def test_some_empty_texts_are_kept_and_reported(run_fast):
    table, result = run_fast(b"text,label\n,a\nrefund please,a\n   ,\nlost card,b\nlost my card,\n", "gaps.csv")
    assert len(result.labeled_table()) == 5
    assert any("2 rows have an empty text" in w for w in table.warnings)


def test_texts_of_100000_characters(run_fast, tmp_path):
    long_text = ("refund " * 14286)[:100_000]
    frame = pd.DataFrame({"text": [long_text, "lost card", long_text[:-1] + "x", "card lost abroad"],
                          "label": ["refund", "card", None, None]})
    table, result = run_fast(to_csv_bytes(frame), "long.csv")
    csv, jsonl, parquet = exported(result, tmp_path)
    for out in (csv, jsonl, parquet):
        assert out.text.tolist() == frame.text.tolist()


WEIRD = ["emoji 😀👍🏽 👨‍👩‍👧", "שלום עולם מה שלומך", "مرحبا بالعالم", "\u202eright-to-left override",
         "bell\x07 escape\x1b[31m tab\there", "zero\u200bwidth joiner\u200d", "comma, \"quoted\" and\nnewline",
         "carriage\rreturn", "=HYPERLINK(\"http://x\")", "日本語のテキスト"]


def test_emoji_rtl_and_control_characters_survive_every_export(run_fast, tmp_path):
    frame = pd.DataFrame({"text": WEIRD, "label": ["a", "b", None, None, "a", None, None, "b", None, None]})
    table, result = run_fast(parquet_bytes(frame), "weird.parquet")
    csv, jsonl, parquet = exported(result, tmp_path)
    assert parquet.text.tolist() == WEIRD and jsonl.text.tolist() == WEIRD
    assert [t[1:] if t.startswith("'=") else t for t in csv.text] == WEIRD  # CSV: formula neutralised only
    table, _ = run_fast(to_csv_bytes(frame), "weird.csv")  # and the CSV export reads back as the same table
    assert [t[1:] if t.startswith("'=") else t for t in table.texts] == WEIRD


def test_stray_nul_and_lone_surrogates_are_repaired_and_reported(run_fast):
    table, _ = run_fast(b"text,label\nab\x00c,x\ndef,\n", "nul.csv")
    assert table.texts == ["abc", "def"] and any("1 NUL" in w for w in table.warnings)
    table, result = run_fast(b'{"text": "bad \\ud800 half", "label": "x"}\n{"text": "fine \\ud83d\\ude00"}\n', "s.jsonl")
    assert table.texts == ["bad \ufffd half", "fine 😀"]


def test_duplicate_texts_with_different_labels_keep_their_own_labels(run_fast):
    data = b"text,label\nrefund please,refund\nrefund please,billing\nrefund please,\nlost card,card\nlost card,card\n"
    table, result = run_fast(data, "dup.csv")
    assert any("more than once with different labels" in w and "refund please" in w for w in table.warnings)
    out = result.labeled_table()
    assert out.proposed_label.tolist()[:2] == ["refund", "billing"] and out.label_source.tolist()[:2] == ["human"] * 2
    assert out.proposed_label[2] in ("refund", "billing")


def test_all_rows_labeled(run_fast):
    table, result = run_fast(topic_rows(30, labels=("refund", "card", "pin")).encode(), "all.csv")
    out = result.labeled_table()
    assert (out.label_source == "human").all() and len(result.candidates) == 0
    assert out.confidence.eq(1.0).all()


def test_no_row_labeled_is_plain_discovery(run_fast, tmp_path):
    table, result = run_fast(topic_rows(30, labels=(None,)).encode(), "none.csv")
    assert any("no row of 'label' is labeled" in w for w in table.warnings)
    out = result.labeled_table()
    assert set(out.label_source) <= {"candidate", "cluster"} and len(result.candidates) >= 1
    assert set(out.proposed_label) <= set(result.clusters.display_name)
    assert len(exported(result, tmp_path)[0]) == 30


def test_no_label_column_at_all(run_fast):
    table, result = run_fast(b"text\nrefund please\nlost card\nchange pin\n", "plain.csv")
    assert table.label_column is None and any("no 'label' column" in w for w in table.warnings)
    assert len(result.labeled_table()) == 3


def test_only_one_class_labeled(run_fast):
    table, result = run_fast(topic_rows(30, labels=("refund", None, None)).encode(), "one-class.csv")
    assert any("only one class ('refund')" in w for w in table.warnings)
    assert set(result.labeled_table().proposed_label) <= {"refund"} | set(result.candidates.display_name)


def test_quoted_fields_with_newlines(run_fast, tmp_path):
    data = b'text,label\n"first line\nsecond line",a\n"he said ""hi"",\r\nthen left",\nplain,b\n'
    table, result = run_fast(data, "nl.csv")
    assert table.texts == ["first line\nsecond line", 'he said "hi",\r\nthen left', "plain"]
    csv, jsonl, parquet = exported(result, tmp_path)
    assert csv.text.tolist() == table.texts == parquet.text.tolist()


def test_semicolon_csv_from_european_excel(run_fast):
    table, _ = run_fast("text;label\ncafé;a\nthé;\n".encode(), "excel.csv")
    assert table.texts == ["café", "thé"] and any("split at ';'" in w for w in table.warnings)


def test_json_array_file(run_fast):
    table, _ = run_fast(b'[{"text": "refund please", "label": "r"}, {"text": "lost card"}]', "rows.json")
    assert table.texts == ["refund please", "lost card"] and table.n_labeled == 1


def test_texts_without_any_word_still_embed(run_fast):
    table, result = run_fast("text,label\n😀,a\n🙂,\n!!!,b\n???,\n".encode(), "symbols.csv")
    assert len(result.labeled_table()) == 4


def test_parquet_with_nested_and_list_columns_is_kept_and_exported(run_fast, tmp_path):
    frame = pd.DataFrame({"text": ["refund my money", "lost card abroad", "card stolen", "refund late"],
                          "label": ["refund", "card", None, None],
                          "tags": [["a", "b"], [], ["c"], ["d"]],
                          "meta": [{"k": 1, "v": "x"}, {"k": 2, "v": "y"}, {"k": 3, "v": "z"}, {"k": 4, "v": "w"}]})
    table, result = run_fast(parquet_bytes(frame), "nested.parquet")
    assert {"tags", "meta"} <= set(table.frame.columns)
    csv, jsonl, parquet = exported(result, tmp_path)
    assert json.loads(csv.tags[0]) == ["a", "b"] and json.loads(csv.meta[1]) == {"k": 2, "v": "y"}
    assert list(parquet.tags[0]) == ["a", "b"] and jsonl.meta[3] == {"k": 4, "v": "w"}


def test_exported_column_names_clash_with_the_tool_columns(run_fast, tmp_path):
    data = b"text,label,proposed_label,confidence\nrefund please,r,mine,high\nlost card,,mine,low\n"
    _, result = run_fast(data, "clash.csv")
    out = result.labeled_table()
    assert out.proposed_label.tolist() == ["mine", "mine"] and "proposed_label_discovery" in out.columns
