"""Where dataset files are looked for, what they are called, and where they are downloaded from.

Search order for a file-based dataset: the explicit ``data_dir``, ``$BASINLAB_DATA``, the standard system
place (Fashion-MNIST: ``/usr/share/datasets/fashion-mnist``, from Debian's ``dataset-fashion-mnist``), then the
user cache ``$XDG_CACHE_HOME/basinlab`` (default ``~/.cache/basinlab``). In each place both the folder itself and
its usual sub-folders (``<name>/``, torchvision's ``FashionMNIST/raw`` ...) are tried. If nothing is found and
downloading is allowed (``download=True``, or unset and ``$BASINLAB_DOWNLOAD`` is not ``0``), the official
files are fetched into the cache with checksum verification.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import DataError
from .download import Resource, download_resources

__all__ = ["FILE_DATASETS", "cache_root", "search_dirs", "find_dir", "locate", "split_files", "resources_for"]

_IDX = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
FILE_DATASETS: dict[str, dict[str, tuple[str, ...]]] = {
    "fashion-mnist": _IDX,
    "mnist": _IDX,
    "cifar10": {"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)},
    "svhn": {"train": ("train_32x32.mat",), "test": ("test_32x32.mat",)},
}
_SUBDIRS = {
    "fashion-mnist": ("fashion-mnist", "fashion_mnist", "FashionMNIST/raw"),
    "mnist": ("mnist", "MNIST/raw"),
    "cifar10": ("cifar-10-batches-py", "cifar10/cifar-10-batches-py", "cifar10"),
    "svhn": ("svhn",),
}
_SYSTEM = {name: (f"/usr/share/datasets/{name}",) for name in FILE_DATASETS}
_HOW = {
    "fashion-mnist": "on Debian/Ubuntu `apt-get install dataset-fashion-mnist` (installs into "
    "/usr/share/datasets/fashion-mnist), or download the four *-ubyte.gz files from "
    "https://github.com/zalandoresearch/fashion-mnist",
    "mnist": "download the four *-ubyte.gz files from https://ossci-datasets.s3.amazonaws.com/mnist/",
    "cifar10": "download https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz and unpack it "
    "(the folder cifar-10-batches-py)",
    "svhn": "download train_32x32.mat / test_32x32.mat from http://ufldl.stanford.edu/housenumbers/",
}
_FMNIST = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
_MNIST = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
_MD5 = {
    "fashion-mnist": {
        "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
    },
    "mnist": {
        "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "svhn": {"train_32x32.mat": "e26dedcc434d2e4c54c9b2d4a06d8373", "test_32x32.mat": "eb5a983be6a315427106f1b164d9cef3"},
}


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/basinlab`` or ``~/.cache/basinlab``: where downloads go."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "basinlab"


def search_dirs(name: str, data_dir: str | Path | None = None) -> list[Path]:
    """Every folder searched for ``name``'s files, in order (duplicates removed)."""
    bases = [Path(data_dir).expanduser()] if data_dir is not None else []
    if os.environ.get("BASINLAB_DATA"):
        bases.append(Path(os.environ["BASINLAB_DATA"]).expanduser())
    bases += [Path(p) for p in _SYSTEM[name]] + [cache_root()]
    dirs: list[Path] = []
    for base in bases:
        for candidate in (base, *(base / sub for sub in _SUBDIRS[name])):
            if candidate not in dirs:
                dirs.append(candidate)
    return dirs


def split_files(name: str, directory: Path, split: str) -> list[Path] | None:
    """The files of one split in ``directory`` (IDX files may be raw or ``.gz``), or None if any is missing."""
    found = []
    for stem in FILE_DATASETS[name][split]:
        options = [directory / stem] + ([directory / f"{stem}.gz"] if FILE_DATASETS[name] is _IDX else [])
        hit = next((p for p in options if p.is_file()), None)
        if hit is None:
            return None
        found.append(hit)
    return found


def find_dir(name: str, split: str, data_dir: str | Path | None = None) -> Path | None:
    """The first searched folder holding all of ``split``'s files, or None."""
    return next((d for d in search_dirs(name, data_dir) if split_files(name, d, split) is not None), None)


def resources_for(name: str, split: str) -> tuple[Resource, ...]:
    """What to download for one split of ``name`` (official URLs and checksums)."""
    if name == "cifar10":
        url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
        return (Resource("cifar-10-python.tar.gz", (url,), "md5:c58f30108f718f92721af3b95e74349a",
                         extract="cifar-10-batches-py"),)
    if name == "svhn":
        file = FILE_DATASETS[name][split][0]
        return (Resource(file, (f"http://ufldl.stanford.edu/housenumbers/{file}",), f"md5:{_MD5[name][file]}"),)
    mirrors = (_FMNIST,) if name == "fashion-mnist" else _MNIST
    return tuple(
        Resource(f"{stem}.gz", tuple(m + f"{stem}.gz" for m in mirrors), f"md5:{_MD5[name][stem]}")
        for stem in FILE_DATASETS[name][split]
    )


def _download_allowed(download: bool | None) -> bool:
    if download is not None:
        return bool(download)
    return os.environ.get("BASINLAB_DOWNLOAD", "1").strip().lower() not in ("0", "false", "no", "off")


def locate(name: str, split: str, data_dir: str | Path | None = None, *, download: bool | None = None) -> list[Path]:
    """The paths of ``split``'s files for ``name``, downloading them into the cache if allowed.

    Raises :class:`DataError` listing every folder searched and how to get the files.
    """
    directory = find_dir(name, split, data_dir)
    if directory is not None:
        return split_files(name, directory, split)  # type: ignore[return-value]
    if _download_allowed(download):
        try:
            download_resources(resources_for(name, split), cache_root() / name)
            directory = find_dir(name, split, data_dir)
            status = "" if directory else "the download finished but the files were not where expected"
        except DataError as exc:
            status = f"Download failed: {exc}"
    else:
        status = "Downloading is off (download=False or BASINLAB_DOWNLOAD=0)."
    if directory is not None:
        return split_files(name, directory, split)  # type: ignore[return-value]
    wanted = ", ".join(s + ("[.gz]" if FILE_DATASETS[name] is _IDX else "") for s in FILE_DATASETS[name][split])
    searched = ", ".join(str(d) for d in search_dirs(name, data_dir))
    raise DataError(
        f"{name} {split} files ({wanted}) not found. Looked in: {searched}. To get them: {_HOW[name]}; put them "
        f"in one of those folders, pass data_dir (CLI: --data-dir) or set $BASINLAB_DATA. {status}".rstrip()
    )
