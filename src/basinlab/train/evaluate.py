"""Loss and accuracy of a model on a whole dataset (eval mode, float64 accumulation)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConfigError

__all__ = ["batch_loss", "evaluate", "prepare_targets"]


def prepare_targets(targets: torch.Tensor, loss: str, num_classes: int) -> torch.Tensor:
    """Targets as the loss needs them: int64 labels (cross-entropy) or ``(N, C)`` float32 (mse)."""
    if loss == "cross_entropy":
        if targets.dim() != 1 or targets.dtype.is_floating_point:
            raise ConfigError(
                f"loss 'cross_entropy' needs (N,) integer class targets; got shape {tuple(targets.shape)} "
                f"{targets.dtype}. Use loss='mse' for (N, C) float targets."
            )
        return targets.long()
    if targets.dim() == 1 and not targets.dtype.is_floating_point:
        return F.one_hot(targets.long(), num_classes).float()
    if targets.dim() != 2:
        raise ConfigError(f"loss 'mse' needs (N, C) float or (N,) int targets; got shape {tuple(targets.shape)}")
    return targets.float()


def batch_loss(outputs: torch.Tensor, targets: torch.Tensor, loss: str) -> torch.Tensor:
    """Mean loss of a minibatch (mse: mean over examples and outputs)."""
    if loss == "cross_entropy":
        return F.cross_entropy(outputs, targets)
    return F.mse_loss(outputs, targets)


def _labels(targets: torch.Tensor) -> torch.Tensor:
    return targets.argmax(dim=1) if targets.dim() == 2 else targets


@torch.no_grad()
def evaluate(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, loss: str,
             *, chunk: int = 8192) -> tuple[float, float]:
    """``(mean loss, accuracy in [0, 1])`` over all N examples; targets as from :func:`prepare_targets`.

    Per-example losses are summed in float64. The model is put in eval mode and its previous mode restored.
    Accuracy compares the argmax output with the label (argmax of one-hot targets for mse).
    """
    was_training = model.training
    model.eval()
    total = torch.zeros((), dtype=torch.float64)
    correct = 0
    n = int(inputs.shape[0])
    try:
        for start in range(0, n, chunk):
            x, y = inputs[start:start + chunk], targets[start:start + chunk]
            out = model(x)
            if loss == "cross_entropy":
                per = F.cross_entropy(out, y, reduction="none")
            else:
                per = F.mse_loss(out, y, reduction="none").mean(dim=1)
            total += per.double().sum().cpu()
            correct += int((out.argmax(dim=1) == _labels(y)).sum())
    finally:
        model.train(was_training)
    return float(total / max(n, 1)), correct / max(n, 1)
