"""Learning rate per epoch for the schedules of :class:`TrainConfig`."""

from __future__ import annotations

import math

from .config import TrainConfig

__all__ = ["lr_at"]


def lr_at(config: TrainConfig, epoch: int) -> float:
    """Learning rate used during 0-based ``epoch`` (the ``epoch+1``-th pass over the data).

    ``'constant'``: lr. ``'step'``: lr * step_gamma ** (epoch // step_size).
    ``'cosine'``: lr * (epoch + 1) / warmup_epochs while epoch < warmup_epochs, then
    lr * (1 + cos(pi * (epoch - warmup_epochs) / (epochs - warmup_epochs))) / 2.
    From ``swa_start`` on, ``swa_lr`` replaces the schedule when it is set.
    """
    if config.swa_start is not None and config.swa_lr is not None and epoch + 1 >= config.swa_start:
        return config.swa_lr
    if config.schedule == "constant":
        return config.lr
    if config.schedule == "step":
        return config.lr * config.step_gamma ** (epoch // config.step_size)
    warm = config.warmup_epochs
    if epoch < warm:
        return config.lr * (epoch + 1) / warm
    progress = (epoch - warm) / (config.epochs - warm)
    return config.lr * 0.5 * (1.0 + math.cos(math.pi * progress))
