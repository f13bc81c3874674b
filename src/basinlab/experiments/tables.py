"""Column schemas of the run-directory tables (docs/run-directory.md) and ``read_table``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ConfigError, describe_choices

__all__ = ["SCHEMAS", "WALL_CLOCK_COLUMNS", "read_table", "to_arrow"]

_S, _I, _F, _B = "string", "int64", "float64", "bool"

SCHEMAS: dict[str, list[tuple[str, str]]] = {
    "models": [("model_id", _S), ("experiment", _S), ("variant", _S), ("dataset", _S), ("train_size", _I),
               ("poison", _I), ("imbalance", _S), ("model_seed", _I), ("data_seed", _I), ("optimizer", _S),
               ("batch_size", _I), ("sam_rho", _F), ("lr", _F), ("weight_decay", _F), ("epochs_run", _I),
               ("n_params", _I), ("train_loss", _F), ("train_acc", _F), ("clean_train_loss", _F),
               ("clean_train_acc", _F), ("test_loss", _F), ("test_acc", _F), ("checkpoint", _S),
               ("train_seconds", _F)],
    "training": [("model_id", _S), ("epoch", _I), ("train_loss", _F), ("train_acc", _F), ("test_loss", _F),
                 ("test_acc", _F)],
    "volumes": [("model_id", _S), ("epoch", _I), ("landscape", _S), ("landscape_size", _I), ("threshold", _F),
                ("n_params", _I), ("n_directions", _I), ("n_censored", _I), ("nonfinite_points", _I),
                ("centre_loss", _F),
                ("log_volume", _F), ("log_volume_lo", _F), ("log_volume_hi", _F), ("r_min", _F),
                ("r_median", _F), ("r_mean", _F), ("r_max", _F), ("top_share", _F), ("seconds", _F)],
    "radii": [("model_id", _S), ("epoch", _I), ("landscape", _S), ("landscape_size", _I), ("threshold", _F),
              ("direction", _I), ("seed", _I), ("radius", _F), ("censored", _B)],
    "measures": [("model_id", _S), ("epoch", _I), ("measure", _S), ("value", _F), ("stderr", _F),
                 ("landscape", _S), ("settings", _S)],
}
# Columns that hold wall-clock times: they differ between otherwise identical runs.
WALL_CLOCK_COLUMNS = ("train_seconds", "seconds")


def _check_name(name: str) -> None:
    if name not in SCHEMAS:
        raise ConfigError(f"table {name!r} is unknown; use {describe_choices(SCHEMAS)}")


def to_arrow(name: str, rows: list[dict[str, Any]]):
    """Rows (dicts with exactly the schema's columns) -> a ``pyarrow.Table`` with the schema's types."""
    import pyarrow as pa

    _check_name(name)
    cols = SCHEMAS[name]
    want = [c for c, _ in cols]
    for row in rows:
        if set(row) != set(want):
            extra, missing = sorted(set(row) - set(want)), sorted(set(want) - set(row))
            raise ValueError(f"table {name!r}: row has extra columns {extra} and lacks {missing}")
    schema = pa.schema([(c, pa.from_numpy_dtype(__import__("numpy").dtype(t)) if t != _S else pa.string())
                        for c, t in cols])
    return pa.Table.from_pylist(rows, schema=schema)


def _planned_ids(run_dir: Path) -> set[str] | None:
    """Task ids of the run directory's latest plan (None when there is no manifest)."""
    import json
    import sqlite3

    db = run_dir / "manifest.sqlite"
    if not db.is_file():
        return None
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30.0)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'task_ids'").fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        con.close()
    return None if row is None else set(json.loads(row[0]))


def read_table(run_dir: str | Path, name: str):
    """All Parquet files of one table as a ``pandas.DataFrame`` (DuckDB over ``RUN_DIR/<name>/*.parquet``).

    Only files of tasks in the directory's latest plan are read (a spec changed between runs leaves files of
    tasks no longer planned; they are kept on disk but not read). Returns an empty frame with the schema's
    columns when no file exists yet.
    """
    import duckdb
    import pandas as pd

    _check_name(name)
    root = Path(run_dir)
    files = sorted((root / name).glob("*.parquet"))
    planned = _planned_ids(root)
    if planned is not None:
        files = [f for f in files if f.stem in planned]
    if not files:
        return pd.DataFrame({c: pd.Series(dtype=("object" if t == _S else t)) for c, t in SCHEMAS[name]})
    listing = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
    con = duckdb.connect()
    try:
        return con.execute(f"SELECT * FROM read_parquet([{listing}], union_by_name = true)").df()
    finally:
        con.close()
