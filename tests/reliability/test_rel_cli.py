"""Bad input through the command line: exit status 2 and one ``error:`` line naming the file, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from rel_helpers import parquet_bytes

DISCOVERY = Path(sys.executable).with_name("discovery")


def run_cli(*args, prefix=()):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [*prefix, *map(str, args)] if prefix else [str(DISCOVERY), *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def assert_one_clear_error(done, name, *fragments):
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert name in errors[0], errors[0]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


CASES = {
    "empty.csv": (b"", ["the file is empty"]),
    "header-only.csv": (b"text,label\n", ["no data rows"]),
    "binary.csv": (Path(sys.executable).read_bytes()[:20000], ["binary file"]),
    "image.csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(500), ["PNG image"]),
    "latin1.csv": ("text,label\ncafé,a\nthé,\n".encode("latin-1"), ["not valid UTF-8", "--encoding latin-1"]),
    "utf16-bad.csv": (b"\xff\xfe" + b"\x00\xd8" + "text\n".encode("utf-16-le"), ["UTF-16"]),
    "no-text.csv": (b"text,label\n,a\n,\n", ["'text'", "empty in every row"]),
    "wrong-col.csv": (b"body,label\nhi,a\n", ["'text'", "--text-col", "'body'"]),
    "broken.jsonl": (b'{"text": "a"}\n{"text": \n', ["line 2", "fix or delete that line"]),
    "ragged.csv": (b"text,label\nhello, world,a\n", ["more fields than the header", "double quotes"]),
    "open-quote.csv": (b'text,label\n"no end,a\n', ["quote is closed"]),
    "nested-text.parquet": (parquet_bytes(pd.DataFrame({"text": [["a"], ["b"]]})), ["'text'", "lists"]),
    "damaged.parquet": (b"PAR1 not really parquet PAR1", ["not a readable Parquet file"]),
    "sheet.xlsx": (b"PK\x03\x04", ["unknown file format"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_file_exits_2_with_one_error_line(tmp_path, name):
    data, fragments = CASES[name]
    path = tmp_path / name
    path.write_bytes(data)
    done = run_cli("run", path, "--model", "tfidf", "--quiet", "--out", tmp_path / "out")
    assert_one_clear_error(done, name, *fragments)
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_missing_file_and_folder(tmp_path):
    assert_one_clear_error(run_cli("run", tmp_path / "nope.csv", "--model", "tfidf", "--quiet", "--out", tmp_path / "o"),
                           "nope.csv", "file not found")
    (tmp_path / "dir.csv").mkdir()
    assert_one_clear_error(run_cli("run", tmp_path / "dir.csv", "--model", "tfidf", "--quiet", "--out", tmp_path / "o"),
                           "dir.csv", "is a folder")


def test_bad_options_name_the_file_and_the_fix(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("text,label\nhello,a\n")
    assert_one_clear_error(run_cli("run", path, "--encoding", "klingon", "--model", "tfidf", "--quiet", "--out", tmp_path),
                           "t.csv", "unknown encoding")
    assert_one_clear_error(run_cli("run", path, "--label-col", "category", "--model", "tfidf", "--quiet", "--out", tmp_path),
                           "t.csv", "'category'", "--label-col")


def test_file_larger_than_memory_is_refused_before_reading(tmp_path):
    """The real CLI in a child process, with only the memory probe replaced (1 MiB available)."""
    path = tmp_path / "big.csv"
    path.write_text("text,label\n" + "a text of some length,x\n" * 10_000)
    code = ("import sys, discovery.io as io; io.available_memory_bytes = lambda: 2**20; "
            "from discovery.cli import main; sys.exit(main(sys.argv[1:]))")
    done = run_cli("run", path, "--model", "tfidf", "--quiet", "--out", tmp_path / "out",
                   prefix=(sys.executable, "-c", code))
    assert_one_clear_error(done, "big.csv", "the file is 234.4 KiB", "1.0 MiB is available", "split the file")
