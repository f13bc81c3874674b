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
        time.sleep(0.05)
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
    models = sorted((tmp_path / "damaged" / "models").glob("*.parquet"))[0]
    data = bytearray(models.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte changed: same size, still framed as Parquet; only SHA-256 sees it
    models.write_bytes(bytes(data))
    status = {r["task_id"]: r for r in run_status(tmp_path / "damaged")}  # read-only, verified
    assert status[models.stem]["state"] == "damaged" and "content changed" in status[models.stem]["error"]
    events: list[tuple[str, dict[str, str]]] = []
    summary = run_experiment(tiny_spec, tmp_path / "damaged",
                             on_event=lambda e, t, r: events.append((t.task_id, r)) if e == "damaged" else None)
    assert summary.ok
    reported = {f: why for _, files in events for f, why in files.items()}
    assert reported[f"radii/{radii[0].name}"] == "truncated" and reported[f"volumes/{radii[1].name}"] == "missing"
    assert reported[f"checkpoints/{ckpt.name}"] == "truncated"
    assert reported[f"models/{models.name}"] == "content changed"
    assert all(r["state"] == "done" for r in run_status(tmp_path / "damaged"))
    assert_same_tables(tmp_path / "whole", tmp_path / "damaged")


def test_status_in_a_loop_beside_a_live_run_fails_no_task(tmp_path):
    from pathlib import Path

    from typer.testing import CliRunner

    from basinlab.cli.app import app

    out, here = tmp_path / "live", str(Path(__file__).parent)
    driver = (
        f"import sys; sys.path.insert(0, {here!r})\n"
        "from basinlab.experiments import Plan, RunStore, Task, execute_plan, make_executor\n"
        "tasks = [Task.make('measures', 'experiments_testlib:short_measure', {'i': i, 'sleep': 0.05}) for i in range(40)]\n"
        f"with RunStore.open({str(out)!r}) as store:\n"
        "    s = execute_plan(Plan(tasks), store, make_executor('local'))\n"
        "sys.exit(0 if s.ok else 1)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", driver])
    polls, runner = 0, CliRunner()
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if (out / "manifest.sqlite").exists():
            try:
                run_status(out)
            except Exception as exc:  # noqa: BLE001 - only "its tables are not made yet" is acceptable
                assert "no such table" in str(exc) or "not a readable run manifest" in str(exc), exc
            result = runner.invoke(app, ["status", str(out)])
            assert result.exit_code in (0, 2), result.output
            polls += 1
        time.sleep(0.05)
    assert proc.wait() == 0 and polls >= 5, polls
    states = [r["state"] for r in run_status(out)]
    assert states == ["done"] * 40
