"""The run directory: manifest and task states in SQLite, results as one Parquet file per finished task.

Only the driver writes here (workers return rows; they write only checkpoints, atomically, themselves).
Every state change is one SQLite transaction (WAL journal), and every Parquet file is written to a
temporary name and renamed, so a ``kill -9`` at any moment leaves a directory a rerun can resume from.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .plan import Plan
from .tables import SCHEMAS, to_arrow

__all__ = ["RunStore", "STATES"]

STATES = ("pending", "running", "done", "failed", "skipped")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
  task_id TEXT PRIMARY KEY, kind TEXT NOT NULL, label TEXT NOT NULL, deps TEXT NOT NULL,
  inputs TEXT NOT NULL, context TEXT NOT NULL, state TEXT NOT NULL, error TEXT, outputs TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, started REAL, finished REAL
);
"""


class RunStore:
    """One run directory. Create with :meth:`open`; use as a context manager to close the database."""

    def __init__(self, run_dir: str | Path):
        self.root = Path(run_dir)
        self.db_path = self.root / "manifest.sqlite"
        self.conn = sqlite3.connect(self.db_path, isolation_level=None, timeout=30.0)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(_SCHEMA)

    @classmethod
    def open(cls, run_dir: str | Path, *, create: bool = True) -> RunStore:
        """Open a run directory. ``create`` (the driver) makes it and its folders and deletes temporary files a
        killed run left; ``create=False`` (``status`` and other readers) touches no file: another process may be
        writing those temporaries right now."""
        root = Path(run_dir)
        if not create and not (root / "manifest.sqlite").is_file():
            raise ConfigError(f"{str(root)!r} is not a run directory (no manifest.sqlite); pass the --out of a run")
        lock = None
        if create:
            for sub in ("checkpoints", *SCHEMAS):
                (root / sub).mkdir(parents=True, exist_ok=True)
            lock = _driver_lock(root)
        try:
            store = cls(root)
        except BaseException:
            if lock is not None:
                lock.close()
            raise
        store._lock = lock
        if create:
            store.remove_stale_temporaries()
        return store

    def close(self) -> None:
        self.conn.close()
        if getattr(self, "_lock", None) is not None:
            self._lock.close()  # closing the file releases the lock
            self._lock = None

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---- manifest -------------------------------------------------------------------------------------
    def set_meta(self, values: dict[str, Any]) -> None:
        with self.conn:
            self.conn.execute("BEGIN")
            for key, value in values.items():
                self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    def meta(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM meta")}

    def write_text(self, name: str, text: str) -> None:
        """Atomically write a small text file (e.g. ``spec.toml``) at the run directory's top level."""
        atomic_write_bytes(self.root / name, text.encode())

    def sync_plan(self, plan: Plan) -> None:
        """Add the plan's tasks; every task not done (or done but missing outputs) becomes pending again."""
        with self.conn:
            self.conn.execute("BEGIN")
            for t in plan.tasks:
                self.conn.execute(
                    "INSERT OR IGNORE INTO tasks (task_id, kind, label, deps, inputs, context, state, outputs) "
                    "VALUES (?, ?, ?, ?, ?, ?, 'pending', '[]')",
                    (t.task_id, t.kind, t.label, json.dumps(list(t.deps)), t.inputs_json, t.context_json))
            self.conn.execute("UPDATE tasks SET state = 'pending' WHERE state != 'done'")

    # ---- task states ----------------------------------------------------------------------------------
    def is_done(self, task_id: str) -> bool:
        """Done in the database *and* every recorded output file exists and is whole (see :func:`file_is_whole`)."""
        return self.damaged_outputs(task_id) == []

    def damaged_outputs(self, task_id: str) -> list[str] | None:
        """None when the task is not done in the database; else its recorded output files (relative paths) that
        are missing or truncated -- such a task runs again."""
        row = self.conn.execute("SELECT state, outputs FROM tasks WHERE task_id = ?", (task_id,)).fetchone()
        if row is None or row[0] != "done":
            return None
        return [rel for rel in json.loads(row[1]) if not file_is_whole(self.root / rel)]

    def mark(self, task_id: str, state: str, *, error: str | None = None, outputs: Iterable[str] = ()) -> None:
        """One transaction per state change."""
        assert state in STATES, state
        now = time.time()
        with self.conn:
            self.conn.execute("BEGIN")
            if state == "running":
                self.conn.execute("UPDATE tasks SET state = ?, error = NULL, started = ?, attempts = attempts + 1 "
                                  "WHERE task_id = ?", (state, now, task_id))
            else:
                self.conn.execute("UPDATE tasks SET state = ?, error = ?, outputs = ?, finished = ? WHERE task_id = ?",
                                  (state, error, json.dumps(list(outputs)), now, task_id))

    def states(self) -> list[dict[str, Any]]:
        """Every task: id, kind, label, state, error, attempts, seconds (None unless finished)."""
        rows = self.conn.execute("SELECT task_id, kind, label, state, error, attempts, started, finished "
                                 "FROM tasks ORDER BY rowid").fetchall()
        return [{"task_id": r[0], "kind": r[1], "label": r[2], "state": r[3], "error": r[4], "attempts": r[5],
                 "seconds": (r[7] - r[6]) if r[3] == "done" and r[6] and r[7] else None} for r in rows]

    # ---- results --------------------------------------------------------------------------------------
    def write_tables(self, task_id: str, tables: dict[str, list[dict[str, Any]]]) -> list[str]:
        """Write ``<table>/<task_id>.parquet`` for every non-empty table; returns paths relative to the run dir."""
        import pyarrow.parquet as pq

        written = []
        for name in sorted(tables):
            rows = tables[name]
            if not rows:
                continue
            target = self.root / name / f"{task_id}.parquet"
            tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
            pq.write_table(to_arrow(name, rows), tmp)
            os.replace(tmp, target)
            written.append(f"{name}/{task_id}.parquet")
        return written

    def remove_stale_temporaries(self) -> None:
        """Delete temporary files left by a killed run (they are never read)."""
        for tmp in self.root.glob("*/.*.tmp"):
            tmp.unlink(missing_ok=True)


LOCK_FILE = ".driver.lock"


def _driver_lock(root: Path):
    """Hold an exclusive lock on ``root/.driver.lock`` (one driver per run directory) and write who holds it.

    The operating system drops the lock when its holder exits, even on ``kill -9``: a stale lock cannot block.
    Returns the open lock file (closing it releases the lock); raises :class:`ConfigError` naming the holder.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock (documented in docs/run-directory.md)
        return None
    import socket

    handle = open(root / LOCK_FILE, "a+", encoding="utf-8")  # noqa: SIM115 - held until close()
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise ConfigError(f"run directory {str(root)!r} is being run by {holder}; wait for that run to finish or "
                          "stop it, or pass another --out") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"PID {os.getpid()} on host {socket.gethostname()}\n")
    handle.flush()
    return handle


def file_is_whole(path: Path) -> bool:
    """The file exists and, for Parquet and safetensors, its own framing says it is complete: Parquet starts and
    ends with ``PAR1``; a safetensors file is exactly 8 + header + the tensor bytes its header lists."""
    try:
        size = path.stat().st_size
        if path.suffix == ".parquet":
            if size < 12:
                return False
            with open(path, "rb") as f:
                head = f.read(4)
                f.seek(-4, os.SEEK_END)
                return head == b"PAR1" and f.read(4) == b"PAR1"
        if path.suffix == ".safetensors":
            with open(path, "rb") as f:
                n = int.from_bytes(f.read(8), "little")
                if n <= 0 or 8 + n > size:
                    return False
                header = json.loads(f.read(n))
            end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
            return size == 8 + n + end
        return path.is_file()
    except (OSError, ValueError, KeyError, TypeError):
        return False


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary sibling then rename over ``path``."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
