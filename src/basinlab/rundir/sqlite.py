"""The manifest's SQLite connections: the driver's writes in WAL mode while it runs and leaves a plain rollback
journal when it closes; a reader opens it read-only and creates no file (no ``-wal`` / ``-shm``) in the run
directory.

A read-only connection to a WAL database creates the ``-wal`` and ``-shm`` files when they are missing and, being
read-only, cannot remove them. So the driver switches the manifest back to ``journal_mode=DELETE`` when it closes
(readers then need no companion file), and a reader of a manifest still marked WAL without a ``-wal`` file (a run
written before this, whose driver is not running: a live WAL writer always has its ``-wal`` file) opens it as
immutable.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["connect_writer", "close_writer", "connect_read_only"]

TIMEOUT = 30.0  # seconds a statement waits for another connection's lock


def connect_writer(db: Path) -> sqlite3.Connection:
    """The driver's connection (autocommit; WAL journal so readers never block it)."""
    conn = sqlite3.connect(db, isolation_level=None, timeout=TIMEOUT)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def close_writer(conn: sqlite3.Connection) -> None:
    """Close the driver's connection, leaving a rollback-journal database (``-wal`` and ``-shm`` removed) unless a
    reader has it open at that moment (then it stays WAL, and that reader's files stay until the next driver)."""
    try:
        conn.execute("PRAGMA busy_timeout = 200")  # a reader holding it: give up within 0.2 s, do not wait 30 s
        conn.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.OperationalError:  # a reader holds it: switching needs exclusive access
        pass
    conn.close()


def _wal_header(db: Path) -> bool:
    """The database header's read/write format versions say WAL (bytes 18 and 19 are 2)."""
    try:
        with open(db, "rb") as f:
            header = f.read(20)
    except OSError:
        return False
    return len(header) == 20 and header[18] == 2 and header[19] == 2


def connect_read_only(db: Path) -> sqlite3.Connection:
    """A read-only connection to ``db`` that creates no file beside it; :class:`sqlite3.Error` as SQLite raises."""
    db = Path(db)
    uri = f"{db.resolve().as_uri()}?mode=ro"
    if _wal_header(db) and not db.with_name(db.name + "-wal").exists():
        uri += "&immutable=1"
    return sqlite3.connect(uri, uri=True, timeout=TIMEOUT)
