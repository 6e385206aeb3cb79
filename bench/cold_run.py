"""One seed's whole run from nothing cached: wall time and peak memory (issue 5: at most 15 min, 4 GB).

Runs ``discovery evaluate`` as a child process with an empty cache (``LABEL_DISCOVERY_CACHE`` in a
fresh temporary folder), so the model is adapted to the labeled rows and every text is embedded
again, exactly as a user's first run. The child's peak resident memory comes from ``os.wait4``.
Results go to bench/results/cold_run.json (earlier runs of the same dataset, ratio and seed kept under ``earlier``) and into docs/benchmarks.md
(``python bench/run_benchmarks.py --report-only``).

    python bench/cold_run.py --dataset banking --known-ratio 1.0 --seed 0
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("BENCH_DATA") or ROOT.parent / "shared" / "datasets")
RESULTS = ROOT / "bench" / "results" / "cold_run.json"
sys.path.insert(0, str(ROOT / "bench"))

from run_benchmarks import _machine  # noqa: E402  (the commit, or BENCH_COMMIT, as every result records it)


def run_cold(dataset: str, known_ratio: float, seed: int) -> dict:
    """Run one seed in a child process with an empty cache; its scores, wall time and peak memory."""
    with tempfile.TemporaryDirectory(prefix="cold-cache-") as cache, tempfile.TemporaryDirectory() as out:
        report = Path(out) / "result.json"
        command = [sys.executable, "-m", "discovery.cli", "evaluate", str(DATA / dataset), "--known-ratio",
                   str(known_ratio), "--seeds", str(seed), "--quiet", "--json", str(report)]
        env = dict(os.environ, LABEL_DISCOVERY_CACHE=cache, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(command)} failed with exit code {os.waitstatus_to_exitcode(status)}")
        seed_result = json.loads(report.read_text())["per_seed"][0]
    return {"dataset": dataset, "known_ratio": known_ratio, "seed": seed, "wall_seconds": round(seconds, 1),
            "peak_memory_gb": round(usage.ru_maxrss * 1024 / 1e9, 2),  # ru_maxrss is in KiB on Linux
            "adapt_seconds": round(seed_result["adapt_seconds"], 1), "embed_seconds": round(seed_result["embed_seconds"], 1),
            "fillin_acc": seed_result["fillin_acc"], "acc": seed_result["acc"], "cpus": os.cpu_count(),
            "commit": _machine()["commit"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="banking")
    parser.add_argument("--known-ratio", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    row = run_cold(args.dataset, args.known_ratio, args.seed)
    print(json.dumps(row))
    if RESULTS.exists():  # earlier runs stay beside the new one: the same work drifts by up to 2x between runs
        before = json.loads(RESULTS.read_text())
        same = [run for run in [before] + before.get("earlier", [])
                if (run["dataset"], run["known_ratio"], run["seed"]) == (args.dataset, args.known_ratio, args.seed)]
        row["earlier"] = [{k: v for k, v in run.items() if k != "earlier"} for run in same]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(row, indent=1) + "\n")
    print(f"wrote {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
