"""The README's Python example runs as written, on the bundled demo, in a scratch folder."""

import re
import shutil

from discovery import read_table
from shared_paths import DEMO, ROOT


def test_the_python_example_runs_as_written(tmp_path, monkeypatch, capsys):
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    (tmp_path / "data").mkdir()
    shutil.copy(DEMO, tmp_path / "data" / DEMO.name)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "keywords" in printed and "sure of" in printed and "[20 rows x 3 columns]" in printed
    assert (tmp_path / "out" / "proposed_labels.csv").exists() and (tmp_path / "out" / "manifest.json").exists()
    assert "'my_new_category' (5)" in printed  # the named candidate's representatives carry its name
    reviewed = read_table(tmp_path / "out" / "reviewed.parquet")
    assert (reviewed.codec.decode(reviewed.labels).count("my_new_category")) == 5
