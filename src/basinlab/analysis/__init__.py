"""Analyses of a run directory: power-law fits, the landscape matrix, rank correlations, bootstrap.

Pure functions over the run-directory tables (docs/run-directory.md) as pandas DataFrames.
"""

from .batch_gap import PAPER_BATCH_GAP, batch_size_gap
from .bootstrap import bootstrap_statistic, bootstrap_weights, percentile_interval
from .claims import Claim, check_claims, claims_frame, claims_records
from .correlation import GranulatedKendall, RankCorrelation, granulated_kendall, rank_correlation
from .matrix import LandscapeMatrix, landscape_matrix
from .measures import (
    HYPERPARAMETERS,
    TARGETS,
    correlation_table,
    correlation_table_from_run,
    generalization_gap,
    measure_frame,
)
from .powerlaw import PowerLawSkipped, fit_power_law, join_models, own_landscape
from .run import TABLES, RunTables, load_run, read_manifest, read_run_table
from .table import format_table1, table1

__all__ = [
    # reading a run
    "TABLES", "RunTables", "load_run", "read_run_table", "read_manifest",
    # data-size power law
    "fit_power_law", "own_landscape", "join_models", "table1", "format_table1", "PowerLawSkipped",
    # cross-landscape matrix
    "LandscapeMatrix", "landscape_matrix",
    # rank correlation: the one harness (correlation_table) and its statistics
    "correlation_table", "correlation_table_from_run", "measure_frame", "generalization_gap", "TARGETS",
    "HYPERPARAMETERS", "RankCorrelation", "rank_correlation", "GranulatedKendall", "granulated_kendall",
    # the batch-gap study
    "batch_size_gap", "PAPER_BATCH_GAP",
    # the paper's claims, checked
    "Claim", "check_claims", "claims_frame", "claims_records",
    # bootstrap
    "bootstrap_weights", "bootstrap_statistic", "percentile_interval",
]
