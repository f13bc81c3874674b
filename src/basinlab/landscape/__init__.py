"""Batched loss evaluation of many parameter points θ0 + c·Q_k in nested prefix landscapes."""

from __future__ import annotations

from .backend import RayBackend
from .evaluator import RayEvaluator
from .fastpath import supports_fast_path
from .losses import resolve_loss

__all__ = ["RayBackend", "RayEvaluator", "supports_fast_path", "resolve_loss"]
