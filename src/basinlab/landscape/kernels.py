"""The dense layer kernel of the fast path: ``x @ wᵀ + b`` (optionally followed by ReLU).

On the CPU in float32 it runs through oneDNN (``torch.ops.mkldnn._linear_pointwise``, the kernel ``torch.compile``
uses for CPU linear layers, with the ReLU fused into the GEMM) when this torch build has it: on the AMD EPYC
machine of ``benchmarks/volume_speed.py`` it runs these GEMMs 1.2–2× faster than the default BLAS (MKL) that
``F.linear`` calls. Both give float32 results that agree to rounding (≈1e-6 relative); each is deterministic for a
given shape whatever the thread count. Elsewhere (float64, CUDA, builds without oneDNN) it is ``F.linear``.
``BASINLAB_LINEAR=blas`` in the environment, or the :func:`blas_only` context, forces ``F.linear`` everywhere
(``benchmarks/volume_speed.py`` uses it to show what oneDNN contributes).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F

__all__ = ["linear", "onednn_available", "blas_only"]


def _probe() -> bool:
    if os.environ.get("BASINLAB_LINEAR", "").lower() == "blas":
        return False
    try:
        op = torch.ops.mkldnn._linear_pointwise
        if not torch.backends.mkldnn.is_available():
            return False
        x, w, b = torch.ones(2, 3), torch.ones(4, 3), torch.zeros(4)
        return bool(torch.equal(op(x, w, b, "relu", [], ""), F.linear(x, w, b)))
    except (AttributeError, RuntimeError):
        return False


_ONEDNN = _probe()


def onednn_available() -> bool:
    """True when :func:`linear` uses oneDNN for float32 CPU tensors."""
    return _ONEDNN


@contextmanager
def blas_only() -> Iterator[None]:
    """Within the block :func:`linear` is ``F.linear`` (the default BLAS) for every tensor."""
    global _ONEDNN
    saved, _ONEDNN = _ONEDNN, False
    try:
        yield
    finally:
        _ONEDNN = saved


def linear(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None, relu: bool = False) -> torch.Tensor:
    """``x (M, in) @ w (out, in)ᵀ + b (out,)`` → ``(M, out)``, then ReLU if ``relu``; ``x`` and ``w`` contiguous."""
    if _ONEDNN and x.dtype == torch.float32 and x.device.type == "cpu" and x.dim() == 2:
        return torch.ops.mkldnn._linear_pointwise(x, w, b, "relu" if relu else "none", [], "")
    out = F.linear(x, w, b)
    return out.relu_() if relu else out
