"""Model specs, presets, builders: parameter counts from closed forms, structure, seeding, errors."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from basinlab.errors import ConfigError
from basinlab.models import PRESETS, ModelSpec, build_model, count_parameters, model_preset


def mlp_params(sizes):
    """Weights + biases of a chain of Linear layers with these widths."""
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


def test_fashion_mlp_has_exactly_235146_parameters():
    model = build_model(model_preset("mlp", (1, 28, 28), 10), seed=0)
    # 784*256+256 + 256*128+128 + 128*10+10, written out independently of the builder
    assert 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10 == 235_146
    assert count_parameters(model) == 235_146


@pytest.mark.parametrize("name, shape, classes", [
    ("mlp-deep", (1, 28, 28), 10), ("mlp-cifar", (3, 32, 32), 10), ("mlp-swiss", (2,), 2),
    ("mlp-swiss-large", (2,), 2), ("mlp-modular", (194,), 97),
])
def test_mlp_presets_match_closed_form(name, shape, classes):
    spec = model_preset(name, shape, classes)
    inputs = 1
    for s in shape:
        inputs *= s
    assert count_parameters(build_model(spec, seed=0)) == mlp_params([inputs, *spec.hidden, classes])


def test_preset_widths_follow_method():
    assert PRESETS["mlp"][1] == (256, 128)
    assert PRESETS["mlp-deep"][1] == (256, 256, 128)
    assert PRESETS["mlp-cifar"][1] == (512, 256)
    assert PRESETS["mlp-swiss"][1] == (32,) * 5 and PRESETS["mlp-swiss-large"][1] == (32,) * 6
    assert model_preset("mlp-modular", (194,), 97, width=512).hidden == (512,)


def test_mlp_is_flat_sequential_with_dropout_modules():
    model = build_model(ModelSpec("mlp", (4,), 3, hidden=(5, 6), dropout=0.25), seed=0)
    kinds = [type(m) for m in model]
    assert kinds == [nn.Flatten, nn.Linear, nn.ReLU, nn.Dropout, nn.Linear, nn.ReLU, nn.Dropout, nn.Linear]
    assert all(m.p == 0.25 for m in model if isinstance(m, nn.Dropout))


def test_cnn_for_28_and_32_pixels():
    small = build_model(model_preset("cnn", (1, 28, 28), 10), seed=0)
    # conv 1->32 3x3, conv 32->64 3x3, linear 64*7*7 -> 10
    assert count_parameters(small) == (9 * 32 + 32) + (32 * 9 * 64 + 64) + (64 * 7 * 7 * 10 + 10)
    assert isinstance(small, nn.Sequential) and isinstance(small[-2], nn.Flatten)
    assert small(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    cifar = build_model(model_preset("cnn-cifar", (3, 32, 32), 10), seed=0)
    assert cifar(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert [type(m) for m in cifar][:3] == [nn.Conv2d, nn.ReLU, nn.MaxPool2d]


def test_init_depends_on_seed_only_and_leaves_global_rng_alone():
    spec = model_preset("mlp-swiss", (2,), 2)
    before = torch.get_rng_state()
    a, b, c = build_model(spec, seed=3), build_model(spec, seed=3), build_model(spec, seed=4)
    assert torch.equal(before, torch.get_rng_state())
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)
    assert not torch.equal(a[1].weight, c[1].weight)


def test_spec_json_round_trip():
    spec = ModelSpec("cnn", (3, 32, 32), 10, hidden=(8, 16), dropout=0.1, options={"fc": [32], "kernel_size": 5})
    again = ModelSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec and hash(again) == hash(spec)
    built = build_model(spec.to_dict(), seed=0)
    assert built(torch.zeros(1, 3, 32, 32)).shape == (1, 10)


@pytest.mark.parametrize("kwargs, match", [
    ({"kind": "rnn"}, "model kind 'rnn' is unknown; use 'mlp', 'cnn' or module:callable"),
    ({"dropout": 1.0}, r"dropout must be a probability in \[0, 1\)"),
    ({"hidden": (0,)}, "hidden must be a sequence of positive integers"),
    ({"num_classes": 0}, "num_classes must be a positive integer"),
    ({"options": {"fc": (3,)}}, r"option\(s\) \['fc'\] are unknown for kind 'mlp'"),
    ({"kind": "cnn", "input_shape": (784,)}, r"needs input_shape \(channels, height, width\)"),
    ({"kind": "cnn", "input_shape": (1, 8, 8), "hidden": (4, 4, 4, 4)}, "at least 16 pixels"),
    ({"kind": "cnn", "input_shape": (1, 8, 8), "options": {"kernel_size": 4}}, "kernel_size must be an odd"),
])
def test_bad_specs_are_refused_with_clear_messages(kwargs, match):
    values = {"kind": "mlp", "input_shape": (4,), "num_classes": 3, **kwargs}
    with pytest.raises(ConfigError, match=match):
        ModelSpec(**values)


def test_bad_preset_and_dict_keys():
    with pytest.raises(ConfigError, match="model preset 'resnet' is unknown"):
        model_preset("resnet", (2,), 2)
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['depth'\]"):
        ModelSpec.from_dict({"kind": "mlp", "input_shape": [2], "num_classes": 2, "depth": 3})
    with pytest.raises(ConfigError, match=r"missing key\(s\) \['num_classes'\]"):
        ModelSpec.from_dict({"kind": "mlp", "input_shape": [2]})
