"""Atomic writes and integrity records of the files in a run directory.

Every file is written to a temporary sibling ``.<name>.<random>.tmp`` and renamed, so a reader never sees
half a file; these helpers are the package's one way to write a file (run directories, checkpoints, volume
results, report pages and figures, CLI outputs, downloads). A finished task's files are recorded as ``{"path", "size", "sha256"}``; :func:`check_record`
says whether a file still is what was recorded.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["temp_sibling", "atomic_path", "FILE_MODE", "atomic_write_bytes", "atomic_write_text", "atomic_write_parquet", "sha256_file",
           "file_record", "check_record", "file_is_whole"]


def temp_sibling(path: Path) -> Path:
    """A fresh temporary name next to ``path`` (``.<name>.<random hex>.tmp``; never read as a result)."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")


def _new_file_mode() -> int:
    """0666 less the process umask: the mode ``open()`` gives a new file (0644 under the usual umask 022)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


FILE_MODE = _new_file_mode()


def _naming(exc: OSError, path: Path, tmp: Path) -> OSError:
    """``exc`` naming ``path`` instead of the temporary file (a failed flush on close names no file at all)."""
    if exc.errno is None or exc.filename not in (None, str(tmp), tmp):
        return exc
    return OSError(exc.errno, exc.strerror, str(path))


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary sibling of ``path`` for any writer to fill (safetensors, matplotlib, pyarrow …); when the block
    ends without error it gets mode :data:`FILE_MODE` (as every file of basinlab) and is renamed over ``path``,
    so a reader never sees half a file; on any error it is removed. An :class:`OSError` names ``path``."""
    path = Path(path)
    tmp = temp_sibling(path)
    try:
        yield tmp
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _naming(exc, path, tmp) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to a temporary sibling, then rename it over ``path``. A target that exists and is neither a
    regular file nor a folder (``/dev/stdout``, ``/dev/full``, a pipe) is written directly, never replaced."""
    path = Path(path)
    if path.exists() and not path.is_file() and not path.is_dir():
        try:
            with open(path, "wb") as f:
                f.write(data)
        except OSError as exc:
            raise _naming(exc, path, path) from None
        return
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """:func:`atomic_write_bytes` of UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_parquet(path: str | os.PathLike, table: Any) -> None:
    """Write a ``pyarrow.Table`` as Parquet to a temporary sibling, then rename it over ``path``."""
    import pyarrow.parquet as pq

    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_record(root: Path, rel: str) -> dict[str, Any]:
    """``{"path": rel, "size": bytes, "sha256": hex}`` of ``root / rel`` as it is now."""
    path = Path(root) / rel
    return {"path": rel, "size": path.stat().st_size, "sha256": sha256_file(path)}


def check_record(root: Path, record: str | dict[str, Any]) -> str | None:
    """None when the recorded file is intact; else why not: ``'missing'``, ``'truncated'``, ``'size changed'``
    or ``'content changed'``. A bare path (runs written before SHA-256 records) is checked by
    :func:`file_is_whole` only."""
    if isinstance(record, str):
        path = Path(root) / record
        if not path.exists():
            return "missing"
        return None if file_is_whole(path) else "truncated"
    path = Path(root) / record["path"]
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "unreadable"
    if size != record["size"]:
        return "truncated" if size < record["size"] else "size changed"
    try:
        return None if sha256_file(path) == record["sha256"] else "content changed"
    except OSError:
        return "unreadable"


def file_is_whole(path: Path) -> bool:
    """The file exists and, for Parquet and safetensors, its own framing says it is complete: Parquet starts and
    ends with ``PAR1``; a safetensors file is exactly 8 + header + the tensor bytes its header lists."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if path.suffix == ".parquet":
            if size < 12:
                return False
            with open(path, "rb") as f:
                head = f.read(4)
                f.seek(-4, os.SEEK_END)
                return head == b"PAR1" and f.read(4) == b"PAR1"
        if path.suffix == ".safetensors":
            with open(path, "rb") as f:
                n = int.from_bytes(f.read(8), "little")
                if n <= 0 or 8 + n > size:
                    return False
                header = json.loads(f.read(n))
            end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
            return size == 8 + n + end
        return path.is_file()
    except (OSError, ValueError, KeyError, TypeError):
        return False
