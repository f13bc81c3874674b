"""Where files are looked for, the message when they are missing, and checksummed downloads from a local
HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import pickle
import tarfile
import threading

import numpy as np
import pytest

import basinlab.data.locate as locate_module
from basinlab.data import Resource, available_datasets, download_file, load_dataset, search_dirs, write_idx
from basinlab.errors import DataError


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("BASINLAB_DOWNLOAD", "0")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("BASINLAB_DATA", raising=False)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture()
def server(tmp_path):
    """Serve tmp_path/'served' on 127.0.0.1; yields (folder, base URL)."""
    folder = tmp_path / "served"
    folder.mkdir()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=folder))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _write_mnist(folder, n=30, gz=True):
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if gz else ""
    for stem, n_rows in (("train", n), ("t10k", 10)):
        write_idx(folder / f"{stem}-images-idx3-ubyte{suffix}", np.full((n_rows, 28, 28), 7, dtype=np.uint8))
        write_idx(folder / f"{stem}-labels-idx1-ubyte{suffix}", np.arange(n_rows, dtype=np.uint8) % 10)


def test_download_verifies_md5_and_sha256(server, tmp_path):
    folder, base = server
    blob = b"basinlab" * 1000
    (folder / "file.bin").write_bytes(blob)
    for checksum in ("md5:" + hashlib.md5(blob).hexdigest(), "sha256:" + hashlib.sha256(blob).hexdigest()):
        target = tmp_path / "out" / checksum[:3] / "file.bin"
        download_file(base + "file.bin", target, checksum)
        assert target.read_bytes() == blob
        assert [p.name for p in target.parent.iterdir()] == ["file.bin"]  # no temp file left behind


def test_download_with_a_wrong_checksum_leaves_nothing(server, tmp_path):
    folder, base = server
    (folder / "file.bin").write_bytes(b"tampered")
    target = tmp_path / "out" / "file.bin"
    with pytest.raises(DataError, match=r"has sha256 [0-9a-f]{64}, expected 00+; the file was discarded"):
        download_file(base + "file.bin", target, "sha256:" + "0" * 64)
    assert list(target.parent.iterdir()) == []
    with pytest.raises(DataError, match=r"could not download http://127\.0\.0\.1:\d+/missing\.bin"):
        download_file(base + "missing.bin", target, "md5:" + "0" * 32)
    with pytest.raises(DataError, match="must look like 'md5:<hex>'"):
        download_file(base + "file.bin", target, "crc32:1234")


def test_missing_dataset_is_downloaded_into_the_cache(server, tmp_path, monkeypatch):
    folder, base = server
    _write_mnist(folder)
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}

    def local_resources(name, split):
        stems = locate_module.FILE_DATASETS[name][split]
        return tuple(Resource(f"{s}.gz", (base + "nothing-here/" + s, base + f"{s}.gz"), "sha256:" + digests[f"{s}.gz"])
                     for s in stems)

    monkeypatch.setattr(locate_module, "resources_for", local_resources)
    monkeypatch.setitem(locate_module._SYSTEM, "mnist", (str(tmp_path / "no-system-copy"),))
    data = load_dataset("mnist", download=True)  # the first URL 404s, the mirror works
    assert len(data) == 30
    cached = tmp_path / "cache" / "basinlab" / "mnist"
    assert sorted(p.name for p in cached.iterdir()) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    assert len(load_dataset("mnist", download=False)) == 30  # now found offline, in the cache


def test_cifar_archive_is_downloaded_and_unpacked(server, tmp_path, monkeypatch):
    folder, base = server
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]:
            payload = pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [3, 4]}, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    (folder / "cifar.tgz").write_bytes(buffer.getvalue())
    resource = Resource("cifar-10-python.tar.gz", (base + "cifar.tgz",),
                        "md5:" + hashlib.md5(buffer.getvalue()).hexdigest(), extract="cifar-10-batches-py")
    monkeypatch.setattr(locate_module, "resources_for", lambda name, split: (resource,))
    monkeypatch.setitem(locate_module._SYSTEM, "cifar10", (str(tmp_path / "no-system-copy"),))
    data = load_dataset("cifar10", split="test", download=True)
    assert data.inputs.shape == (2, 3, 32, 32) and sorted(data.targets.tolist()) == [3, 4]
    assert (tmp_path / "cache" / "basinlab" / "cifar10" / "cifar-10-batches-py" / "test_batch").is_file()


def test_missing_files_message_lists_every_place_and_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("BASINLAB_DATA", str(tmp_path / "env-data"))
    monkeypatch.setitem(locate_module._SYSTEM, "fashion-mnist", (str(tmp_path / "system"),))
    with pytest.raises(DataError) as info:
        load_dataset("fashion-mnist", data_dir=tmp_path / "explicit")
    message = str(info.value)
    places = [tmp_path / "explicit", tmp_path / "env-data", tmp_path / "system", tmp_path / "cache" / "basinlab"]
    positions = [message.index(str(p) + ",") for p in places]
    assert positions == sorted(positions)  # listed in search order
    assert "train-images-idx3-ubyte[.gz]" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "Downloading is off" in message
    with pytest.raises(DataError, match=r"svhn test files \(test_32x32.mat\) not found.*ufldl.stanford.edu"):
        load_dataset("svhn", split="test", data_dir=tmp_path)


def test_search_order_explicit_dir_then_environment(tmp_path, monkeypatch):
    _write_mnist(tmp_path / "explicit", n=12, gz=False)
    _write_mnist(tmp_path / "env" / "mnist", n=21)  # found through the <name>/ sub-folder
    monkeypatch.setenv("BASINLAB_DATA", str(tmp_path / "env"))
    assert len(load_dataset("mnist", data_dir=tmp_path / "explicit")) == 12
    assert len(load_dataset("mnist")) == 21
    dirs = search_dirs("mnist", tmp_path / "explicit")
    assert dirs[0] == tmp_path / "explicit" and tmp_path / "env" / "mnist" in dirs
    found = available_datasets(tmp_path / "explicit")
    assert found["mnist"] == tmp_path / "explicit" and found["modular"] is True
