"""The same spec gives identical tables whichever executor ran it; tasks set their own thread counts."""

from __future__ import annotations

import pytest
from experiments_testlib import alive, assert_same_tables, descendants

from basinlab.experiments import Plan, RunStore, Task, execute_plan, make_executor, run_experiment


def report_threads(inputs, context, run_dir):
    """Stand-in task: records the torch and BLAS thread limits it runs with."""
    import torch
    from threadpoolctl import threadpool_info

    blas = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    return {"tables": {"measures": [{"model_id": context["task_id"], "epoch": -1, "measure": "threads",
                                     "value": float(torch.get_num_threads()), "stderr": float(max(blas or [1])),
                                     "landscape": "", "settings": "{}"}]}}


def test_each_task_sets_its_own_thread_count(tmp_path):
    import torch

    torch.set_num_threads(2)  # a worker left in another state by a previous task
    tasks = [Task.make("measures", f"{__name__}:report_threads", {"i": i}, num_cpus=n) for i, n in ((0, 1), (1, 2))]
    with RunStore.open(tmp_path / "run") as store:
        execute_plan(Plan(tasks), store, make_executor("local"))
    from basinlab.experiments import read_table

    rows = read_table(tmp_path / "run", "measures").set_index("model_id")
    assert rows.loc[tasks[0].task_id, "value"] == 1.0 and rows.loc[tasks[1].task_id, "value"] == 2.0
    assert set(rows["stderr"]) == {1.0}          # BLAS limited to one thread inside every task
    assert torch.get_num_threads() == 2          # and restored afterwards


def _threads_by_task(run_dir):
    from basinlab.experiments import read_table

    return read_table(run_dir, "measures").set_index("model_id")["value"].to_dict()


def test_a_serial_local_run_gives_its_task_every_core_and_a_pool_splits_them(tmp_path):
    from basinlab.experiments.executors import available_cpus

    # no num_cpus: thread-invariant kinds (train, volume) get the executor's share, other kinds one thread
    tasks = [Task.make(kind, f"{__name__}:report_threads", {"i": i}) for i, kind in enumerate(("train", "volume",
                                                                                               "measures"))]
    with RunStore.open(tmp_path / "local") as store:
        execute_plan(Plan(tasks), store, make_executor("local"))
    got = _threads_by_task(tmp_path / "local")
    assert [got[t.task_id] for t in tasks] == [available_cpus(), available_cpus(), 1.0]
    explicit = [Task.make("train", f"{__name__}:report_threads", {"j": 0}, num_cpus=1)]
    with RunStore.open(tmp_path / "pinned") as store:
        execute_plan(Plan(explicit), store, make_executor("local"))
    assert _threads_by_task(tmp_path / "pinned")[explicit[0].task_id] == 1.0   # the spec's count wins
    with RunStore.open(tmp_path / "pool") as store:
        execute_plan(Plan(tasks[:1]), store, make_executor("process", workers=2))
    assert _threads_by_task(tmp_path / "pool")[tasks[0].task_id] == max(1, available_cpus() // 2)


def report_wait_policy(inputs, context, run_dir):
    """Stand-in task: 1.0 when the worker's OpenMP threads were told to sleep when idle."""
    import os

    value = {"PASSIVE": 1.0, "ACTIVE": 2.0}.get(os.environ.get("OMP_WAIT_POLICY", ""), 0.0)
    return {"tables": {"measures": [{"model_id": context["task_id"], "epoch": -1, "measure": "wait", "value": value,
                                     "stderr": 0.0, "landscape": "", "settings": "{}"}]}}


def test_pool_workers_sleep_when_idle_unless_the_environment_says_otherwise(tmp_path, monkeypatch):
    task = [Task.make("measures", f"{__name__}:report_wait_policy", {"i": 0})]
    for setting, expected in ((None, 1.0), ("ACTIVE", 2.0)):
        if setting is None:
            monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
        else:
            monkeypatch.setenv("OMP_WAIT_POLICY", setting)
        with RunStore.open(tmp_path / f"pool-{setting}") as store:
            execute_plan(Plan(task), store, make_executor("process", workers=1))
        assert _threads_by_task(tmp_path / f"pool-{setting}")[task[0].task_id] == expected


def test_the_command_line_tells_openmp_to_sleep_when_idle_before_torch_loads():
    import os
    import subprocess
    import sys

    code = ("import os, sys\nfrom basinlab.cli.app import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n"
            "    pass\nprint(os.environ.get('OMP_WAIT_POLICY'), 'torch' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split()[-2:] == ["PASSIVE", "False"]


def test_resources_num_cpus_is_optional_and_reaches_the_tasks():
    from experiments_testlib import TINY

    from basinlab.experiments import load_spec
    from basinlab.experiments.planning import plan

    unset, _ = load_spec(TINY)
    assert unset.num_cpus is None and all(t.num_cpus is None for t in plan(unset).tasks)
    pinned, _ = load_spec(TINY + "[resources]\nnum_cpus = 3\n")
    assert {t.num_cpus for t in plan(pinned).tasks} == {3}


@pytest.mark.slow
def test_process_pool_gives_the_same_tables(tmp_path, tiny_spec):
    run_experiment(tiny_spec, tmp_path / "local")
    summary = run_experiment(tiny_spec, tmp_path / "pool", executor="process", workers=2)
    assert summary.ok
    assert_same_tables(tmp_path / "local", tmp_path / "pool")


@pytest.mark.ray
@pytest.mark.slow
def test_ray_gives_the_same_tables(tmp_path, tiny_spec):
    pytest.importorskip("ray")
    run_experiment(tiny_spec, tmp_path / "local")
    summary = run_experiment(tiny_spec, tmp_path / "ray", executor="ray", workers=2)
    assert summary.ok, summary.failures
    assert_same_tables(tmp_path / "local", tmp_path / "ray")


@pytest.mark.slow
def test_process_pool_workers_die_with_a_killed_driver(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    here = str(Path(__file__).parent)
    driver = (
        f"import sys; sys.path.insert(0, {here!r})\n"
        "from basinlab.experiments import Plan, RunStore, Task, execute_plan, make_executor\n"
        f"tasks = [Task.make('measures', 'experiments_testlib:sleep_and_record_pid', {{'i': i, 'dir': {str(tmp_path)!r}}})"
        " for i in range(2)]\n"
        f"store = RunStore.open({str(tmp_path / 'run')!r})\n"
        "execute_plan(Plan(tasks), store, make_executor('process', 2))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", driver])
    deadline = time.time() + 60
    while len(list(tmp_path.glob("*.pid"))) < 2 and time.time() < deadline:
        time.sleep(0.2)
    pids = [int(p.read_text()) for p in tmp_path.glob("*.pid")]
    assert len(pids) == 2 and all(alive(p) for p in pids)
    family = descendants(proc.pid)  # the workers and any helper (multiprocessing's resource tracker, ...)
    assert set(pids) <= family
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 10
    while any(alive(p) for p in family) and time.time() < deadline:
        time.sleep(0.2)
    assert not any(alive(p) for p in family), {p: alive(p) for p in family}  # no process left behind


@pytest.mark.ray
@pytest.mark.slow
def test_local_ray_cluster_dies_with_a_killed_driver(tmp_path):
    """kill -9 of a driver that started a local Ray cluster: its workers, raylet, GCS and agents all go (the
    agents outlived the driver by over a minute before the reaper)."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    pytest.importorskip("ray")
    from basinlab.experiments.reaper import process_table

    here = str(Path(__file__).parent)
    driver = (
        f"import sys; sys.path.insert(0, {here!r})\n"
        "from basinlab.experiments import Plan, RunStore, Task, execute_plan, make_executor\n"
        f"tasks = [Task.make('measures', 'experiments_testlib:sleep_and_record_pid', {{'i': i, 'dir': {str(tmp_path)!r}}})"
        " for i in range(2)]\n"
        f"store = RunStore.open({str(tmp_path / 'run')!r})\n"
        "execute_plan(Plan(tasks), store, make_executor('ray', 2))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", driver], stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": here})  # Ray workers import the stand-in task
    deadline = time.time() + 120
    while len(list(tmp_path.glob("*.pid"))) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, proc.stderr.read()[-2000:]
    workers = [int(p.read_text()) for p in tmp_path.glob("*.pid")]
    table = process_table()
    tree, frontier = set(), {proc.pid}
    while frontier:  # every process the driver started, directly or not
        tree |= frontier
        frontier = {p for p, (ppid, _) in table.items() if ppid in frontier} - tree
    tree.discard(proc.pid)
    assert len(workers) == 2 and set(workers) <= tree and len(tree) >= 5, (workers, tree)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 15
    while any(alive(p) for p in tree) and time.time() < deadline:
        time.sleep(0.2)
    left = [p for p in tree if alive(p)]
    for pid in left:  # never leave them behind, even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert not left, [Path(f"/proc/{p}/comm").read_text().strip() for p in left]
