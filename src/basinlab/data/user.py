"""A user's own dataset named ``module:callable``: the callable's data as one :class:`RawSplit` per split.

The callable is called as ``callable(split='train' | 'test', **options)`` (every dataset option except
``targets``, which basinlab keeps: ``'index'`` or ``'onehot'``) and may return anything
:func:`basinlab.data.as_tensors` reads: ``(X, y)`` arrays or tensors, a ``TensorDataset``, a map-style
``Dataset`` or a ``DataLoader``. ``y`` holds integer class labels ``(N,)`` (or one-hot rows ``(N, C)``); the
number of classes is ``max label + 1`` over both splits. It must return the same rows on every call: basinlab
draws the nested subsets, poison, imbalance and noise from them with the spec's data seed. Naming it imports
and runs your code (see :mod:`basinlab.usercode`).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError
from ..usercode import accepted_keywords, call_user, load_callable
from .raw import RawSplit

__all__ = ["user_split", "ACCEPTED_RETURN"]

FIELD = "dataset.name"
ACCEPTED_RETURN = ("a function taking split='train' or 'test' and returning (X, y) arrays or tensors with integer "
                   "class labels, a TensorDataset, a Dataset or a DataLoader")


def _thaw(value: Any) -> Any:
    return [_thaw(v) for v in value] if isinstance(value, tuple) else value


@functools.lru_cache(maxsize=4)
def _read(name: str, split: str, options: tuple[tuple[str, Any], ...]) -> tuple[np.ndarray, np.ndarray, int]:
    from .tensors import as_tensors

    fn = load_callable(name, FIELD, ACCEPTED_RETURN)
    if "split" not in accepted_keywords(fn, ("split",)):
        raise ConfigError(f"{FIELD} {name!r} does not take a split keyword; accepted: {ACCEPTED_RETURN}")
    data = call_user(fn, name, FIELD, split=split, **{k: _thaw(v) for k, v in options})
    try:
        x, y = as_tensors(data, what=f"the {split} data")
    except DataError as exc:
        raise ConfigError(f"{FIELD} {name!r} returned {type(data).__name__}: {exc}; accepted: {ACCEPTED_RETURN}") \
            from None
    if y.is_floating_point() and y.dim() == 2:  # one-hot rows
        y, classes = y.argmax(dim=1), int(y.shape[1])
    elif y.is_floating_point() or y.dim() != 1:
        raise ConfigError(f"{FIELD} {name!r} returned {split} targets of dtype {y.dtype} and shape {tuple(y.shape)}; "
                          "accepted: integer class labels (N,) or one-hot rows (N, C)")
    else:
        classes = int(y.max()) + 1
    if int(y.min()) < 0:
        raise ConfigError(f"{FIELD} {name!r} returned a negative {split} label ({int(y.min())}); "
                          "accepted: class labels 0, 1, ..., C-1")
    return x.detach().cpu().float().numpy(), y.cpu().long().numpy(), classes


def user_split(name: str, split: str, options: dict[str, Any]) -> RawSplit:
    """The ``split`` of the user's dataset ``name`` (``'module:callable'``) called with ``options``."""
    from .._frozen import freeze

    kwargs = freeze({k: v for k, v in options.items() if k != "targets"})
    x, y, classes = _read(name, split, kwargs)
    other = _read(name, "test" if split == "train" else "train", kwargs)[2]
    return RawSplit(x=x.copy(), y=y.copy(), num_classes=max(classes, other))
