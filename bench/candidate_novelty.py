"""Is a candidate's share of rows outside every named class evidence that it is a new category?

The Candidates page offers to merge a candidate into the named class the fill-in proposes for most of its rows,
and says how much the named classes explain of it (``known_fit``, the fill-in's mean confidence). The fill-in can
be sure of rows of a class nobody named, so this measures a second signal that does not come from the fill-in:
the share of a candidate's unlabeled rows less similar to every named class's centroid than all but a quantile of
the labeled rows are to their own (``cluster.rows_outside_known_classes``, the evidence the K estimate reads over
the whole table), at the quantile the pipeline uses (0.02 on fine-tuned vectors, 0.05 on others) and at 0.1.

Draws as ``bench/candidate_order.py``: every class but ``--unnamed N`` named, labeled ratio 0.1, the tool run with
the number of new clusters it estimates and with 20. A candidate *is* an unnamed category when more than half of
its unlabeled rows belong to one. Scored: average precision of each signal for those candidates (all seeds'
candidates pooled), and what a one-click merge of every candidate with ``known_fit`` >= 0.8 would take: the share
of the unnamed-class rows in candidates it merges away and of the known-class rows it puts back, without a guard
and when candidates with at least 10% of their rows outside are left out of it.

usage: python bench/candidate_novelty.py [--adapt] [--datasets ...] [--seeds 0 1 2]
       (frozen vectors: about 15 minutes on the four datasets once their vectors are cached; --adapt fine-tunes
       the model on each draw's labels as the tool does, minutes a draw when not cached)
Each setting's totals go into bench/results/candidate_novelty.json and from there into docs/benchmarks.md
(`python bench/run_benchmarks.py --report-only`).
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from candidate_order import draw_and_vectors  # noqa: E402
from discovery.evaluate import load_dataset  # noqa: E402
from run_benchmarks import DATA, _machine, record_setting  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "candidate_novelty.json"
MOSTLY_UNNAMED = 0.5
MERGE_AT = 0.8  # known_fit at which a one-click merge is taken
GUARD = 0.1  # share of rows outside every named class that leaves a candidate out of the merge


def candidate_records(result, X, y, labels, known, labeled, quantiles) -> list[dict]:
    """Per candidate: its unlabeled rows, the share of them of unnamed classes, known_fit, the outside shares."""
    from discovery.cluster import rows_outside_known_classes

    clusters = result.rows.cluster_id.to_numpy()
    unnamed = np.array([label not in known for label in labels])
    outside = {q: rows_outside_known_classes(X, y, q) for q in quantiles}
    records = []
    for cluster_id, candidate in result.candidates.iterrows():
        rows = (clusters == cluster_id) & ~labeled
        if rows.any():
            records.append({"rows": int(rows.sum()), "unnamed_share": float(unnamed[rows].mean()),
                            "known_fit": None if pd.isna(candidate.known_fit) else float(candidate.known_fit),
                            **{f"outside_{q}": float(outside[q][rows].mean()) for q in quantiles}})
    return records


def summary(records: list[dict], quantiles) -> dict:
    from sklearn.metrics import average_precision_score

    d = pd.DataFrame(records)
    is_new = (d.unnamed_share > MOSTLY_UNNAMED).to_numpy()
    fit = d.known_fit.fillna(0.0)
    out = {"candidates": int(len(d)), "mostly_unnamed": int(is_new.sum())}
    if 0 < is_new.sum() < len(d):
        out["ap_unexplained"] = float(average_precision_score(is_new, 1 - fit))
        for q in quantiles:
            out[f"ap_outside_{q}"] = float(average_precision_score(is_new, d[f"outside_{q}"]))
    unnamed_rows, known_rows = d.rows * d.unnamed_share, d.rows * (1 - d.unnamed_share)
    for name, merged in [("no_guard", fit >= MERGE_AT)] + [
            (f"guard_{q}", (fit >= MERGE_AT) & (d[f"outside_{q}"] < GUARD)) for q in quantiles]:
        out[f"unnamed_merged_{name}"] = float(unnamed_rows[merged].sum() / max(unnamed_rows.sum(), 1e-9))
        out[f"known_merged_{name}"] = float(known_rows[merged].sum() / max(known_rows.sum(), 1e-9))
    return out


def main() -> None:
    from discovery.cluster import OUTSIDE_QUANTILE
    from discovery.pipeline import DiscoveryConfig, is_adapted, run_discovery

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["banking", "stackoverflow", "snips", "mcid_mtpclnn"])
    parser.add_argument("--unnamed", type=int, default=2, metavar="N", help="name every class but N")
    parser.add_argument("--adapt", action="store_true", help="fine-tune the model on each draw's labels, as the tool does")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    quantiles = (OUTSIDE_QUANTILE["adapted" if args.adapt else "not adapted"], 0.1)
    for name in args.datasets:
        train, _ = load_dataset(DATA / name)
        texts, labels = train.text.tolist(), train.label.to_numpy(dtype=object).astype(str)
        n_classes = len(set(labels))
        ratio = (n_classes - args.unnamed) / n_classes
        records = {"estimated": [], "20": []}
        started = time.perf_counter()
        for seed in args.seeds:
            known, labeled, table, embedder, X, middle = draw_and_vectors(texts, labels, ratio, seed,
                                                                          "candidate-novelty", adapt=args.adapt)
            for setting in records:
                config = DiscoveryConfig(random_state=seed, make_map=False, adapt=args.adapt,
                                         n_new_clusters=None if setting == "estimated" else int(setting))
                result = run_discovery(table, config, embeddings=X, embeddings_adapted=is_adapted(embedder),
                                       middle_layer=middle)
                records[setting] += candidate_records(result, X, table.labels, labels, set(known), labeled, quantiles)
                print(name, seed, setting, len(records[setting]), file=sys.stderr, flush=True)
        for setting, pooled in records.items():
            record_setting(RESULTS, {"dataset": name, "unnamed": args.unnamed, "known_ratio": round(ratio, 3),
                                     "vectors": "adapted" if args.adapt else "frozen", "new_clusters": setting,
                                     "seeds": args.seeds, "quantiles": list(quantiles),
                                     "summary": summary(pooled, quantiles), "candidates": pooled,
                                     "minutes": (time.perf_counter() - started) / 60, "machine": _machine()},
                           ("dataset", "unnamed", "vectors", "new_clusters"), labeled_ratio=0.1,
                           model="all-MiniLM-L6-v2, frozen or adapted to each draw's labels")
        print(f"wrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
