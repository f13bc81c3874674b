"""A run directory's tables as pandas DataFrames, for analysis, claims and the report.

Analysis functions take DataFrames; the files, schemas and the reading itself belong to
:mod:`basinlab.rundir` (docs/run-directory.md), which this module wraps.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import ConfigError
from ..rundir import LATER_COLUMNS, SCHEMAS, check_run_dir, read_manifest, read_table

__all__ = ["TABLES", "LATER_COLUMNS", "RunTables", "load_run", "loss_thresholds_only", "read_run_table", "read_manifest", "as_run_dir"]

# Columns of each table, in the documented order (docs/run-directory.md).
TABLES: dict[str, tuple[str, ...]] = {name: tuple(c for c, _ in cols) for name, cols in SCHEMAS.items()}

as_run_dir = check_run_dir


def read_run_table(run_dir: str | Path, name: str) -> pd.DataFrame:
    """All rows of table ``name`` (one of :data:`TABLES`); an empty frame with its columns if none exist yet.

    Runs written before a column existed (:data:`LATER_COLUMNS`) read with that column missing-valued.
    """
    if name not in TABLES:
        raise ConfigError(f"table {name!r} is unknown; use one of {', '.join(TABLES)}")
    return read_table(run_dir, name)


@dataclass(frozen=True)
class RunTables:
    """The tables of one run directory (each may be empty, with its documented columns)."""

    models: pd.DataFrame
    training: pd.DataFrame
    volumes: pd.DataFrame
    radii: pd.DataFrame
    measures: pd.DataFrame
    run_dir: Path | None = None


def load_run(run_dir: str | Path) -> RunTables:
    """Read every table of ``run_dir``; raises :class:`ConfigError` for a missing or empty run directory."""
    path = check_run_dir(run_dir)
    return RunTables(**{name: read_run_table(path, name) for name in TABLES}, run_dir=path)


def loss_thresholds_only(tables: RunTables) -> RunTables:
    """``tables`` with only the loss-threshold rows of ``volumes`` and ``radii`` (the paper's figures and claims are
    about loss thresholds; accuracy-threshold volumes, ``threshold_kind == 'accuracy'``, are reported apart)."""
    from dataclasses import replace

    def keep(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["threshold_kind"] != "accuracy"] if "threshold_kind" in frame else frame

    return replace(tables, volumes=keep(tables.volumes), radii=keep(tables.radii))
