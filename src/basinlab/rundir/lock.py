"""One driver per run directory: an exclusive lock on ``RUN_DIR/.driver.lock``, which names its holder.

Where the filesystem supports ``flock`` (POSIX), the operating system drops the lock when its holder exits,
even on ``kill -9``, so a stale lock cannot block. Elsewhere (no ``fcntl``, or a network filesystem without
``flock``) the lock is the file itself, created exclusively; a file naming a process of this host that no longer
runs is stale and is taken over. A holder on another host cannot be checked: the error says which file to
delete once that run is known to be gone.
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path
from typing import IO

from ..errors import ConfigError
from .layout import LOCK_FILE

__all__ = ["DriverLock", "acquire_driver_lock", "holder_line", "pid_alive"]


def holder_line() -> str:
    """``PID <pid> on host <host>``: what the lock file says about its holder."""
    return f"PID {os.getpid()} on host {socket.gethostname()}"


def pid_alive(pid: int) -> bool:
    """Whether a process with this PID runs on this host (a zombie counts as gone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie has exited; only its parent has not collected it yet
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _parse_holder(text: str) -> tuple[int | None, str | None]:
    parts = text.split()
    try:
        return int(parts[1]), parts[4]
    except (IndexError, ValueError):
        return None, None


class DriverLock:
    """A held driver lock; :meth:`release` (or closing the process) gives it up.

    ``stale_holder`` is the holder line of a dead driver whose lock file was taken over (``None`` otherwise).
    """

    def __init__(self, path: Path, handle: IO[str] | None, stale_holder: str | None = None) -> None:
        self.path, self._handle, self.stale_holder = path, handle, stale_holder
        self._mine = holder_line()

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the file releases the flock
            self._handle = None
        elif self._mine is not None:  # an exclusive-file lock: remove the file if it still names us
            try:
                if self.path.read_text(encoding="utf-8").strip() == self._mine:
                    self.path.unlink()
            except OSError:
                pass
        self._mine = None


def _refuse(root: Path, holder: str, hint: str = "") -> ConfigError:
    return ConfigError(f"run directory {str(root)!r} is being run by {holder}; wait for that run to finish or "
                       f"stop it, or pass another --out{hint}")


def acquire_driver_lock(root: str | os.PathLike, *, use_flock: bool = True) -> DriverLock:
    """Take the run directory's driver lock or raise :class:`ConfigError` naming the holder's PID and host.

    ``use_flock=False`` forces the exclusive-file lock (used where ``flock`` is not available; tests).
    """
    root = Path(root)
    path = root / LOCK_FILE
    if use_flock:
        try:
            import fcntl
        except ImportError:  # not POSIX: the exclusive-file lock below
            fcntl = None
        if fcntl is not None:
            handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                handle.close()
                raise _refuse(root, holder) from None
            except OSError as exc:
                handle.close()
                if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                    raise
            else:
                handle.seek(0)
                handle.truncate()
                handle.write(holder_line() + "\n")
                handle.flush()
                return DriverLock(path, handle)
    return _exclusive_file_lock(root, path)


def _age(path: Path) -> float:
    import time

    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def _exclusive_file_lock(root: Path, path: Path) -> DriverLock:
    stale = None
    for _ in range(2):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            try:
                holder = path.read_text(encoding="utf-8").strip()
            except FileNotFoundError:
                continue  # released between our two calls
            pid, host = _parse_holder(holder)
            dead = host == socket.gethostname() and pid is not None and not pid_alive(pid)
            if dead or (not holder and _age(path) > 10.0):  # (an empty file younger than that is being written)
                stale = holder or "an empty lock file"
                path.unlink(missing_ok=True)  # a driver of this host that no longer runs: the lock is stale
                continue
            raise _refuse(root, holder or "another process",
                          f" (if that run is gone, delete {str(path)!r})") from None
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(holder_line() + "\n")
        return DriverLock(path, None, stale_holder=stale)
    raise _refuse(root, "another process", f" (if that run is gone, delete {str(path)!r})")
