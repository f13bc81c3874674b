"""``basinlab run``, ``status``, ``validate`` and ``demo``: thin layers over :mod:`basinlab.experiments`."""

from __future__ import annotations

from pathlib import Path

import typer

from basinlab.cli._options import DataDir, Device, Json, MaxMemory, Quiet, TaskThreads, Verbose

PHASES = {"train": "training", "volume": "volume", "measures": "measures"}


def _progress_run(spec_source: str, out: Path | None, profile: str | None, executor: str,
                  workers: int | None, address: str | None, device: str, report: bool = True,
                  data_dir: Path | None = None, *, resume: str = "", threads: int | None = None,
                  max_memory: str | None = None) -> None:
    """Run with one progress bar per phase on stderr (plain lines when stderr is not a terminal), then print a
    summary table and write the report. ``resume`` is the command line that resumes this run (for Ctrl-C)."""
    from basinlab.cli._progress import current, interruptible
    from basinlab.cli._tables import wide_console
    from basinlab.experiments import default_run_dir, load_spec, run_experiment

    output = current()
    run_dir = out if out is not None else default_run_dir(load_spec(spec_source, profile=profile)[0])
    bars: dict = {}
    finished = {"done": 0, "cached": 0, "total": 0}

    def on_plan(plan) -> None:
        finished["total"] = len(plan.tasks)
        for kind, n in plan.counts().items():
            bars[kind] = group.add(PHASES.get(kind, kind), n)

    def on_event(event, task, result) -> None:
        if event == "started":
            return
        if event == "damaged":  # ``result`` maps each missing or changed file to why; the task runs again
            files = ", ".join(f"{path} ({why})" for path, why in result.items())
            group.print(f"rerunning {task.label}: {files}")
            return
        if event in ("done", "cached"):
            finished[event] += 1
        if event == "cached":
            bars[task.kind].advance(free=True)
            return
        state = {"failed": "failed ", "skipped": "skipped "}.get(event, "")
        bars[task.kind].advance(note=f"{state}{task.label}")
        if event == "failed":
            group.print(f"failed {task.label}: {result.error}")

    def kept() -> str:
        if not finished["total"]:  # stopped while the spec was read and the tasks planned
            return f"before any task ran; start again with: {resume or 'the same command'}"
        n = finished["done"] + finished["cached"]
        return (f"{n} of {finished['total']} tasks are done and kept in {run_dir}; the tasks that were running are "
                f"redone; resume with: {resume or 'the same command'}")

    with interruptible(kept), output.progress(unit="tasks", every=None) as group:
        summary = run_experiment(spec_source, run_dir, profile=profile, executor=executor, workers=workers,
                                 address=address, device=device, data_dir=data_dir, on_event=on_event,
                                 on_plan=on_plan, threads=threads, max_memory=max_memory)
    console = wide_console()
    _print_summary(console, summary)
    if report:
        with interruptible(f"every task is done and kept in {run_dir}; write the report with: basinlab report "
                           f"{run_dir}"):
            report_ok = _write_report(console, summary.run_dir)
    else:
        report_ok = True
    if not summary.ok or not report_ok:
        raise typer.Exit(1)


def _print_summary(console, summary) -> None:
    from rich.table import Table

    from basinlab.experiments import read_table

    c = summary.counts
    console.print(f"{c.get('done', 0)}/{c.get('total', 0)} tasks done, {c.get('failed', 0)} failed, "
                  f"{c.get('skipped', 0)} skipped in {summary.seconds:.1f} s; results in {summary.run_dir}")
    vols, models = read_table(summary.run_dir, "volumes"), read_table(summary.run_dir, "models")
    if vols.empty or models.empty:
        return
    df = vols.merge(models[["model_id", "variant", "train_size", "poison", "test_acc"]], on="model_id")
    by_epoch = df["epoch"].nunique() > 1 or not (df["epoch"] == -1).all()
    if by_epoch:  # a checkpoint's test accuracy is the training log's at that epoch, not the final model's
        log = read_table(summary.run_dir, "training")[["model_id", "epoch", "test_acc"]]
        df = df.merge(log.rename(columns={"test_acc": "epoch_acc"}), on=["model_id", "epoch"], how="left")
        df["test_acc"] = df["epoch_acc"].where(df["epoch"] >= 0, df["test_acc"])
    keys = ["variant", "train_size", "poison"] + (["epoch"] if by_epoch else []) + ["landscape_size", "threshold"]
    agg = df.groupby(keys, sort=True).agg(models=("model_id", "nunique"), log_volume=("log_volume", "mean"),
                                          r_max=("r_max", "mean"), test_acc=("test_acc", "mean")).reset_index()
    table = Table(title="mean log-volume (nats) per training size and landscape")
    show_poison = bool((agg["poison"] != 0).any())
    cols = (["variant", "train n"] + (["poison"] if show_poison else []) + (["epoch"] if by_epoch else [])
            + ["land. n", "tau", "models", "log V", "r_max", "test acc"])
    for col in cols:
        table.add_column(col, justify="right")
    for row in agg.itertuples(index=False):
        table.add_row(str(row.variant), str(row.train_size), *([str(row.poison)] if show_poison else []),
                      *([str(row.epoch)] if by_epoch else []), str(row.landscape_size), f"{row.threshold:g}",
                      str(row.models), f"{row.log_volume:.4g}", f"{row.r_max:.3g}", f"{row.test_acc:.3f}")
    console.print(table)


def _write_report(console, run_dir: Path) -> bool:
    """Write the HTML report; False when writing it failed.

    A failing report does not lose results (they are complete in RUN_DIR): the error is printed with its
    location and the run exits with code 1.
    """
    import traceback

    from basinlab.report import write_report

    try:
        path = write_report(run_dir)
    except Exception as exc:  # noqa: BLE001 - results are safe; say where the report broke
        frames = traceback.extract_tb(exc.__traceback__)
        frame = ([f for f in frames if "/basinlab/" in f.filename] or frames)[-1]
        where = f"{frame.filename.rsplit('/src/', 1)[-1]}:{frame.lineno}"
        console.print(f"[red]report failed[/red]: {type(exc).__name__}: {exc} (at {where}); the results are complete "
                      f"in {run_dir}; retry with: basinlab report {run_dir}", markup=True, highlight=False)
        return False
    console.print(f"report: {path}")
    return True


def register(app: typer.Typer) -> None:
    """Add ``run``, ``status``, ``validate`` and ``demo`` to ``app``."""

    @app.command()
    def run(
        spec: Path = typer.Argument(..., help="Experiment spec (TOML), e.g. experiments/quickstart.toml."),
        out: Path | None = typer.Option(None, "--out", help="Run directory (default: runs/<name>[-<profile>])."),
        profile: str | None = typer.Option(None, "--profile",
                                           help="A profile of the spec (its profiles.<name> table), e.g. quick."),
        executor: str = typer.Option("local", "--executor", help="Where tasks run: local, process or ray."),
        workers: int | None = typer.Option(None, "--workers", help="Parallel workers (process pool, local Ray)."),
        address: str | None = typer.Option(None, "--address", help="Ray cluster address (with --executor ray)."),
        device: Device = "cpu",
        threads: TaskThreads = None,
        report: bool = typer.Option(True, "--report/--no-report", help="Write the HTML report at the end."),
        data_dir: DataDir = None,
        max_memory: MaxMemory = None,
        quiet: Quiet = False,
        verbose: Verbose = False,
    ) -> None:
        """Run every training and measurement of SPEC; a rerun resumes where the last one stopped."""
        from basinlab.cli._progress import configure

        configure(quiet, verbose)
        if workers is not None and executor == "local":
            executor = "process"
        _progress_run(str(spec), out, profile, executor, workers, address, device, report, data_dir,
                      resume=_resume_command(["run", str(spec)], out, profile, executor, workers, address, device,
                                             threads, max_memory) + ("" if report else " --no-report"),
                      threads=threads, max_memory=max_memory)

    @app.command()
    def status(
        run_dir: Path = typer.Argument(..., help="A run directory."),
        json_path: Json = None,
        quiet: Quiet = False,
        verbose: Verbose = False,
    ) -> None:
        """Show done, pending and failed tasks of a run, with the errors of failed ones."""
        from collections import Counter

        from rich.table import Table

        from basinlab.cli._options import write_json
        from basinlab.cli._progress import configure
        from basinlab.cli._tables import wide_console
        from basinlab.rundir import open_run

        configure(quiet, verbose)
        with open_run(run_dir) as view:  # read-only: safe beside a live driver
            rows = view.states(verify=True)
        if json_path is not None:
            write_json(rows, json_path)
            if json_path == "-":
                return
        counts = Counter((r["kind"], r["state"]) for r in rows)
        states = ["done", "pending", "running", "failed", "skipped"]
        states += ["damaged"] if any(r["state"] == "damaged" for r in rows) else []
        table = Table(title=f"tasks in {run_dir}")
        table.add_column("kind")
        for s in states:
            table.add_column(s, justify="right")
        for kind in sorted({r["kind"] for r in rows}):
            table.add_row(kind, *[str(counts.get((kind, s), 0)) for s in states])
        console = wide_console()
        console.print(table)
        for r in rows:
            if r["state"] in ("failed", "skipped", "damaged"):
                console.print(f"{r['state']} {r['kind']} {r['task_id']} ({r['label']}): {r['error']}", markup=False)
        if any(r["state"] in ("running", "pending") for r in rows):
            console.print("running = being run now, or interrupted (e.g. killed); rerun the same spec with the same "
                          "--out to resume")
        if "damaged" in states:
            console.print("damaged = done, but a file it wrote is missing or changed since; rerun the same spec with "
                          "the same --out to redo it")

    @app.command()
    def validate(
        spec: Path = typer.Argument(..., help="Experiment spec (TOML)."),
        profile: str | None = typer.Option(None, "--profile", help="A profile of the spec (its profiles.<name> table)."),
        max_memory: MaxMemory = None,
        quiet: Quiet = False,
        verbose: Verbose = False,
    ) -> None:
        """Check a spec without running it and print how many tasks it plans."""
        from basinlab.cli._progress import configure
        from basinlab.experiments import load_spec, plan
        from basinlab.models.size import memory_limit

        configure(quiet, verbose)
        from basinlab.experiments.spec import check_runnable

        parsed, _ = load_spec(spec, profile=profile)
        counts = plan(parsed).counts()
        with memory_limit(max_memory):
            check_runnable(parsed)  # what a run checks before its first task: "valid" means the run can start
        detail = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        typer.echo(f"{spec}: valid{' (profile ' + profile + ')' if profile else ''}; "
                   f"{sum(counts.values())} tasks planned: {detail}")

    @app.command()
    def demo(
        out: Path | None = typer.Option(None, "--out", help="Run directory (default: runs/quickstart-quick)."),
        executor: str | None = typer.Option(
            None, "--executor", help="Where tasks run: local, process or ray (default: a process pool with one "
            "worker per core; local on a 1-core machine)."),
        workers: int | None = typer.Option(None, "--workers", help="Parallel workers (default: one per core)."),
        device: Device = "cpu",
        threads: TaskThreads = None,
        max_memory: MaxMemory = None,
        quiet: Quiet = False,
        verbose: Verbose = False,
    ) -> None:
        """Run the quickstart (swiss-roll data-size experiment, quick profile) end to end (about a minute on 2 cores)."""
        from basinlab.cli._progress import configure
        from basinlab.experiments import QUICKSTART_TOML

        configure(quiet, verbose)
        resume = _resume_command(["demo"], out, None, executor, workers, None, device, threads, max_memory)
        executor, workers = _demo_executor(executor, workers)
        _progress_run(QUICKSTART_TOML, out, "quick", executor, workers, None, device, resume=resume,
                      threads=threads, max_memory=max_memory)


def _demo_executor(executor: str | None, workers: int | None) -> tuple[str, int | None]:
    """The demo's executor: as given, else a process pool of one worker per core (``workers`` or every core).

    Its tasks are small models that keep one core busy each: on 2 cores a pool of two runs it in about half the
    time of the serial local executor (`make bench`: 49.8 s against 93.1 s), with the same numbers (training and
    volumes do not depend on the thread count)."""
    from basinlab.experiments.executors import available_cpus

    if executor is None:
        workers = workers if workers is not None else available_cpus()
        return ("local", None) if workers == 1 else ("process", workers)  # a bad count reaches its check
    if workers is not None and executor == "local":
        return "process", workers
    return executor, workers


def _resume_command(head: list[str], out: Path | None, profile: str | None, executor: str | None, workers: int | None,
                    address: str | None, device: str, threads: int | None = None, max_memory: str | None = None) -> str:
    """The command line that resumes a run (same spec, profile and run directory)."""
    import shlex

    args = ["basinlab", *head]
    for flag, value, default in (("--out", out, None), ("--profile", profile, None), ("--executor", executor, "local"),
                                 ("--workers", workers, None), ("--address", address, None), ("--device", device, "cpu"),
                                 ("--threads", threads, None), ("--max-memory", max_memory, None)):
        if value is not None and value != default and not (head == ["demo"] and flag == "--profile"):
            args += [flag, str(value)]
    return shlex.join(args)
