"""Helpers for tests/experiments: a tiny real spec (swiss roll, seconds to run) and run-directory comparison."""

from __future__ import annotations

TINY = """
name = "tiny"
[dataset]
name = "swiss-roll"
options = { n_total = 300 }
sizes = [20, 40, 80]
[seeds]
model = [0, 1]
data = [0, 1]
pairing = "zip"
[model]
hidden = [8, 8]
[train]
lr = 0.01
batch_size = 20
epochs = 30
eval_every = 10
[volume]
directions = 6
thresholds = [0.3, 0.6]
"""

TABLES = ("models", "training", "volumes", "radii")


def canonical_tables(run_dir) -> dict:
    """Every table without wall-clock columns, rows sorted by all columns."""
    from basinlab.experiments import WALL_CLOCK_COLUMNS, read_table

    out = {}
    for name in TABLES:
        frame = read_table(run_dir, name)
        frame = frame.drop(columns=[c for c in WALL_CLOCK_COLUMNS if c in frame.columns])
        out[name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return out


def assert_same_tables(a, b) -> None:
    import pandas as pd

    ta, tb = canonical_tables(a), canonical_tables(b)
    for name in TABLES:
        assert len(ta[name]) > 0, name
        pd.testing.assert_frame_equal(ta[name], tb[name], check_exact=True, obj=name)


def sleep_and_record_pid(inputs, context, run_dir):
    """Stand-in task: writes its worker's PID to ``inputs['dir']/<i>.pid`` and sleeps (to be killed)."""
    import os
    import time
    from pathlib import Path

    from basinlab.rundir import atomic_write_text

    # atomic: a test polling for the file never reads it empty (it did, once, under load)
    atomic_write_text(Path(inputs["dir"]) / f"{inputs['i']}.pid", str(os.getpid()))
    time.sleep(60)
    return {"tables": {}}


def short_measure(inputs, context, run_dir):
    """Stand-in task: sleeps ``inputs['sleep']`` seconds, then returns one ``measures`` row."""
    import time

    time.sleep(inputs["sleep"])
    return {"tables": {"measures": [{"model_id": f"m{inputs['i']}", "epoch": -1, "measure": "m",
                                     "value": float(inputs["i"]), "stderr": float("nan"), "landscape": "train:1",
                                     "settings": "{}"}]}}


def descendants(pid: int) -> set[int]:
    """Every process started (directly or not) by ``pid``, from /proc/<pid>/task/*/children."""
    from pathlib import Path

    found, todo = set(), [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            try:
                children = {int(c) for c in (task / "children").read_text().split()}
            except OSError:
                continue
            todo.extend(children - found)
            found |= children
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper counts as dead)."""
    from pathlib import Path

    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status
