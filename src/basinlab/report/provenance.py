"""The spec and the manifest of a run as two-column (setting, value) tables for the end of the report."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd

from .tables import Column, ReportTable, fmt_text

__all__ = ["spec_table", "manifest_table", "flatten"]

MAX_LIST = 12  # longer lists are summarised as 'first, second, …, last (N values)'


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "∞" if math.isinf(value) and value > 0 else ("−∞" if math.isinf(value) else f"{value:g}")
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, (list, tuple)):
        if not value:
            return "(none)"
        items = [_show(v) for v in value]
        if len(items) > MAX_LIST:
            return f"{', '.join(items[:3])}, …, {items[-1]} ({len(items)} values)"
        return ", ".join(items)
    if isinstance(value, str) and value[:1] == '"':
        try:
            return str(json.loads(value))
        except ValueError:
            return value
    return str(value)


def _pairs(value: Any) -> bool:
    return (isinstance(value, list) and bool(value)
            and all(isinstance(v, (list, tuple)) and len(v) == 2 and isinstance(v[0], str) for v in value))


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Nested dicts (and lists of ``[key, value]`` pairs, lists of named dicts) as ``{'a.b': 'text'}``."""
    out: dict[str, str] = {}
    if _pairs(value):
        value = dict(value)
    if isinstance(value, dict):
        if not value and prefix:
            out[prefix] = "(none)"
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif (isinstance(value, list) and value and all(isinstance(v, dict) and "name" in v for v in value)
          and len(value) <= MAX_LIST):
        for item in value:
            rest = {k: v for k, v in item.items() if k != "name"}
            out.update(flatten(rest, f"{prefix}[{item['name']}]"))
    else:
        out[prefix or "value"] = _show(value)
    return out


def _two_columns(name: str, title: str, rows: dict[str, str], note: str) -> ReportTable:
    data = pd.DataFrame({"setting": list(rows), "value": list(rows.values())})
    return ReportTable(name, title, data, (Column("setting", "setting", fmt_text, text=True),
                                           Column("value", "value", fmt_text, text=True)), note)


def spec_table(run_dir: str | Path, facts: dict[str, Any]) -> ReportTable | None:
    """The resolved spec (after the profile) from the manifest, else the run's ``spec.toml``; None if neither."""
    spec = facts.get("spec") if isinstance(facts.get("spec"), dict) else None
    note = "The experiment as it ran (profile applied), from manifest.sqlite."
    if spec is None:
        path = Path(run_dir) / "spec.toml"
        if not path.exists():
            return None
        try:
            spec = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            return _two_columns("spec", "Spec", {"spec.toml": f"unreadable ({exc})"}, "")
        note = "From the run's spec.toml (no resolved spec in manifest.sqlite)."
    return _two_columns("spec", "Spec", flatten(spec), note)


def manifest_table(facts: dict[str, Any]) -> ReportTable | None:
    """Versions, plan and task counts from ``manifest.sqlite`` (the spec has its own table); None if empty."""
    rest = {k: v for k, v in facts.items() if k != "spec"}
    if not rest:
        return None
    rows = {}
    for key, value in rest.items():
        if isinstance(value, list) and len(value) > MAX_LIST:
            rows[key] = f"{len(value):,} entries"
        else:
            rows.update(flatten(value, key))
    return _two_columns("manifest", "Versions and manifest", rows, "Package versions, the task plan and task states.")
