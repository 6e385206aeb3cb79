"""How honest the fill-in's accuracy estimate and confidences are with few labels a class.

    python bench/estimate_few_labels.py                 # 4 datasets x k 3 5 10 20 x seeds 0 1 x every class named
                                                        # or a quarter unnamed, frozen model (about 40 minutes)
    python bench/estimate_few_labels.py --adapt --datasets mcid_mtpclnn stackoverflow --ks 5 10 --variants all

Tables of 1,500-3,000 stratified train rows (all of M-CID's); k labels drawn at random in each named class. Each run
appends one JSON line to ``bench/results/estimate_few_labels.jsonl`` (runs already recorded are skipped): the
manifest's ``fill_estimate`` beside the truth, the accuracy of the proposals on unlabeled rows given a named class
whose true class is named, their mean confidence and calibration error (ECE, 10 bins). ``docs/benchmarks.md``
("The estimate with few labels a class") averages them.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
from discovery import DiscoveryConfig, run_discovery, table_from_frame  # noqa: E402

DATA = Path(os.environ.get("BENCH_DATA") or ROOT.parent / "shared" / "datasets")
OUT = ROOT / "bench" / "results" / "estimate_few_labels.jsonl"
SIZES = {"banking": 3000, "stackoverflow": 2000, "snips": 2000, "mcid_mtpclnn": None}  # None: all rows
FILL_SOURCES = {"knn", "propagation", "classifier", "blend", "balanced"}


def commit() -> str | None:
    import subprocess
    found = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    return found.stdout.strip() or None


def base_table(name: str) -> pd.DataFrame:
    df = pd.read_csv(DATA / name / "train.tsv", sep="\t", keep_default_na=False, dtype=str)
    df = df[["text", "label"]].reset_index(drop=True)
    n = SIZES[name]
    if n is not None and n < len(df):  # stratified, fixed draw (seed 0) so embeddings are shared by every run
        from sklearn.model_selection import train_test_split
        df, _ = train_test_split(df, train_size=n, stratify=df.label, random_state=0)
    return df.reset_index(drop=True)


def draw(df: pd.DataFrame, k: int, seed: int, variant: str):
    rng = np.random.RandomState(seed)
    classes = np.array(sorted(df.label.unique()))
    if variant == "quarter":
        unnamed = set(np.random.RandomState(1000 + seed).choice(classes, int(round(len(classes) / 4)), replace=False))
    else:
        unnamed = set()
    named = [c for c in classes if c not in unnamed]
    labeled = np.zeros(len(df), dtype=bool)
    for c in named:
        rows = np.flatnonzero(df.label.to_numpy() == c)
        take = min(k, len(rows) - 2)  # always leave a couple unlabeled
        labeled[rng.choice(rows, take, replace=False)] = True
    return labeled, set(named)


def ece(conf: np.ndarray, right: np.ndarray, bins: int = 10) -> float:
    if not len(conf):
        return float("nan")
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.mean() * abs(conf[m].mean() - right[m].mean())
    return float(total)


def score(result, truth: np.ndarray, labeled: np.ndarray, named: set) -> dict:
    rows = result.rows
    proposed = rows.proposed_label.to_numpy(dtype=object)
    source = rows.label_source.to_numpy(dtype=object)
    conf = rows.confidence.to_numpy(dtype=float)
    # unlabeled rows given a named class (not an open candidate's placeholder)
    given_named = ~labeled & np.isin(proposed, list(named)) & (source != "candidate")
    true_named = np.isin(truth, list(named))
    m = given_named & true_named
    right = proposed == truth
    out = {
        "n_given_named": int(given_named.sum()),
        "n_given_named_true_named": int(m.sum()),
        "truth_acc": float(right[m].mean()),
        "truth_acc_all_given_named": float(right[given_named].mean()),  # unnamed-class rows count wrong
        "mean_conf": float(conf[m].mean()),
        "mean_conf_all_given_named": float(conf[given_named].mean()),
        "ece": ece(conf[m], right[m]),
        "ece_all_given_named": ece(conf[given_named], right[given_named]),
        "n_conf90": int((m & (conf >= 0.9)).sum()),
        "acc_conf90": float(right[m & (conf >= 0.9)].mean()) if (m & (conf >= 0.9)).any() else None,
        "n_conf90_all": int((given_named & (conf >= 0.9)).sum()),
        "acc_conf90_all": float(right[given_named & (conf >= 0.9)].mean()) if (given_named & (conf >= 0.9)).any() else None,
        "sources": pd.Series(source[~labeled]).value_counts().to_dict(),
        "unlabeled_true_named_in_candidates": int((~labeled & true_named & (source == "candidate")).sum()),
    }
    # per-method truth on the same rows (every method's own calibrated distribution)
    per = {}
    for meth in result.fill_accuracy:
        col = f"{meth}_label"
        if col in rows:
            lab = rows[col].to_numpy(dtype=object)
            c = rows[f"{meth}_confidence"].to_numpy(dtype=float)
            mm = ~labeled & true_named
            per[meth] = {"est": result.fill_accuracy[meth], "truth": float((lab[mm] == truth[mm]).mean()),
                         "conf": float(c[mm].mean())}
    out["per_method"] = per
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", nargs="+", default=list(SIZES))
    ap.add_argument("--ks", nargs="+", type=int, default=[3, 5, 10, 20])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    ap.add_argument("--variants", nargs="+", default=["all", "quarter"])
    ap.add_argument("--adapt", action="store_true")
    args = ap.parse_args()
    done = set()
    if OUT.exists():
        for line in OUT.read_text().splitlines():
            r = json.loads(line)
            done.add((r["dataset"], r["k"], r["seed"], r["variant"], r["adapt_setting"]))
    for name in args.datasets:
        df = base_table(name)
        truth = df.label.to_numpy(dtype=object)
        for variant in args.variants:
            for k in args.ks:
                for seed in args.seeds:
                    key = (name, k, seed, variant, args.adapt)
                    if key in done:
                        continue
                    labeled, named = draw(df, k, seed, variant)
                    frame = pd.DataFrame({"text": df.text, "label": np.where(labeled, truth, None)})
                    t0 = time.time()
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always")
                        table = table_from_frame(frame)
                        result = run_discovery(table, DiscoveryConfig(adapt=args.adapt, random_state=seed, make_map=False))
                    est = result.fill_estimate
                    rec = {"commit": commit(), "dataset": name, "n_rows": len(df), "k": k, "seed": seed, "variant": variant,
                           "adapt_setting": args.adapt, "n_named": len(named), "n_classes": int(df.label.nunique()),
                           "n_labeled": int(labeled.sum()), "seconds": round(time.time() - t0, 1),
                           "adapted": bool(result.used_labels.get("embed")),
                           "adaptation": result.adaptation, "fill_method": result.fill_method,
                           "fill_accuracy": result.fill_accuracy, "fill_calibration": result.fill_calibration,
                           "fill_balance": result.fill_balance, "fill_words": result.fill_words,
                           "fill_estimate": est, "warnings": [str(w.message)[:300] for w in caught],
                           **score(result, truth, labeled, named)}
                    with OUT.open("a") as f:
                        f.write(json.dumps(rec, default=str) + "\n")
                    print(f"{name} k={k} s={seed} {variant} adapt={rec['adapted']} est={est.get('accuracy')} "
                          f"{est.get('interval_95')} n={est.get('scored_rows')} truth={rec['truth_acc']:.3f} "
                          f"conf={rec['mean_conf']:.3f} ece={rec['ece']:.3f} caveat={bool(est.get('caveat'))} "
                          f"{rec['seconds']}s", flush=True)


if __name__ == "__main__":
    main()
