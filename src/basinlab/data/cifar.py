"""CIFAR-10 python batches, read with a restricted unpickler that only rebuilds plain data.

A CIFAR-10 batch (``data_batch_1`` ... ``data_batch_5``, ``test_batch``) is a pickled dict
``{b'data': uint8 array (10000, 3072), b'labels': [int], b'batch_label': bytes, b'filenames': [bytes]}``.
Plain ``pickle.load`` would run any callable a tampered file names; :class:`RestrictedUnpickler` resolves
only the few globals such a dict needs (numpy array/dtype reconstruction, latin-1 byte strings, basic
builtin types) and refuses everything else, including object arrays.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError

__all__ = ["RestrictedUnpickler", "restricted_loads", "read_cifar_batch", "read_cifar10", "CIFAR10_FILES"]

CIFAR10_FILES = {"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)}


class _Refused(Exception):
    """A pickle asked for something the restricted unpickler does not allow."""


def _safe_dtype(*args: Any) -> np.dtype:
    dtype = np.dtype(*args)
    if dtype.hasobject:
        raise _Refused(f"a numpy array of Python objects (dtype {dtype})")
    return dtype


def _numpy_reconstruct() -> Callable[..., np.ndarray]:
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct

    def reconstruct(subtype: Any, shape: Any, dtype: Any) -> np.ndarray:
        if subtype is not np.ndarray:
            raise _Refused(f"an array of subtype {subtype!r}")
        return _reconstruct(np.ndarray, shape, _safe_dtype(dtype))

    return reconstruct


def _latin1_encode(text: Any, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    # Protocol-2 pickles written by Python 3 store bytes as _codecs.encode(str, 'latin1').
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise _Refused(f"_codecs.encode with encoding {encoding!r}")
    return text.encode("latin1")


_BUILTINS = {"dict": dict, "list": list, "str": str, "bytes": bytes, "bytearray": bytearray, "int": int,
             "tuple": tuple}


def _allowed() -> dict[tuple[str, str], Any]:
    allowed: dict[tuple[str, str], Any] = {}
    reconstruct = _numpy_reconstruct()
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[(module, "_reconstruct")] = reconstruct
    allowed[("numpy", "ndarray")] = np.ndarray
    allowed[("numpy", "dtype")] = _safe_dtype
    allowed[("_codecs", "encode")] = _latin1_encode
    for module in ("builtins", "__builtin__"):
        allowed.update({(module, name): obj for name, obj in _BUILTINS.items()})
    return allowed


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals a CIFAR batch needs; anything else raises ``_Refused``."""

    _ALLOWED = _allowed()

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._ALLOWED[(module, name)]
        except KeyError:
            raise _Refused(f"the global {module}.{name}") from None


def restricted_loads(data: bytes, *, source: str = "<bytes>") -> Any:
    """Unpickle ``data`` allowing only dict/list/str/bytes/int and numpy (non-object) arrays.

    Python-2 strings come back as ``bytes`` (``encoding='bytes'``, as CIFAR-10 needs). Raises
    :class:`DataError` naming ``source`` if the pickle references anything else or is corrupt.
    """
    try:
        return RestrictedUnpickler(io.BytesIO(data), encoding="bytes").load()
    except _Refused as exc:
        raise DataError(
            f"refusing to load {source}: it references {exc}, which a CIFAR-10 batch never contains "
            "(only dicts, lists, strings, bytes, ints and numpy numeric arrays are allowed); "
            "the file is not a CIFAR-10 batch or has been tampered with"
        ) from None
    except Exception as exc:  # corrupt pickles raise many types (UnpicklingError, EOFError, ValueError, ...)
        raise DataError(f"{source} is not a readable CIFAR-10 batch ({type(exc).__name__}: {exc})") from exc


def _key(d: dict, name: str) -> Any:
    for key in (name.encode(), name):
        if key in d:
            return d[key]
    raise KeyError(name)


def read_cifar_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """One batch file -> ``(images (N, 3, 32, 32) uint8, labels (N,) int64)``; raises DataError naming the file."""
    path = Path(path)
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read CIFAR-10 batch {path}: {exc.strerror or exc}") from exc
    batch = restricted_loads(blob, source=str(path))
    try:
        if not isinstance(batch, dict):
            raise KeyError("a dict at the top level")
        data, labels = _key(batch, "data"), np.asarray(_key(batch, "labels"))
    except KeyError as exc:
        raise DataError(f"CIFAR-10 batch {path} lacks {exc.args[0]!r}; expected a dict with 'data' and 'labels'") from None
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        got = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise DataError(f"CIFAR-10 batch {path}: 'data' must be a uint8 array of shape (N, 3072); got {got}")
    if labels.ndim != 1 or len(labels) != len(data) or not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"CIFAR-10 batch {path}: 'labels' must be {len(data)} integers; got {labels.shape} {labels.dtype}")
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise DataError(f"CIFAR-10 batch {path}: labels must lie in 0..9; got {labels.min()}..{labels.max()}")
    return data.reshape(-1, 3, 32, 32), labels.astype(np.int64)


def read_cifar10(directory: str | Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The train (5 batches, 50,000 images) or test split (10,000) from a ``cifar-10-batches-py`` directory."""
    parts = [read_cifar_batch(Path(directory) / name) for name in CIFAR10_FILES[split]]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
