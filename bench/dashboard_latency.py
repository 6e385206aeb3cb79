"""How responsive is the dashboard on 50,000 texts? Page changes and decisions, measured through AppTest.

    .venv/bin/python bench/dashboard_latency.py [--rows 50000] [--model tfidf]

Texts: BANKING77 + StackOverflow + SNIPS (train, dev, test) from ../shared/datasets, concatenated
(47,567 texts; topped up to --rows with repeated texts);
60% of the classes known with 10% of their rows labeled (like the demo). The times include
Streamlit's script run and the serialisation of every element (the 50k-point figure, tables),
not the browser's drawing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
sys.path.insert(0, str(ROOT))


def make_data(n_rows: int, out: Path, seed: int = 0) -> Path:
    parts = []
    for name in ("banking", "stackoverflow", "snips"):
        for split in ("train", "dev", "test"):
            frame = pd.read_csv(SHARED / name / f"{split}.tsv", sep="\t", dtype=str, keep_default_na=False)
            parts.append(frame.assign(label=name + ":" + frame.label))
    frame = pd.concat(parts, ignore_index=True)
    rng = np.random.RandomState(seed)
    order = rng.permutation(len(frame))
    if n_rows > len(frame):  # top up with repeated texts (real data has duplicates too)
        order = np.concatenate([order, rng.choice(len(frame), n_rows - len(frame), replace=True)])
    frame = frame.iloc[order[:n_rows]].reset_index(drop=True)
    classes = sorted(frame.label.unique())
    known = set(rng.choice(classes, size=round(len(classes) * 0.6), replace=False))
    keep = frame.label.isin(known) & (rng.rand(len(frame)) < 0.1)
    frame["label"] = frame.label.where(keep, "")
    path = out / f"texts_{len(frame)}.csv"
    frame[["text", "label"]].to_csv(path, index=False)
    return path


def timed(label: str, action, timings: dict) -> None:
    start = time.perf_counter()
    at = action()
    timings[label] = round(time.perf_counter() - start, 2)
    if at is not None and (at.exception or at.error):
        raise SystemExit(f"{label}: {[e.value for e in at.exception] + [e.value for e in at.error]}")
    print(f"{label:<40} {timings[label]:>7.2f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--model", default="tfidf", help="'tfidf' (default), or 'bundled' for all-MiniLM-L6-v2")
    parser.add_argument("--json", help="also write the timings to this JSON file")
    args = parser.parse_args()

    from streamlit.testing.v1 import AppTest

    from discovery import DiscoveryConfig

    work = Path(tempfile.mkdtemp(prefix="ld-dashboard-bench-"))
    os.environ["LABEL_DISCOVERY_WORKSPACE"] = str(work / "workspaces")
    path = make_data(args.rows, work)
    model = None if args.model == "bundled" else args.model
    print(f"{args.rows:,} texts in {path}; model {args.model}", flush=True)

    def session():
        at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=1800)
        at.session_state["source"] = {"kind": "path", "path": str(path), "text_column": "text"}
        at.session_state["config"] = DiscoveryConfig(model=model, random_state=0)
        return at

    timings: dict[str, float] = {}
    at = session()
    timed("first open (pipeline run, map page)", lambda: at.run(), timings)
    stages = {k: round(v, 1) for k, v in at.session_state["result"].timings.items()}
    print("   stages:", stages, flush=True)
    second = session()
    timed("second session (cached run, map page)", lambda: second.run(), timings)
    timed("rerun of the map page (no change)", lambda: at.run(), timings)
    for page in ("data", "clusters", "candidates", "fill", "export", "map"):
        timed(f"page change -> {page}", lambda page=page: at.switch_page(f"views/{page}.py").run(), timings)

    result = at.session_state["result"]
    candidates = [int(c) for c in result.candidates.index[:3]]
    unlabeled = result.rows.index[result.rows.human_label.isna()][:200].tolist()

    at.text_input(key="map_row_ids").set_value(", ".join(map(str, unlabeled))).run()
    at.text_input(key="map_label").set_value("bench_label")
    timed("decision: label 200 rows (map page)", lambda: at.button(key="FormSubmitter:label_selection-Label selected rows").click().run(), timings)
    at.switch_page("views/candidates.py").run()
    at.text_input(key=f"cand_name_{candidates[0]}").set_value("bench_category").run()
    timed("decision: name a candidate", lambda: at.button(key=f"cand_name_btn_{candidates[0]}").click().run(), timings)
    at.multiselect(key="merge_ids").set_value(candidates[1:3]).run()
    timed("decision: merge two clusters", lambda: at.button(key="merge_btn").click().run(), timings)
    timed("decision: dismiss a candidate", lambda: at.button(key=f"cand_dismiss_{candidates[0]}").click().run(), timings)
    at.switch_page("views/fill.py").run()
    at.slider(key="fill_threshold").set_value(0.6).run()
    timed("decision: confidence threshold", lambda: at.button(key="fill_apply").click().run(), timings)
    third = session()
    timed("new session replaying 5 decisions", lambda: third.run(), timings)
    workspace = third.session_state["workspace"]
    unlabeled = result.rows.index[result.rows.human_label.isna()][200:]
    for i, cluster_id in enumerate(int(c) for c in result.candidates.index[3:48]):  # 45 more: labels and names
        if i % 2:
            workspace.append({"action": "assign", "row_ids": unlabeled[i * 20:(i + 1) * 20].tolist(),
                              "label": f"bench_{i % 7}"})
        else:
            workspace.append({"action": "name", "cluster_id": cluster_id, "name": f"bench_name_{i}"})
    n_stored = len(workspace.load())
    fourth = session()
    timed(f"new session replaying {n_stored} decisions", lambda: fourth.run(), timings)
    print("   applied:", len(fourth.session_state["result"].decisions), "skipped:",
          len(fourth.session_state["result"].skipped_decisions), flush=True)
    at.switch_page("views/export.py").run()
    at.text_input(key="export_folder").set_value(str(work / "out")).run()
    timed("export all files (csv, jsonl, parquet, manifest)", lambda: at.button(key="export_save").click().run(), timings)
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": args.rows, "model": args.model, "cpus": os.cpu_count(),
                                               "stages": stages, "seconds": timings}, indent=2))


if __name__ == "__main__":
    main()
