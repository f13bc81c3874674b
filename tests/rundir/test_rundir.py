"""basinlab.rundir: read-only open, the driver lock (flock and exclusive-file, stale detection), integrity
records, schemas shared by writer and readers, and old runs still readable."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from basinlab.errors import ConfigError, DataError
from basinlab.rundir import (
    LOCK_FILE,
    RunStore,
    acquire_driver_lock,
    check_record,
    file_record,
    open_run,
    planned_task_ids,
    read_manifest,
    read_table,
    to_arrow,
)


def _listing(root):
    return sorted((str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*"))


class _T:
    def __init__(self, i):
        self.task_id, self.kind, self.label, self.deps = f"t{i}", "measures", f"task {i}", ()
        self.inputs_json = self.context_json = "{}"


def _measure_row(i):
    return {"model_id": f"m{i}", "epoch": -1, "measure": "m", "value": float(i), "stderr": float("nan"),
            "landscape": "train:1", "settings": "{}"}


def _finished_run(root, n=2):
    with RunStore.open(root) as store:
        store.sync_plan([_T(i) for i in range(n)])
        for i in range(n):
            store.mark(f"t{i}", "running")
            files = store.write_tables(f"t{i}", {"measures": [_measure_row(i)]})
            store.mark(f"t{i}", "done", outputs=files)
    return root


def test_read_only_open_makes_writes_and_deletes_nothing(tmp_path):
    root = _finished_run(tmp_path / "run")
    live_tmp = root / "measures" / ".t9.parquet.0123.tmp"  # a live driver's temporary
    live_tmp.write_bytes(b"partial")
    before = _listing(root)
    with open_run(root) as view:
        assert [r["state"] for r in view.states(verify=True)] == ["done", "done"]
        assert view.meta() == {}
    assert len(read_table(root, "measures")) == 2
    assert read_manifest(root) == {"tasks done": 2} and planned_task_ids(root) is None
    assert _listing(root) == before  # SQLite's -wal / -shm companions included: a reader creates none
    for missing in (tmp_path / "nope", tmp_path / "nope" / "deeper"):
        with pytest.raises(ConfigError, match="is not a run directory"):
            open_run(missing)
        assert not missing.exists()  # no mkdir
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="is a file, not a folder"):
        open_run(tmp_path / "file")


def test_readers_create_no_sqlite_companion_files_beside_a_live_driver_or_an_old_wal_manifest(tmp_path):
    """The driver writes the manifest in WAL mode and leaves a rollback journal when it closes; a read-only reader
    of a run written before that (WAL header, no -wal file) opens it immutable: no -wal / -shm appears."""
    import sqlite3

    root = _finished_run(tmp_path / "run")
    assert not list(root.glob("manifest.sqlite-*"))  # the driver closed: no companions left
    conn = sqlite3.connect(root / "manifest.sqlite")
    conn.execute("PRAGMA journal_mode=WAL")  # as runs written before were left
    conn.close()
    before = _listing(root)
    with open_run(root) as view:
        assert [r["state"] for r in view.states(verify=True)] == ["done", "done"]
    assert read_manifest(root) == {"tasks done": 2}
    assert _listing(root) == before
    with RunStore.open(root) as store:  # a live driver has its own -wal / -shm; a reader adds nothing and reads
        store.mark("t0", "failed", error="x")
        live = {p.name for p in root.iterdir()}
        with open_run(root) as view:
            assert [r["state"] for r in view.states()] == ["failed", "done"]
        assert {p.name for p in root.iterdir()} == live
    assert not list(root.glob("manifest.sqlite-*"))


def test_integrity_records_size_and_sha256(tmp_path):
    root = _finished_run(tmp_path / "run")
    with open_run(root) as view:
        (record,) = view.outputs("t0")
    assert record == file_record(root, "measures/t0.parquet") and len(record["sha256"]) == 64
    path = root / record["path"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))
    assert check_record(root, record) == "content changed"
    path.write_bytes(bytes(data) + b"x")
    assert check_record(root, record) == "size changed"
    path.write_bytes(bytes(data[:10]))
    assert check_record(root, record) == "truncated"
    path.unlink()
    assert check_record(root, record) == "missing"
    with open_run(root) as view:
        assert view.output_problems("t0") == {"measures/t0.parquet": "missing"} and view.output_problems("t1") == {}
        assert not view.is_done("t0") and view.is_done("t1")


def test_a_run_written_before_sha256_records_still_resumes(tmp_path):
    import sqlite3

    root = _finished_run(tmp_path / "run")
    con = sqlite3.connect(root / "manifest.sqlite")  # the older format: outputs as bare paths
    with con:
        con.execute("""UPDATE tasks SET outputs = '["measures/' || task_id || '.parquet"]'""")
    con.close()
    (root / "measures" / "t1.parquet").write_bytes(b"PAR1 cut")
    with open_run(root) as view:
        assert view.is_done("t0") and view.output_problems("t1") == {"measures/t1.parquet": "truncated"}


def test_unreadable_table_file_is_a_one_line_data_error(tmp_path):
    root = _finished_run(tmp_path / "run")
    (root / "measures" / "t1.parquet").write_bytes(b"PAR1" + b"\0" * 40 + b"PAR1")
    with pytest.raises(DataError, match=r"table 'measures': '.*t1\.parquet' is not readable Parquet") as info:
        read_table(root, "measures")
    assert "\n" not in str(info.value)


def test_old_runs_without_later_or_wall_clock_columns_read(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "volumes").mkdir()
    (tmp_path / "spec.toml").write_text('name = "old"\n')
    row = {"model_id": "m", "epoch": -1, "landscape": "train:10", "landscape_size": 10, "threshold": 0.1,
           "threshold_kind": "loss", "n_params": 5, "n_directions": 4, "n_censored": 0, "nonfinite_points": 0, "centre_loss": 0.01,
           "log_volume": -3.0, "log_volume_lo": -4.0, "log_volume_hi": -2.0, "r_min": 0.1, "r_median": 0.2,
           "r_mean": 0.2, "r_max": 0.3, "top_share": 0.5, "seconds": 1.0}
    table = to_arrow("volumes", [row]).drop_columns(["nonfinite_points", "seconds", "threshold_kind"])
    pq.write_table(table, tmp_path / "volumes" / "old.parquet")
    frame = read_table(tmp_path, "volumes")
    assert frame["nonfinite_points"].isna().all() and frame["seconds"].isna().all()
    assert list(frame["threshold_kind"]) == ["loss"]  # older runs measured loss thresholds only
    assert frame.loc[0, "log_volume"] == -3.0
    pq.write_table(pa.table({"model_id": ["m"]}), tmp_path / "volumes" / "old.parquet")
    with pytest.raises(DataError, match="lacks columns"):
        read_table(tmp_path, "volumes")


def test_readers_and_writer_share_one_schema():
    import basinlab.analysis.run as analysis_run
    import basinlab.experiments as experiments
    import basinlab.rundir as rundir

    assert experiments.SCHEMAS is rundir.SCHEMAS and experiments.read_table is rundir.read_table
    assert experiments.RunStore is rundir.RunStore
    assert analysis_run.TABLES == {name: tuple(c for c, _ in cols) for name, cols in rundir.SCHEMAS.items()}


def test_no_reader_imports_experiments_to_read_a_run():
    code = ("import sys, basinlab.analysis, basinlab.report, basinlab.rundir, basinlab.cli.app;"
            "from basinlab.analysis import correlation_table_from_run;"
            "print(sorted(m for m in sys.modules if m.startswith('basinlab.experiments')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_rundir_imports_no_torch():
    code = "import sys, basinlab.rundir; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


# ---- the driver lock ----------------------------------------------------------------------------------

def test_a_driver_in_another_process_is_named_and_a_killed_ones_lock_is_free(tmp_path):
    code = ("import sys, time; from basinlab.rundir import RunStore; s = RunStore.open(sys.argv[1]); "
            "print('ready', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "run")], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        with pytest.raises(ConfigError, match=rf"being run by PID {proc.pid} on host {socket.gethostname()}"):
            RunStore.open(tmp_path / "run")
        with open_run(tmp_path / "run"):  # a reader is not refused
            pass
    finally:
        proc.kill()
        proc.wait()
    RunStore.open(tmp_path / "run").close()  # the OS dropped the killed driver's lock


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_exclusive_file_lock_takes_over_a_stale_lock_and_refuses_a_live_one(tmp_path):
    lock_path = tmp_path / LOCK_FILE
    lock_path.write_text(f"PID {_dead_pid()} on host {socket.gethostname()}\n")  # a killed driver's file
    lock = acquire_driver_lock(tmp_path, use_flock=False)
    assert lock.stale_holder is not None and lock_path.read_text().startswith(f"PID {os.getpid()} ")
    with pytest.raises(ConfigError, match=rf"being run by PID {os.getpid()} on host"):
        acquire_driver_lock(tmp_path, use_flock=False)
    lock.release()
    assert not lock_path.exists()
    lock_path.write_text("PID 12345 on host some-other-machine\n")  # cannot be checked from here
    with pytest.raises(ConfigError, match=r"PID 12345 on host some-other-machine.*if that run is gone, delete"):
        acquire_driver_lock(tmp_path, use_flock=False)
    lock_path.unlink()
    acquire_driver_lock(tmp_path, use_flock=False).release()


def test_flock_lock_file_of_an_exited_driver_does_not_block(tmp_path):
    (tmp_path / LOCK_FILE).write_text(json.dumps("PID 1 on host x"))  # left behind; nobody holds the flock
    lock = acquire_driver_lock(tmp_path)
    assert (tmp_path / LOCK_FILE).read_text().startswith(f"PID {os.getpid()} ")
    lock.release()


def test_the_package_writes_files_only_through_the_rundir_helpers():
    """One way to write a file (issue 12 item 4): no module renames its own temporary file into place."""
    from pathlib import Path

    import basinlab

    src = Path(basinlab.__file__).parent
    allowed = {"rundir/files.py", "rundir/layout.py"}  # the writer and the temporary files' name pattern
    found = []
    for path in src.rglob("*.py"):
        rel = path.relative_to(src).as_posix()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if rel not in allowed and any(s in line for s in ("os.replace(", "os.rename(", "mkstemp(", '.tmp"')):
                if "unpacked" not in line:  # data/download.py moves an unpacked folder into place
                    found.append(f"{rel}:{n}: {line.strip()}")
    assert not found, found


def test_atomic_write_names_the_target_and_leaves_nothing_on_failure(tmp_path):
    from basinlab.rundir import FILE_MODE, atomic_path, atomic_write_text

    target = tmp_path / "out.txt"
    atomic_write_text(target, "x")
    assert target.read_text() == "x" and os.stat(target).st_mode & 0o777 == FILE_MODE
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer failed")
    assert target.read_text() == "x" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    with pytest.raises(FileNotFoundError) as caught:
        atomic_write_text(tmp_path / "absent" / "out.txt", "x")
    assert caught.value.filename == str(tmp_path / "absent" / "out.txt")
