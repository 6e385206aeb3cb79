"""label-discovery: find the categories you have not named yet and fill in the labels you lack.

>>> from discovery import read_table, run_discovery, DiscoveryConfig, write_outputs   # doctest: +SKIP
>>> result = run_discovery(read_table("data/banking_demo.csv"), DiscoveryConfig(random_state=0))
>>> result.candidates[["size", "keywords"]]
>>> write_outputs(result, "out/")
"""

import importlib

# Each name is imported from its module on first use (PEP 562), so that `discovery --help`, a mistyped flag or a
# missing file is answered without loading scikit-learn, scipy and pandas first (2.4 s of the CLI's 3.2 s).
_MODULE_OF = {name: module for module, names in {
    ".errors": ("InputError",),
    ".io": ("LabeledTable", "read_table", "read_table_bytes", "table_from_frame"),
    ".pipeline": ("DiscoveryConfig", "assign_to_clusters", "describe_fill_estimate", "run_discovery"),
    ".result": ("Discovery", "apply_decision", "assign_label", "dismiss_candidate", "merge_clusters", "name_cluster",
                "prepare_decisions", "replay", "set_min_confidence", "split_cluster"),
    ".export": ("write_outputs", "manifest"),
    ".suggest": ("rows_to_label_next",),
    ".relabel": ("NextRunLabels", "labels_for_next_run"),
    ".workspace": ("Workspace", "workspace_key"),
}.items() for name in names}

__all__ = list(_MODULE_OF)


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULE_OF[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__version__ = "0.1.0"
