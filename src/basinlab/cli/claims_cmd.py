"""``basinlab claims RUN_DIR``: the paper's claims this run can test, each with its rule and verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from basinlab.cli._options import Json, Quiet, Verbose

RunDir = Annotated[Path, typer.Argument(help="Run directory written by 'basinlab run'.")]

_COLOURS = {"reproduced": "green", "not reproduced": "red", "not testable here": "bright_black"}


def claims(
    run_dir: RunDir,
    json_path: Json = None,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap intervals.")] = 0,
    quiet: Quiet = False,
    verbose: Verbose = False,
) -> None:
    """Check every claim of the basin-volume paper that RUN_DIR can test; print rule, figures and verdict."""
    from rich.markup import escape
    from rich.table import Table

    from basinlab.analysis.claims import NOT_REPRODUCED, NOT_TESTABLE, REPRODUCED, check_claims
    from basinlab.cli._progress import configure

    configure(quiet, verbose)

    from basinlab.errors import check_output_file

    if json_path not in (None, "-"):
        check_output_file(json_path, "--json")
    found = check_claims(run_dir, seed=seed)
    if json_path is not None:  # valid JSON: NaN and infinities become null
        from basinlab.analysis.claims import claims_records
        from basinlab.cli._options import write_json

        write_json(claims_records(found), json_path)
        if json_path == "-":
            return
    from basinlab.cli._tables import wide_console

    console = wide_console()
    if not found:
        console.print(f"nothing in {run_dir} is testable against the paper: it has no trained models")
        return
    out = Table(title=f"paper claims: {run_dir}", title_justify="left", show_lines=True)
    for name in ("experiment", "claim", "paper", "ours", "uncertainty", "verdict"):
        out.add_column(name, justify="left", overflow="fold")
    for c in found:
        verdict = escape(c.verdict) + (f"\n[dim]{escape(c.why)}[/dim]" if c.why else "")
        out.add_row(escape(c.experiment), f"{escape(c.key)}\n[dim]{escape(c.statement)}\nrule: {escape(c.rule)}[/dim]", escape(c.paper),
                    escape(c.ours), escape(c.uncertainty), f"[{_COLOURS[c.verdict]}]{verdict}[/]")
    console.print(out)
    counts = {v: sum(c.verdict == v for c in found) for v in (REPRODUCED, NOT_REPRODUCED, NOT_TESTABLE)}
    console.print(f"{counts[REPRODUCED]} reproduced, {counts[NOT_REPRODUCED]} not reproduced, "
                  f"{counts[NOT_TESTABLE]} not testable here", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``claims`` to ``app``."""
    app.command("claims")(claims)
