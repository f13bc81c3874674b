"""The manifest (SQLite) of a run directory: the driver's writable :class:`RunStore` and the readers'
read-only :class:`RunView`.

Only the driver writes (workers return rows; they write only checkpoints, atomically, themselves). Every state
change is one SQLite transaction (WAL journal) and every Parquet file is written to a temporary name and
renamed, so a ``kill -9`` at any moment leaves a directory a rerun can resume from. A finished task's files
are recorded with size and SHA-256; a file that no longer matches makes the task run again.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from ..errors import ConfigError
from .files import atomic_write_parquet, atomic_write_text, check_record, file_record
from .layout import CHECKPOINTS, MANIFEST, TEMP_GLOB, table_file
from .lock import DriverLock, acquire_driver_lock
from .schemas import SCHEMAS, to_arrow
from .sqlite import close_writer, connect_read_only, connect_writer

__all__ = ["RunStore", "RunView", "open_run", "STATES", "TaskLike"]

STATES = ("pending", "running", "done", "failed", "skipped")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
  task_id TEXT PRIMARY KEY, kind TEXT NOT NULL, label TEXT NOT NULL, deps TEXT NOT NULL,
  inputs TEXT NOT NULL, context TEXT NOT NULL, state TEXT NOT NULL, error TEXT, outputs TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, started REAL, finished REAL
);
"""


class TaskLike(Protocol):
    """What the manifest stores of a planned task (``basinlab.experiments.Task`` is one)."""

    task_id: str
    kind: str
    label: str
    deps: tuple[str, ...]

    @property
    def inputs_json(self) -> str: ...

    @property
    def context_json(self) -> str: ...


class RunView:
    """A run directory opened read-only (``status``, ``report``, ``table``, ``claims``): no folder is made, no
    file is written or deleted, so it is safe beside a live driver. Use :func:`open_run`."""

    def __init__(self, root: Path, conn: sqlite3.Connection) -> None:
        self.root, self.conn = root, conn

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def meta(self) -> dict[str, Any]:
        """The ``meta`` table: key -> JSON value (``spec``, ``profile``, ``versions``, ``planned``, ``task_ids``)."""
        return {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM meta")}

    def output_problems(self, task_id: str) -> dict[str, str] | None:
        """None when the task is not done; else ``{relative path: why}`` for each recorded output file that is
        missing, truncated or changed since the task finished (empty when all are intact)."""
        row = self.conn.execute("SELECT state, outputs FROM tasks WHERE task_id = ?", (task_id,)).fetchone()
        if row is None or row[0] != "done":
            return None
        out = {}
        for record in json.loads(row[1]):
            why = check_record(self.root, record)
            if why is not None:
                out[record if isinstance(record, str) else record["path"]] = why
        return out

    def damaged_outputs(self, task_id: str) -> list[str] | None:
        """The paths of :meth:`output_problems` (None when the task is not done)."""
        problems = self.output_problems(task_id)
        return None if problems is None else list(problems)

    def is_done(self, task_id: str) -> bool:
        """Done in the manifest *and* every recorded output file intact (size and SHA-256)."""
        return self.output_problems(task_id) == {}

    def outputs(self, task_id: str) -> list[dict[str, Any]]:
        """The recorded output files of a task (``path``, and ``size`` and ``sha256`` unless written before
        records had them)."""
        row = self.conn.execute("SELECT outputs FROM tasks WHERE task_id = ?", (task_id,)).fetchone()
        return [] if row is None else [r if isinstance(r, dict) else {"path": r} for r in json.loads(row[0])]

    def states(self, *, verify: bool = False) -> list[dict[str, Any]]:
        """Every task: id, kind, label, state, error, attempts, seconds (None unless finished).

        ``verify``: a done task whose recorded files are missing or changed shows as ``'damaged'`` (its error
        names the files); a rerun redoes it.
        """
        rows = self.conn.execute("SELECT task_id, kind, label, state, error, attempts, started, finished "
                                 "FROM tasks ORDER BY rowid").fetchall()
        out = [{"task_id": r[0], "kind": r[1], "label": r[2], "state": r[3], "error": r[4], "attempts": r[5],
                "seconds": (r[7] - r[6]) if r[3] == "done" and r[6] and r[7] else None} for r in rows]
        if verify:
            for row in out:
                problems = self.output_problems(row["task_id"]) if row["state"] == "done" else None
                if problems:
                    row["state"] = "damaged"
                    row["error"] = "; ".join(f"{p} {why}" for p, why in problems.items())
        return out


def open_run(run_dir: str | Path) -> RunView:
    """Open a run directory read-only; :class:`ConfigError` when it is not one (no ``manifest.sqlite``)."""
    root = Path(run_dir)
    db = root / MANIFEST
    if not db.is_file():
        if root.is_file():
            raise ConfigError(f"run directory {str(root)!r} is a file, not a folder; pass the --out folder of a run")
        raise ConfigError(f"{str(root)!r} is not a run directory (no {MANIFEST}); pass the --out of a run")
    try:
        conn = connect_read_only(db)
        conn.execute("SELECT 1 FROM tasks LIMIT 1")
    except sqlite3.Error as exc:
        raise ConfigError(f"{str(db)!r} is not a readable run manifest ({exc}); pass the --out of a run") from None
    return RunView(root, conn)


class RunStore(RunView):
    """The driver's side of a run directory. Create with :meth:`open`; use as a context manager to release it."""

    _lock: DriverLock | None = None

    @classmethod
    def open(cls, run_dir: str | Path) -> RunStore:
        """Make the run directory and its folders, take the driver lock (:class:`ConfigError` naming the
        holder's PID and host if another driver has it) and delete temporary files a killed run left."""
        root = Path(run_dir)
        for sub in (CHECKPOINTS, *SCHEMAS):
            (root / sub).mkdir(parents=True, exist_ok=True)
        lock = acquire_driver_lock(root)
        try:
            conn = connect_writer(root / MANIFEST)
            conn.executescript(_SCHEMA)
        except BaseException:
            lock.release()
            raise
        store = cls(root, conn)
        store._lock = lock
        store.remove_stale_temporaries()
        return store

    @property
    def stale_lock_holder(self) -> str | None:
        """The holder line of a dead driver whose lock file this driver took over, else None."""
        return None if self._lock is None else self._lock.stale_holder

    def close(self) -> None:
        close_writer(self.conn)
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    # ---- manifest -------------------------------------------------------------------------------------
    def set_meta(self, values: dict[str, Any]) -> None:
        with self.conn:
            self.conn.execute("BEGIN")
            for key, value in values.items():
                self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    def write_text(self, name: str, text: str) -> None:
        """Atomically write a small text file (e.g. ``spec.toml``) at the run directory's top level."""
        atomic_write_text(self.root / name, text)

    def sync_plan(self, tasks: Iterable[TaskLike] | Any) -> None:
        """Add the plan's tasks (a ``Plan`` or any iterable of tasks); every task not done becomes pending."""
        tasks = getattr(tasks, "tasks", tasks)
        with self.conn:
            self.conn.execute("BEGIN")
            for t in tasks:
                self.conn.execute(
                    "INSERT OR IGNORE INTO tasks (task_id, kind, label, deps, inputs, context, state, outputs) "
                    "VALUES (?, ?, ?, ?, ?, ?, 'pending', '[]')",
                    (t.task_id, t.kind, t.label, json.dumps(list(t.deps)), t.inputs_json, t.context_json))
            self.conn.execute("UPDATE tasks SET state = 'pending' WHERE state != 'done'")

    # ---- task states ----------------------------------------------------------------------------------
    def mark(self, task_id: str, state: str, *, error: str | None = None, outputs: Iterable[str] = ()) -> None:
        """One transaction per state change; ``done`` records each output file (relative path) with its size
        and SHA-256 as it is now."""
        if state not in STATES:
            raise ValueError(f"task state {state!r} is unknown; use one of {STATES}")
        now = time.time()
        records = [file_record(self.root, rel) for rel in outputs] if state == "done" else []
        with self.conn:
            self.conn.execute("BEGIN")
            if state == "running":
                self.conn.execute("UPDATE tasks SET state = ?, error = NULL, started = ?, attempts = attempts + 1 "
                                  "WHERE task_id = ?", (state, now, task_id))
            else:
                self.conn.execute("UPDATE tasks SET state = ?, error = ?, outputs = ?, finished = ? WHERE task_id = ?",
                                  (state, error, json.dumps(records), now, task_id))

    # ---- results --------------------------------------------------------------------------------------
    def write_tables(self, task_id: str, tables: dict[str, list[dict[str, Any]]]) -> list[str]:
        """Write ``<table>/<task_id>.parquet`` for every non-empty table; returns paths relative to the run dir."""
        written = []
        for name in sorted(tables):
            rows = tables[name]
            if not rows:
                continue
            rel = table_file(name, task_id)
            atomic_write_parquet(self.root / rel, to_arrow(name, rows))
            written.append(rel)
        return written

    def remove_stale_temporaries(self) -> None:
        """Delete temporary files left by a killed run (they are never read). Only the lock holder calls this:
        a reader may run beside a live driver whose temporaries are being written."""
        for tmp in self.root.glob(TEMP_GLOB):
            tmp.unlink(missing_ok=True)
