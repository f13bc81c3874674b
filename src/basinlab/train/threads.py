"""Training on several threads with the numbers of one thread.

MKL's float32 GEMM is not reproducible across thread counts for some shapes: when the output is small and the
reduction long (the last layer's weight gradient, 10 × 128 summed over every row; a forward pass over a handful
of rows) it splits the reduction across threads, and the rounding changes with the thread count. Training then
depends on how many cores the task was given.

:func:`exact_threads` fixes that for dense layers. Inside it torch runs on one thread, except:

- the GEMMs of ``F.linear`` (forward, input gradient, weight gradient) whose exact shape was verified, once per
  process, to give bit-identical results on ``threads`` threads and on one (a probe on seeded random data of that
  shape and layout; a GEMM that splits its reduction differs in the last bits, so the probe detects it). Each is
  the GEMM autograd runs for ``F.linear`` (``addmm(b, x, wᵀ)``; ``g·w``; ``gᵀ·x``; ``g.sum(0)``);
- ReLU and its backward on large inputs (autograd's own ``relu`` and ``threshold_backward``: they only select
  elements, so the split cannot change a bit);
- the optimiser's step (elementwise arithmetic over every parameter, most of a small-data step), once a probe of
  that optimiser class and settings on parameters of the same shapes gave bit-identical results on ``threads``
  threads and on one.

Every other operation (reductions: the loss, bias gradients) runs on one. The numbers equal plain autograd's on
one thread, on any thread count, and the work that dominates training uses every core.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

__all__ = ["exact_threads", "aligned", "MIN_PARALLEL_FLOPS", "MIN_PARALLEL_ELEMENTS"]

# GEMMs below this many floating-point operations run on one thread whatever the probe says: the threads' start-up
# costs more than they save (a 60 × 784 × 256 forward is 24 MFLOP).
MIN_PARALLEL_FLOPS = 4_000_000
# Elementwise ops split across threads from this size on (torch's own grain is 32,768 elements per thread).
MIN_PARALLEL_ELEMENTS = 65_536
_ALIGN = 64                      # bytes; the probe's tensors are aligned like this, so only aligned calls use it
_PROBE_SEED = 20_240_601
_verified: dict[tuple[Any, ...], bool] = {}
_PROBE_STEPS = 3                 # optimiser steps of the probe (the first creates the state, later ones use it)


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


def _optimizer_key(opt: torch.optim.Optimizer, threads: int) -> tuple[Any, ...] | None:
    """What decides an optimiser step's code path: its class, each group's settings but the lr, the parameter
    shapes; None for optimisers the probe cannot rebuild (not a plain ``torch.optim.Optimizer``, non-CPU or
    non-float32 parameters)."""
    if not isinstance(opt, torch.optim.Optimizer):
        return None
    groups = []
    for group in opt.param_groups:
        params = group["params"]
        if not all(p.device.type == "cpu" and p.dtype == torch.float32 for p in params):
            return None
        settings = tuple(sorted((k, repr(v)) for k, v in group.items() if k not in ("params", "lr")))
        groups.append((settings, tuple(tuple(p.shape) for p in params)))
    return (type(opt), tuple(groups), threads)


def _optimizer_probe(opt: torch.optim.Optimizer, threads: int) -> bool:
    """Whether ``opt``'s class steps parameters of these shapes to the same bits on ``threads`` threads as on
    one (seeded random parameters and gradients, ``_PROBE_STEPS`` steps; cached)."""
    key = _optimizer_key(opt, threads)
    if key is None:
        return False
    if key not in _verified:
        results = []
        for t in (1, threads):
            g = torch.Generator().manual_seed(_PROBE_SEED)
            groups = [{**{k: v for k, v in group.items() if k != "params"},
                       "params": [torch.randn(p.shape, generator=g).requires_grad_() for p in group["params"]]}
                      for group in opt.param_groups]
            probe = type(opt)(groups)
            torch.set_num_threads(t)
            for step in range(_PROBE_STEPS):
                for group in groups:
                    for p in group["params"]:
                        p.grad = torch.randn(p.shape, generator=g) * 10.0 ** (step - 1)
                probe.step()
            torch.set_num_threads(1)
            params = [p for group in groups for p in group["params"]]
            results.append([p.detach() for p in params]
                           + [v for p in params for v in probe.state[p].values() if torch.is_tensor(v)])
        _verified[key] = all(torch.equal(a, b) for a, b in zip(*results, strict=True))
    return _verified[key]


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
            self.threads > 1 and 2 * n * i * o >= MIN_PARALLEL_FLOPS
            and all(t.is_contiguous() for t in (x, w) + ((grad,) if grad is not None else ()))
            and _aligned(x, w, *([grad] if grad is not None else []))
            and _probe(op, n, i, o, b is not None, self.threads))

    def elementwise(self, x: torch.Tensor):
        """Run an elementwise selection (relu and its backward) over ``x`` inside this on ``threads`` threads."""
        return self._threads_if(self.threads > 1 and x.numel() >= MIN_PARALLEL_ELEMENTS)

    def step(self, opt: Any):
        """Run ``opt.step()`` inside this on ``threads`` threads if the optimiser probe allows, else on one."""
        return self._threads_if(self.threads > 1 and _optimizer_probe(opt, self.threads))


class _Forward:
    """What :func:`exact_threads` yields: call it for the model's forward context; ``.step(opt)`` for the
    optimiser step's."""

    def __init__(self, plan: _Plan) -> None:
        self.plan = plan

    def __call__(self) -> TorchFunctionMode:
        return _Mode(self.plan)

    def step(self, opt: Any) -> Any:
        return self.plan.step(opt)


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


class _ReLU(torch.autograd.Function):
    """``F.relu`` with autograd's own ops (``relu``; backward ``threshold_backward(grad, result, 0)``) on the
    plan's threads: both only select elements, so every thread count gives the same bits."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, plan: _Plan) -> torch.Tensor:
        with plan.elementwise(x):
            out = torch.relu(x)
        ctx.save_for_backward(out)
        ctx.plan = plan
        return out

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[Any, ...]:
        (out,) = ctx.saved_tensors
        with ctx.plan.elementwise(out):
            return torch.ops.aten.threshold_backward(grad, out, 0), None


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
                    and w.dim() == 2 and (b is None or (b.dim() == 1 and b.dtype == torch.float32))):
                return _Linear.apply(x, w, b, self.plan)
        elif func is F.relu and not (args[1:] and args[1]) and not kwargs.get("inplace"):
            x = args[0] if args else kwargs["input"]
            if x.device.type == "cpu" and x.dtype == torch.float32 and x.numel() >= MIN_PARALLEL_ELEMENTS:
                return _ReLU.apply(x, self.plan)
        return func(*args, **kwargs)


@contextlib.contextmanager
def exact_threads(threads: int | None = None) -> Iterator[Any]:
    """Run the block on one torch thread, letting verified dense-layer GEMMs and optimiser steps use ``threads``
    (default: the current ``torch.get_num_threads()``); yields a context-manager factory ``forward()`` to wrap
    model calls in, whose ``forward.step(opt)`` wraps ``opt.step()``.

    Usage::

        with exact_threads() as forward:
            with forward():
                loss = model(x)...
            loss.backward()      # the dense layers' backward GEMMs follow the same plan
            with forward.step(opt):
                opt.step()
    """
    previous = torch.get_num_threads()
    plan = _Plan(max(1, int(threads if threads is not None else previous)))
    torch.set_num_threads(1)
    try:
        yield _Forward(plan)
    finally:
        torch.set_num_threads(previous)
