"""Checksummed, atomic downloads (urllib only) of the official dataset files."""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError
from ..rundir import atomic_path

__all__ = ["Resource", "file_checksum", "download_file", "download_resources", "extract_tar"]


@dataclass(frozen=True)
class Resource:
    """One file to fetch: its local ``filename``, candidate ``urls`` (tried in order) and ``checksum``.

    ``checksum`` is ``'md5:<hex>'`` or ``'sha256:<hex>'``. ``extract`` names a tar archive's folder to unpack.
    """

    filename: str
    urls: tuple[str, ...]
    checksum: str
    extract: str | None = None


def file_checksum(path: str | Path, algorithm: str) -> str:
    """Hex digest of a file (``algorithm`` = 'md5' or 'sha256'), read in 1 MiB chunks."""
    digest = hashlib.new(algorithm, usedforsecurity=False) if algorithm == "md5" else hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _split_checksum(checksum: str) -> tuple[str, str]:
    algorithm, _, expected = checksum.partition(":")
    if algorithm not in ("md5", "sha256") or not expected:
        raise DataError(f"checksum {checksum!r} must look like 'md5:<hex>' or 'sha256:<hex>'")
    return algorithm, expected.lower()


def download_file(url: str, destination: str | Path, checksum: str, *, timeout: float = 30.0) -> Path:
    """Fetch ``url`` to ``destination`` atomically (temp file + rename) after verifying ``checksum``.

    Raises :class:`DataError` on network errors (naming the URL) or a checksum mismatch (the partial
    file is removed, ``destination`` is never left half-written).
    """
    algorithm, expected = _split_checksum(checksum)
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_path(destination) as temp:  # removed on any failure, so destination is whole or absent
            with open(temp, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
                shutil.copyfileobj(response, out, 1 << 20)
            actual = file_checksum(temp, algorithm)
            if actual != expected:
                raise DataError(
                    f"download of {url} has {algorithm} {actual}, expected {expected}; the file was discarded "
                    "(a proxy or a corrupted mirror?). Retry, or fetch it by hand and check the checksum"
                )
    except DataError:
        raise
    except (urllib.error.URLError, OSError, ValueError) as exc:  # ValueError: malformed URL
        reason = getattr(exc, "reason", None) or exc
        raise DataError(f"could not download {url}: {reason}") from exc
    return destination


def extract_tar(archive: str | Path, directory: str | Path) -> None:
    """Unpack a tar archive into ``directory`` with the 'data' filter (no absolute paths, links out, devices)."""
    try:
        with tarfile.open(archive) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(directory, filter="data")
            else:  # Python < 3.11.4: accept only plain files and folders with relative, non-escaping names
                for member in tar.getmembers():
                    parts = Path(member.name).parts
                    if member.name.startswith("/") or ".." in parts or not (member.isfile() or member.isdir()):
                        raise DataError(f"archive {archive} has an unsafe member {member.name!r}")
                tar.extractall(directory)
    except (tarfile.TarError, OSError) as exc:
        raise DataError(f"could not unpack {archive}: {exc}") from exc


def download_resources(resources: tuple[Resource, ...] | list[Resource], directory: str | Path, *,
                       timeout: float = 30.0) -> Path:
    """Download every resource not yet present (verified) into ``directory``; unpack archives. Returns it.

    Each resource tries its URLs in order; the first verified copy wins. Raises :class:`DataError` listing
    every failure if a resource cannot be fetched.
    """
    directory = Path(directory)
    for resource in resources:
        target = directory / resource.filename
        if not target.exists():
            errors = []
            for url in resource.urls:
                try:
                    download_file(url, target, resource.checksum, timeout=timeout)
                    break
                except DataError as exc:
                    errors.append(str(exc))
            else:
                raise DataError("; ".join(errors) or f"no URL known for {resource.filename}")
        if resource.extract and not (directory / resource.extract).is_dir():
            with tempfile.TemporaryDirectory(dir=directory) as scratch:
                extract_tar(target, scratch)
                unpacked = Path(scratch) / resource.extract
                if not unpacked.is_dir():
                    raise DataError(f"archive {target} has no folder {resource.extract!r}")
                os.replace(unpacked, directory / resource.extract)
    return directory
