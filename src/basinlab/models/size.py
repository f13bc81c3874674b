"""A model's size from its spec alone (nothing allocated), and the guard that refuses models too big to train.

``basinlab train --hidden 100000000`` once built hundreds of millions of parameters and the kernel's OOM killer
took the machine; :func:`check_fits` now refuses it before a byte is allocated.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import ConfigError
from .spec import ModelSpec

__all__ = ["spec_parameter_count", "spec_activation_count", "training_bytes", "available_memory", "check_fits",
           "check_training_fits", "parse_memory", "memory_limit", "MAX_MEMORY_ENV"]

# float32 weights, gradients, two AdamW moments and a SAM / SWA copy: 5 tensors of the model's size.
BYTES_PER_PARAMETER = 4 * 5
MAX_MEMORY_ENV = "BASINLAB_MAX_MEMORY"


def spec_parameter_count(spec: ModelSpec) -> int:
    """Exact number of parameters :func:`basinlab.models.build_model` would create for ``spec``."""
    def linear(n_in: int, n_out: int) -> int:
        return n_in * n_out + n_out

    if spec.kind == "mlp":
        widths = [spec.input_size, *spec.hidden, spec.num_classes]
        return sum(linear(a, b) for a, b in zip(widths, widths[1:], strict=False))
    channels, height, width = spec.input_shape
    k = spec.option("kernel_size")
    total = 0
    for c in spec.hidden:
        total += channels * c * k * k + c
        channels, height, width = c, height // 2, width // 2
    features = channels * height * width
    for h in spec.option("fc"):
        total += linear(features, h)
        features = h
    return total + linear(features, spec.num_classes)


def spec_activation_count(spec: ModelSpec) -> int:
    """Numbers one example's forward pass produces (every layer's output), for the activation estimate."""
    if spec.kind == "mlp":
        return spec.input_size + sum(spec.hidden) + spec.num_classes
    channels, height, width = spec.input_shape
    total = channels * height * width
    for c in spec.hidden:
        total += c * height * width + c * (height // 2) * (width // 2)
        height, width = height // 2, width // 2
    return total + sum(spec.option("fc")) + spec.num_classes


def training_bytes(n_params: int, activations: int = 0, batch: int = 64) -> int:
    """Estimated bytes to train: the model's own tensors (weights, gradients, optimiser state, one copy) plus a
    batch of ``batch`` examples' activations kept for the backward pass and their gradients (float32)."""
    return n_params * BYTES_PER_PARAMETER + 3 * 4 * activations * batch


def available_memory() -> int | None:
    """Bytes of memory available to new allocations (Linux ``MemAvailable``); None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


_UNITS = {"": 1, "b": 1, "k": 2**10, "kb": 2**10, "m": 2**20, "mb": 2**20, "g": 2**30, "gb": 2**30, "t": 2**40,
          "tb": 2**40}


def parse_memory(text: str | int, what: str = "--max-memory") -> int:
    """``'8G'``, ``'512M'``, ``'1.5GB'`` or a byte count -> bytes; :class:`ConfigError` naming ``what``."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = float(text)
        unit = ""
    else:
        s = str(text).strip().lower()
        number = s.rstrip("kmgtb")
        unit = s[len(number):]
        try:
            value = float(number)
        except ValueError:
            value = math.nan
    if unit not in _UNITS or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{what}: {text!r} is not a memory size; use a positive number of bytes or e.g. '512M', '8G'")
    return int(value * _UNITS[unit])


def _fmt(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} TB"


def _memory_limit(max_memory: int | str | None) -> tuple[int | None, str]:
    """The limit in bytes (``max_memory``, else ``BASINLAB_MAX_MEMORY``, which ``--max-memory`` sets, else the
    available memory) and its name for an error."""
    if max_memory is not None:
        return parse_memory(max_memory, "max_memory"), "the max_memory limit"
    if os.environ.get(MAX_MEMORY_ENV):
        return parse_memory(os.environ[MAX_MEMORY_ENV], MAX_MEMORY_ENV), f"the --max-memory ({MAX_MEMORY_ENV}) limit"
    return available_memory(), "this machine's available memory"


def check_fits(spec: ModelSpec, max_memory: int | str | None = None, *, what: str | None = None) -> int:
    """The spec's parameter count, after checking that training it fits in ``max_memory`` bytes (default: the
    ``BASINLAB_MAX_MEMORY`` environment variable, which ``--max-memory`` sets, else the machine's available
    memory); :class:`ConfigError` otherwise, before anything is allocated. ``what`` names the model in the error
    (default ``model hidden=[...]``)."""
    n = spec_parameter_count(spec)
    limit, source = _memory_limit(max_memory)
    need = training_bytes(n, spec_activation_count(spec))
    if limit is not None and need > limit:
        raise ConfigError(f"{what or f'model hidden={list(spec.hidden)}'} has {n:,} parameters, needing about {_fmt(need)} to "
                          f"train, more than {source} ({_fmt(limit)}); use smaller hidden widths or raise --max-memory")
    return n


def check_training_fits(n_params: int, what: str, max_memory: int | str | None = None) -> int:
    """:func:`check_fits` for a model known only by its parameter count ``n_params`` (a user's own module:
    weights, gradients and optimiser state; its activations are not estimated); returns ``n_params``."""
    limit, source = _memory_limit(max_memory)
    need = training_bytes(n_params)
    if limit is not None and need > limit:
        raise ConfigError(f"{what} has {n_params:,} parameters, needing about {_fmt(need)} to train, more than "
                          f"{source} ({_fmt(limit)}); make it smaller or raise --max-memory")
    return n_params


@contextmanager
def memory_limit(max_memory: int | str | None) -> Iterator[None]:
    """Within the block, ``BASINLAB_MAX_MEMORY`` is ``max_memory`` (e.g. ``'8G'``, checked first; None: unchanged),
    so every model built here, and in worker processes started here, is checked against it. Restored after."""
    if max_memory is None:
        yield
        return
    value = str(parse_memory(max_memory))
    before = os.environ.get(MAX_MEMORY_ENV)
    os.environ[MAX_MEMORY_ENV] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(MAX_MEMORY_ENV, None)
        else:
            os.environ[MAX_MEMORY_ENV] = before
