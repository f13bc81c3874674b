"""Read a run directory's tables (docs/run-directory.md) into pandas DataFrames.

Analysis functions take DataFrames; this module is the one place that knows where they live on disk.
The runner owns the writing side; when ``basinlab.experiments.read_table`` exists it is used, otherwise the
Parquet files of each table folder are read and concatenated here.
"""

from __future__ import annotations

import json
import sqlite3
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ConfigError, DataError

__all__ = ["TABLES", "RunTables", "load_run", "read_run_table", "read_manifest", "as_run_dir"]

# Columns of each table, in the documented order (docs/run-directory.md).
TABLES: dict[str, tuple[str, ...]] = {
    "models": (
        "model_id", "experiment", "variant", "dataset", "train_size", "poison", "imbalance", "model_seed",
        "data_seed", "optimizer", "batch_size", "sam_rho", "lr", "weight_decay", "epochs_run", "n_params",
        "train_loss", "train_acc", "clean_train_loss", "clean_train_acc", "test_loss", "test_acc", "checkpoint",
    ),
    "training": ("model_id", "epoch", "train_loss", "train_acc", "test_loss", "test_acc"),
    "volumes": (
        "model_id", "epoch", "landscape", "landscape_size", "threshold", "n_params", "n_directions", "n_censored",
        "nonfinite_points",
        "centre_loss", "log_volume", "log_volume_lo", "log_volume_hi", "r_min", "r_median", "r_mean", "r_max",
        "top_share",
    ),
    "radii": ("model_id", "epoch", "landscape", "landscape_size", "threshold", "direction", "seed", "radius",
              "censored"),
    "measures": ("model_id", "epoch", "measure", "value", "stderr", "landscape", "settings"),
}


# Columns added after run directories already existed: an older run's table lacks them (read as missing values).
LATER_COLUMNS: dict[str, tuple[str, ...]] = {"volumes": ("nonfinite_points",)}


def as_run_dir(run_dir: str | Path) -> Path:
    """``run_dir`` as a Path after checking it is an existing run directory with at least one table."""
    path = Path(run_dir)
    if not path.exists():
        raise ConfigError(f"run directory {str(path)!r} does not exist; pass the --out folder of 'basinlab run'")
    if not path.is_dir():
        raise ConfigError(f"run directory {str(path)!r} is a file, not a folder; pass the --out folder of 'basinlab run'")
    has_any = any((path / name).is_dir() and any((path / name).glob("*.parquet")) for name in TABLES)
    if not has_any and not (path / "spec.toml").exists():
        raise ConfigError(
            f"run directory {str(path)!r} is empty: it has no spec.toml and no tables "
            f"({', '.join(f'{t}/*.parquet' for t in TABLES)}); run 'basinlab run SPEC --out {path}' first"
        )
    return path


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in TABLES[name]})


def read_run_table(run_dir: str | Path, name: str) -> pd.DataFrame:
    """All rows of table ``name`` (one of :data:`TABLES`); an empty frame with its columns if none exist yet."""
    if name not in TABLES:
        raise ConfigError(f"table {name!r} is unknown; use one of {', '.join(TABLES)}")
    path = Path(run_dir)
    try:  # the runner's reader, when it exists (same result, DuckDB-backed, typed columns)
        from ..experiments.tables import read_table  # type: ignore[import-not-found]
    except ImportError:
        read_table = None
    if read_table is not None:
        try:
            frame = read_table(path, name)
        except Exception as exc:  # duckdb raises its own types for truncated or foreign files
            raise DataError(f"table {name!r} in {str(path / name)!r} is not readable ({exc}); "
                            "delete the damaged Parquet file and rerun to recreate it") from exc
    else:
        files = sorted((path / name).glob("*.parquet"))
        frames = []
        for file in files:
            try:
                frames.append(pd.read_parquet(file))
            except Exception as exc:  # pyarrow raises several types for a truncated file
                raise DataError(f"table file {str(file)!r} is not readable Parquet ({exc}); delete it and rerun") from exc
        frames = [f for f in frames if len(f)]
        frame = pd.concat(frames, ignore_index=True) if frames else _empty(name)
    missing = [c for c in TABLES[name] if c not in frame.columns and c not in LATER_COLUMNS.get(name, ())]
    if missing and len(frame):
        raise DataError(f"table {name!r} in {str(path)!r} lacks columns {missing}; see docs/run-directory.md")
    for column in [c for c in TABLES[name] if c not in frame.columns]:  # incl. LATER_COLUMNS of older runs
        frame[column] = pd.Series(dtype="object")
    return frame.reset_index(drop=True)


def read_manifest(run_dir: str | Path) -> dict[str, Any]:
    """Key/value facts from ``manifest.sqlite`` (versions, resolved spec), read defensively.

    The runner owns the schema; this looks for any table with two text-like columns named like key/value
    (``key``/``value``, ``name``/``value``) and otherwise lists the tables it found with their row counts.
    Returns ``{}`` when there is no manifest.
    """
    path = Path(run_dir) / "manifest.sqlite"
    if not path.exists():
        return {}
    facts: dict[str, Any] = {}
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            for table in tables:
                cols = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
                key = next((c for c in ("key", "name", "field") if c in cols), None)
                if key is not None and "value" in cols:
                    for k, v in con.execute(f'SELECT "{key}", "value" FROM "{table}"'):
                        facts[str(k)] = v
                elif table in ("tasks", "task"):
                    if "state" in cols:
                        for state, count in con.execute(f'SELECT state, COUNT(*) FROM "{table}" GROUP BY state'):
                            facts[f"tasks {state}"] = count
                    else:
                        facts[f"rows in {table}"] = con.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
    except sqlite3.Error as exc:
        warnings.warn(f"manifest {str(path)!r} could not be read ({exc}); the report omits versions", stacklevel=2)
        return {}
    for key, value in list(facts.items()):
        if isinstance(value, str) and value[:1] in "{[":
            try:
                facts[key] = json.loads(value)
            except ValueError:
                pass
    return facts


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
    path = as_run_dir(run_dir)
    return RunTables(**{name: read_run_table(path, name) for name in TABLES}, run_dir=path)
