"""Training on several threads with the numbers of one thread.

MKL's float32 GEMM is not reproducible across thread counts for some shapes: when the output is small and the
reduction long (the last layer's weight gradient, 10 × 128 summed over every row; a forward pass over a handful
of rows) it splits the reduction across threads, and the rounding changes with the thread count. Training then
depends on how many cores the task was given.

:func:`exact_threads` fixes that for dense layers. Inside it torch runs on one thread, except the GEMMs of
``F.linear`` (forward, input gradient, weight gradient) whose exact shape was verified, once per process, to give
bit-identical results on ``threads`` threads and on one (a probe on seeded random data of that shape and layout;
a GEMM that splits its reduction differs in the last bits, so the probe detects it). Each is the GEMM autograd
runs for ``F.linear`` (``addmm(b, x, wᵀ)``; ``g·w``; ``gᵀ·x``; ``g.sum(0)``). Every other operation runs on one
thread; measured and left there: the optimiser step (a 235k-parameter AdamW update ran slower on two threads than
on one) and ReLU with its backward (no faster on two): each parallel region costs a thread wake-up. The numbers
equal plain autograd's on one thread, on any thread count, and the GEMMs that dominate training use every core.
Only layers that may use several threads pass through here: on one thread, and for a layer whose GEMM is below
``MIN_PARALLEL_FLOPS``, autograd's own ``F.linear`` runs (the same GEMMs on one thread, without this layer's
Python costs, which made a 5 × 32 swiss-roll MLP train 1.3–1.6× slower).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from ..runtime import torch_thread_count

__all__ = ["exact_threads", "aligned", "MIN_PARALLEL_FLOPS"]

# GEMMs below this many floating-point operations run on one thread whatever the probe says: waking a sleeping
# thread costs more than it saves. Measured on 2 cores (PASSIVE wait policy, each GEMM alone): below about 10 MFLOP
# two threads lose (a 3,000 × 32 × 32 layer, 6.1 MFLOP, 1.1-1.5× slower), 10-60 MFLOP is a wash, above 60 they win
# (a 300 × 784 × 256 forward, 120 MFLOP, 0.6×). Training at 32M rather than 4M, same bits: a swiss-roll 5 × 32 MLP on
# 3,000 rows 2.1×, Fashion-MNIST MLP batch 64 1.2-1.7×, full batch on 60 rows 1.15× faster; 2,000+ rows unchanged.
MIN_PARALLEL_FLOPS = 32_000_000
_ALIGN = 64                      # bytes; the probe's tensors are aligned like this, so only aligned calls use it
_PROBE_SEED = 20_240_601
_verified: dict[tuple[Any, ...], bool] = {}


def _large(n: int, i: int, o: int) -> bool:
    """Whether an n × i by i × o GEMM is worth offering to several threads (``MIN_PARALLEL_FLOPS``)."""
    return 2 * n * i * o >= MIN_PARALLEL_FLOPS


def _aligned(*tensors: torch.Tensor) -> bool:
    return all(t.data_ptr() % _ALIGN == 0 for t in tensors)


def aligned(t: torch.Tensor) -> torch.Tensor:
    """``t`` if it is contiguous and starts on a 64-byte boundary, else a contiguous copy (torch allocates CPU
    memory 64-byte aligned). Only such inputs qualify for the verified multi-threaded GEMMs: a dataset that is a
    view into a larger buffer (e.g. a prefix of a file's images) often starts mid-line and would keep the first
    layer, most of an MLP's work, on one thread."""
    if t.device.type != "cpu" or (t.is_contiguous() and _aligned(t)):
        return t
    return t.clone(memory_format=torch.contiguous_format)


def _probe(op: str, n: int, i: int, o: int, bias: bool, threads: int) -> bool:
    """Whether GEMM ``op`` of these sizes gives the same bits on ``threads`` threads as on one (cached)."""
    key = (op, n, i, o, bias, threads)
    if key not in _verified:
        g = torch.Generator().manual_seed(_PROBE_SEED)
        x, w = torch.randn(n, i, generator=g), torch.randn(o, i, generator=g)
        b, grad = torch.randn(o, generator=g), torch.randn(n, o, generator=g)
        results = []
        for t in (1, threads):
            torch.set_num_threads(t)
            results.append(_gemm(op, x, w, b if bias else None, grad))
        torch.set_num_threads(1)
        _verified[key] = torch.equal(results[0], results[1])
    return _verified[key]


def _gemm(op: str, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None, grad: torch.Tensor) -> torch.Tensor:
    if op == "forward":   # what F.linear runs for a 2-D input
        return torch.addmm(b, x, w.t()) if b is not None else x.mm(w.t())
    if op == "input":     # addmm's backward for mat1 (row-major x)
        return grad.mm(w)
    return grad.t().mm(x)  # addmm's backward for mat2 = wᵀ (column-major): (gᵀ·x)ᵀ, transposed back by wᵀ's backward


class _Plan:
    """Thread count per operation: ``threads`` where verified, else one."""

    def __init__(self, threads: int) -> None:
        self.threads = threads

    @contextlib.contextmanager
    def _threads_if(self, parallel: bool):
        if not parallel:
            yield
            return
        torch.set_num_threads(self.threads)
        try:
            yield
        finally:
            torch.set_num_threads(1)

    def run(self, op: str, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None, grad: torch.Tensor | None):
        """Run GEMM ``op`` inside this on ``threads`` threads if large, contiguous, aligned and verified."""
        n, i, o = x.shape[0], x.shape[1], w.shape[0]
        return self._threads_if(
            self.threads > 1 and _large(n, i, o)
            and all(t.is_contiguous() for t in (x, w) + ((grad,) if grad is not None else ()))
            and _aligned(x, w, *([grad] if grad is not None else []))
            and _probe(op, n, i, o, b is not None, self.threads))


class _Linear(torch.autograd.Function):
    """``F.linear`` for a 2-D float32 CPU input, with autograd's own GEMMs run under a :class:`_Plan`."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None, plan: _Plan) -> torch.Tensor:
        ctx.save_for_backward(x, w)
        ctx.plan, ctx.has_bias = plan, b is not None
        with plan.run("forward", x, w, b, None):
            return _gemm("forward", x, w, b, x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[Any, ...]:
        x, w = ctx.saved_tensors
        plan: _Plan = ctx.plan
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            with plan.run("input", x, w, None, grad):
                gx = _gemm("input", x, w, None, grad)
        if ctx.needs_input_grad[1]:
            with plan.run("weight", x, w, None, grad):
                gw = _gemm("weight", x, w, None, grad)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            gb = grad.sum(0)
        return gx, gw, gb, None


class _Mode(TorchFunctionMode):
    def __init__(self, plan: _Plan) -> None:
        super().__init__()
        self.plan = plan

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        if func is F.linear:
            x, w = args[0], args[1] if len(args) > 1 else kwargs["weight"]
            b = args[2] if len(args) > 2 else kwargs.get("bias")
            if (x.dim() == 2 and x.device.type == "cpu" and x.dtype == torch.float32 and w.dtype == torch.float32
                    and w.dim() == 2 and (b is None or (b.dim() == 1 and b.dtype == torch.float32))
                    and _large(x.shape[0], x.shape[1], w.shape[0])):
                return _Linear.apply(x, w, b, self.plan)
        return func(*args, **kwargs)  # a small layer's GEMMs run on one thread either way: autograd's own, cheaper


@contextlib.contextmanager
def exact_threads(threads: int | None = None) -> Iterator[Any]:
    """Run the block on one torch thread, letting verified dense-layer GEMMs use ``threads``
    (default: the current ``torch.get_num_threads()``); yields a context-manager factory ``forward()`` to wrap
    model calls in.

    Usage::

        with exact_threads() as forward:
            with forward():
                loss = model(x)...
            loss.backward()      # the dense layers' backward GEMMs follow the same plan
    """
    plan = _Plan(max(1, int(threads if threads is not None else torch.get_num_threads())))
    with torch_thread_count(1):
        # on one thread every GEMM is autograd's own: no mode (its per-operation Python costs tiny models ~25%)
        yield (lambda: _Mode(plan)) if plan.threads > 1 else contextlib.nullcontext
