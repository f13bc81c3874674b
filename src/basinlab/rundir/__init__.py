"""basinlab.rundir: the run directory on disk, for its one writer (``basinlab.experiments``) and every reader
(analysis, claims, report, head-to-head, CLI ``status`` / ``table``).

It owns the layout, the table schemas, atomic writes, the driver lock, the integrity records (size and SHA-256
of every finished task's files) and a read-only open. It imports nothing of basinlab but :mod:`basinlab.errors`
and never imports torch. See docs/run-directory.md.
"""

from .files import (
    FILE_MODE,
    atomic_path,
    atomic_write_bytes,
    atomic_write_parquet,
    atomic_write_text,
    check_record,
    file_is_whole,
    file_record,
    sha256_file,
    temp_sibling,
)
from .layout import CHECKPOINTS, LOCK_FILE, MANIFEST, REPORT, SPEC, TEMP_GLOB, table_file
from .lock import DriverLock, acquire_driver_lock
from .schemas import LATER_COLUMNS, OPTIONAL_COLUMNS, SCHEMAS, WALL_CLOCK_COLUMNS, empty_frame, to_arrow
from .store import STATES, RunStore, RunView, open_run
from .tables import check_run_dir, planned_task_ids, read_manifest, read_table

__all__ = [
    # layout
    "MANIFEST", "SPEC", "LOCK_FILE", "CHECKPOINTS", "REPORT", "TEMP_GLOB", "table_file",
    # schemas
    "SCHEMAS", "LATER_COLUMNS", "WALL_CLOCK_COLUMNS", "OPTIONAL_COLUMNS", "to_arrow", "empty_frame",
    # files
    "atomic_path", "FILE_MODE", "atomic_write_bytes", "atomic_write_text", "atomic_write_parquet", "temp_sibling", "sha256_file",
    "file_record", "check_record", "file_is_whole",
    # the driver's store and the readers' view
    "RunStore", "RunView", "open_run", "STATES", "DriverLock", "acquire_driver_lock",
    # reading
    "read_table", "read_manifest", "planned_task_ids", "check_run_dir",
]
