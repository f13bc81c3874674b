"""Your own models and datasets named in a spec as ``module:callable`` (e.g. ``mymodels:make_net``).

Naming one runs your code: basinlab imports ``module`` (from the current directory, then ``sys.path`` /
``PYTHONPATH``, as ``python -m`` would) and calls ``callable``. That is your code in your own spec, like a
Python script you run; basinlab never imports code that a checkpoint or another file it reads names unless
you name the same ``module:callable`` yourself (see :func:`basinlab.train.load_checkpoint`'s ``factory``).
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Callable
from typing import Any

from .errors import ConfigError

__all__ = ["is_reference", "check_reference", "load_callable", "call_user", "accepted_keywords"]

_REFERENCE = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*")


def is_reference(text: Any) -> bool:
    """True for text of the form ``module:callable`` (``pkg.mod:fn``, ``mod:Class.method``)."""
    return isinstance(text, str) and ":" in text


def check_reference(text: str, field: str, accepted: str) -> str:
    """``text`` when it is a well-formed ``module:callable``; else :class:`ConfigError` naming ``field``."""
    if not isinstance(text, str) or not _REFERENCE.fullmatch(text):
        raise ConfigError(f"{field} {text!r} is not of the form module:callable (e.g. mymodels:make_net); "
                          f"accepted: {accepted}")
    return text


def load_callable(text: str, field: str, accepted: str) -> Callable[..., Any]:
    """Import ``module`` and return its ``callable`` for the reference ``text`` (``'module:callable'``).

    Every failure is one :class:`ConfigError` line naming ``field``, the reference and what is accepted: a
    malformed reference, a module that is not found (or fails while importing), a missing attribute, or an
    attribute that is not callable.
    """
    check_reference(text, field, accepted)
    module_name, _, attribute = text.partition(":")
    if os.getcwd() not in sys.path and "" not in sys.path:  # as `python -m`: the current directory first
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name) and \
                (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise ConfigError(f"{field} {text!r}: module {module_name!r} is not found (looked in the current "
                              f"directory and sys.path); accepted: {accepted}") from None
        raise ConfigError(f"{field} {text!r}: importing module {module_name!r} failed: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - the user's module raised while importing: say so in one line
        raise ConfigError(f"{field} {text!r}: importing module {module_name!r} failed: "
                          f"{type(exc).__name__}: {exc}") from None
    found: Any = module
    for part in attribute.split("."):
        if not hasattr(found, part):
            raise ConfigError(f"{field} {text!r}: module {module_name!r} has no attribute {attribute!r}; "
                              f"accepted: {accepted}")
        found = getattr(found, part)
    if not callable(found):
        raise ConfigError(f"{field} {text!r}: {attribute!r} is a {type(found).__name__}, not callable; "
                          f"accepted: {accepted}")
    return found


def call_user(fn: Callable[..., Any], text: str, field: str, **kwargs: Any) -> Any:
    """``fn(**kwargs)``; an exception it raises becomes one :class:`ConfigError` line naming ``field``."""
    try:
        return fn(**kwargs)
    except TypeError as exc:
        given = ", ".join(sorted(kwargs)) or "no arguments"
        raise ConfigError(f"{field} {text!r}: calling it with {given} failed: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - the user's code raised: one line, not a traceback
        raise ConfigError(f"{field} {text!r} raised {type(exc).__name__}: {exc}") from None


def accepted_keywords(fn: Callable[..., Any], names: tuple[str, ...]) -> set[str]:
    """Which of ``names`` ``fn`` takes as keyword arguments (all of them when it has ``**kwargs``)."""
    import inspect

    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return set()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return set(names)
    return {p.name for p in params if p.name in names and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
