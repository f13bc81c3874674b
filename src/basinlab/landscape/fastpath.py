"""Fast exact evaluation of many points θ0 + c·Q_k for ``nn.Sequential`` chains.

The first Linear/Conv2d layer is linear in c: its pre-activation is ``A + c·B_k`` with ``A = layer(X; θ0)``
computed once and ``B_k = layer(X; Q_k)`` once per direction, so each point only costs the upper layers.

Two evaluation strategies. Rows are grouped in *segments*, the rows one nested landscape adds to the one before
(``[N_{l-1}, N_l)``); the strategy is a function of the segment's length alone and chunks never cross a change of
strategy, so every row is always computed the same way whatever the batching, the chunking or the landscapes a
point is needed in:

- *points* (MLP chains, segments of ≥ ``PER_POINT_ROWS`` rows): one point at a time, each Linear one large GEMM
  with the following ReLU fused (:func:`~basinlab.landscape.kernels.linear`): the GEMMs run near peak.
- *batched* (shorter segments, CNNs): all P points at once, Linear as one ``baddbmm`` with per-point weights, Conv2d
  as one grouped convolution, parameter-free layers (activations, pooling, Flatten, Dropout in eval) elementwise:
  per-call overhead, not arithmetic, limits small landscapes.

A float32 MLP on the CPU with oneDNN sets ``split_rows``: the evaluator may then run row parts of a one-at-a-time
chunk in several threads at once (:mod:`~.rowthreads`); a point's weights are formed once under a lock.

Shapes: activations are ``(P, n, *features)`` for P points and n samples.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .kernels import linear, onednn_available

__all__ = ["SequentialRays", "supports_fast_path", "PER_POINT_ROWS"]

PER_POINT_ROWS = 256  # MLP segments at least this long evaluate points one at a time (faster from ~250 rows on)

_ELEMENTWISE = (
    nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.SiLU, nn.ELU, nn.Softplus, nn.Identity,
    nn.Dropout, nn.Hardtanh, nn.ReLU6, nn.Mish,
)
_POOL = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
_PARAM = (nn.Linear, nn.Conv2d)


def _plain_flatten(layer: nn.Module) -> bool:
    return isinstance(layer, nn.Flatten) and layer.start_dim == 1 and layer.end_dim == -1


def _conv_ok(layer: nn.Module) -> bool:
    return isinstance(layer, nn.Conv2d) and layer.groups == 1 and layer.padding_mode == "zeros" and not isinstance(
        layer.padding, str
    )


def supports_fast_path(model: nn.Module) -> bool:
    """True for an ``nn.Sequential`` of Flatten/Linear/Conv2d/pooling/parameter-free activations whose first
    parametric layer is Linear or Conv2d, with no buffers and no other parameters."""
    if type(model) is not nn.Sequential or any(True for _ in model.buffers()):
        return False
    seen_param = False
    for layer in model:
        if isinstance(layer, nn.Linear) or _conv_ok(layer):
            seen_param = True
        elif isinstance(layer, _ELEMENTWISE + _POOL) or _plain_flatten(layer):
            if any(True for _ in layer.parameters()):
                return False
        else:
            return False
    return seen_param


class SequentialRays:
    """Evaluate outputs of a supported ``nn.Sequential`` at points ``θ0 + c·Q_k`` (see module docstring)."""

    def __init__(self, model: nn.Sequential, inputs: torch.Tensor, sizes: Sequence[int] | None = None) -> None:
        layers = list(model)
        first = next(i for i, m in enumerate(layers) if isinstance(m, _PARAM))
        self.pre, self.first, self.upper = layers[:first], layers[first], layers[first + 1 :]
        x = inputs
        for layer in self.pre:
            x = layer(x)
        self.x = x.contiguous()  # (N, *features) input of the first parametric layer
        self.a = self._first(self.x, self.first.weight, self.first.bias)  # (N, *h1) at θ0
        self.b: torch.Tensor | None = None
        self.q_upper: list[tuple[torch.Tensor, torch.Tensor | None]] = []
        self.points: dict[int, list[tuple[torch.Tensor, torch.Tensor | None]]] = {}  # prepared point -> weights
        self._points_lock = threading.Lock()
        self.k = torch.zeros(0, dtype=torch.long)
        self.c = torch.zeros(0)
        # flops per sample: first layer (for B), upper layers per point (counted on one forward at probe time)
        self.flops_first = self._layer_flops(self.first, x.shape[1:], self.a.shape[1:])
        self.flops_upper, self.width = self._upper_cost()
        mlp = self.a.dim() == 2 and all(not isinstance(m, (nn.Conv2d,) + _POOL) for m in self.upper)
        # segment l covers rows [bounds[l], bounds[l+1]); its strategy: one point at a time or all together
        sizes = [len(self.x)] if sizes is None else [int(s) for s in sizes]
        self.bounds = [0] + sizes
        self.segment_per_point = [mlp and hi - lo >= PER_POINT_ROWS for lo, hi in zip(self.bounds, sizes, strict=False)]
        # per-point rows come from oneDNN GEMMs whose row values depend neither on the rows around them nor on the
        # thread count (tests/landscape): the evaluator may split them across threads
        self.split_rows = mlp and onednn_available() and self.a.dtype == torch.float32 and self.a.device.type == "cpu"
        self.param_layers = [m for m in self.upper if isinstance(m, _PARAM)]

    def _first(self, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
        if isinstance(self.first, nn.Linear):
            return linear(x, w.contiguous(), b)
        m = self.first
        return F.conv2d(x, w, b, m.stride, m.padding, m.dilation)

    @staticmethod
    def _layer_flops(layer: nn.Module, in_shape: torch.Size, out_shape: torch.Size) -> float:
        if isinstance(layer, nn.Linear):
            return 2.0 * layer.in_features * layer.out_features * (in_shape.numel() // layer.in_features)
        if isinstance(layer, nn.Conv2d):
            k = layer.in_channels * layer.kernel_size[0] * layer.kernel_size[1]
            return 2.0 * k * out_shape.numel()
        return float(out_shape.numel())

    def _upper_cost(self) -> tuple[float, int]:
        h = self.a[:1]
        flops = 3.0 * h[0].numel()  # A + c·B
        width = h[0].numel()
        for layer in self.upper:
            out = layer(h)
            flops += self._layer_flops(layer, h.shape[1:], out.shape[1:])
            width += out[0].numel()
            h = out
        return flops, width

    def set_directions(self, directions: list[list[torch.Tensor]]) -> None:
        """Precompute ``B_k`` and stack upper-layer direction tensors for a batch of directions."""
        n_first = len(list(self.first.parameters()))
        self.b = torch.stack(
            [self._first(self.x, q[0], q[1] if n_first == 2 else None) for q in directions]
        )
        self.q_upper = []
        pos = n_first
        for layer in self.upper:
            if isinstance(layer, _PARAM):
                w = torch.stack([q[pos] for q in directions])
                has_bias = layer.bias is not None
                b = torch.stack([q[pos + 1] for q in directions]) if has_bias else None
                self.q_upper.append((w, b))
                pos += 2 if has_bias else 1

    def prepare(self, k: torch.Tensor, c: torch.Tensor) -> None:
        """Fix the points ``θ0 + c[p]·Q_{k[p]}`` of the next :meth:`forward` calls: ``k`` (P,) int64 index into the
        loaded direction batch, ``c`` (P,) float64."""
        assert self.b is not None, "set_directions first"
        self.k, self.c = k, c.to(self.a.dtype)
        self.points = {}

    def _weights(self, p: int) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
        """Upper-layer weights ``W0 + c·Q`` of prepared point p, formed on first use and kept until the next prepare."""
        with self._points_lock:  # the row threads of one chunk share a point's weights
            if p not in self.points:
                kp, cp = int(self.k[p]), float(self.c[p])
                self.points[p] = [
                    (torch.add(m.weight, qw[kp], alpha=cp),
                     None if qb is None else torch.add(m.bias, qb[kp], alpha=cp))
                    for m, (qw, qb) in zip(self.param_layers, self.q_upper, strict=True)
                ]
            return self.points[p]

    def one_at_a_time(self, row: int) -> bool:
        """Whether the segment holding ``row`` evaluates points one at a time."""
        return self.segment_per_point[bisect.bisect_right(self.bounds, row) - 1]

    def strategy_end(self, row: int) -> int:
        """The first row after ``row`` where the strategy changes (or the number of rows): chunks end there."""
        seg = bisect.bisect_right(self.bounds, row) - 1
        mine = self.segment_per_point[seg]
        while seg + 1 < len(self.segment_per_point) and self.segment_per_point[seg + 1] == mine:
            seg += 1
        return self.bounds[seg + 1]

    def forward(self, start: int, stop: int, active: torch.Tensor) -> torch.Tensor:
        """Outputs ``(len(active), stop - start, *out)`` for rows ``start:stop`` (within one segment) at the prepared
        points ``active``."""
        if self.one_at_a_time(start):
            return torch.stack([self._point(start, stop, int(p)) for p in active.tolist()])
        return self._batched(start, stop, self.k[active], self.c[active])

    def _point(self, start: int, stop: int, p: int) -> torch.Tensor:
        """One point of an MLP chain: every Linear a single GEMM with the next ReLU fused."""
        assert self.b is not None
        h = torch.add(self.a[start:stop], self.b[int(self.k[p]), start:stop], alpha=float(self.c[p]))
        weights = iter(self._weights(p))
        fuse = False
        for i, layer in enumerate(self.upper):
            if isinstance(layer, nn.Linear):
                w, b = next(weights)
                fuse = i + 1 < len(self.upper) and type(self.upper[i + 1]) is nn.ReLU
                h = linear(h, w, b, relu=fuse)
            elif isinstance(layer, nn.ReLU):
                h = h if fuse else h.relu_()  # h is always a fresh temporary here
                fuse = False
            elif isinstance(layer, nn.Flatten):
                h = h.reshape(h.shape[0], -1)
            else:
                h = layer(h)
        return h

    def _batched(self, start: int, stop: int, k: torch.Tensor, cc: torch.Tensor) -> torch.Tensor:
        assert self.b is not None
        a = self.a[start:stop]
        h = torch.addcmul(a, cc.view((-1,) + (1,) * a.dim()), self.b[k, start:stop])  # (P, n, *h1)
        it = iter(self.q_upper)
        for layer in self.upper:
            if isinstance(layer, _PARAM):
                qw, qb = next(it)
                w = torch.addcmul(layer.weight.unsqueeze(0), cc.view((-1,) + (1,) * layer.weight.dim()), qw[k])
                b = None if qb is None else torch.addcmul(layer.bias.unsqueeze(0), cc.view(-1, 1), qb[k])
                h = self._linear(h, w, b) if isinstance(layer, nn.Linear) else self._conv(layer, h, w, b)
            elif isinstance(layer, _POOL):
                p, n = h.shape[:2]
                out = layer(h.reshape((p * n,) + h.shape[2:]))
                h = out.reshape((p, n) + out.shape[1:])
            elif isinstance(layer, nn.Flatten):
                h = h.reshape(h.shape[0], h.shape[1], -1)
            elif isinstance(layer, nn.ReLU):
                h = h.relu_()  # h is always a fresh temporary here
            else:
                h = layer(h)
        return h

    @staticmethod
    def _linear(h: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
        p, n = h.shape[:2]
        x = h.reshape(p, -1, h.shape[-1])
        # the bias enters the GEMM as its accumulator (one pass less over the output)
        out = torch.bmm(x, w.transpose(1, 2)) if b is None else torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))
        return out.reshape((p, n) + h.shape[2:-1] + (w.shape[1],))

    @staticmethod
    def _conv(layer: nn.Conv2d, h: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
        p, n, ch, hh, ww = h.shape
        x = h.transpose(0, 1).reshape(n, p * ch, hh, ww)
        out = F.conv2d(
            x, w.reshape((-1,) + w.shape[2:]), None if b is None else b.reshape(-1),
            layer.stride, layer.padding, layer.dilation, groups=p,
        )
        return out.reshape(n, p, -1, out.shape[-2], out.shape[-1]).transpose(0, 1)
