"""Progress of long CLI work, on stderr: rich bars on a terminal, plain log lines otherwise, nothing with --quiet.

When stderr is not a terminal (Slurm, nohup, ``> log.txt 2>&1``) every update that finishes a unit of work
(``every=None``: a run's task) or crosses the next ``every`` percent (an epoch, a batch of directions) writes one
flushed line ``<what>: <done>/<total> (<pct>%) elapsed <t> ETA <t>[ <note>]``, so a batch log shows progress as
it happens. The library never prints: commands pass :meth:`Bar.update` (or an adapter) as its callback.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

__all__ = ["Output", "configure", "current", "Bars", "Bar", "format_seconds", "interruptible"]


def format_seconds(seconds: float) -> str:
    """``75.2`` -> ``'1:15'``, ``3725`` -> ``'1:02:05'``; ``'?'`` for an unknown time."""
    if seconds != seconds or seconds < 0 or seconds == float("inf"):
        return "?"
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Output:
    """How a command talks on stderr: ``quiet`` (errors only), default (progress and notes), ``verbose``
    (also the library's INFO log lines). ``rich`` is None to decide by whether stderr is a terminal."""

    def __init__(self, quiet: bool = False, verbose: bool = False, rich: bool | None = None) -> None:
        self.quiet, self.verbose = quiet, verbose
        self.rich = sys.stderr.isatty() if rich is None else rich
        self._console = None

    @property
    def console(self):
        """A rich console on stderr (wide when stderr is not a terminal, so nothing wraps in a log)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True, width=None if self.rich else 200)
        return self._console

    def note(self, message: str) -> None:
        """A line of information on stderr (not with --quiet)."""
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    @contextmanager
    def progress(self, *, unit: str = "", every: float | None = 10.0):
        """A group of bars (one per phase); yields a :class:`Bars` whose ``add(description, total)`` makes a bar."""
        if self.quiet or not self.rich:
            yield Bars("off" if self.quiet else "plain", unit, every)
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        progress = Progress(TextColumn("[bold]{task.description:>9}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn(unit), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                            TextColumn("{task.fields[note]}"), console=self.console, transient=False)
        with progress:
            yield Bars("rich", unit, every, progress)

    @contextmanager
    def bar(self, description: str, total: int | None, *, unit: str = "", every: float | None = 10.0):
        """One progress bar (or plain-line reporter) for ``total`` units; yields a :class:`Bar`."""
        with self.progress(unit=unit, every=every) as bars:
            yield bars.add(description, total)


class Bars:
    """The bars of one :meth:`Output.progress` block."""

    def __init__(self, mode: str, unit: str, every: float | None, progress: Any = None) -> None:
        self.mode, self.unit, self.every, self._progress = mode, unit, every, progress

    def add(self, description: str, total: int | None) -> Bar:
        """A new bar of ``total`` units."""
        return Bar(description, total, unit=self.unit, mode=self.mode, every=self.every, progress=self._progress)

    def print(self, message: str) -> None:
        """A line above the bars (rich markup is not interpreted); nothing with --quiet."""
        _print(self.mode, self._progress, message)


def _print(mode: str, progress: Any, message: str) -> None:
    if mode == "rich":
        progress.console.print(message, markup=False, highlight=False)
    elif mode == "plain":
        print(message, file=sys.stderr, flush=True)


class Bar:
    """One unit of long work: call :meth:`update` (absolute) or :meth:`advance` (relative); :meth:`print` writes a
    line without breaking the bar."""

    def __init__(self, description: str, total: int | None, *, unit: str = "", mode: str = "plain",
                 every: float | None = 10.0, progress: Any = None) -> None:
        self.description, self.total, self.unit, self.mode, self.every = description, total, unit, mode, every
        self.done = 0
        self.free = 0  # units that cost nothing (a resumed run's finished tasks): not in the ETA
        self._progress = progress
        self._start = time.perf_counter()
        self._next_pct = every if every else 0.0
        self._task = progress.add_task(description, total=total, note="") if progress is not None else None

    def advance(self, n: int = 1, note: str = "", *, free: bool = False) -> None:
        """``n`` more units finished; ``free`` ones (found done already) are left out of the ETA and, with one line
        per unit, print no line."""
        if free:
            self.free += n
            self.done += n
            if self.mode == "rich":
                self._progress.update(self._task, completed=self.done)
            return
        self.update(self.done + n, note=note)

    def update(self, done: int, total: int | None = None, note: str = "") -> None:
        """``done`` units of ``total`` (default: the bar's total) finished."""
        self.done = done
        if total is not None:
            self.total = total
        if self.mode == "rich":
            self._progress.update(self._task, completed=done, total=self.total, note=note)
        elif self.mode == "plain":
            pct = 100.0 * done / self.total if self.total else 100.0
            if self.every is None or pct >= self._next_pct or done == self.total:
                if self.every:
                    while self._next_pct <= pct:
                        self._next_pct += self.every
                self._line(note)

    def _line(self, note: str) -> None:
        elapsed = time.perf_counter() - self._start
        total = self.total or 0
        paid = self.done - self.free
        eta = elapsed / paid * (total - self.done) if paid > 0 and total else float("nan")
        pct = f" ({100.0 * self.done / total:.0f}%)" if total else ""
        unit = f" {self.unit}" if self.unit else ""
        print(f"{self.description}: {self.done}/{total}{unit}{pct} elapsed {format_seconds(elapsed)} "
              f"ETA {format_seconds(eta)}{' ' + note if note else ''}", file=sys.stderr, flush=True)

    def print(self, message: str) -> None:
        """A line above the bar (rich markup is not interpreted); nothing with --quiet."""
        _print(self.mode, self._progress, message)


_CURRENT = Output()


def configure(quiet: bool = False, verbose: bool = False) -> Output:
    """Set how the running command talks (its --quiet / --verbose) and return that :class:`Output`.

    --verbose also sends the library's INFO log records (logger ``basinlab``) to stderr.
    """
    import logging

    global _CURRENT
    from basinlab.errors import ConfigError

    if quiet and verbose:
        raise ConfigError("--quiet and --verbose exclude each other; pass one")
    _CURRENT = Output(quiet=quiet, verbose=verbose)
    logger = logging.getLogger("basinlab")
    if verbose and not any(getattr(h, "_basinlab_cli", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s", "%H:%M:%S"))
        handler._basinlab_cli = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    return _CURRENT


def current() -> Output:
    """The :class:`Output` of the running command (the default one before :func:`configure`)."""
    return _CURRENT


@contextmanager
def interruptible(kept: str | Callable[[], str]):
    """On Ctrl-C: print ``interrupted: <what was kept and how to resume>`` on stderr and exit with code 130.

    (Typer would turn the KeyboardInterrupt into a silent exit before any outer handler could speak.)
    """
    import typer

    try:
        yield
    except KeyboardInterrupt:
        print(f"interrupted: {kept() if callable(kept) else kept}", file=sys.stderr, flush=True)
        raise typer.Exit(130) from None
