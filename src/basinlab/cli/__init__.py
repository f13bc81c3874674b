"""Command-line interface: a thin typer skin over the library (see :mod:`basinlab.cli.app`)."""
