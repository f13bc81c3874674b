"""Turn JSON-like values into hashable ones, so frozen specs compare and hash by value."""

from __future__ import annotations

from typing import Any

__all__ = ["freeze"]


def freeze(value: Any) -> Any:
    """Lists -> tuples and dicts -> sorted ``(key, value)`` tuples, recursively."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value
