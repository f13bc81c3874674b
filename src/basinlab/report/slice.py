"""2-D loss slice through three minima (paper Fig. 1): the plane θ_a + u·e1 + v·e2, drawn in two landscapes.

e1, e2 are an orthonormal basis of span(θ_b − θ_a, θ_c − θ_a) (Gram–Schmidt), so distances in the figure are
true Euclidean distances in parameter space. The grid is evaluated in batches of parameter points with
``torch.func.functional_call`` under ``vmap``, data in chunks. For an ``nn.Sequential`` whose first layer with
parameters is ``nn.Linear`` (only parameter-free layers such as Flatten before it) the first layer is linear in
(u, v): its output at θ_a + u·e1 + v·e2 is ``A + u·B1 + v·B2`` with ``A = X·W_aᵀ + b_a`` and ``B_i`` the same
product with e_i's block, so it is formed once per landscape and each grid point runs only the later layers
(the first layer is most of an MLP's work: 784·256 of the 235,146 weights of the paper's MLP). Same algebra,
float rounding aside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..errors import ConfigError
from .style import panel_axes, series_style, set_caption, styled

__all__ = ["LossSlice", "loss_slice", "plot_loss_slice"]

_BLOCK_ELEMENTS = 1 << 22  # first-layer outputs per block of the shortcut (16 MB in float32; measured fastest of 4, 16, 64 MB)


@dataclass(frozen=True)
class LossSlice:
    """Loss on a grid of the plane through three minima.

    Attributes:
        u, v: grid coordinates along e1 and e2, shape (R,), parameter-space units.
        losses: landscape name -> mean loss on the grid, shape (R, R) indexed [v, u].
        points: minimum label -> its (u, v) coordinates in the plane.
        n_params: number of parameters n of the models.
    """

    u: np.ndarray
    v: np.ndarray
    losses: dict[str, np.ndarray]
    points: dict[str, tuple[float, float]]
    n_params: int = 0


def _tensors(data: Any, name: str):
    if hasattr(data, "inputs") and hasattr(data, "targets"):
        return data.inputs, data.targets
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return data[0], data[1]
    raise ConfigError(f"{name} must be a basinlab Dataset or an (inputs, targets) pair of tensors; got {type(data).__name__}")


def _flat(model) -> tuple[list[str], list[tuple[int, ...]], Any]:
    import torch

    names, shapes, parts = [], [], []
    for name, p in model.named_parameters():
        names.append(name)
        shapes.append(tuple(p.shape))
        parts.append(p.detach().reshape(-1).to(torch.float64))
    return names, shapes, torch.cat(parts)


def _summed_loss(out, y, loss: str):
    import torch

    if loss == "cross_entropy":
        return torch.nn.functional.cross_entropy(out, y, reduction="sum")
    return ((out - y) ** 2).sum(dim=tuple(range(1, out.dim()))).sum()


def _split_first_linear(model) -> tuple[Any, Any, Any] | None:
    """``(prefix, first Linear, rest)`` of an ``nn.Sequential`` whose layers before its first ``nn.Linear`` have no
    parameters or buffers; None otherwise. ``rest`` keeps the original parameter names."""
    from torch import nn

    if not isinstance(model, nn.Sequential):
        return None
    for i, layer in enumerate(model):
        if isinstance(layer, nn.Linear):
            return model[:i], layer, model[i + 1:]
        if any(True for _ in layer.parameters()) or any(True for _ in layer.buffers()):
            return None
    return None


def _grid_losses(model, names, shapes, theta_a, e1, e2, uv, inputs, targets, loss: str, batch_points: int,
                 chunk: int):
    """Mean loss (float64 numpy, (P,)) at each point θ_a + u·e1 + v·e2 of ``uv`` (P, 2); θ_a, e1, e2 flat (n,)."""
    import torch
    from torch.func import functional_call, vmap

    split = _split_first_linear(model)
    if split is not None:
        return _grid_losses_first_linear(model, split, names, shapes, theta_a, e1, e2, uv, inputs, targets, loss,
                                         batch_points)
    buffers = {k: b.detach() for k, b in model.named_buffers()}
    sizes = [int(np.prod(s)) for s in shapes]
    dtype = next(model.parameters()).dtype
    total = torch.zeros(uv.shape[0], dtype=torch.float64)

    def one(flat, x, y):
        params = {n: t.reshape(s) for n, t, s in zip(names, torch.split(flat, sizes), shapes, strict=True)}
        return _summed_loss(functional_call(model, {**params, **buffers}, (x,)), y, loss)

    batched = vmap(one, in_dims=(0, None, None))
    uv = uv.to(theta_a)
    with torch.no_grad():
        for start in range(0, uv.shape[0], batch_points):
            coords = uv[start:start + batch_points]
            block = (theta_a[None] + coords[:, :1] * e1[None] + coords[:, 1:] * e2[None]).to(dtype)
            for s in range(0, inputs.shape[0], chunk):
                total[start:start + batch_points] += batched(block, inputs[s:s + chunk],
                                                             targets[s:s + chunk]).double().cpu()
    return (total / inputs.shape[0]).numpy()


def _grid_losses_first_linear(model, split, names, shapes, theta_a, e1, e2, uv, inputs, targets, loss: str,
                              batch_points: int):
    """:func:`_grid_losses` for ``(prefix, first Linear, rest)`` = :func:`_split_first_linear`: the first layer's
    output at a grid point is ``A + u·B1 + v·B2`` (formed once for all rows), the rest runs per point."""
    import torch
    from torch.func import functional_call, vmap

    prefix, first, rest = split
    first_name = next(k for k, m in model.named_children() if m is first)
    buffers = {k: b.detach() for k, b in model.named_buffers()}
    dtype = next(model.parameters()).dtype
    sizes = [int(np.prod(s)) for s in shapes]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    upper = [i for i, n in enumerate(names) if n.split(".", 1)[0] != first_name]

    def pick(vec, which):
        return torch.cat([vec[offsets[i]:offsets[i + 1]] for i in which])

    def block_of(vec):  # the first layer's weight and bias in vec
        return {names[i]: vec[offsets[i]:offsets[i + 1]].reshape(shapes[i]).to(dtype)
                for i in range(len(names)) if i not in upper}

    up_names, up_shapes = [names[i] for i in upper], [shapes[i] for i in upper]
    up_sizes = [sizes[i] for i in upper]
    th_up, e1_up, e2_up = (pick(vec, upper) for vec in (theta_a, e1, e2))

    def one(flat, z, y):  # the layers after the first Linear, from its output z
        params = {n: t.reshape(s) for n, t, s in zip(up_names, torch.split(flat, up_sizes), up_shapes, strict=True)}
        return _summed_loss(functional_call(rest, {**params, **buffers}, (z,)), y, loss)

    batched = vmap(one, in_dims=(0, 0, None))
    total = torch.zeros(uv.shape[0], dtype=torch.float64)
    uv = uv.to(theta_a)
    w_key, b_key = f"{first_name}.weight", f"{first_name}.bias"
    with torch.no_grad():
        x = prefix(inputs).reshape(len(inputs), -1)
        a, b1, b2 = (torch.nn.functional.linear(x, blk[w_key], blk.get(b_key)) for blk in map(block_of, (theta_a, e1, e2)))
        b12_all = torch.stack([b1, b2])  # (2, rows, width): row slices reshape to (2, rows·width) without a copy
        # (points × rows × width) first-layer outputs per block: at most _BLOCK_ELEMENTS
        rows = max(1, _BLOCK_ELEMENTS // (batch_points * first.out_features))
        for start in range(0, uv.shape[0], batch_points):
            coords = uv[start:start + batch_points]
            block = (th_up[None] + coords[:, :1] * e1_up[None] + coords[:, 1:] * e2_up[None]).to(dtype)
            for s in range(0, len(x), rows):
                a_s, b12 = a[s:s + rows], b12_all[:, s:s + rows].reshape(2, -1)
                z = torch.addmm(a_s.reshape(1, -1), coords.to(dtype), b12).reshape(len(coords), *a_s.shape)
                total[start:start + batch_points] += batched(block, z, targets[s:s + rows]).double().cpu()
    return (total / inputs.shape[0]).numpy()


def loss_slice(
    models: Sequence[Any],
    data_a: Any,
    data_b: Any,
    resolution: int = 41,
    *,
    labels: Sequence[str] = ("100%", "10%", "1%"),
    landscape_names: Sequence[str] = ("landscape A", "landscape B"),
    margin: float = 0.3,
    loss: str = "cross_entropy",
    batch_points: int = 32,
    chunk: int = 2048,
    device: Any = None,
) -> LossSlice:
    """Loss of ``data_a`` and ``data_b`` on a ``resolution × resolution`` grid of the plane through 3 models.

    ``models`` are three ``nn.Module`` of one architecture (eval mode is set); data are Datasets or
    (inputs, targets) pairs. The grid covers the three minima's bounding box plus ``margin`` × its extent.
    ``device`` (``'cpu'``, ``'cuda'``, ``'auto'``; default: cpu): where the grid's losses are computed (the
    models are moved there). ``batch_points`` grid points are evaluated together; ``chunk`` rows at a time for
    models without a leading ``nn.Linear`` (a Sequential whose first parametric layer is Linear forms that layer's
    output once and sizes its own row blocks, ≤ 4M first-layer values per block).
    """
    import torch

    from ..runtime import resolve_device

    where = resolve_device(device)

    if len(models) != 3:
        raise ConfigError(f"loss_slice needs exactly three models (θ_a, θ_b, θ_c); got {len(models)}")
    if resolution < 2:
        raise ConfigError(f"loss_slice resolution must be at least 2 grid points per axis; got {resolution}")
    if loss not in ("cross_entropy", "mse"):
        raise ConfigError(f"loss_slice loss {loss!r} is unknown; use 'cross_entropy' or 'mse'")
    flats = []
    models = [m.to(where) for m in models]
    for m in models:
        m.eval()
        names, shapes, flat = _flat(m)
        flats.append(flat)
        if shapes != _flat(models[0])[1]:
            raise ConfigError("loss_slice models must share one architecture (same parameter names and shapes)")
    names, shapes, theta_a = _flat(models[0])
    d1, d2 = flats[1] - theta_a, flats[2] - theta_a
    n1 = torch.linalg.norm(d1)
    e1 = d1 / n1
    w = d2 - (d2 @ e1) * e1
    n2 = torch.linalg.norm(w)
    if float(n1) == 0 or float(n2) <= 1e-12 * float(torch.linalg.norm(d2) + 1e-30):
        raise ConfigError("loss_slice needs three distinct, non-collinear models; two coincide or all lie on a line")
    e2 = w / n2
    points = {labels[0]: (0.0, 0.0), labels[1]: (float(n1), 0.0), labels[2]: (float(d2 @ e1), float(n2))}
    us, vs = zip(*points.values(), strict=False)
    pad_u, pad_v = margin * (max(us) - min(us)), margin * (max(vs) - min(vs))
    u = np.linspace(min(us) - pad_u, max(us) + pad_u, resolution)
    v = np.linspace(min(vs) - pad_v, max(vs) + pad_v, resolution)
    uu, vv = np.meshgrid(u, v)
    uv = torch.from_numpy(np.stack([uu.ravel(), vv.ravel()], axis=1)).to(where)
    losses = {}
    for name, data in zip(landscape_names, (data_a, data_b), strict=True):
        x, y = _tensors(data, name)
        x, y = x.to(where), y.to(where)
        losses[name] = _grid_losses(models[0], names, shapes, theta_a, e1, e2, uv, x, y, loss, batch_points,
                                    chunk).reshape(uu.shape)
    return LossSlice(u=u, v=v, losses=losses, points=points, n_params=int(theta_a.numel()))


@styled
def plot_loss_slice(result: LossSlice | None, *, threshold: float | None = None, note: str = "",
                    fig=None) -> Figure | None:
    """Filled contours of log10 loss per landscape, minima marked; dashed contour at ``threshold`` if given.

    One panel per landscape, added to ``fig`` (a Figure or SubFigure) or to a new figure; returns the figure.
    """
    if result is None:
        return None
    # equal-aspect panels: a new figure is shaped like the plane so the layout need not shrink them
    ratio = float(np.clip(np.ptp(result.v) / max(np.ptp(result.u), 1e-12), 0.4, 1.6))
    fig, axes = panel_axes(fig, len(result.losses), width=3.3, height=2.5 * ratio + 1.3)
    all_logs = np.log10(np.clip(np.concatenate([g.ravel() for g in result.losses.values()]), 1e-12, None))
    levels = np.linspace(all_logs.min(), all_logs.max(), 16)
    for ax, (name, grid) in zip(axes, result.losses.items(), strict=True):
        filled = ax.contourf(result.u, result.v, np.log10(np.clip(grid, 1e-12, None)), levels=levels, cmap="cividis")
        if threshold is not None and grid.min() < threshold < grid.max():
            ax.contour(result.u, result.v, grid, levels=[threshold], colors="white", linestyles="--", linewidths=1)
        for i, (label, (pu, pv)) in enumerate(result.points.items()):
            st = series_style(i + 1)
            ax.plot(pu, pv, marker=st["marker"], color=st["color"], markeredgecolor="white", markersize=8,
                    linestyle="none", label=f"trained on {label}")
        ax.set_title(name)
        ax.set_xlabel("u along θ_b − θ_a (parameter units)")
        ax.set_ylabel("v, normal to u (parameter units)")
        ax.set_aspect("equal", adjustable="box")
        for axis in (ax.xaxis, ax.yaxis):  # the same ticks before and after the aspect shrinks the box, so the
            axis.set_major_locator(MaxNLocator(6, steps=[1, 2, 5, 10]))  # layout reserves the right width
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=3, frameon=False, fontsize=7)
    fig.colorbar(filled, ax=axes, label="log₁₀ mean training loss", format="%.1f")
    tau = f"; dashed = loss τ = {threshold:g}" if threshold is not None else ""
    return set_caption(fig, (
        f"Loss on the plane through three minima ({', '.join(result.points)}), orthonormalised, "
        f"{len(result.u)}×{len(result.v)} grid, n = {result.n_params:,}, in {len(result.losses)} landscapes{tau}{note}."))
