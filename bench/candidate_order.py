"""Which candidates a researcher should review first, when nearly every category is named.

Every class but ``--unnamed N`` is named (known ratio (classes - N) / classes, labeled ratio 0.1, the protocol's
draw), the model is fine-tuned on the draw's labels as the tool does, and the tool runs with the number of new
clusters it estimates and with ``--new-clusters`` more (asking for more than one expects: the free clusters go to
sub-groups of named classes first). Scored with the true labels of the unlabeled train rows: the share of the
unnamed-class rows (and of the known-class unlabeled rows) in candidate clusters, and how well the order of
``Discovery.candidates`` (most rows no named class explains first, ``result.known_class_fit``) puts the candidates
made mostly of unnamed-class rows first, against ordering them by size: average precision and the share of such
candidates among the first five (seeds with both kinds of candidates).

usage: python bench/candidate_order.py [--datasets banking ...] [--unnamed 2] [--new-clusters estimated 20]
       [--seeds 0 1 2]   (about 25 minutes on the four datasets once the adapted models are cached, e.g. by
       `bench/split_flagged_clusters.py --unnamed 2 --adapted`; 1-8 minutes more per draw when not)
Each setting's totals go into bench/results/candidate_order.json (a setting run again replaces its entry) and from
there into docs/benchmarks.md (`python bench/run_benchmarks.py --report-only`).
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

from discovery.evaluate import load_dataset, protocol_draw  # noqa: E402
from run_benchmarks import DATA, _machine, record_setting  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "candidate_order.json"
MOSTLY_UNNAMED = 0.5  # a candidate "is" an unnamed category when more than this share of its rows are
MERGE_BACK = (0.9, 0.8, 0.7)  # known_fit at which a candidate would be merged back into its closest class


def order_scores(mostly_unnamed: np.ndarray) -> tuple[float, float]:
    """(average precision, share among the first five) of candidates listed in review order."""
    from sklearn.metrics import average_precision_score

    ranks = -np.arange(len(mostly_unnamed))  # the first listed scores highest
    return float(average_precision_score(mostly_unnamed, ranks)), float(np.mean(mostly_unnamed[:5]))


def score_run(result, labels: np.ndarray, known: set, labeled: np.ndarray) -> dict:
    """One run's candidates against the truth (``labels``: every train row's true class)."""
    clusters = result.rows.cluster_id.to_numpy()
    unnamed = np.array([label not in known for label in labels])
    known_unlabeled = ~labeled & ~unnamed
    candidates = result.candidates
    in_candidate = np.isin(clusters, candidates.index)
    share_unnamed = pd.Series(unnamed).groupby(clusters).mean()
    tool = (share_unnamed.reindex(candidates.index).to_numpy() > MOSTLY_UNNAMED)
    by_size = candidates.sort_values(["size", "cohesion"], ascending=[False, False], kind="stable")
    size = (share_unnamed.reindex(by_size.index).to_numpy() > MOSTLY_UNNAMED)
    out = {"candidates": int(len(candidates)), "mostly_unnamed": int(tool.sum()),
           "unnamed": int(unnamed.sum()), "unnamed_in_candidates": int((in_candidate & unnamed).sum()),
           "known_unlabeled": int(known_unlabeled.sum()),
           "known_unlabeled_in_candidates": int((in_candidate & known_unlabeled).sum())}
    for threshold in MERGE_BACK:  # what merging back every candidate the named classes explain this well leaves
        kept = np.isin(clusters, candidates.index[~(candidates.known_fit >= threshold)])
        out[f"unnamed_kept_{threshold}"] = int((kept & unnamed).sum())
        out[f"known_unlabeled_kept_{threshold}"] = int((kept & known_unlabeled).sum())
    if 0 < tool.sum() < len(tool):
        out["tool_ap"], out["tool_top5"] = order_scores(tool)
        out["size_ap"], out["size_top5"] = order_scores(size)
    return out


def draw_and_vectors(texts: list, labels: np.ndarray, ratio: float, seed: int, name: str, adapt: bool = True):
    """The protocol's draw at ``ratio`` (labeled ratio 0.1) as a table, the model fitted to its labels as the tool
    does (fine-tuned unless ``adapt`` is False) and its vectors: (known, labeled, table, embedder, X, middle)."""
    from discovery.io import table_from_frame
    from discovery.pipeline import DiscoveryConfig, fit_embedder, vectors_and_middle_layer

    known, labeled = protocol_draw(labels, ratio, 0.1, seed)
    frame = pd.DataFrame({"text": texts, "label": np.where(labeled, labels, "")})
    table = table_from_frame(frame, name="train", data_hash=f"{name}-{seed}", text_column="text", label_column="label")
    embedder = fit_embedder(table.texts, table.labels, DiscoveryConfig(random_state=seed, make_map=False, adapt=adapt))
    X, middle = vectors_and_middle_layer(embedder, table.texts)  # as run_discovery reads them
    return known, labeled, table, embedder, X, middle


def main() -> None:
    from discovery.pipeline import DiscoveryConfig, is_adapted, run_discovery

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["banking", "stackoverflow", "snips", "mcid_mtpclnn"])
    parser.add_argument("--unnamed", type=int, default=2, metavar="N", help="name every class but N")
    parser.add_argument("--new-clusters", nargs="+", default=["estimated", "20"],
                        help="'estimated' (the tool's estimate) and/or counts of new clusters to ask for")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    for name in args.datasets:
        train, _ = load_dataset(DATA / name)
        texts, labels = train.text.tolist(), train.label.to_numpy(dtype=object).astype(str)
        n_classes = len(set(labels))
        ratio = (n_classes - args.unnamed) / n_classes
        runs = {setting: [] for setting in args.new_clusters}
        started = time.perf_counter()
        for seed in args.seeds:
            known, labeled, table, embedder, X, middle = draw_and_vectors(texts, labels, ratio, seed, "candidate-order")
            for setting in args.new_clusters:
                n_new = None if setting == "estimated" else int(setting)
                config = DiscoveryConfig(random_state=seed, make_map=False, n_new_clusters=n_new)
                result = run_discovery(table, config, embeddings=X, embeddings_adapted=is_adapted(embedder),
                                       middle_layer=middle)
                scored = dict(score_run(result, labels, set(known), labeled), seed=seed,
                              n_new=int(result.clustering.get("n_new_clusters", n_new or 0)))
                runs[setting].append(scored)
                print(name, seed, setting, scored, file=sys.stderr, flush=True)
        for setting, draws in runs.items():
            ordered = [d for d in draws if "tool_ap" in d]
            totals = {key: int(sum(d[key] for d in draws)) for key in
                      ("candidates", "mostly_unnamed", "unnamed", "unnamed_in_candidates", "known_unlabeled",
                       "known_unlabeled_in_candidates", "n_new")
                      + tuple(f"{kind}_kept_{t}" for t in MERGE_BACK for kind in ("unnamed", "known_unlabeled"))}
            means = {key: float(np.mean([d[key] for d in ordered])) for key in
                     ("tool_ap", "tool_top5", "size_ap", "size_top5")} if ordered else {}
            record_setting(RESULTS, {"dataset": name, "unnamed": args.unnamed, "known_ratio": round(ratio, 3),
                                     "new_clusters": setting, "seeds": args.seeds, "totals": totals,
                                     "order": means, "ordered_seeds": [d["seed"] for d in ordered], "draws": draws,
                                     "minutes": (time.perf_counter() - started) / 60, "machine": _machine()},
                           ("dataset", "unnamed", "new_clusters"),
                           model="all-MiniLM-L6-v2 adapted to each draw's labels", labeled_ratio=0.1)
        print(f"wrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
