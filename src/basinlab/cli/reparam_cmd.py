"""``basinlab reparam-demo``: thin over :mod:`basinlab.experiments.reparam_demo` (one run per dataset, then one page)."""

from __future__ import annotations

from pathlib import Path

import typer

from basinlab.cli._options import DataDir, Device, Quiet, TaskThreads, Verbose


def register(app: typer.Typer) -> None:
    """Add ``reparam-demo`` to ``app``."""

    @app.command("reparam-demo")
    def reparam_demo(
        out: Path | None = typer.Option(None, "--out", help="Output folder (default: runs/reparam-demo[-quick])."),
        profile: str = typer.Option("standard", "--profile",
                                    help="Size: standard (a few minutes on 2 cores) or quick (a smoke test)."),
        spec: Path | None = typer.Option(None, "--spec", help="The recipe (default: experiments/reparam_demo.toml)."),
        executor: str = typer.Option("local", "--executor", help="Where tasks run: local, process or ray."),
        workers: int | None = typer.Option(None, "--workers", help="Parallel workers."),
        device: Device = "cpu",
        threads: TaskThreads = None,
        data_dir: DataDir = None,
        quiet: Quiet = False,
        verbose: Verbose = False,
    ) -> None:
        """Train a digits and a Fashion-MNIST MLP and show every measure before and after a function-preserving
        rescaling (same predictions, Hessian λmax ×≥ 100): one run per dataset, then one page with both."""
        import shlex

        from basinlab.cli._progress import configure
        from basinlab.cli.run_cmd import _progress_run
        from basinlab.experiments.reparam_demo import demo_runs, demo_spec, reparam_demo_report

        configure(quiet, verbose)
        runs, source = demo_runs(profile), demo_spec(spec)
        root = out if out is not None else Path("runs") / ("reparam-demo" + ("" if profile == "standard" else f"-{profile}"))
        if workers is not None and executor == "local":
            executor = "process"
        resume = shlex.join(["basinlab", "reparam-demo", "--out", str(root), "--profile", profile])
        for dataset, spec_profile in runs.items():
            _progress_run(str(source), root / dataset, spec_profile, executor, workers, None, device, True, data_dir,
                          resume=resume + ("" if threads is None else f" --threads {threads}"), threads=threads)
        demo = reparam_demo_report(root, {dataset: root / dataset for dataset in runs})
        for line in demo.summary:
            typer.echo(line)
        typer.echo(f"report: {demo.report}")
