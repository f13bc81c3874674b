"""``as_tensors``: the one rule by which ``train``, ``measure_volume`` and every measure read a user's data.

Accepted, as ``as_tensors(data)`` or ``as_tensors(inputs, targets)``:

- a torch tensor or numpy array of inputs ``(N, *input_shape)`` with ``targets`` ``(N,)`` labels or ``(N, C)``;
- an ``(inputs, targets)`` pair (tuple or list) of tensors or arrays;
- a basinlab :class:`~basinlab.data.Dataset` (or any object with ``inputs`` and ``targets`` tensors);
- a ``torch.utils.data.TensorDataset`` or any map-style ``Dataset`` whose items are ``(x, y)`` pairs;
- a ``torch.utils.data.DataLoader`` yielding ``(x, y)`` batches (read once, in its order; a shuffling loader
  gives a permutation of the rows, which changes no mean loss).

Integer labels become int64 (what ``cross_entropy`` wants); float targets stay float (``mse``); inputs keep
their dtype (each consumer casts them to its model's parameter dtype). The rows are read in full into memory:
the landscape is the mean loss over all of them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..errors import DataError

__all__ = ["as_tensors", "ACCEPTED_DATA"]

ACCEPTED_DATA = ("torch tensors or numpy arrays (inputs, targets), an (inputs, targets) pair, a basinlab Dataset, "
                 "a TensorDataset or map-style Dataset of (x, y) items, or a DataLoader of (x, y) batches")
_COLLATE_BATCH = 1024  # items per default_collate call when reading a map-style Dataset


def _tensor(value: Any, what: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise DataError(f"{what} is a numpy array of dtype {value.dtype}; use numbers (bool, int or float)")
        return torch.from_numpy(np.ascontiguousarray(value))
    raise DataError(f"{what} must be a torch tensor or numpy array; got {type(value).__name__}")


def _pair(item: Any, what: str) -> tuple[Any, Any]:
    if isinstance(item, (tuple, list)) and len(item) == 2:
        return item[0], item[1]
    kind = f"a {len(item)}-item {type(item).__name__}" if isinstance(item, (tuple, list)) else type(item).__name__
    raise DataError(f"{what} must yield (inputs, targets) pairs; got {kind}")


def _from_loader(loader: Any, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    xs, ys = [], []
    for batch in loader:
        x, y = _pair(batch, f"{what} (a DataLoader)")
        xs.append(_tensor(x, f"{what} batch inputs"))
        ys.append(_tensor(y, f"{what} batch targets"))
    if not xs:
        raise DataError(f"{what} is an empty DataLoader; a landscape needs at least one example")
    return torch.cat(xs), torch.cat(ys)


def _from_dataset(dataset: Any, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    from torch.utils.data import DataLoader, TensorDataset

    if isinstance(dataset, TensorDataset):
        if len(dataset.tensors) != 2:
            raise DataError(f"{what} is a TensorDataset of {len(dataset.tensors)} tensors; use (inputs, targets)")
        return dataset.tensors[0].detach(), dataset.tensors[1].detach()
    if len(dataset) == 0:
        raise DataError(f"{what} is an empty Dataset; a landscape needs at least one example")
    return _from_loader(DataLoader(dataset, batch_size=_COLLATE_BATCH, shuffle=False), what)


def _is_map_dataset(data: Any) -> bool:
    from torch.utils.data import Dataset as TorchDataset
    from torch.utils.data import IterableDataset

    return isinstance(data, TorchDataset) and not isinstance(data, IterableDataset) and hasattr(data, "__len__")


def as_tensors(data: Any, targets: Any = None, *, what: str = "data") -> tuple[torch.Tensor, torch.Tensor]:
    """``(inputs (N, ...), targets (N,) int64 or (N, C) float)`` from any accepted form (module docstring).

    ``what`` names the argument in error messages (e.g. ``'training data'``). Raises
    :class:`~basinlab.errors.DataError` for anything else, for empty data and for mismatched row counts.
    """
    from torch.utils.data import DataLoader

    if targets is not None:
        x, y = _tensor(data, f"{what} inputs"), _tensor(targets, f"{what} targets")
    elif isinstance(data, (torch.Tensor, np.ndarray)):
        raise DataError(f"{what}: inputs were given without targets; pass targets too, e.g. f(model, X, y)")
    elif isinstance(data, (tuple, list)):
        x, y = _pair(data, what)
        x, y = _tensor(x, f"{what} inputs"), _tensor(y, f"{what} targets")
    elif isinstance(data, DataLoader):
        x, y = _from_loader(data, what)
    elif _is_map_dataset(data):
        x, y = _from_dataset(data, what)
    elif hasattr(data, "inputs") and hasattr(data, "targets"):
        x, y = _tensor(data.inputs, f"{what}.inputs"), _tensor(data.targets, f"{what}.targets")
    else:
        raise DataError(f"{what} must be {ACCEPTED_DATA}; got {type(data).__name__}")
    if x.dim() == 0 or len(x) == 0:
        raise DataError(f"{what} is empty (inputs of shape {tuple(x.shape)}); a landscape needs at least one example")
    if y.dim() == 0 or len(y) != len(x):
        raise DataError(f"{what}: {len(x)} inputs but targets of shape {tuple(y.shape)}; "
                        "they must have the same number of rows")
    if not y.is_floating_point():
        y = y.long()
    return x, y
