"""Analyses of a run directory: power-law fits, the landscape matrix, rank correlations, bootstrap.

Pure functions over the run-directory tables (docs/run-directory.md) as pandas DataFrames.
"""

from .bootstrap import bootstrap_statistic, bootstrap_weights, percentile_interval
from .claims import Claim, check_claims, claims_frame, claims_records
from .correlation import GranulatedKendall, RankCorrelation, granulated_kendall, rank_correlation
from .matrix import LandscapeMatrix, landscape_matrix
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
    # rank correlation
    "RankCorrelation", "rank_correlation", "GranulatedKendall", "granulated_kendall",
    # the paper's claims, checked
    "Claim", "check_claims", "claims_frame", "claims_records",
    # bootstrap
    "bootstrap_weights", "bootstrap_statistic", "percentile_interval",
]
