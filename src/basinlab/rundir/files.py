"""Atomic writes and integrity records of the files in a run directory.

Every file is written to a temporary sibling ``.<name>.<random>.tmp`` and renamed, so a reader never sees
half a file. A finished task's files are recorded as ``{"path", "size", "sha256"}``; :func:`check_record`
says whether a file still is what was recorded.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

__all__ = ["temp_sibling", "atomic_write_bytes", "atomic_write_text", "atomic_write_parquet", "sha256_file",
           "file_record", "check_record", "file_is_whole"]


def temp_sibling(path: Path) -> Path:
    """A fresh temporary name next to ``path`` (``.<name>.<random hex>.tmp``; never read as a result)."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")


def _replace(tmp: Path, path: Path) -> None:
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to a temporary sibling, then rename it over ``path``."""
    path = Path(path)
    tmp = temp_sibling(path)
    try:
        tmp.write_bytes(data)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _replace(tmp, path)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """:func:`atomic_write_bytes` of UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_parquet(path: str | os.PathLike, table: Any) -> None:
    """Write a ``pyarrow.Table`` as Parquet to a temporary sibling, then rename it over ``path``."""
    import pyarrow.parquet as pq

    path = Path(path)
    tmp = temp_sibling(path)
    try:
        pq.write_table(table, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _replace(tmp, path)


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
