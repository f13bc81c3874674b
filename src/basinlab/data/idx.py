"""Reader for the IDX format of MNIST and Fashion-MNIST (raw or gzip-compressed), validated strictly.

IDX layout: two zero bytes, a type code (0x08 = uint8, ...), the number of dimensions d, then d big-endian
uint32 sizes, then the values in C order (big-endian for multi-byte types).
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from ..errors import DataError

__all__ = ["read_idx", "write_idx"]

_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CODES = {np.dtype(v).str[1:]: k for k, v in _DTYPES.items()}  # 'u1' -> 0x08, ...
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise DataError(f"cannot read IDX file {path}: {exc.strerror or exc}") from exc
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"IDX file {path} is a corrupt or truncated gzip file ({exc}); download it again") from exc
    return data


def read_idx(path: str | Path, *, ndim: int | None = None, shape: tuple[int | None, ...] | None = None) -> np.ndarray:
    """Read one IDX file (gzip detected by its magic bytes) into a numpy array of its native type.

    Args:
        path: the file.
        ndim: required number of dimensions (3 for images, 1 for labels), or None for any.
        shape: required sizes; ``None`` entries are free (e.g. ``(None, 28, 28)``).

    Raises:
        DataError naming the file for a bad magic number, wrong dimensions, or a length that does not match.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES:
        raise DataError(
            f"{path} is not an IDX file: magic bytes {data[:4].hex() or '(empty)'} should be 0000 + a type code "
            f"({', '.join(f'{k:02x}' for k in _DTYPES)}) + the number of dimensions"
        )
    dtype, dims = np.dtype(_DTYPES[data[2]]), data[3]
    if ndim is not None and dims != ndim:
        raise DataError(f"IDX file {path} has {dims} dimensions; expected {ndim}")
    header = 4 + 4 * dims
    if len(data) < header:
        raise DataError(f"IDX file {path} is truncated inside its header ({len(data)} bytes)")
    sizes = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=dims, offset=4))
    if shape is not None and (len(shape) != dims or any(w is not None and w != s for w, s in zip(shape, sizes, strict=True))):
        raise DataError(f"IDX file {path} has shape {sizes}; expected {tuple(shape)} (None = any)")
    expected = header + int(np.prod(sizes, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "longer than its header says"
        raise DataError(
            f"IDX file {path} is {what}: {len(data)} bytes for shape {sizes}, expected {expected}; download it again"
        )
    values = np.frombuffer(data, dtype=dtype, offset=header).reshape(sizes)
    return values.astype(dtype.newbyteorder("="))  # a writable native-order copy


def write_idx(path: str | Path, array: np.ndarray, *, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file (gzip when ``compress`` or the name ends in ``.gz``); for tests and tools."""
    path = Path(path)
    array = np.asarray(array)
    code = _CODES.get(array.dtype.str[1:])
    if code is None:
        raise DataError(f"IDX cannot store dtype {array.dtype}; use one of {sorted(_CODES)}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + array.astype(_DTYPES[code]).tobytes()
    if compress if compress is not None else path.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)
    path.write_bytes(payload)
