"""Reading a run directory's tables and manifest facts; nothing here writes, creates or deletes a file."""

from __future__ import annotations

import json
import sqlite3
import warnings
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DataError
from .layout import MANIFEST, SPEC
from .schemas import LATER_DEFAULTS, OPTIONAL_COLUMNS, SCHEMAS, check_table_name, empty_frame
from .sqlite import connect_read_only

__all__ = ["read_table", "read_manifest", "planned_task_ids", "check_run_dir"]


def check_run_dir(run_dir: str | Path) -> Path:
    """``run_dir`` as a Path after checking it is an existing run directory with a spec or at least one table."""
    path = Path(run_dir)
    if not path.exists():
        raise ConfigError(f"run directory {str(path)!r} does not exist; pass the --out folder of 'basinlab run'")
    if not path.is_dir():
        raise ConfigError(f"run directory {str(path)!r} is a file, not a folder; pass the --out folder of 'basinlab run'")
    has_any = any((path / name).is_dir() and any((path / name).glob("*.parquet")) for name in SCHEMAS)
    if not has_any and not (path / SPEC).exists():
        raise ConfigError(
            f"run directory {str(path)!r} is empty: it has no {SPEC} and no tables "
            f"({', '.join(f'{t}/*.parquet' for t in SCHEMAS)}); run 'basinlab run SPEC --out {path}' first"
        )
    return path


def planned_task_ids(run_dir: str | Path) -> set[str] | None:
    """Task ids of the run directory's latest plan (None when the manifest does not list one)."""
    db = Path(run_dir) / MANIFEST
    if not db.is_file():
        return None
    try:
        con = connect_read_only(db)
    except sqlite3.Error:
        return None
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'task_ids'").fetchone()
    except sqlite3.Error:
        return None
    finally:
        con.close()
    return None if row is None else set(json.loads(row[0]))


def read_table(run_dir: str | Path, name: str):
    """All Parquet files of one table as a ``pandas.DataFrame`` with every schema column (DuckDB over
    ``RUN_DIR/<name>/*.parquet``).

    Only files of tasks in the directory's latest plan are read (a spec changed between runs leaves files of
    tasks no longer planned; they are kept on disk but not read). Columns a run of an older version did not
    write (:data:`~basinlab.rundir.LATER_COLUMNS`) and wall-clock columns are filled with missing values; an
    empty frame with the schema's columns when no file exists yet. :class:`DataError` names an unreadable file
    or a table lacking required columns.
    """
    import duckdb

    check_table_name(name)
    root = Path(run_dir)
    files = sorted((root / name).glob("*.parquet"))
    planned = planned_task_ids(root)
    if planned is not None:
        files = [f for f in files if f.stem in planned]
    if not files:
        return empty_frame(name)
    listing = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
    con = duckdb.connect()
    try:
        frame = con.execute(f"SELECT * FROM read_parquet([{listing}], union_by_name = true)").df()
    except duckdb.Error as exc:  # a truncated or foreign file
        bad = next((str(f) for f in files if not _parquet_readable(f)), str(root / name))
        raise DataError(f"table {name!r}: {bad!r} is not readable Parquet ({str(exc).splitlines()[0]}); "
                        "rerun the spec with the same --out to recreate it") from None
    finally:
        con.close()
    columns = [c for c, _ in SCHEMAS[name]]
    missing = [c for c in columns if c not in frame.columns and c not in OPTIONAL_COLUMNS[name]]
    if missing and len(frame):
        raise DataError(f"table {name!r} in {str(root)!r} lacks columns {missing}; see docs/run-directory.md")
    for column in columns:
        if column not in frame.columns:
            frame[column] = None
        if column in LATER_DEFAULTS:  # rows of files written before the column existed
            frame[column] = frame[column].astype(object).where(frame[column].notna(), LATER_DEFAULTS[column])
    return frame[columns + [c for c in frame.columns if c not in columns]].reset_index(drop=True)


def _parquet_readable(path: Path) -> bool:
    import pyarrow.parquet as pq

    try:
        pq.read_metadata(path)
        return True
    except Exception:  # noqa: BLE001 - pyarrow raises several types for a damaged file
        return False


def read_manifest(run_dir: str | Path) -> dict[str, Any]:
    """Facts from ``manifest.sqlite`` for a report: its key/value ``meta`` rows (JSON values decoded) and the
    task counts by state (``'tasks done'`` …). ``{}`` when there is no manifest; a warning and ``{}`` when it is
    not readable."""
    path = Path(run_dir) / MANIFEST
    if not path.is_file():
        return {}
    facts: dict[str, Any] = {}
    try:
        con = connect_read_only(path)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "meta" in tables:
                facts.update({str(k): v for k, v in con.execute("SELECT key, value FROM meta")})
            if "tasks" in tables:
                for state, count in con.execute("SELECT state, COUNT(*) FROM tasks GROUP BY state"):
                    facts[f"tasks {state}"] = count
        finally:
            con.close()
    except sqlite3.Error as exc:
        warnings.warn(f"manifest {str(path)!r} could not be read ({exc}); the report omits versions", stacklevel=2)
        return {}
    for key, value in list(facts.items()):
        if isinstance(value, str) and value[:1] in "{[\"":
            try:
                facts[key] = json.loads(value)
            except ValueError:
                pass
    return facts
