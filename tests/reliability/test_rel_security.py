"""Safe by default: no unpickling of user or workspace files, uploads stay inside the workspace,
the server listens on localhost, user text is never rendered as HTML, CSV exports neutralise formulas."""

import io
import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from discovery import InputError
from discovery.export import to_csv_bytes
from discovery.workspace import safe_upload_path

ROOT = Path(__file__).resolve().parents[2]
UNSAFE_LOADS = re.compile(r"pickle\.loads?\(|joblib\.load\(|allow_pickle\s*=\s*True|dill\.loads?\(|cloudpickle\.loads?\("
                          r"|torch\.load\(|yaml\.load\(|yaml\.unsafe_load\(|(?<![.\w])eval\(|(?<![.\w])exec\(")


def python_files():
    for folder in ("discovery", "dashboard"):
        yield from (ROOT / folder).rglob("*.py")


def test_no_unsafe_deserialisation_in_the_code():
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for path in python_files()
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if UNSAFE_LOADS.search(line) and not line.lstrip().startswith("#")]
    assert not found, "unsafe loading of data:\n" + "\n".join(found)


@pytest.mark.parametrize("filename, expected", [
    ("data.csv", "data.csv"),
    ("../data.csv", "data.csv"),
    ("../../../../etc/passwd.csv", "passwd.csv"),
    ("/etc/passwd.csv", "passwd.csv"),
    ("..\\..\\windows\\system32\\x.csv", "x.csv"),
    ("C:\\Users\\me\\Desktop\\tickets.parquet", "tickets.parquet"),
    ("sub/dir/t.jsonl", "t.jsonl"),
    ("tab\tand\x00nul.csv", "tabandnul.csv"),
    ("données été.csv", "données été.csv"),
])
def test_upload_names_stay_inside_the_workspace(tmp_path, filename, expected):
    path = safe_upload_path(tmp_path, filename)
    assert path == tmp_path.resolve() / expected
    assert path.parent == tmp_path.resolve()


@pytest.mark.parametrize("filename", ["", ".", "..", "...", "../", "..\\", "/", "a/..", ".hidden.csv",
                                      "decisions.json", " ", None])
def test_unusable_upload_names_are_refused(tmp_path, filename):
    with pytest.raises(InputError, match="not a usable file name"):
        safe_upload_path(tmp_path, filename)


def test_very_long_upload_names_keep_their_extension(tmp_path):
    path = safe_upload_path(tmp_path, "é" * 300 + ".csv")
    assert path.suffix == ".csv" and len(path.name.encode()) <= 200 and path.parent == tmp_path.resolve()


def test_server_binds_to_localhost_by_default():
    config = ROOT / ".streamlit" / "config.toml"
    if not config.exists():
        pytest.skip("no .streamlit/config.toml yet")
    settings = tomllib.loads(config.read_text(encoding="utf-8"))
    assert settings.get("server", {}).get("address") == "localhost"


def test_dashboard_never_renders_html():
    if not (ROOT / "dashboard").exists():
        pytest.skip("no dashboard yet")
    found = [f"{path.relative_to(ROOT)}:{n}" for path in (ROOT / "dashboard").rglob("*.py")
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"unsafe_allow_html\s*=\s*True|st\.html\(|components\.html\(", line)]
    assert not found, found


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "=HYPERLINK(\"http://evil\")", "\t=1", "\r=1",
                                  "-2+3", "=cmd|' /C calc'!A0"])
def test_csv_export_neutralises_formula_cells(cell):
    frame = pd.DataFrame({"text": [cell, "plain"], "label": [cell, None], "proposed_label": [cell, "ok"],
                          "confidence": [-0.5, 0.9], cell: ["x", "y"]})
    data = to_csv_bytes(frame)
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back.text[0] == back.label[0] == back.proposed_label[0] == "'" + cell
    assert back.columns[-1] == "'" + cell  # header cells too
    assert back.text[1] == "plain" and back.confidence[0] == "-0.5"  # numbers stay numbers


def test_run_export_neutralises_formulas_in_proposed_labels_csv(tmp_path):
    from discovery import DiscoveryConfig, read_table_bytes, run_discovery, write_outputs

    data = b"text,label\n=1+1 refund please,=cmd\n@lost card,@x\n+refund now,\n-my card is gone,\n"
    result = run_discovery(read_table_bytes(data, "f.csv"), DiscoveryConfig(model="tfidf", make_map=False))
    write_outputs(result, tmp_path)
    csv = pd.read_csv(tmp_path / "proposed_labels.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    for column in ("text", "label", "proposed_label"):
        assert not any(v.startswith(("=", "+", "-", "@")) for v in csv[column]), csv[column].tolist()
    jsonl = pd.read_json(tmp_path / "proposed_labels.jsonl", lines=True)
    assert jsonl.text[0] == "=1+1 refund please"  # the data formats keep the exact text
