"""Row-space directions (``direction_draw='rowspace'``): the first layer's Gaussian drawn only where the data sees it.

Along a ray the loss depends on the first layer's direction Q₁ (h, d) only through ``X·Q₁ᵀ`` (X: the N×d input of the
first Linear). Let ``U`` (d, N) hold an orthonormal basis of a space containing X's row space (``Xᵀ = U·R``, reduced QR;
``N < d``). A Gaussian row g ~ N(0, I_d) splits into ``z = Uᵀg ~ N(0, I_N)`` and a rest orthogonal to it, independent of
z, with ``‖rest‖² ~ χ²(d − N)``; since ``X = X·U·Uᵀ``, ``X·gᵀ = (X·U)·z``. So the measurement runs on the *reduced*
problem: inputs ``X̃ = X·U`` (N, N), first layer ``W̃₀ = W₀·U`` (h, N) with the same bias and upper layers, and a
direction whose first block is ``Z ∘ F`` with Z (h, N) standard normal and F the filter norms of the ORIGINAL rows
``‖W₀[i]‖``; ``‖P‖² = ‖Z‖² + χ²(h·(d − N)) + ‖P_rest‖²``. Every loss along every reduced ray equals the loss along an
original ray whose direction has exactly the explicit distribution (up to float rounding of ``X̃·W̃₀ᵀ`` against
``X·W₀ᵀ``), so radii, log V and every summary have the explicit mode's distribution — but not its directions: this is
its own seed stream (direction k: :func:`rowspace_draw`) and the directions cannot be rebuilt in parameter space.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..errors import ConfigError
from ..normalization import DIRECTION_DRAWS
from .directions import _draw, direction_scales

__all__ = ["DIRECTION_DRAWS", "ROWSPACE_KEY", "RowspaceProblem", "check_direction_draw", "rowspace_problem",
           "rowspace_draw"]

ROWSPACE_KEY = 0x526F77  # mixed into every row-space seed ("Row"), so the stream is not the explicit one


def check_direction_draw(value: str) -> str:
    """``value`` if it is one of :data:`DIRECTION_DRAWS`, else a ConfigError naming the accepted values."""
    if value not in DIRECTION_DRAWS:
        raise ConfigError(f"direction_draw {value!r} is unknown; use one of {', '.join(map(repr, DIRECTION_DRAWS))}")
    return value


@dataclass(frozen=True)
class RowspaceProblem:
    """The reduced measurement problem of one (model, data) pair (see the module docstring).

    ``model``: ``nn.Sequential`` of the reduced first Linear (N → h) and the original later layers (shared, not
    copied); ``inputs`` (N, N): X̃ = X·U; ``basis`` (d, N) float64: U; ``scales``: the filter norms F of the original
    parameters (:func:`~.directions.direction_scales`); ``chi_df``: h·(d − N), the degrees of freedom of the missing
    norm. A reduced direction's first block Q̃₁ stands for the original first-layer direction ``Q̃₁·Uᵀ`` (h, d).
    """

    model: nn.Sequential
    inputs: torch.Tensor
    basis: torch.Tensor
    scales: list[torch.Tensor | None]
    chi_df: int

    def draw(self, seeds: list[int]) -> Iterator[tuple[list[torch.Tensor], float]]:
        """``(Q̃, ‖P‖)`` of each seed in order: :func:`rowspace_draw` with this problem's shapes and filter norms."""
        params = [p.detach() for p in self.model.parameters()]
        for s in seeds:
            yield rowspace_draw(params, self.scales, self.chi_df, s)


def rowspace_draw(
    params: list[torch.Tensor], scales: list[torch.Tensor | None], chi_df: int, seed: int
) -> tuple[list[torch.Tensor], float]:
    """One row-space direction of direction seed ``seed`` (``direction_seed(s, k)``) for the reduced parameters.

    A numpy ``PCG64`` generator seeded with ``(ROWSPACE_KEY, seed)`` gives a torch seed (``integers(0, 2**63 - 1)``)
    and then ``χ²(chi_df)``; the torch seed draws every reduced parameter's Gaussian in parameter order exactly as the
    explicit mode does (float32, CPU generator, scaled by ``scales``). Returns the reduced direction and
    ``‖P‖ = sqrt(‖drawn‖² + χ²)`` (float64).
    """
    rng = np.random.Generator(np.random.PCG64([ROWSPACE_KEY, int(seed)]))
    torch_seed = int(rng.integers(0, 2**63 - 1))
    chi2 = float(rng.chisquare(chi_df))
    q, norm = _draw(params, scales, torch_seed)
    return q, math.sqrt(norm * norm + chi2)


def _first_linear(model: nn.Module) -> int:
    """Index of the first layer with parameters of an ``nn.Sequential``, checked to be a plain ``nn.Linear`` with only
    parameter- and buffer-free layers before it; a ConfigError says what is needed otherwise."""
    if type(model) is not nn.Sequential:
        raise ConfigError(
            f"direction_draw='rowspace' needs an nn.Sequential model whose first layer with parameters is nn.Linear; "
            f"got {type(model).__name__} (use direction_draw='explicit')"
        )
    for i, layer in enumerate(model):
        if any(True for _ in layer.parameters()):
            if type(layer) is not nn.Linear:
                raise ConfigError(
                    f"direction_draw='rowspace' needs the first layer with parameters to be nn.Linear; layer {i} is "
                    f"{type(layer).__name__} (a convolution's input patches outnumber its filter width; use "
                    "direction_draw='explicit')"
                )
            return i
        if any(True for _ in layer.buffers()):
            raise ConfigError(f"direction_draw='rowspace': layer {i} ({type(layer).__name__}) before the first Linear "
                              "has buffers; use direction_draw='explicit'")
    raise ConfigError("direction_draw='rowspace' needs a model with a Linear layer; use direction_draw='explicit'")


@torch.no_grad()
def rowspace_problem(model: nn.Module, inputs: torch.Tensor, normalization: str = "rows") -> RowspaceProblem:
    """The reduced problem of ``model`` (in eval mode) on ``inputs`` (N, ...): see the module docstring.

    Raises ConfigError unless the model is an ``nn.Sequential`` whose first layer with parameters is ``nn.Linear``
    (after parameter-free layers such as Flatten) fed an (N, d) matrix with N < d, and ``normalization`` is not
    ``'elementwise'`` (whose per-entry scales give every row its own covariance).
    """
    if normalization == "elementwise":
        raise ConfigError("direction_draw='rowspace' does not support normalization='elementwise' (each weight row "
                          "gets its own covariance); use 'rows', 'rows_biases' or 'none', or direction_draw='explicit'")
    first = _first_linear(model)
    layers = list(model)
    x = inputs
    for layer in layers[:first]:
        x = layer(x)
    lin: nn.Linear = layers[first]
    if x.dim() != 2 or not x.dtype.is_floating_point:
        raise ConfigError(f"direction_draw='rowspace' needs the first Linear's input to be a float (N, d) matrix; got "
                          f"shape {tuple(x.shape)} and dtype {x.dtype}; use direction_draw='explicit'")
    n, d = x.shape
    if n >= d:
        raise ConfigError(
            f"direction_draw='rowspace' applies only when the landscape has fewer rows than the first layer has inputs; "
            f"got {n} rows and {d} inputs (largest landscape {n}); use direction_draw='explicit'"
        )
    w0 = lin.weight.detach()
    u, _ = torch.linalg.qr(x.detach().to(torch.float64).T, mode="reduced")  # (d, N) orthonormal columns
    reduced = nn.Linear(n, lin.out_features, bias=lin.bias is not None, device=w0.device, dtype=w0.dtype)
    reduced.weight.copy_((w0.to(torch.float64) @ u).to(w0.dtype))
    if lin.bias is not None:
        reduced.bias.copy_(lin.bias.detach())
    small = nn.Sequential(reduced, *layers[first + 1:]).eval()
    x_small = (x.detach().to(torch.float64) @ u).to(x.dtype).contiguous()
    # the filter norms are the original rows' (‖W₀[i]‖ over all d inputs), not the reduced rows'
    scales = direction_scales([p.detach() for p in model.parameters()], normalization)
    return RowspaceProblem(model=small, inputs=x_small, basis=u, scales=scales, chi_df=int(lin.out_features * (d - n)))
