"""One exception family for every user-facing mistake.

A :class:`BasinlabError` message names the field, file or value at fault and what would be accepted,
so the CLI prints it as a one-line error instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["BasinlabError", "ConfigError", "DataError", "CheckpointError", "expect", "describe_choices", "check_name",
           "check_output_dir", "check_output_file", "check_input_dir", "check_at_least"]


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


def check_at_least(value: int | None, lo: int, what: str) -> int | None:
    """``value`` if it is None or an integer ``>= lo``; else :class:`ConfigError` naming ``what``."""
    if value is not None and value < lo:
        raise ConfigError(f"{what} must be an integer of at least {lo}; got {value}")
    return value


def _writable_dir(folder, what: str, value) -> None:
    import tempfile

    try:  # a real probe (os.access says yes to root on read-only mounts); the probe file is gone at once
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ConfigError(f"{what} {str(value)!r}: cannot write in folder {str(folder)!r} ({exc.strerror})") from None


def check_output_dir(path, what: str) -> None:
    """Before any work: ``path`` is an existing writable folder, or a new one that can be made (its nearest
    existing ancestor is a writable folder). Nothing is created."""
    from pathlib import Path

    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ConfigError(f"{what} {str(path)!r} is a file, not a folder; pass a folder (new or existing)")
    probe = p
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise ConfigError(f"{what} {str(path)!r}: {str(probe)!r} is a file, not a folder; pass a folder path")
    _writable_dir(probe, what, path)


def check_output_file(path, what: str) -> None:
    """Before any work: ``path`` is not a folder and its folder exists and is writable. Nothing is created."""
    from pathlib import Path

    p = Path(path)
    if p.is_dir():
        raise ConfigError(f"{what} {str(path)!r} is a folder; pass a file name, e.g. {str(p / 'out')!r}")
    parent = p.parent
    if not parent.is_dir():
        state = "is not a folder" if parent.exists() else "does not exist"
        raise ConfigError(f"{what} {str(path)!r}: folder {str(parent)!r} {state}; create it first or pass another path")
    _writable_dir(parent, what, path)


def check_input_dir(path, what: str) -> None:
    """``path`` (when given) is an existing folder."""
    from pathlib import Path

    if path is None:
        return
    p = Path(path)
    if not p.is_dir():
        state = "is a file, not a folder" if p.exists() else "does not exist"
        raise ConfigError(f"{what} {str(path)!r} {state}; pass the folder that holds the dataset files")
