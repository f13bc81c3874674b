"""kill -9 in the middle of a real run, rerun: the same tables as an uninterrupted run."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from experiments_testlib import assert_same_tables

from basinlab.experiments import run_experiment, run_status


def _done(run_dir) -> int:
    db = run_dir / "manifest.sqlite"
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(db, timeout=1.0)
        try:
            return con.execute("SELECT COUNT(*) FROM tasks WHERE state = 'done'").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0


def test_sigkill_then_rerun_gives_the_same_tables(tmp_path, tiny_spec):
    clean = run_experiment(tiny_spec, tmp_path / "clean")
    assert clean.ok and clean.counts["done"] == 12

    killed = tmp_path / "killed"
    code = "import sys; from basinlab.experiments import run_experiment; run_experiment(sys.argv[1], sys.argv[2])"
    proc = subprocess.Popen([sys.executable, "-c", code, str(tiny_spec), str(killed)],
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.monotonic() + 120
    while _done(killed) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    states = [r["state"] for r in run_status(killed)]
    assert 3 <= states.count("done") < 12, states            # really killed mid-run

    resumed = run_experiment(tiny_spec, killed)
    assert resumed.ok and resumed.counts["done"] == 12
    assert_same_tables(tmp_path / "clean", killed)
    assert not list(killed.glob("*/.*.tmp"))                  # no temporary file survives


def test_truncated_or_deleted_outputs_rerun_their_task_and_say_so(tmp_path, tiny_spec):
    from experiments_testlib import assert_same_tables

    from basinlab.experiments import run_experiment

    run_experiment(tiny_spec, tmp_path / "whole")
    run_experiment(tiny_spec, tmp_path / "damaged")
    radii = sorted((tmp_path / "damaged" / "radii").glob("*.parquet"))
    data = radii[0].read_bytes()
    radii[0].write_bytes(data[: len(data) // 2])  # truncated: no Parquet footer
    (tmp_path / "damaged" / "volumes" / radii[1].name).unlink()  # deleted
    ckpt = sorted((tmp_path / "damaged" / "checkpoints").glob("*.safetensors"))[0]
    ckpt.write_bytes(ckpt.read_bytes()[:-16])  # truncated tensor data
    events: list[tuple[str, list[str]]] = []
    summary = run_experiment(tiny_spec, tmp_path / "damaged",
                             on_event=lambda e, t, r: events.append((t.task_id, r)) if e == "damaged" else None)
    assert summary.ok
    reported = {f for _, files in events for f in files}
    assert f"radii/{radii[0].name}" in reported and f"volumes/{radii[1].name}" in reported
    assert f"checkpoints/{ckpt.name}" in reported
    assert_same_tables(tmp_path / "whole", tmp_path / "damaged")
