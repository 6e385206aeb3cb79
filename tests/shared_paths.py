"""Paths the tests share (a module of its own: every test folder may have its own conftest)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
DEMO = ROOT / "data" / "banking_demo.csv"
DEMO_TRUTH = ROOT / "data" / "banking_demo_truth.csv"
