"""Column schemas of the run directory's tables (docs/run-directory.md)."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError, describe_choices

__all__ = ["SCHEMAS", "LATER_COLUMNS", "LATER_DEFAULTS", "WALL_CLOCK_COLUMNS", "OPTIONAL_COLUMNS", "check_table_name", "to_arrow",
           "empty_frame"]

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
                ("threshold_kind", _S), ("n_params", _I), ("n_directions", _I), ("n_censored", _I), ("nonfinite_points", _I),
                ("centre_loss", _F), ("log_volume", _F), ("log_volume_lo", _F), ("log_volume_hi", _F),
                ("r_min", _F), ("r_median", _F), ("r_mean", _F), ("r_max", _F), ("top_share", _F), ("seconds", _F)],
    "radii": [("model_id", _S), ("epoch", _I), ("landscape", _S), ("landscape_size", _I), ("threshold", _F),
              ("threshold_kind", _S), ("direction", _I), ("seed", _I), ("radius", _F), ("censored", _B)],
    "measures": [("model_id", _S), ("epoch", _I), ("measure", _S), ("value", _F), ("stderr", _F),
                 ("landscape", _S), ("settings", _S)],
}
# Columns that hold wall-clock times: they differ between otherwise identical runs.
WALL_CLOCK_COLUMNS = ("train_seconds", "seconds")
# Columns added after run directories already existed: an older run's table lacks them (read as missing values).
LATER_COLUMNS: dict[str, tuple[str, ...]] = {"volumes": ("nonfinite_points", "threshold_kind"),
                                             "radii": ("threshold_kind",)}
# The value a later column has in rows written before it existed (others read as missing values):
# every volume of an older run is a loss-threshold volume.
LATER_DEFAULTS: dict[str, Any] = {"threshold_kind": "loss"}
# Columns a readable table may lack (filled with missing values): the later ones and the wall-clock times.
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(c for c, _ in cols if c in WALL_CLOCK_COLUMNS or c in LATER_COLUMNS.get(name, ()))
    for name, cols in SCHEMAS.items()}


def check_table_name(name: str) -> None:
    """Raise :class:`ConfigError` unless ``name`` is one of :data:`SCHEMAS`."""
    if name not in SCHEMAS:
        raise ConfigError(f"table {name!r} is unknown; use {describe_choices(SCHEMAS)}")


def to_arrow(name: str, rows: list[dict[str, Any]]):
    """Rows (dicts with exactly the schema's columns) -> a ``pyarrow.Table`` with the schema's types."""
    import numpy as np
    import pyarrow as pa

    check_table_name(name)
    cols = SCHEMAS[name]
    want = {c for c, _ in cols}
    for row in rows:
        if set(row) != want:
            extra, missing = sorted(set(row) - want), sorted(want - set(row))
            raise ValueError(f"table {name!r}: row has extra columns {extra} and lacks {missing}")
    schema = pa.schema([(c, pa.string() if t == _S else pa.from_numpy_dtype(np.dtype(t))) for c, t in cols])
    return pa.Table.from_pylist(rows, schema=schema)


def empty_frame(name: str):
    """An empty ``pandas.DataFrame`` with table ``name``'s columns and types."""
    import pandas as pd

    check_table_name(name)
    return pd.DataFrame({c: pd.Series(dtype=("object" if t == _S else t)) for c, t in SCHEMAS[name]})
