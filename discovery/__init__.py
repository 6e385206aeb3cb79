"""label-discovery: find the categories you have not named yet and fill in the labels you lack.

>>> from discovery import read_table, run_discovery, DiscoveryConfig, write_outputs   # doctest: +SKIP
>>> result = run_discovery(read_table("data/banking_demo.csv"), DiscoveryConfig(random_state=0))
>>> result.candidates[["size", "keywords"]]
>>> write_outputs(result, "out/")
"""

from .errors import InputError
from .io import LabeledTable, read_table, read_table_bytes, table_from_frame
from .pipeline import DiscoveryConfig, assign_to_clusters, describe_fill_estimate, run_discovery
from .result import (Discovery, apply_decision, assign_label, dismiss_candidate, merge_clusters, name_cluster,
                     prepare_decisions, replay, set_min_confidence, split_cluster)
from .export import write_outputs, manifest
from .suggest import rows_to_label_next
from .relabel import NextRunLabels, labels_for_next_run
from .workspace import Workspace, workspace_key

__all__ = [
    "InputError", "LabeledTable", "read_table", "read_table_bytes", "table_from_frame", "DiscoveryConfig",
    "run_discovery", "assign_to_clusters", "describe_fill_estimate", "Discovery", "apply_decision", "assign_label",
    "dismiss_candidate", "merge_clusters", "name_cluster", "prepare_decisions", "replay", "set_min_confidence", "split_cluster",
    "write_outputs", "manifest", "rows_to_label_next", "NextRunLabels", "labels_for_next_run",
    "Workspace", "workspace_key",
]
__version__ = "0.1.0"
