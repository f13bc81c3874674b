"""Where everything lives in a run directory (docs/run-directory.md)."""

from __future__ import annotations

__all__ = ["MANIFEST", "SPEC", "LOCK_FILE", "CHECKPOINTS", "REPORT", "TEMP_GLOB", "table_file"]

MANIFEST = "manifest.sqlite"       # resolved spec, versions, task states, output records (SQLite, WAL journal)
SPEC = "spec.toml"                 # the spec as given
LOCK_FILE = ".driver.lock"         # held by the one driver; names its PID and host
CHECKPOINTS = "checkpoints"        # <model_id>[@<epoch>].safetensors + .json
REPORT = "report"                  # index.html + figures/
TEMP_GLOB = "*/.*.tmp"             # temporary files (``.<name>.<random>.tmp``) inside the run directory's folders


def table_file(name: str, task_id: str) -> str:
    """``<table>/<task_id>.parquet``: the one file of table ``name`` a finished task writes (relative path)."""
    return f"{name}/{task_id}.parquet"
