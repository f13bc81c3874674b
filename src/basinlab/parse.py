"""Text forms of arguments, one grammar each, shared by every command and by the library functions behind them.

- A list: comma-separated, and a flag may be repeated: ``--threshold 0.1,0.3 --threshold 1`` -> ``[0.1, 0.3, 1.0]``.
- A size: a count (``2000``), a fraction of the split (``0.1``), a percentage (``10%``) or ``all``.
- A landscape: ``DATASET[:SIZE[,SIZE...]]``, e.g. ``fashion-mnist``, ``fashion-mnist:0.1``,
  ``fashion-mnist:60,600,2000`` (several sizes are nested prefixes of one permutation, strictly increasing);
  DATASET may be your own ``module:callable`` (``mydata:load:60,600``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from .errors import ConfigError

__all__ = ["Landscape", "parse_list", "parse_size", "parse_landscape", "resolve_sizes"]

T = TypeVar("T")

Size = int | float | None  # a count, a fraction in (0, 1], or None for all rows


def parse_list(values: str | Iterable[str] | None, convert: Callable[[str], T], option: str,
               example: str = "1,2") -> list[T]:
    """Items of one or more comma-separated texts (a repeated flag gives several), each through ``convert``.

    ``parse_list(['0.1,0.3', '1'], float, '--threshold')`` -> ``[0.1, 0.3, 1.0]``; ``None`` -> ``[]``.
    """
    texts = [values] if isinstance(values, str) else list(values or [])
    out: list[T] = []
    for text in texts:
        for item in str(text).split(","):
            item = item.strip()
            if not item:
                continue
            try:
                out.append(convert(item))
            except (ValueError, ConfigError) as exc:
                detail = f": {exc}" if isinstance(exc, ConfigError) else ""
                raise ConfigError(f"{option} {text!r}: {item!r} is not accepted{detail}; give comma-separated values "
                                  f"(or repeat the flag), e.g. {option} {example}") from None
    return out


def parse_size(text: str | int | float | None, option: str = "--size") -> Size:
    """``'2000'`` -> 2000, ``'0.1'`` -> 0.1 (fraction), ``'10%'`` -> 0.1, ``'all'`` / ``''`` / None -> None."""
    if text is None or isinstance(text, (int, float)) and not isinstance(text, bool):
        return text  # type: ignore[return-value]
    t = str(text).strip().lower()
    if t in ("", "all"):
        return None
    try:
        if t.endswith("%"):
            value: int | float = float(t[:-1]) / 100.0
        else:
            value = float(t) if any(c in t for c in ".e") else int(t)
    except ValueError:
        raise ConfigError(f"{option} {text!r} is not a count (2000), a fraction (0.1), a percentage (10%) "
                          f"or 'all'") from None
    if isinstance(value, float) and not 0.0 < value <= 1.0:
        raise ConfigError(f"{option} {text!r}: a fraction must be in (0, 1] (a percentage in (0%, 100%])")
    if isinstance(value, int) and value < 1:
        raise ConfigError(f"{option} {text!r}: a count must be positive")
    return value


@dataclass(frozen=True)
class Landscape:
    """A dataset's training split at one or more nested sizes (``sizes == (None,)``: all its rows)."""

    name: str
    sizes: tuple[Size, ...] = (None,)

    def __str__(self) -> str:
        return self.name + ("" if self.sizes == (None,) else ":" + ",".join(
            "all" if s is None else f"{s:g}" for s in self.sizes))


def _is_module(text: str) -> bool:
    import re

    return re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", text.strip()) is not None


def parse_landscape(text: str, option: str = "--landscape") -> Landscape:
    """``'fashion-mnist:60,600'`` -> ``Landscape('fashion-mnist', (60, 600))``; ``'digits'`` -> all rows; a user's
    dataset ``'mydata:load:60,600'`` -> ``Landscape('mydata:load', (60, 600))`` (sizes follow the last colon).

    Sizes of one kind (counts, or fractions) must be strictly increasing; a mix is checked by :func:`resolve_sizes`.
    """
    from .data.dataset import DATASET_NAMES

    name, sep, rest = text.rpartition(":")
    if not sep:
        name, rest = text, ""
    elif name.strip() not in DATASET_NAMES and _is_module(name.split(":")[0]) and \
            (rest[:1].isalpha() or rest[:1] == "_") and rest.strip().lower() != "all":
        name, sep, rest = text, "", ""  # 'mydata:load': a user's dataset (module:callable) without sizes
    name = name.strip()
    if not name or (sep and not rest.strip()):
        raise ConfigError(f"{option} {text!r} must look like DATASET[:SIZE[,SIZE...]], e.g. 'fashion-mnist:60,600' "
                          f"or 'fashion-mnist:0.1'")
    if not sep:
        return Landscape(name)
    sizes = tuple(parse_size(s, option) for s in rest.split(","))
    for kind in (int, float):
        same = [s for s in sizes if isinstance(s, kind)]
        if same != sorted(set(same)):
            raise ConfigError(f"{option} {text!r}: sizes must be strictly increasing")
    if sizes.count(None) > 1 or (None in sizes and sizes[-1] is not None):
        raise ConfigError(f"{option} {text!r}: 'all' may only be the last size")
    return Landscape(name, sizes)


def resolve_sizes(sizes: Iterable[Size], n_available: int, option: str = "--landscape") -> list[int]:
    """Counts of ``sizes`` out of ``n_available`` rows (fractions rounded as :mod:`basinlab.data` does), checked to
    be strictly increasing and at most ``n_available``."""
    from .data.subsets import resolve_size

    counts = [resolve_size(s, n_available) for s in sizes]
    if counts != sorted(set(counts)):
        raise ConfigError(f"{option}: sizes {list(sizes)} give {counts} rows of {n_available}; they must be strictly "
                          f"increasing")
    return counts
