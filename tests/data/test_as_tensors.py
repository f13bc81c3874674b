"""One data rule (``as_tensors``) for train, measure_volume and the measures: every accepted form gives the
same tensors, anything else a one-line error; a user's nn.Module on numpy arrays gets a volume."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data import Dataset as TorchDataset

from basinlab import as_tensors, measure_volume
from basinlab.errors import DataError
from basinlab.train import TrainConfig, train


class Pairs(TorchDataset):
    """A map-style Dataset returning (numpy x, int y) items, as a user's might."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int):
        return self.x[i], int(self.y[i])


@pytest.fixture(scope="module")
def arrays():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(150, 4)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int32) + (x[:, 2] > 1).astype(np.int32)
    return x, y


def test_every_accepted_form_gives_the_same_tensors(arrays):
    x, y = arrays
    from basinlab.data import Dataset, DatasetSpec

    tx, ty = torch.from_numpy(x), torch.from_numpy(y).long()
    forms = {
        "arrays": (x, y), "tensors": (tx, ty), "pair": ((x, y),), "list pair": ([tx, ty],),
        "TensorDataset": (TensorDataset(tx, ty),), "map-style Dataset": (Pairs(x, y),),
        "DataLoader": (DataLoader(TensorDataset(tx, ty), batch_size=32),),
        "DataLoader of a map-style Dataset": (DataLoader(Pairs(x, y), batch_size=7),),
        "basinlab Dataset": (Dataset(tx, ty, 3, DatasetSpec("swiss-roll")),),
    }
    for name, args in forms.items():
        gx, gy = as_tensors(*args)
        assert torch.equal(gx, tx), name
        assert torch.equal(gy, ty) and gy.dtype == torch.int64, name  # int32 labels become int64


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (({"x": 1},), "data must be torch tensors or numpy arrays.*got dict"),
        ((np.zeros((3, 2)),), "inputs were given without targets"),
        (((np.zeros((3, 2)), np.zeros(2)),), "3 inputs but targets of shape \\(2,\\)"),
        ((np.zeros((0, 2)), np.zeros(0)), "data is empty"),
        ((np.array([["a"]], dtype=object), np.zeros(1)), "numpy array of dtype object"),
        (((1, 2, 3),), "data must yield \\(inputs, targets\\) pairs; got a 3-item tuple"),
        ((DataLoader(TensorDataset(torch.zeros(0, 2), torch.zeros(0)), batch_size=2),), "empty DataLoader"),
        ((TensorDataset(torch.zeros(3, 2)),), "TensorDataset of 1 tensors"),
        ((iter([(torch.zeros(2), 1)]),), "got list_iterator"),
    ],
)
def test_anything_else_is_a_one_line_error(args, match):
    with pytest.raises(DataError, match=match) as info:
        as_tensors(*args)
    assert "\n" not in str(info.value)


def _user_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))


def test_volume_of_a_user_module_on_numpy_arrays(arrays):
    x, y = arrays
    model = _user_model()
    train(model, (x, y), TrainConfig(epochs=60, lr=0.02, seed=0))  # numpy arrays, labels 0..2
    # --- user code: 2 lines ---
    result = measure_volume(model, x, y, thresholds=[0.5], directions=16, seed=0)
    print(result)
    # --- end of user code ---
    same = measure_volume(model, torch.from_numpy(x), torch.from_numpy(y).long(), thresholds=[0.5], directions=16)
    assert np.array_equal(result.radii, same.radii) and result.radii.shape == (16, 1, 1)
    assert np.isfinite(result.log_volume()) and result.centre_loss[0] < 0.5
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=50)
    assert np.array_equal(measure_volume(model, loader, thresholds=[0.5], directions=16).radii, result.radii)
    text = repr(result)
    assert len(text) < 600 and "16 directions" in text and f"{result.log_volume():.6g}" in text
    html = result._repr_html_()
    assert html.startswith("<div>") and "<table>" in html and f"{result.log_volume():.6g}" in html


def test_compact_repr_of_many_directions_and_rows():
    from basinlab.volume import VolumeResult

    k, t, l_ = 64, 5, 4
    rng = np.random.default_rng(1)
    result = VolumeResult(radii=rng.uniform(0.5, 2, (k, t, l_)), censored=np.zeros((k, t, l_), bool),
                          seeds=np.arange(k), thresholds=np.linspace(0.1, 0.5, t), landscapes=np.array([10, 20, 40, 80]),
                          centre_loss=np.array([0.01, 0.02, 0.2, 0.3]), norms=np.ones(k), n_params=1000)
    text = repr(result)
    assert len(text) < 1500 and text.count("\n") == 2 + 12  # headline, header, 12 rows, "more" line
    assert "8 more rows" in text and "centre above" in text  # τ = 0.1 < centre loss 0.2 of landscape 40


def test_train_on_a_dataloader_equals_train_on_arrays(arrays):
    x, y = arrays
    a, b = _user_model(), _user_model()
    config = TrainConfig(epochs=3, lr=0.01, batch_size=32, seed=1)
    ra = train(a, (x, y), config, test=(x[:50], y[:50]))
    rb = train(b, DataLoader(Pairs(x, y), batch_size=10), config, test=Pairs(x[:50], y[:50]))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert ra.final["test_acc"] == rb.final["test_acc"] and ra.final["train_loss"] == rb.final["train_loss"]
