"""Thread and device settings that every task sets explicitly.

Reused worker processes (Ray, process pools) otherwise inherit the previous task's torch thread count,
and BLAS threads in scipy/numpy fight torch's own pool.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

__all__ = ["limit_threads", "torch_thread_count", "resolve_device", "prefer_sleeping_threads"]


def prefer_sleeping_threads() -> None:
    """Let idle OpenMP threads (torch's, MKL's and oneDNN's pool) sleep instead of spinning: sets
    ``OMP_WAIT_POLICY=PASSIVE`` unless the environment already sets it. It takes effect in processes that load
    torch afterwards: the ``basinlab`` command calls it before importing torch, and the process pool and a local
    Ray cluster before starting their workers.

    Spinning threads make a task on every core several times slower than on one when other processes share the
    cores (each parallel region waits for a thread the OS has descheduled while its partner burns the core
    spinning); sleeping threads cost a wake-up per region instead (``benchmarks/training.py`` measures both).
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@contextlib.contextmanager
def torch_thread_count(n: int) -> Iterator[None]:
    """Run a block with torch on ``n`` intra-op threads (at least 1); the previous count is restored on exit.
    Cheap enough for a hot path (no BLAS probing, unlike :func:`limit_threads`)."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n)))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextlib.contextmanager
def limit_threads(torch_threads: int | None = None, blas_threads: int = 1) -> Iterator[None]:
    """Run a block with ``torch_threads`` intra-op threads (default: all cores) and ``blas_threads`` BLAS threads.

    Both settings are restored on exit.
    """
    from threadpoolctl import threadpool_limits

    wanted = torch_threads if torch_threads is not None else (os.cpu_count() or 1)
    with torch_thread_count(wanted), threadpool_limits(limits=blas_threads, user_api="blas"):
        yield


def resolve_device(device: str | None = None):
    """``torch.device`` from ``'cpu'``, ``'cuda'``, ``'cuda:1'``, ``'auto'`` or ``None`` (= ``'cpu'``)."""
    import torch

    from .errors import ConfigError

    if device is None:
        return torch.device("cpu")
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ConfigError(f"device {device!r} is not a device; use 'cpu', 'cuda', 'cuda:N' or 'auto'") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} was requested but CUDA is not available here; use 'cpu' or 'auto'")
    return dev
