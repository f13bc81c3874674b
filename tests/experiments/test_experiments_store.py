"""Store and runner with stand-in task functions: failure isolation, resume, output verification."""

from __future__ import annotations

import os
import sqlite3

import pytest

from basinlab.errors import ConfigError
from basinlab.experiments import Plan, RunStore, Task, execute_plan, make_executor, read_table, run_status

CALLS: list[str] = []


def stand_in_train(inputs, context, run_dir):
    """Pretends to train: a models row whose numbers are a function of the inputs."""
    CALLS.append(context["task_id"])
    if inputs.get("fail"):
        raise RuntimeError(f"boom {inputs['x']}")
    row = {"model_id": context["task_id"], "experiment": "t", "variant": "v", "dataset": "swiss-roll",
           "train_size": inputs["x"], "poison": 0, "imbalance": "", "model_seed": 0, "data_seed": 0,
           "optimizer": "adamw", "batch_size": 0, "sam_rho": 0.0, "lr": 0.1, "weight_decay": 0.0, "epochs_run": 1,
           "n_params": 3, "train_loss": 0.5 / inputs["x"], "train_acc": 1.0, "clean_train_loss": 0.0,
           "clean_train_acc": 1.0, "test_loss": 1.0, "test_acc": 0.5, "checkpoint": "", "train_seconds": 0.0}
    return {"tables": {"models": [row]}}


def stand_in_measure(inputs, context, run_dir):
    CALLS.append(context["task_id"])
    return {"tables": {"measures": [{"model_id": inputs["model"], "epoch": -1, "measure": "m", "value": inputs["x"],
                                     "stderr": float("nan"), "landscape": "train:1", "settings": "{}"}]}}


def _plan(fail_x: int | None = None) -> Plan:
    tasks = []
    for x in (1, 2, 3):
        t = Task.make("train", f"{__name__}:stand_in_train", {"x": x, "fail": x == fail_x}, label=f"train {x}")
        m = Task.make("measures", f"{__name__}:stand_in_measure", {"x": 10 * x, "model": t.task_id},
                      deps=(t.task_id,), label=f"measure {x}")
        tasks += [t, m]
    return Plan(tasks)


def _run(tmp_path, plan):
    with RunStore.open(tmp_path / "run") as store:
        return execute_plan(plan, store, make_executor("local"))


def test_failed_task_is_isolated_and_its_dependants_skipped(tmp_path):
    summary = _run(tmp_path, _plan(fail_x=2))
    assert summary.counts == {"done": 4, "failed": 1, "skipped": 1, "total": 6}
    states = {r["label"]: (r["state"], r["error"]) for r in run_status(tmp_path / "run")}
    assert states["train 2"][0] == "failed" and "RuntimeError: boom 2" in states["train 2"][1]
    assert states["measure 2"][0] == "skipped" and "did not finish" in states["measure 2"][1]
    assert states["train 3"] == ("done", None) and states["measure 3"] == ("done", None)
    assert sorted(read_table(tmp_path / "run", "measures")["value"]) == [10.0, 30.0]


def test_rerun_skips_done_tasks_and_redoes_missing_outputs(tmp_path):
    plan = _plan()
    _run(tmp_path, plan)
    CALLS.clear()
    assert _run(tmp_path, plan).counts["done"] == 6
    assert CALLS == []                                   # nothing recomputed
    victim = plan.tasks[3]                               # a measure task: delete its output file
    os.remove(tmp_path / "run" / "measures" / f"{victim.task_id}.parquet")
    _run(tmp_path, plan)
    assert CALLS == [victim.task_id]
    assert sorted(read_table(tmp_path / "run", "measures")["value"]) == [10.0, 20.0, 30.0]


def test_rerun_retries_failed_tasks(tmp_path):
    _run(tmp_path, _plan(fail_x=2))
    fixed = _plan()
    # the failing flag is an input, so the fixed task has a new id; the old one is not re-planned
    summary = _run(tmp_path, fixed)
    assert summary.counts["failed"] == 0 and summary.counts["done"] == 6


def test_manifest_uses_wal_while_the_driver_runs_and_records_states(tmp_path):
    with RunStore.open(tmp_path / "live") as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    _run(tmp_path, _plan())
    con = sqlite3.connect(tmp_path / "run" / "manifest.sqlite")
    # closed: a plain rollback journal, so read-only readers need (and create) no -wal / -shm file
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert con.execute("SELECT COUNT(*) FROM tasks WHERE state = 'done'").fetchone()[0] == 6
    con.close()


def test_read_table_empty_has_schema_columns(tmp_path):
    RunStore.open(tmp_path / "empty").close()
    frame = read_table(tmp_path / "empty", "volumes")
    assert frame.empty and "log_volume" in frame.columns and "landscape_size" in frame.columns
    with pytest.raises(ConfigError, match="table 'volume' is unknown"):
        read_table(tmp_path / "empty", "volume")


def test_temporary_files_are_never_read_and_are_cleaned(tmp_path):
    _run(tmp_path, _plan())
    stale = tmp_path / "run" / "measures" / ".half.parquet.123.tmp"
    stale.write_bytes(b"PAR1 half written")
    assert len(read_table(tmp_path / "run", "measures")) == 3
    RunStore.open(tmp_path / "run").close()
    assert not stale.exists()


def test_status_of_a_non_run_directory_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="is not a run directory"):
        run_status(tmp_path)


def test_unknown_executor_is_a_config_error():
    with pytest.raises(ConfigError, match="executor 'slurm' is unknown; use 'local', 'process' or 'ray'"):
        make_executor("slurm")


def test_read_table_reads_only_the_latest_plan(tmp_path):
    first = _plan()
    with RunStore.open(tmp_path / "run") as store:
        store.set_meta({"task_ids": [t.task_id for t in first.tasks]})
        execute_plan(first, store, make_executor("local"))
    assert len(read_table(tmp_path / "run", "measures")) == 3
    smaller = Plan(first.tasks[:2])
    with RunStore.open(tmp_path / "run") as store:
        store.set_meta({"task_ids": [t.task_id for t in smaller.tasks]})
        execute_plan(smaller, store, make_executor("local"))
    assert list(read_table(tmp_path / "run", "measures")["value"]) == [10.0]


def test_opening_for_status_leaves_another_process_temporaries_alone(tmp_path):
    from basinlab.experiments import run_status

    RunStore.open(tmp_path / "run").close()
    live = tmp_path / "run" / "radii" / ".abc.parquet.0123.tmp"  # a driver's file being written right now
    live.write_bytes(b"partial")
    for _ in range(3):
        run_status(tmp_path / "run")
    assert live.read_bytes() == b"partial"
    RunStore.open(tmp_path / "run").close()  # the driver's own open cleans what a killed run left
    assert not live.exists()


def test_a_second_driver_is_refused_with_the_holders_pid(tmp_path):
    import os

    from basinlab.errors import ConfigError

    first = RunStore.open(tmp_path / "run")
    with pytest.raises(ConfigError, match=rf"is being run by PID {os.getpid()} on host .*; wait for that run"):
        RunStore.open(tmp_path / "run")
    from basinlab.rundir import open_run

    with open_run(tmp_path / "run"):  # readers (status) are not drivers
        pass
    first.close()
    RunStore.open(tmp_path / "run").close()  # released on close (and by the OS when a driver dies)


def test_a_killed_drivers_lock_does_not_block(tmp_path):
    import subprocess
    import sys

    code = ("import os, sys; from basinlab.experiments import RunStore; "
            f"RunStore.open({str(tmp_path / 'run')!r}); os.kill(os.getpid(), 9)")
    subprocess.run([sys.executable, "-c", code], check=False)
    RunStore.open(tmp_path / "run").close()
