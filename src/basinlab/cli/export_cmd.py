"""``basinlab export mlflow RUN_DIR``: a run directory's models, metrics and report in MLflow."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from basinlab.cli._options import Quiet, Verbose

RunDir = Annotated[Path, typer.Argument(help="Run directory written by 'basinlab run'.")]


def mlflow(
    run_dir: RunDir,
    tracking_uri: Annotated[str | None, typer.Option(
        help="MLflow tracking URI (sqlite:///mlflow.db, file:./mlruns, http://host:5000); default: MLflow's own "
             "(MLFLOW_TRACKING_URI or its default store).")] = None,
    experiment: Annotated[str | None, typer.Option(
        help="MLflow experiment name (default: basinlab-<spec name>).")] = None,
    report: Annotated[bool, typer.Option(help="Attach RUN_DIR/report/ as artifacts when it exists.")] = True,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Log every model of RUN_DIR as an MLflow run: parameters, metrics (volumes, measures, accuracy), report."""
    from basinlab.cli._progress import configure
    from basinlab.export import export_mlflow
    from basinlab.rundir.tables import check_run_dir

    output = configure(quiet, verbose)
    check_run_dir(run_dir)  # before the first note: a bad input is the only line printed
    output.note(f"export: logging the models of {run_dir} to MLflow ...")
    ids = export_mlflow(run_dir, tracking_uri=tracking_uri, experiment=experiment, report=report)
    typer.echo(f"{len(ids)} model(s) in MLflow: {', '.join(ids)}")


def register(app: typer.Typer) -> None:
    """Add ``export mlflow`` to ``app``."""
    group = typer.Typer(help="Export a run directory to other tools (pip install 'basinlab[mlflow]').",
                        no_args_is_help=True)
    group.command("mlflow")(mlflow)
    app.add_typer(group, name="export")
