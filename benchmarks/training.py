"""Training benchmark: basinlab.train throughput vs a hand-written loop, and Fashion-MNIST test accuracy.

    python benchmarks/training.py            # default run, about 5-8 min on one core
    python benchmarks/training.py --quick    # under a minute

1. Throughput (training samples per second) of ``basinlab.train.train`` against a minimal PyTorch loop on the
   same model (MLP 784-256-128-10), data, batch size (64) and optimiser (AdamW). Both do the same work: the
   epochs plus one final full-training-set evaluation (what ``train`` reports). Runs alternate and the best
   time of each is kept. Target: ratio >= 0.9. The cost of per-epoch evaluation (``eval_every=1``) is printed
   separately.
2. Test accuracy of the Fashion-MNIST MLP (256, 128) trained with the paper's recipe (AdamW with PyTorch
   defaults, batch 64, until the training loss is below ``--stop-loss``, well below tau = 0.1, or the epoch cap)
   on 100% and 0.1% of the training set. Published (METHOD.md): 88.2% / 63.9%.
"""

from __future__ import annotations

import argparse
import time

PUBLISHED = {1.0: 88.2, 0.001: 63.9}


def hand_loop(model, x, y, epochs: int, batch: int, seed: int) -> float:
    """The minimal loop: shuffle with a seeded generator, AdamW, cross-entropy; final eval pass. Returns seconds."""
    import torch
    import torch.nn.functional as F

    start = time.perf_counter()
    opt = torch.optim.AdamW(model.parameters())
    g = torch.Generator().manual_seed(seed)
    n = x.shape[0]
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(n, generator=g)
        for s in range(0, n, batch):
            idx = perm[s:s + batch]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        F.cross_entropy(model(x), y).item()
    return time.perf_counter() - start


def _timed(fn) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) of ``fn()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def throughput(data, epochs: int, repeats: int) -> dict[str, dict[str, float]]:
    """Samples/s (by wall and by CPU time) of the three variants; one untimed warm-up each, then alternating."""
    from basinlab.models import build_model, model_preset
    from basinlab.train import TrainConfig, train

    spec = model_preset("mlp", data.input_shape, data.num_classes)
    runs = {
        "hand": lambda e: hand_loop(build_model(spec, seed=0), data.inputs, data.targets, e, 64, seed=0),
        "basinlab": lambda e: train(build_model(spec, seed=0), data,
                                    TrainConfig(epochs=e, batch_size=64, eval_every=e, seed=0)),
        "basinlab_eval_each_epoch": lambda e: train(build_model(spec, seed=0), data,
                                                    TrainConfig(epochs=e, batch_size=64, eval_every=1, seed=0)),
    }
    for run in runs.values():
        run(1)
    best = {k: [float("inf"), float("inf")] for k in runs}
    for rep in range(repeats):
        order = list(runs) if rep % 2 == 0 else list(reversed(runs))
        for key in order:
            wall, cpu = _timed(lambda run=runs[key]: run(epochs))
            best[key] = [min(best[key][0], wall), min(best[key][1], cpu)]
    n = len(data) * epochs
    return {k: {"wall": n / v[0], "cpu": n / v[1]} for k, v in best.items()}


def accuracy(fraction: float, max_epochs: int, stop_loss: float, data_dir, seed: int) -> dict[str, float]:
    from basinlab.data import make_dataset
    from basinlab.data.dataset import DatasetSpec
    from basinlab.models import build_model, model_preset
    from basinlab.train import TrainConfig, evaluate, train

    data = make_dataset(DatasetSpec("fashion-mnist", size=fraction, seed=seed), data_dir=data_dir)
    test = make_dataset(DatasetSpec("fashion-mnist", split="test", seed=seed), data_dir=data_dir)
    model = build_model(model_preset("mlp", data.input_shape, data.num_classes), seed=seed)
    every = 1 if len(data) > 5000 else 10
    start = time.perf_counter()
    result = train(model, data, TrainConfig(epochs=max_epochs, stop_loss=stop_loss, eval_every=every, seed=seed))
    seconds = time.perf_counter() - start
    _, test_acc = evaluate(model, test.inputs, test.targets.long(), "cross_entropy")
    return {"n": len(data), "epochs": result.epochs_run, "stopped": result.stopped_early,
            "train_loss": result.final["train_loss"], "test_acc": 100 * test_acc, "seconds": seconds}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run of under a minute")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--data-dir", default=None, help="Fashion-MNIST directory (default: standard places)")
    parser.add_argument("--epochs-full", type=int, default=None, help="epoch cap of the 100%% run")
    parser.add_argument("--stop-loss", type=float, default=0.01, help="stop once the train loss is below this")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from basinlab.data import make_dataset
    from basinlab.data.dataset import DatasetSpec
    from basinlab.runtime import limit_threads

    cap_full = args.epochs_full or (3 if args.quick else 40)
    cap_small = 300 if args.quick else 1000
    out: dict = {}
    with limit_threads(args.threads):
        n_tp, e_tp, reps = (5000, 2, 2) if args.quick else (20000, 3, 3)
        data = make_dataset(DatasetSpec("fashion-mnist", size=n_tp, seed=args.seed), data_dir=args.data_dir)
        tp = throughput(data, e_tp, reps)
        print(f"throughput, MLP 784-256-128-10, AdamW, batch 64, {n_tp} Fashion-MNIST examples x {e_tp} epochs, "
              f"{args.threads} thread(s), best of {reps} after a warm-up (samples/s by wall clock | by CPU time):")
        labels = {"hand": "hand-written loop", "basinlab": "basinlab.train",
                  "basinlab_eval_each_epoch": "basinlab.train, eval/epoch"}
        for key, label in labels.items():
            line = f"  {label:27s}{tp[key]['wall']:8.0f} | {tp[key]['cpu']:8.0f}"
            if key != "hand":
                line += (f"   ratio {tp[key]['wall'] / tp['hand']['wall']:.3f} | "
                         f"{tp[key]['cpu'] / tp['hand']['cpu']:.3f}")
            print(line + ("   (target >= 0.9)" if key == "basinlab" else ""))
        print("  (eval/epoch also evaluates the full training set after every epoch: extra work the loop skips)")
        ratio = tp["basinlab"]["wall"] / tp["hand"]["wall"]
        out["throughput"] = {**tp, "ratio": ratio}
        print(f"Fashion-MNIST MLP (256,128), AdamW defaults, batch 64, stop at train loss < {args.stop_loss:g}; "
              f"epoch caps: 100% -> {cap_full}, 0.1% -> {cap_small}")
        for fraction, cap in ((1.0, cap_full), (0.001, cap_small)):
            r = accuracy(fraction, cap, args.stop_loss, args.data_dir, args.seed)
            why = "stop loss reached" if r["stopped"] or r["train_loss"] < args.stop_loss else "epoch cap reached"
            print(f"  {fraction:>6.1%} ({r['n']:>5} ex): test acc {r['test_acc']:5.1f}%  published "
                  f"{PUBLISHED[fraction]:.1f}%  | {r['epochs']} epochs ({why}), train loss {r['train_loss']:.4f}, "
                  f"{r['seconds']:.0f} s")
            out[fraction] = r
    return out


if __name__ == "__main__":
    main()
