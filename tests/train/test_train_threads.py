"""Training gives the same bits on any thread count, and they are plain autograd's one-thread bits."""

from __future__ import annotations

import pytest
import torch

from basinlab.data.dataset import Dataset, DatasetSpec
from basinlab.models import ModelSpec, build_model
from basinlab.train import TrainConfig, train
from basinlab.train.evaluate import batch_loss
from basinlab.train.threads import aligned, exact_threads


def images(n: int, seed: int = 0) -> Dataset:
    """``n`` random 'images' of 200 features, 10 classes: wide enough for multi-threaded GEMMs."""
    g = torch.Generator().manual_seed(seed)
    return Dataset(torch.randn(n, 200, generator=g), torch.randint(0, 10, (n,), generator=g), 10,
                   DatasetSpec("digits", seed=seed))


def model(seed: int = 0, dropout: float = 0.0):
    return build_model(ModelSpec("mlp", (200,), 10, hidden=(256, 128), dropout=dropout), seed=seed)


def weights(m):
    return [p.detach().clone() for p in m.parameters()]


def plain_one_thread(data: Dataset, config: TrainConfig, m) -> list[torch.Tensor]:
    """The reference: full-batch AdamW through plain autograd on one thread (what a task ran before)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        opt = torch.optim.AdamW(m.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        for _ in range(config.epochs):
            batch_loss(m(data.inputs), data.targets, config.loss).backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
    finally:
        torch.set_num_threads(previous)
    return weights(m)


@pytest.mark.parametrize("n", [60, 320, 700])
def test_full_batch_training_is_plain_autograd_on_one_thread_at_any_thread_count(n):
    data, config = images(n), TrainConfig(epochs=6, batch_size=None, seed=0, lr=1e-3, weight_decay=0.01)
    reference = plain_one_thread(data, config, model())
    previous = torch.get_num_threads()
    try:
        for threads in (1, 2, 3):
            torch.set_num_threads(threads)
            m = model()
            train(m, data, config)
            got = weights(m)
            assert all(torch.equal(a, b) for a, b in zip(reference, got, strict=True)), f"{threads} threads"
            assert torch.get_num_threads() == threads   # the caller's setting is restored
    finally:
        torch.set_num_threads(previous)


def test_minibatch_dropout_sam_and_history_agree_across_thread_counts():
    data = images(700, seed=1)   # batches of 320 rows: a first layer above MIN_PARALLEL_FLOPS, then one of 60 below
    config = TrainConfig(epochs=3, batch_size=320, seed=3, sam_rho=0.05, eval_every=1)
    runs = []
    previous = torch.get_num_threads()
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            m = model(seed=2, dropout=0.1)
            result = train(m, data, config, test=images(500, seed=2))
            runs.append((weights(m), [(h["train_loss"], h["test_loss"]) for h in result.history]))
    finally:
        torch.set_num_threads(previous)
    (w1, h1), (w2, h2) = runs
    assert all(torch.equal(a, b) for a, b in zip(w1, w2, strict=True))
    assert h1 == h2


def test_exact_threads_runs_other_operations_on_one_thread_and_restores():
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with exact_threads() as forward:
            assert torch.get_num_threads() == 1
            with forward():
                out = torch.nn.functional.linear(torch.randn(5, 3), torch.randn(4, 3))
            assert out.shape == (5, 4) and torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)


def test_aligned_copies_only_misaligned_or_strided_inputs():
    buffer = torch.randn(50 * 200 + 8)
    view = buffer[8:].view(50, 200)                 # starts 32 bytes into a 64-byte line
    assert view.data_ptr() % 64 != 0
    copy = aligned(view)
    assert copy.data_ptr() % 64 == 0 and torch.equal(copy, view)
    fresh = torch.randn(50, 200)
    assert aligned(fresh) is fresh
    strided = fresh.t()
    assert aligned(strided).is_contiguous() and torch.equal(aligned(strided), strided)


def test_training_on_a_misaligned_view_of_the_data_is_plain_autograd_on_one_thread(monkeypatch):
    """A prefix of a larger image buffer (as nested datasets are) starts mid-line; training copies it to aligned
    memory so its first layer is offered to every thread, and the bits stay the one-thread bits."""
    from basinlab.train import threads

    offered = []
    probe = threads._probe
    monkeypatch.setattr(threads, "_probe", lambda op, n, i, o, *a: offered.append((op, n, i)) or probe(op, n, i, o, *a))
    data = images(400, seed=4)
    buffer = torch.empty(data.inputs.numel() + 8)
    view = buffer[8:].view_as(data.inputs)
    view.copy_(data.inputs)
    shifted = Dataset(view, data.targets, 10, data.spec)
    config = TrainConfig(epochs=4, batch_size=None, seed=0)
    reference = plain_one_thread(data, config, model(seed=5))
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        m = model(seed=5)
        train(m, shifted, config)
    finally:
        torch.set_num_threads(previous)
    assert all(torch.equal(a, b) for a, b in zip(reference, weights(m), strict=True))
    assert ("forward", 400, 200) in offered and ("weight", 400, 200) in offered   # the first layer's GEMMs


@pytest.mark.parametrize("options", [
    {"optimizer": "adamw", "weight_decay": 0.01},
    {"optimizer": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 5e-4},
    {"optimizer": "sgd", "lr": 0.05, "momentum": 0.0, "weight_decay": 0.0},
])
def test_the_optimiser_step_has_the_bits_of_torchs_per_tensor_loop(options):
    """make_optimizer asks for torch's foreach implementation (fewer calls per step); it must round exactly as the
    per-tensor loop torch uses by default on the CPU, so models trained before and after are the same."""
    from basinlab.train.loop import make_optimizer

    config = TrainConfig(epochs=1, batch_size=None, **options)
    data = images(60)
    got, ref = model(), model()
    opt = make_optimizer(got, config)
    assert opt.defaults["foreach"] is True
    kind = torch.optim.AdamW if config.optimizer == "adamw" else torch.optim.SGD
    extra = ({"betas": config.betas, "eps": config.eps} if config.optimizer == "adamw" else
             {"momentum": config.momentum, "nesterov": config.nesterov})
    loop = kind(ref.parameters(), lr=config.lr, weight_decay=config.weight_decay, foreach=False, **extra)
    for m, o in ((got, opt), (ref, loop)):
        for _ in range(25):
            batch_loss(m(data.inputs), data.targets, config.loss).backward()
            o.step()
            o.zero_grad(set_to_none=True)
    assert all(torch.equal(a, b) for a, b in zip(weights(ref), weights(got), strict=True))


def test_small_layers_and_one_thread_use_autograds_own_linear(monkeypatch):
    """Only a GEMM that may run on several threads goes through the exact-threads layer: on one thread, and for
    layers below MIN_PARALLEL_FLOPS, autograd's own F.linear runs (same bits, none of the layer's Python costs)."""
    from basinlab.train import threads as exact

    calls = []
    original = exact._Linear.apply
    monkeypatch.setattr(exact._Linear, "apply", lambda *a: calls.append(a[0].shape) or original(*a))
    small, wide = images(320), images(700)         # 320 × 256 × 128 is below the threshold; 700 × 256 × 128 is not
    config = TrainConfig(epochs=2, batch_size=None, seed=0)
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        train(model(), wide, config)
        assert calls == []                          # one thread: no layer is intercepted
        torch.set_num_threads(2)
        train(model(), small, config)
        assert {shape[1] for shape in calls} == {200}  # only the first layer (2 × 320 × 200 × 256 = 32.8 MFLOP)
        calls.clear()
        train(model(), wide, config)
        assert {shape[1] for shape in calls} == {200, 256}  # 700 × 128 × 10 (1.8 MFLOP) stays autograd's
    finally:
        torch.set_num_threads(previous)
