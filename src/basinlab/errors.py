"""One exception family for every user-facing mistake.

A :class:`BasinlabError` message names the field, file or value at fault and what would be accepted,
so the CLI prints it as a one-line error instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["BasinlabError", "ConfigError", "DataError", "CheckpointError", "expect", "describe_choices", "check_name"]


class BasinlabError(ValueError):
    """Base class of every error caused by bad input (arguments, files, configs)."""


class ConfigError(BasinlabError):
    """A spec, config or argument value is invalid."""


class DataError(BasinlabError):
    """A dataset is missing, malformed or inconsistent."""


class CheckpointError(BasinlabError):
    """A checkpoint or result file is missing, truncated, tampered with or of the wrong kind."""


def describe_choices(choices: Iterable[Any]) -> str:
    """``'a', 'b' or 'c'`` for an error message."""
    items = [repr(c) for c in choices]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def check_name(value: str, what: str) -> str:
    """``value`` if it is a plain file-name component (letters, digits, '-', '_', '.'; not starting with '.'),
    so that it stays inside the folder it names a file or folder in; else :class:`ConfigError` naming ``what``."""
    if not value or value.startswith(".") or not all(c.isalnum() or c in "-_." for c in value):
        raise ConfigError(f"{what}: {value!r} may contain only letters, digits, '-', '_' and '.', and may not start "
                          "with '.' (it names a file or folder inside the output directory)")
    return value


def expect(condition: bool, message: str, error: type[BasinlabError] = ConfigError) -> None:
    """Raise ``error(message)`` unless ``condition`` holds."""
    if not condition:
        raise error(message)
