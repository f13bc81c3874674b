"""File readers on tiny files the tests write: IDX (raw and gzip), CIFAR-10 pickled batches, SVHN .mat;
plus the real Fashion-MNIST files when installed."""

from __future__ import annotations

import gzip
import os
import pickle
import struct

import numpy as np
import pytest
import torch

from basinlab.data import dataset_info, load_dataset, read_cifar_batch, read_idx, read_svhn, write_idx
from basinlab.errors import DataError

FASHION_DIR = "/usr/share/datasets/fashion-mnist"


@pytest.fixture(autouse=True)
def _offline(tmp_path, monkeypatch):
    monkeypatch.setenv("BASINLAB_DOWNLOAD", "0")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("BASINLAB_DATA", raising=False)


def _idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    """An IDX file written by hand from the format description (independent of write_idx)."""
    header = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", s) for s in array.shape)
    return header + array.astype(">u1" if code == 0x08 else ">i4").tobytes()


@pytest.mark.parametrize("compress", [False, True])
def test_idx_reads_hand_written_files(tmp_path, compress):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    payload = _idx_bytes(images)
    path = tmp_path / ("x.idx.gz" if compress else "x.idx")  # gzip is detected by content, not name
    path.write_bytes(gzip.compress(payload) if compress else payload)
    out = read_idx(path, ndim=3)
    assert out.dtype == np.uint8 and np.array_equal(out, images)
    ints = np.array([-5, 70000, 3], dtype=np.int32)
    (tmp_path / "i.idx").write_bytes(_idx_bytes(ints, code=0x0C))
    assert np.array_equal(read_idx(tmp_path / "i.idx"), ints)
    write_idx(tmp_path / "w.gz", images)  # the writer agrees with the hand-made format
    assert gzip.decompress((tmp_path / "w.gz").read_bytes()) == payload


def test_idx_bad_files_raise_data_error_naming_the_file(tmp_path):
    good = _idx_bytes(np.zeros((3, 28, 28), dtype=np.uint8))
    cases = {
        "magic.idx": (b"\x08\x03" + good[2:], "not an IDX file: magic bytes 0803"),
        "type.idx": (good[:2] + b"\x42" + good[3:], "not an IDX file"),
        "short.idx": (good[:-1], "is truncated: 2367 bytes for shape \\(3, 28, 28\\), expected 2368"),  # 16-byte header + 3 * 784
        "long.idx": (good + b"\x00", "longer than its header says"),
        "header.idx": (good[:9], "truncated inside its header"),
        "empty.idx": (b"", "magic bytes \\(empty\\)"),
        "cut.gz": (gzip.compress(good)[:-20], "corrupt or truncated gzip"),
    }
    for name, (blob, pattern) in cases.items():
        (tmp_path / name).write_bytes(blob)
        with pytest.raises(DataError, match=pattern) as info:
            read_idx(tmp_path / name, ndim=3)
        assert str(tmp_path / name) in str(info.value)
    (tmp_path / "ok.idx").write_bytes(good)
    with pytest.raises(DataError, match="has 3 dimensions; expected 1"):
        read_idx(tmp_path / "ok.idx", ndim=1)
    with pytest.raises(DataError, match=r"shape \(3, 28, 28\); expected \(None, 32, 32\)"):
        read_idx(tmp_path / "ok.idx", shape=(None, 32, 32))


def test_mnist_with_mismatched_lengths_is_refused(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((5, 28, 28), dtype=np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(4, dtype=np.uint8))
    with pytest.raises(DataError, match="has 5 images, .*train-labels-idx1-ubyte 4 labels"):
        load_dataset("mnist", data_dir=tmp_path)


# --- CIFAR-10 -----------------------------------------------------------------------------------------------


def _cifar_batch(n: int, first_label: int) -> tuple[dict, np.ndarray]:
    data = np.random.default_rng(first_label).integers(0, 256, size=(n, 3072), dtype=np.uint8)
    labels = [(first_label + i) % 10 for i in range(n)]
    batch = {b"batch_label": b"training batch", b"labels": labels, b"data": data,
             b"filenames": [f"img_{i}.png".encode() for i in range(n)]}
    return batch, data


def _write_cifar(directory, per_batch: int = 4):
    directory.mkdir(parents=True, exist_ok=True)
    datas = []
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        batch, data = _cifar_batch(per_batch, i)
        (directory / name).write_bytes(pickle.dumps(batch, protocol=2))  # CIFAR's own files are protocol 2
        datas.append(data)
    return datas


def test_cifar_batches_load_in_channel_first_order(tmp_path):
    datas = _write_cifar(tmp_path / "cifar-10-batches-py")
    train = load_dataset("cifar10", data_dir=tmp_path, seed=0)  # found in the usual sub-folder
    test = load_dataset("cifar10", split="test", data_dir=tmp_path)
    assert train.inputs.shape == (20, 3, 32, 32) and len(test) == 4 and train.num_classes == 10
    images, labels = read_cifar_batch(tmp_path / "cifar-10-batches-py" / "data_batch_2")
    # row layout: 1024 red values, then green, then blue, each 32 x 32 row-major
    assert images[1, 1, 2, 5] == datas[1][1, 1024 + 2 * 32 + 5]
    assert labels.tolist() == [1, 2, 3, 4]
    all_train = torch.from_numpy(np.concatenate(datas[:5]).reshape(-1, 3, 32, 32)).float() / 255
    assert {tuple(r) for r in train.inputs.reshape(20, -1).tolist()} == {tuple(r) for r in all_train.reshape(20, -1).tolist()}


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_cifar_reader_refuses_a_pickle_that_would_run_code(tmp_path):
    marker = tmp_path / "pwned"
    batch, _ = _cifar_batch(2, 0)
    batch[b"labels"] = _RunsCode(marker)
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps(batch, protocol=2))
    with pytest.raises(DataError, match=r"refusing to load .*data_batch_1: it references the global (posix|nt)\.system"):
        read_cifar_batch(path)
    assert not marker.exists()
    path.write_bytes(pickle.dumps({b"data": eval}, protocol=2))
    with pytest.raises(DataError, match=r"(__builtin__|builtins)\.eval"):
        read_cifar_batch(path)


def test_cifar_reader_refuses_object_arrays_and_wrong_layouts(tmp_path):
    path = tmp_path / "batch"
    path.write_bytes(pickle.dumps({b"data": np.array([1, "x"], dtype=object), b"labels": [0, 1]}, protocol=2))
    with pytest.raises(DataError, match="array of Python objects"):
        read_cifar_batch(path)
    path.write_bytes(pickle.dumps({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}, protocol=2))
    with pytest.raises(DataError, match=r"shape \(N, 3072\); got uint8 \(2, 100\)"):
        read_cifar_batch(path)
    path.write_bytes(pickle.dumps({b"data": np.zeros((2, 3072), np.uint8)}, protocol=2))
    with pytest.raises(DataError, match="lacks 'labels'"):
        read_cifar_batch(path)
    path.write_bytes(b"\x80\x02}q\x00(")  # truncated pickle
    with pytest.raises(DataError, match="not a readable CIFAR-10 batch"):
        read_cifar_batch(path)


# --- SVHN ---------------------------------------------------------------------------------------------------


def test_svhn_mat_files(tmp_path):
    from scipy.io import savemat

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(32, 32, 3, 6), dtype=np.uint8)
    y = np.array([[10], [1], [2], [9], [10], [5]], dtype=np.uint8)
    savemat(tmp_path / "train_32x32.mat", {"X": x, "y": y})
    images, labels = read_svhn(tmp_path / "train_32x32.mat")
    assert images.shape == (6, 3, 32, 32)
    assert images[4, 2, 7, 1] == x[7, 1, 2, 4]  # (H, W, C, N) -> (N, C, H, W)
    assert labels.tolist() == [0, 1, 2, 9, 0, 5]  # label 10 means the digit 0
    data = load_dataset("svhn", data_dir=tmp_path)
    assert data.inputs.shape == (6, 3, 32, 32) and 0.0 <= data.inputs.min() and data.inputs.max() <= 1.0
    savemat(tmp_path / "test_32x32.mat", {"X": x[:, :, :2], "y": y})
    with pytest.raises(DataError, match=r"'X' must have shape \(32, 32, 3, N\)"):
        read_svhn(tmp_path / "test_32x32.mat")
    (tmp_path / "bad.mat").write_bytes(b"not a mat file at all" * 10)
    with pytest.raises(DataError, match="bad.mat is not a readable MATLAB file"):
        read_svhn(tmp_path / "bad.mat")


# --- the real Fashion-MNIST ---------------------------------------------------------------------------------


@pytest.mark.skipif(not os.path.isdir(FASHION_DIR), reason=f"Fashion-MNIST not installed in {FASHION_DIR} "
                    "(apt-get install dataset-fashion-mnist)")
def test_real_fashion_mnist():
    train = load_dataset("fashion-mnist", size=0.001, seed=0)
    assert train.inputs.shape == (60, 1, 28, 28)
    full = load_dataset("fashion-mnist", split="test")
    assert full.inputs.shape == (10000, 1, 28, 28) and full.inputs.min() == 0 and full.inputs.max() == 1
    assert np.bincount(full.targets.numpy()).tolist() == [1000] * 10  # the published test set is balanced
    labels = read_idx(os.path.join(FASHION_DIR, "train-labels-idx1-ubyte.gz"), ndim=1)
    assert labels.shape == (60000,) and np.bincount(labels).tolist() == [6000] * 10
    assert read_idx(os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz"), ndim=3).shape == (60000, 28, 28)
    assert dataset_info("fashion-mnist") == {"input_shape": (1, 28, 28), "num_classes": 10, "train_size": 60000,
                                             "test_size": 10000}
