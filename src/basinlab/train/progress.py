"""Optional progress display for :func:`basinlab.train.train` (the library itself never prints)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["ProgressCallback", "RichProgress"]

# Called after every epoch with {'epoch', 'epochs', 'lr', and the metrics measured at that epoch (may be NaN)}.
ProgressCallback = Callable[[dict[str, Any]], None]


class RichProgress:
    """A rich progress bar with ETA on stderr; use as a context manager and pass the instance as callback."""

    def __init__(self, total: int, description: str = "training") -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("epochs"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[status]}"),
            console=Console(stderr=True), transient=False,
        )
        self._task = self._progress.add_task(description, total=total, status="")

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def __call__(self, info: dict[str, Any]) -> None:
        loss = info.get("train_loss", float("nan"))
        status = "" if loss != loss else f"train loss {loss:.4f}"
        acc = info.get("test_acc", float("nan"))
        if acc == acc:
            status += f"  test acc {acc:.3f}"
        self._progress.update(self._task, completed=info["epoch"], total=info["epochs"], status=status)
