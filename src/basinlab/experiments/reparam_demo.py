"""The reparameterisation demo (issue 11 item 2) in one call: a trained digits MLP and a trained Fashion-MNIST MLP,
every measure before and after a function-preserving rescaling (one ReLU layer × a, the next × 1/a).

:func:`run_reparam_demo` runs ``experiments/reparam_demo.toml`` once per dataset (each run in ``OUT/<dataset>``
with its own report) and :func:`reparam_demo_report` writes ``OUT/report/index.html``: per dataset the function
check (max |Δ output|, prediction agreement), every measure at a = 1, 10, 100 with which are invariant, and one
figure. Fashion-MNIST's files are looked for (and downloaded if allowed) as for any run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import ConfigError, describe_choices

__all__ = ["DEMO_PROFILES", "ReparamDemo", "demo_spec", "demo_runs", "run_reparam_demo", "reparam_demo_report"]

# demo profile -> dataset -> the profile of experiments/reparam_demo.toml that measures it
DEMO_PROFILES: dict[str, dict[str, str]] = {
    "standard": {"digits": "scaled", "fashion-mnist": "fashion-mnist"},
    "quick": {"digits": "quick", "fashion-mnist": "fashion-mnist-quick"},
}
SPEC_NAME = "reparam_demo.toml"


def demo_spec(spec: str | Path | None = None) -> Path:
    """``spec``, else ``experiments/reparam_demo.toml`` of this source tree (a clone), else of the working folder."""
    if spec is not None:
        path = Path(spec)
    else:
        here = Path(__file__).resolve().parents[3] / "experiments" / SPEC_NAME
        path = here if here.is_file() else Path("experiments") / SPEC_NAME
    if not path.is_file():
        raise ConfigError(f"reparameterisation demo spec {str(path)!r} not found; run from the repository root or "
                          f"pass --spec PATH/{SPEC_NAME}")
    return path


def demo_runs(profile: str) -> dict[str, str]:
    """Dataset → spec profile for demo ``profile`` (``'standard'`` or ``'quick'``)."""
    if profile not in DEMO_PROFILES:
        raise ConfigError(f"demo profile {profile!r} unknown; use {describe_choices(list(DEMO_PROFILES))}")
    return dict(DEMO_PROFILES[profile])


@dataclass
class ReparamDemo:
    """Result of the demo: ``tables`` (dataset → :func:`basinlab.analysis.preprint.reparam_table`), the run
    directories, the page ``report`` and one line per dataset in ``summary``."""

    out: Path
    runs: dict[str, Path]
    tables: dict[str, pd.DataFrame]
    report: Path
    summary: list[str] = field(default_factory=list)


def run_reparam_demo(out: str | Path, profile: str = "standard", *, spec: str | Path | None = None,
                     executor: str = "local", workers: int | None = None, device: str = "cpu",
                     data_dir: str | Path | None = None) -> ReparamDemo:
    """Run the demo for every dataset of ``profile`` into ``out/<dataset>`` (resumable, each with its report) and
    write the combined page. Raises :class:`ConfigError` when a run has failed tasks."""
    from ..report import write_report
    from .runner import run_experiment

    source, runs = demo_spec(spec), {}
    for dataset, spec_profile in demo_runs(profile).items():
        runs[dataset] = Path(out) / dataset
        summary = run_experiment(source, runs[dataset], profile=spec_profile, executor=executor, workers=workers,
                                 device=device, data_dir=data_dir)
        if not summary.ok:
            raise ConfigError(f"the {dataset} run of the demo has failed tasks; see basinlab status {runs[dataset]}")
        write_report(runs[dataset])
    return reparam_demo_report(out, runs)


def _summary_line(dataset: str, table: pd.DataFrame) -> str:
    """One line: largest |Δ output|, agreement, the Hessian λmax ratio and the invariant volume's change."""
    rows = table.set_index("measure")
    factors = [c for c in table.columns if c.startswith("a=") and c != "a=1"]

    def worst(name: str, fn) -> float:
        return float(fn(rows.loc[name, factors].astype(float))) if name in rows.index else math.nan

    ratio = float(rows.loc["hessian_top", "max_ratio"]) if "hessian_top" in rows.index else math.nan
    vol = float(rows.loc["volume_elementwise", "max_rel_change"]) if "volume_elementwise" in rows.index else math.nan
    return (f"{dataset}: max |Δ output| {worst('max_output_change', max):.2g}, prediction agreement "
            f"{worst('prediction_agreement', min):.4g}; Hessian λmax ×{ratio:,.0f} "
            f"({'≥' if ratio >= 100 else '<'} 100); volume_elementwise relative change {vol:.2g}")


def reparam_demo_report(out: str | Path, runs: dict[str, str | Path]) -> ReparamDemo:
    """Write ``out/report/index.html`` from finished demo runs (dataset → run directory) and return the demo."""
    from ..analysis.preprint import reparam_table
    from ..analysis.run import load_run
    from ..report.reparam_page import write_reparam_page

    tables, dirs = {}, {name: Path(d) for name, d in runs.items()}
    for dataset, run_dir in dirs.items():
        table = reparam_table(load_run(run_dir).measures)
        if table.empty:
            raise ConfigError(f"run {str(run_dir)!r} has no rescaled measure rows (measures.reparam_factors)")
        tables[dataset] = table
    summary = [_summary_line(dataset, table) for dataset, table in tables.items()]
    page = write_reparam_page(tables, Path(out) / "report", runs=dirs, summary=summary)
    return ReparamDemo(Path(out), dirs, tables, page, summary)
