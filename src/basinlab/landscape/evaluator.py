"""Batched mean-loss evaluation of parameter points θ0 + c·Q_k in nested landscapes.

Landscapes are prefixes of the data (sizes N_1 < … < N_L). One pass over the first N_l rows gives the mean loss
of every landscape up to l (cumulative float64 sums of per-sample losses). The model runs in its own dtype
(float32 or float64); per-sample losses are accumulated in float64.

Early exit (only for losses known to be >= 0): the running sum is checked at the fixed checkpoints
m = G, 2G, … (G = ``granularity`` rows) below N_l; once it exceeds ``tau_exit·N_l`` (or is not finite) the
point is proven above every threshold in landscape l, and the value reported is the lower bound ``sum_m / N_l``
with ``exact=False``. The checkpoints do not depend on batching, so neither do the reported values' flags.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from .backend import RayBackend
from .fastpath import SequentialRays, supports_fast_path
from .general import GeneralRays
from .losses import LossFn, cross_entropy, points_cross_entropy
from .rowthreads import RowThreads, row_threads_enabled

__all__ = ["RayEvaluator", "DEFAULT_MEMORY_BUDGET"]

DEFAULT_MEMORY_BUDGET = 256 * 2**20  # bytes of activations per chunk
MAX_CHUNK_ROWS = 2048


class RayEvaluator:
    """Mean loss of many points ``θ0 + c·Q_k`` in nested prefix landscapes of ``(inputs, targets)``.

    Args:
        model: the network at θ0 (parameters are read, never modified).
        inputs, targets: the data; only the first ``max(sizes)`` rows are used.
        loss_fn: per-sample loss ``(outputs (B, C), targets (B, ...)) -> (B,)``.
        sizes: increasing prefix sizes N_1 < … < N_L.
        tau_exit: early-exit level (the largest threshold), or None to disable early exit.
        general: force the general (vmap) path even when the fast path applies.
        threads: threads a chunk's rows are split across when the backend allows it (``split_rows``), each running
            torch on one thread (:mod:`~.rowthreads`); default ``torch.get_num_threads()`` at construction. Values
            are the same for every count.
    """

    def __init__(
        self,
        model: nn.Module,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        loss_fn: LossFn,
        sizes: Sequence[int],
        *,
        tau_exit: float | None,
        memory_budget: int = DEFAULT_MEMORY_BUDGET,
        granularity: int = 512,
        general: bool = False,
        threads: int | None = None,
    ) -> None:
        self.sizes = [int(s) for s in sizes]
        n = self.sizes[-1]
        self.targets = targets[:n]
        self.loss_fn = loss_fn
        self.tau_exit = tau_exit
        self.memory_budget = int(memory_budget)
        self.granularity = int(granularity)
        self.fast = (not general) and supports_fast_path(model)
        self.backend: RayBackend = (
            SequentialRays(model, inputs[:n], self.sizes) if self.fast else GeneralRays(model, inputs[:n])
        )
        self.itemsize = next(model.parameters()).element_size()
        threads = torch.get_num_threads() if threads is None else int(threads)
        split = self.backend.split_rows and threads > 1 and row_threads_enabled()
        self.rows = RowThreads(threads) if split else None
        self.n_points = 0  # points evaluated
        self.point_rows = 0  # sum over evaluated points of rows processed
        self.direction_rows = 0  # rows of B_k = first_layer(X; Q_k) computed
        self.flops = 0.0  # multiply-adds x 2 actually executed (estimate from layer shapes)

    def carry_counts(self, other: RayEvaluator) -> RayEvaluator:
        """Add ``other``'s work counters (points, rows, flops) to this evaluator's; returns ``self``."""
        self.n_points += other.n_points
        self.point_rows += other.point_rows
        self.direction_rows += other.direction_rows
        self.flops += other.flops
        return self

    def set_directions(self, directions: list[list[torch.Tensor]]) -> None:
        """Load a batch of directions (each a list of tensors shaped like the parameters)."""
        self.backend.set_directions(directions)
        self.direction_rows += len(directions) * self.sizes[-1]
        self.flops += len(directions) * self.sizes[-1] * self.backend.flops_first

    def _chunk_rows(self, n_points: int, early_exit: bool, pos: int) -> int:
        live = 1 if self.backend.one_at_a_time(pos) else n_points  # points whose activations coexist
        per_row = max(1, live * self.backend.width * self.itemsize * 3)
        rows = max(1, self.memory_budget // per_row)
        # With early exit only the first chunk ends at the first checkpoint (a point far above τ is proven there,
        # which is where nearly all of the saving is); later chunks are full size. Every checkpoint inside a chunk
        # is still checked, so values and flags do not depend on chunking. Measured on the 784-256-128-10 MLP:
        # cutting every chunk at the 512-row checkpoints made a 6,000-example measurement ~1.35x slower.
        cap = self.granularity if early_exit and self.tau_exit is not None and pos < self.granularity else MAX_CHUNK_ROWS
        return int(min(rows, cap))

    @torch.no_grad()
    def evaluate(
        self, k: torch.Tensor, c: torch.Tensor, need: torch.Tensor, *, early_exit: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Mean losses at points ``θ0 + c[p]·Q_{k[p]}`` for landscapes ``0..need[p]``.

        Args:
            k: (P,) int64 index into the loaded direction batch.
            c: (P,) float64 coefficients.
            need: (P,) int64 index of the largest landscape each point must be known in.

        Returns:
            values (P, L) float64, exact (P, L) bool (False for lower bounds) and known (P, L) bool (False where
            the landscape was not evaluated; its value is then NaN).
        """
        # the bookkeeping is on small numpy arrays (a torch op on a few values costs several times a numpy one);
        # the same float64 operations, so the same bits
        p_total, n_land = len(c), len(self.sizes)
        values = np.full((p_total, n_land), np.nan)
        exact = np.zeros((p_total, n_land), dtype=bool)
        decided = np.zeros((p_total, n_land), dtype=bool)
        sums = np.zeros(p_total)
        need = np.asarray(need.cpu() if isinstance(need, torch.Tensor) else need, dtype=np.int64)
        stop_at = np.asarray(self.sizes)[need]
        relevant = np.arange(n_land)[None, :] <= need[:, None]  # (P, L)
        active = np.arange(p_total)
        self.backend.prepare(k, c)
        pos = 0
        self.n_points += p_total
        while len(active) > 0:
            # a chunk ends where the backend's strategy changes (it is chosen by the landscape segment of the rows)
            stop = min(
                pos + self._chunk_rows(len(active), early_exit, pos), int(stop_at[active].max()),
                self.backend.strategy_end(pos),
            )
            per = self._per_sample(pos, stop, torch.from_numpy(active)).cpu().numpy()
            rows = stop - pos
            # running sums at rows pos+1..stop, carried in sequentially (the carry joins the first row before the
            # sequential cumsum), so every sum is the same left-to-right float64 sum whatever the chunking
            per[:, 0] += sums[active]
            cum = np.cumsum(per, axis=1)
            self.point_rows += len(active) * rows
            self.flops += len(active) * rows * self.backend.flops_upper
            for li, n_l in enumerate(self.sizes):
                if pos < n_l <= stop:  # landscape complete: exact mean
                    fresh = ~decided[active, li]
                    idx = active[fresh]
                    values[idx, li] = cum[fresh, n_l - pos - 1] / n_l
                    exact[idx, li] = True
                    decided[idx, li] = True
                if early_exit and self.tau_exit is not None and n_l > pos + 1:
                    first_m = (pos // self.granularity + 1) * self.granularity
                    for m in range(first_m, min(stop, n_l - 1) + 1, self.granularity):
                        s = cum[:, m - pos - 1]
                        hit = ~(s <= self.tau_exit * n_l) & ~decided[active, li]
                        if hit.any():
                            idx = active[hit]
                            values[idx, li] = s[hit] / n_l
                            decided[idx, li] = True
            sums[active] = cum[:, -1]
            pos = stop
            done = (decided[active] | ~relevant[active]).all(axis=1) | (stop_at[active] <= pos)
            active = active[~done]
        return torch.from_numpy(values), torch.from_numpy(exact), torch.from_numpy(decided)

    def _per_sample(self, start: int, stop: int, active: torch.Tensor) -> torch.Tensor:
        """Per-sample losses ``(len(active), stop - start)`` float64 of rows ``start:stop`` (within one strategy
        segment) at the prepared points ``active``; one-at-a-time rows are split across the row threads."""
        ce = self.loss_fn is cross_entropy and self.targets.dim() == 1

        def part(lo: int, hi: int) -> tuple[torch.Tensor, bool]:  # (losses, True) or (outputs, False)
            out = self.backend.forward(lo, hi, active)
            if ce and out.dim() == 3:
                return points_cross_entropy(out, self.targets[lo:hi]), True
            return out, False

        if self.rows is not None and self.backend.one_at_a_time(start):
            with self.rows.one_torch_thread_each():
                parts = self.rows.map(part, self.rows.split(start, stop))
        else:  # batched chunks (and evaluators without row threads) stay on torch's threads
            parts = [part(start, stop)]
        out = parts[0][0] if len(parts) == 1 else torch.cat([p for p, _ in parts], dim=1)
        if parts[0][1]:
            return out.double()
        rows = stop - start
        flat = out.reshape((len(active) * rows,) + out.shape[2:])
        tgt = self.targets[start:stop].repeat((len(active),) + (1,) * (self.targets.dim() - 1))
        return self.loss_fn(flat, tgt).reshape(len(active), rows).to(torch.float64, copy=True)
