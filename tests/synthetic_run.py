"""Test fixture: a small synthetic run directory with every documented table (for analysis, claims and report
tests), written through :mod:`basinlab.rundir` like a real run.

Volumes follow a known power law: the largest log-radius of a minimum trained on D examples, in its own
landscape, is ``alpha · log D + c`` (so log V ≈ n · alpha · log D + const), and a minimum trained on more
data is smaller in a smaller landscape. No network is trained; nothing here is a measurement.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from basinlab.rundir import SCHEMAS, RunStore, atomic_write_parquet, to_arrow

__all__ = ["make_synthetic_run"]


def _model_id(*parts: object) -> str:
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()[:16]


def _volume_rows(rng, model_id, epoch, label, size, threshold, n_params, base, n_dirs, spread=0.02):
    """One volumes row and its radii rows for log-radius centre ``base`` (None → centre above threshold)."""
    seeds = np.arange(n_dirs)
    if base is None:
        radius, log_v, lo, hi, top = np.zeros(n_dirs), -np.inf, -np.inf, -np.inf, float("nan")
        centre = threshold * 1.5
    else:
        radius = np.exp(base + spread * rng.standard_normal(n_dirs))
        terms = n_params * np.log(radius)
        log_v = float(np.logaddexp.reduce(terms) - np.log(n_dirs))
        boot = rng.integers(0, n_dirs, size=(200, n_dirs))
        boots = np.logaddexp.reduce(terms[boot], axis=1) - np.log(n_dirs)
        lo, hi = (float(v) for v in np.percentile(boots, [2.5, 97.5]))
        top = float(np.exp(terms.max() - np.logaddexp.reduce(terms)))
        centre = threshold * 0.2
    volume = {
        "model_id": model_id, "epoch": epoch, "landscape": label, "landscape_size": size, "threshold": threshold, "threshold_kind": "loss",
        "n_params": n_params, "n_directions": n_dirs, "n_censored": 0, "nonfinite_points": 0, "centre_loss": centre, "log_volume": log_v,
        "log_volume_lo": lo, "log_volume_hi": hi, "r_min": radius.min(), "r_median": float(np.median(radius)),
        "r_mean": radius.mean(), "r_max": radius.max(), "top_share": top, "seconds": 0.0,
    }
    radii = [{"model_id": model_id, "epoch": epoch, "landscape": label, "landscape_size": size,
              "threshold": threshold, "threshold_kind": "loss", "direction": int(k), "seed": int(s), "radius": float(r), "censored": False}
             for k, (s, r) in enumerate(zip(seeds, radius, strict=True))]
    return volume, radii


def make_synthetic_run(
    run_dir: str | Path,
    *,
    alpha: float = -0.3,
    n_params: int = 500,
    sizes: Sequence[int] = (50, 200, 800, 3200),
    seeds: Sequence[int] = (0, 1, 2),
    thresholds: Sequence[float] = (0.1,),
    n_directions: int = 32,
    noise: float = 0.01,
    n_inf: int = 1,
    extras: bool = True,
    seed: int = 0,
) -> Path:
    """Write a synthetic run directory to ``run_dir`` and return its path.

    ``noise`` is the per-model standard deviation of the log-radius (log V moves by ≈ n·noise nats);
    ``n_inf`` own-landscape volumes (smallest size, first seeds) are set to −inf. With ``extras``, the run
    also holds a SAM variant, poisoned, batch-size, imbalanced and grokking models, training histories and
    measures. Seeded by ``seed``.
    """
    rng = np.random.default_rng(seed)
    out = Path(run_dir)
    models, training, volumes, radii, measures = [], [], [], [], []

    def add_model(variant, dataset, size, mseed, *, poison=0, imbalance="", bs=64, sam=0.0, n=n_params,
                  acc=None, epochs=20):
        mid = _model_id(variant, dataset, size, mseed, poison, imbalance, bs)
        test_acc = acc if acc is not None else 0.55 + 0.08 * np.log10(size / min(sizes)) + 0.01 * rng.standard_normal()
        models.append({
            "model_id": mid, "experiment": "synthetic", "variant": variant, "dataset": dataset, "train_size": size,
            "poison": poison, "imbalance": imbalance, "model_seed": mseed, "data_seed": mseed,
            "optimizer": "adamw", "batch_size": bs, "sam_rho": sam, "lr": 1e-3, "weight_decay": 0.01,
            "epochs_run": epochs, "n_params": n, "train_loss": 0.01, "train_acc": 1.0, "clean_train_loss": 0.01,
            "clean_train_acc": 1.0, "test_loss": float(2.0 - 2 * test_acc), "test_acc": float(test_acc),
            "checkpoint": "", "train_seconds": 0.0,
        })
        for e in np.linspace(1, epochs, 5).astype(int):
            frac = e / epochs
            training.append({"model_id": mid, "epoch": int(e), "train_loss": float(2.3 * (1 - frac) + 0.01),
                             "train_acc": float(0.1 + 0.9 * frac), "test_loss": float(2.3 * (1 - frac) + 0.5),
                             "test_acc": float(0.1 + (test_acc - 0.1) * frac)})
        return mid, float(test_acc)

    def add_volume(mid, label, size, base, epoch=-1, n=n_params):
        for threshold in thresholds:
            shift = 0.0 if base is None else 0.05 * np.log(0.1 / threshold) * -1
            v, r = _volume_rows(rng, mid, epoch, label, size, threshold, n,
                                None if base is None else base + shift, n_directions)
            volumes.append(v)
            radii.extend(r)

    variants = [("adamw", 0.0, 0.0)] + ([("sam", 0.05, 0.02)] if extras else [])
    inf_left = n_inf
    for variant, rho, bonus in variants:
        for mseed in seeds:
            offset = noise * rng.standard_normal()
            for size in sizes:
                mid, acc = add_model(variant, "fashion-mnist", size, mseed, sam=rho)
                eps = noise * rng.standard_normal() + offset
                for land in [s for s in sizes if s <= size]:
                    base = alpha * np.log(land) + 1.0 + bonus + eps - 0.1 * np.log(size / land)
                    if land == size == min(sizes) and variant == "adamw" and inf_left > 0:
                        base, inf_left = None, inf_left - 1
                    add_volume(mid, f"train:{land}", land, base)
                if extras:
                    gap = 1.0 - acc
                    for name, value in (("sam_sharpness", 0.5 * gap), ("hessian_trace", 30 * gap),
                                        ("frobenius_norm", 10.0)):
                        measures.append({"model_id": mid, "epoch": -1, "measure": name,
                                         "value": value * (1 + 0.1 * rng.standard_normal()), "stderr": float("nan"),
                                         "landscape": f"train:{size}", "settings": "{}"})
    if extras:
        mid_size = sorted(sizes)[len(sizes) // 2]
        for mseed in seeds:
            for poison in (int(0.02 * mid_size), int(0.1 * mid_size)):
                mid, _ = add_model("adamw", "fashion-mnist", mid_size, mseed, poison=poison)
                add_volume(mid, f"train:{mid_size}", mid_size, alpha * np.log(mid_size) + 1.0 - 2.0 * poison / mid_size)
            for bs in (16, 256):
                acc = 0.72 - 0.02 * np.log2(bs / 16) / 4 + 0.005 * rng.standard_normal()
                mid, _ = add_model(f"bs{bs}", "fashion-mnist", mid_size, mseed, bs=bs, acc=acc)
                add_volume(mid, f"train:{mid_size}", mid_size, alpha * np.log(mid_size) + 1.0 - 0.01 * np.log2(bs / 16))
            imb = json.dumps([0.1] + [1.0] * 9)
            mid, _ = add_model("adamw", "fashion-mnist", mid_size // 2, mseed, imbalance=imb)
            for k, land in enumerate((mid_size // 2, mid_size, 2 * mid_size)):
                add_volume(mid, f"base:{land}", land, alpha * np.log(mid_size) + 0.9 + 0.03 * k + 0.005 * rng.standard_normal())
        grok_epochs = 1000
        mid, _ = add_model("grok", "modular", 2800, 0, acc=0.99, n=300, epochs=grok_epochs)
        training[:] = [t for t in training if t["model_id"] != mid]
        for e in range(10, grok_epochs + 1, 10):
            training.append({"model_id": mid, "epoch": e, "train_loss": float(max(1e-3, 4.5 * np.exp(-e / 20))),
                             "train_acc": float(min(1.0, e / 50)), "test_loss": float(4.6 - 4.0 / (1 + np.exp(-(e - 600) / 40))),
                             "test_acc": float(0.02 + 0.97 / (1 + np.exp(-(e - 600) / 40)))})
        for e in range(100, grok_epochs + 1, 100):
            add_volume(mid, "train:2800", 2800, -0.5 - 0.0008 * e, epoch=e, n=300)
    frames = {"models": models, "training": training, "volumes": volumes, "radii": radii, "measures": measures}
    with RunStore.open(out) as store:
        for name, rows in frames.items():
            if rows:
                rows = [{c: _plain(row[c]) for c, _ in SCHEMAS[name]} for row in rows]
                atomic_write_parquet(out / name / "synthetic.parquet", to_arrow(name, rows))
        store.write_text("spec.toml",
                         f'name = "synthetic"\n# synthetic run: alpha = {alpha}, n_params = {n_params}, seed = {seed}\n'
                         f"sizes = {list(sizes)}\nseeds = {list(seeds)}\nthresholds = {list(thresholds)}\n")
        store.set_meta({"basinlab": "synthetic", "numpy": np.__version__, "pandas": pd.__version__})
    return out


def _plain(value):
    """numpy scalars as Python numbers (Arrow's row conversion wants them)."""
    return value.item() if isinstance(value, np.generic) else value
