"""Sharpness-aware minimisation (SAM, Foret et al. 2021) and its adaptive form (ASAM, Kwon et al. 2021).

One SAM step on a minibatch: compute g = grad L(w); move to w + e; compute grad L(w + e); move back to w and let
the base optimiser step with that second gradient.

* SAM:  e = rho * g / ||g||.
* ASAM (element-wise, as in the authors' code, github.com/SamsungLabs/ASAM): e = rho * T^2 g / ||T g|| with
  T = |w| + eta for weight tensors (names ending in ``weight``; without names: tensors of 2+ dims) and T = 1
  for biases (so biases are perturbed as in plain SAM, and are not scaled by their own magnitude).

Norms are over all parameters together (one global 2-norm).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

__all__ = ["SAM"]


class SAM:
    """Wrap a base ``torch.optim.Optimizer`` built over the same parameters.

    Args:
        named_parameters: ``model.named_parameters()`` (or plain tensors), the parameters the base optimiser updates.
        base: the base optimiser (its param_groups' ``lr`` is what schedules set).
        rho: neighbourhood radius (> 0).
        adaptive: ASAM instead of SAM.
        eta: ASAM's offset added to ``|w|`` of weight tensors.
    Usage per minibatch: ``loss.backward(); sam.first_step(); loss_fn(model).backward(); sam.second_step()``.
    """

    def __init__(self, named_parameters: Iterable, base: torch.optim.Optimizer, *, rho: float,
                 adaptive: bool = False, eta: float = 0.01) -> None:
        self.params: list[torch.Tensor] = []
        self.is_weight: list[bool] = []
        for item in named_parameters:
            name, p = item if isinstance(item, tuple) else ("", item)
            self.params.append(p)
            self.is_weight.append(name.endswith("weight") if name else p.dim() >= 2)
        self.base = base
        self.rho = float(rho)
        self.adaptive = bool(adaptive)
        self.eta = float(eta)
        self._saved: list[torch.Tensor | None] = []

    @property
    def param_groups(self) -> list[dict]:
        return self.base.param_groups

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.base.zero_grad(set_to_none=set_to_none)

    @torch.no_grad()
    def first_step(self) -> None:
        """Move every parameter to ``w + e`` using its current ``.grad``; clears the gradients."""
        scales: list[torch.Tensor | None] = []
        for p, is_w in zip(self.params, self.is_weight, strict=True):
            scales.append(p.abs() + self.eta if (self.adaptive and is_w) else None)
        sq = []
        for p, t in zip(self.params, scales, strict=True):
            if p.grad is not None:
                sq.append(((p.grad * t) if t is not None else p.grad).pow(2).sum())
        norm = torch.sqrt(torch.stack(sq).sum()) if sq else torch.tensor(0.0)
        factor = self.rho / (norm + 1e-12)
        self._saved = []
        for p, t in zip(self.params, scales, strict=True):
            if p.grad is None:
                self._saved.append(None)
                continue
            e = p.grad * (t * t) if t is not None else p.grad.clone()
            self._saved.append(p.detach().clone())
            p.add_(e.mul_(factor))
        self.zero_grad()

    @torch.no_grad()
    def second_step(self) -> None:
        """Return to ``w`` and step the base optimiser with the gradient taken at ``w + e``."""
        for p, saved in zip(self.params, self._saved, strict=True):
            if saved is not None:
                p.copy_(saved)  # exact restore (w + e - e can differ from w in the last bit)
        self._saved = []
        self.base.step()
