"""basinlab.experiments: one TOML spec -> a task graph -> a resumable run directory, locally or on Ray.

Public names: specs (:func:`load_spec`, :class:`ExperimentSpec`), planning (:func:`plan`, :class:`Task`),
running (:func:`run_experiment`, :func:`execute_plan`, :func:`make_executor`), the store (:class:`RunStore`,
:func:`read_table`, :func:`run_status`) and the embedded quickstart (:data:`QUICKSTART_TOML`).
"""

import importlib
from typing import Any

# public name -> submodule; imported on first use so reading tables (``basinlab table``) does not import torch
_EXPORTS: dict[str, str] = {
    "EXECUTORS": ".executors",
    "TaskResult": ".executors",
    "execute_task": ".executors",
    "make_executor": ".executors",
    "Plan": ".planning",
    "Task": ".planning",
    "canonical_json": ".planning",
    "plan": ".planning",
    "task_id": ".planning",
    "QUICKSTART_TOML": ".quickstart",
    "RunSummary": ".runner",
    "default_run_dir": ".runner",
    "execute_plan": ".runner",
    "run_experiment": ".runner",
    "run_status": ".runner",
    "ExperimentSpec": ".spec",
    "LandscapeSpec": ".spec",
    "ModelSection": ".spec",
    "Variant": ".spec",
    "VolumeSettings": ".spec",
    "load_spec": ".spec",
    "parse_spec": ".spec",
    # the run directory itself lives in basinlab.rundir (readers import it from there)
    "RunStore": "..rundir",
    "SCHEMAS": "..rundir",
    "WALL_CLOCK_COLUMNS": "..rundir",
    "read_table": "..rundir",
}

__all__ = [
    # specs
    "ExperimentSpec", "ModelSection", "Variant", "LandscapeSpec", "VolumeSettings", "load_spec", "parse_spec",
    # planning
    "Plan", "Task", "plan", "task_id", "canonical_json",
    # running
    "run_experiment", "execute_plan", "RunSummary", "default_run_dir", "make_executor", "execute_task",
    "TaskResult", "EXECUTORS",
    # store
    "RunStore", "read_table", "run_status", "SCHEMAS", "WALL_CLOCK_COLUMNS",
    # recipes
    "QUICKSTART_TOML",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'basinlab.experiments' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
