"""The interface every ray-evaluation backend implements (:class:`~.fastpath.SequentialRays`,
:class:`~.general.GeneralRays`); :class:`~.evaluator.RayEvaluator` only talks to it."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

__all__ = ["RayBackend"]


@runtime_checkable
class RayBackend(Protocol):
    """Outputs of a model at points ``θ0 + c·Q_k`` on row ranges of the data.

    Attributes: ``flops_first`` (flops per row of the direction-only work done once per direction, e.g. ``B_k``),
    ``flops_upper`` (flops per row and point), ``width`` (activation values per row and point, for memory budgets),
    ``split_rows`` (True when the rows of a one-at-a-time segment give the same bits however they are split into
    ``forward`` calls and on any torch thread count, and ``forward`` may run in several threads at once: the evaluator
    then splits chunks across threads, :mod:`~.rowthreads`).
    """

    flops_first: float
    flops_upper: float
    width: int
    split_rows: bool

    def set_directions(self, directions: list[list[torch.Tensor]]) -> None:
        """Load a batch of directions, each a list of tensors shaped like the parameters."""

    def prepare(self, k: torch.Tensor, c: torch.Tensor) -> None:
        """Fix the points ``θ0 + c[p]·Q_{k[p]}`` (k (P,) int64 into the batch, c (P,) float64) of later forwards."""

    def forward(self, start: int, stop: int, active: torch.Tensor) -> torch.Tensor:
        """Outputs ``(len(active), stop - start, *out)`` for rows ``start:stop`` at the prepared points ``active``."""

    def one_at_a_time(self, row: int) -> bool:
        """Whether points are evaluated one by one at ``row`` (for the evaluator's memory budget)."""

    def strategy_end(self, row: int) -> int:
        """The first row after ``row`` where the evaluation strategy changes: chunks never cross it."""
