"""Small validators for TOML tables: each error names the key path and what is accepted."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import ConfigError, describe_choices

__all__ = ["Table", "join", "check_keys"]

_MISSING = object()


def join(path: str, key: str | int) -> str:
    """``join('train', 'lr') == 'train.lr'``; ``join('train.variants', 1) == 'train.variants[1]'``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def check_keys(table: dict[str, Any], allowed: Iterable[str], path: str) -> None:
    """Raise on the first key of ``table`` not in ``allowed``."""
    allowed = tuple(allowed)
    for key in table:
        if key not in allowed:
            raise ConfigError(f"{join(path, key)}: unknown key; allowed keys here are {describe_choices(sorted(allowed))}")


class Table:
    """Typed access to one TOML table; every getter names ``path.key`` in its error."""

    def __init__(self, data: Any, path: str, allowed: Iterable[str]):
        where = path or "the spec"
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected a table, got {type(data).__name__} {data!r}")
        check_keys(data, allowed, path)
        self.data = data
        self.path = path

    def key(self, key: str) -> str:
        return join(self.path, key)

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        if key not in self.data:
            if default is _MISSING:
                raise ConfigError(f"{self.key(key)}: required key is missing")
            return default
        return self.data[key]

    def str(self, key: str, default: Any = _MISSING, choices: tuple[str, ...] | None = None) -> Any:
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str) or (choices is None and not value):
            raise ConfigError(f"{self.key(key)}: expected a non-empty string, got {value!r}")
        if choices is not None and value not in choices:
            raise ConfigError(f"{self.key(key)}: {value!r} is not allowed; use {describe_choices(choices)}")
        return value

    def bool(self, key: str, default: Any = _MISSING) -> Any:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{self.key(key)}: expected true or false, got {value!r}")
        return value

    def int(self, key: str, default: Any = _MISSING, lo: int | None = None, none_ok: bool = False) -> Any:
        value = self.raw(key, default)
        return check_int(value, self.key(key), lo=lo, none_ok=none_ok)

    def float(self, key: str, default: Any = _MISSING, lo: float | None = None, hi: float | None = None,
              lo_open: bool = False, none_ok: bool = False) -> Any:
        value = self.raw(key, default)
        return check_float(value, self.key(key), lo=lo, hi=hi, lo_open=lo_open, none_ok=none_ok)

    def list(self, key: str, default: Any = _MISSING, nonempty: bool = True) -> Any:
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, list) or (nonempty and not value):
            raise ConfigError(f"{self.key(key)}: expected a non-empty list, got {value!r}")
        return value

    def table(self, key: str, allowed: Iterable[str], default: Any = _MISSING) -> Table:
        return Table(self.raw(key, {} if default is _MISSING else default), self.key(key), allowed)


def check_int(value: Any, path: str, lo: int | None = None, none_ok: bool = False) -> Any:
    """An int (not bool) ``>= lo``; ``None`` when ``none_ok``."""
    if value is None and none_ok:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{path}: expected an integer, got {value!r}")
    if lo is not None and value < lo:
        raise ConfigError(f"{path}: must be at least {lo}, got {value!r}")
    return value


def check_float(value: Any, path: str, lo: float | None = None, hi: float | None = None, lo_open: bool = False,
                none_ok: bool = False) -> Any:
    """A finite number within ``[lo, hi]`` (``(lo, hi]`` when ``lo_open``), returned as float."""
    if value is None and none_ok:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or abs(value) == float("inf"):
        raise ConfigError(f"{path}: expected a finite number, got {value!r}")
    value = float(value)
    if lo is not None and (value <= lo if lo_open else value < lo):
        bound = f"greater than {lo}" if lo_open else f"at least {lo}"
        raise ConfigError(f"{path}: must be {bound}, got {value!r}")
    if hi is not None and value > hi:
        raise ConfigError(f"{path}: must be at most {hi}, got {value!r}")
    return value


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` merged into a copy of ``base``: tables merge key by key, everything else is replaced."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out
