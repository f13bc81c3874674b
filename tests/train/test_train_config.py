"""TrainConfig validation and round trip; learning-rate schedules at chosen epochs."""

from __future__ import annotations

import json
import math

import pytest

from basinlab.errors import ConfigError
from basinlab.models import build_model, model_preset
from basinlab.train import TrainConfig, lr_at, train


def test_defaults_are_pytorch_adamw_defaults():
    c = TrainConfig()
    assert (c.optimizer, c.lr, c.weight_decay, c.betas, c.eps) == ("adamw", 1e-3, 0.01, (0.9, 0.999), 1e-8)


def test_json_round_trip():
    c = TrainConfig(optimizer="sgd", momentum=0.9, nesterov=True, sam_rho=0.05, sam_adaptive=True, batch_size=None,
                    epochs=7, stop_loss=0.01, schedule="cosine", warmup_epochs=2, swa_start=5,
                    checkpoint_epochs=(5, 0, 5, 2), loss="mse", seed=3)
    again = TrainConfig.from_dict(json.loads(c.to_json()))
    assert again == c and again.checkpoint_epochs == (0, 2, 5)


@pytest.mark.parametrize("kwargs, match", [
    ({"optimizer": "adam"}, r"optimizer='adam' is invalid; use 'adamw' or 'sgd'"),
    ({"schedule": "linear"}, r"schedule='linear' is invalid; use 'constant', 'step' or 'cosine'"),
    ({"loss": "nll"}, r"loss='nll' is invalid; use 'cross_entropy' or 'mse'"),
    # lr = 0 and lr = -1 fail the same rule and say so in the same words (issue 12 item 6)
    ({"lr": -1.0}, r"^train config lr=-1.0 is invalid; use a finite number > 0$"),
    ({"lr": 0}, r"^train config lr=0 is invalid; use a finite number > 0$"),
    ({"lr": math.inf}, r"lr=inf is invalid; use a finite number > 0"),
    ({"eps": 0.0}, r"eps=0.0 is invalid; use a finite number > 0"),
    ({"weight_decay": math.nan}, r"weight_decay=nan is invalid; use a finite number >= 0"),
    ({"batch_size": 0}, "batch_size=0 is invalid; use an integer >= 1, or None for full batch"),
    ({"epochs": 0}, "epochs=0 is invalid"),
    ({"stop_loss": 0.0}, "stop_loss=0.0 is invalid"),
    ({"stop_loss": math.nan}, r"stop_loss=nan is invalid; use a finite number > 0, or None"),  # issue 12 item 6
    ({"stop_loss": math.inf}, r"stop_loss=inf is invalid"),
    ({"swa_lr": math.nan}, r"swa_lr=nan is invalid"),
    ({"sam_adaptive": True}, r"sam_adaptive=True \(ASAM\) needs sam_rho > 0"),
    ({"checkpoint_epochs": 5}, r"checkpoint_epochs=5 is invalid; use a list of epoch numbers >= 0"),
    ({"warmup_epochs": 10, "epochs": 10}, r"warmup_epochs=10 is invalid; use an integer in \[0, epochs=10\)"),
    ({"swa_start": 11, "epochs": 10}, "swa_start=11 is invalid"),
    ({"checkpoint_epochs": (3, 12), "epochs": 10}, r"checkpoint_epochs=\(3, 12\) is invalid"),
    ({"nesterov": True}, "nesterov=True needs optimizer='sgd' and momentum > 0"),
    ({"betas": (0.9,)}, "betas=.* is invalid; use two numbers"),
])
def test_bad_values_name_the_field_and_the_choices(kwargs, match):
    with pytest.raises(ConfigError, match=match) as caught:
        TrainConfig(**kwargs)
    assert caught.value.field in kwargs  # the field at fault, for callers that name it their own way (specs)


def test_unknown_key_in_dict():
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['learning_rate'\]"):
        TrainConfig.from_dict({"learning_rate": 0.1})


def test_step_schedule_values():
    c = TrainConfig(lr=0.1, schedule="step", step_size=30, step_gamma=0.1, epochs=100)
    assert [lr_at(c, e) for e in (0, 29, 30, 59, 60)] == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001])


def test_warmup_cosine_values():
    c = TrainConfig(lr=0.2, schedule="cosine", warmup_epochs=4, epochs=14)
    assert lr_at(c, 0) == pytest.approx(0.05)       # (0 + 1) / 4 of the peak
    assert lr_at(c, 3) == pytest.approx(0.2)        # end of warm-up
    assert lr_at(c, 4) == pytest.approx(0.2)        # cosine starts at the peak
    assert lr_at(c, 9) == pytest.approx(0.1)        # half way through 10 decay epochs: cos(pi/2) = 0
    assert lr_at(c, 13) == pytest.approx(0.2 * 0.5 * (1 + math.cos(math.pi * 9 / 10)))
    assert lr_at(TrainConfig(lr=0.3), 50) == 0.3


def test_swa_lr_replaces_schedule_from_swa_start():
    c = TrainConfig(lr=0.1, schedule="cosine", epochs=10, swa_start=6, swa_lr=0.02)
    assert lr_at(c, 4) != 0.02 and lr_at(c, 5) == 0.02 and lr_at(c, 9) == 0.02


def test_train_uses_the_schedule(make_blobs):
    data = make_blobs(n=30)
    model = build_model(model_preset("mlp", (4,), 3, hidden=(8,)), seed=0)
    c = TrainConfig(lr=0.01, schedule="step", step_size=2, step_gamma=0.5, epochs=5, batch_size=10)
    history = train(model, data, c).history
    assert [h["lr"] for h in history] == pytest.approx([0.01, 0.01, 0.005, 0.005, 0.0025])


def test_asam_needs_a_positive_rho():
    import pytest

    from basinlab.errors import ConfigError

    with pytest.raises(ConfigError, match=r"sam_adaptive=True \(ASAM\) needs sam_rho > 0"):
        TrainConfig(sam_adaptive=True, sam_rho=0)
    assert TrainConfig(sam_adaptive=True, sam_rho=0.5).sam_adaptive


def test_losses_are_defined_once():
    from basinlab.measures import base
    from basinlab.train import config

    assert base.LOSSES is config.LOSSES
