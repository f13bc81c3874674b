"""Row-space directions vs explicit directions vs the paper's method at 60 and 600 rows, in one run (issue 14 item 2).

The MLP 784-256-128-10 of ``volume_speed.py`` (trained to loss < 0.01 on 2,000 Fashion-MNIST examples, cached
weights shared with it) is measured at τ = 0.1, rtol 1e-4 in the landscapes of its first 60 and first 600 examples by
three methods, interleaved round by round so that all three see the same machine load:

- ``reference``: the paper's method (``volume/reference.py``: 100 quadratic coefficients, each a full forward pass);
- ``explicit``: ``measure_volume`` with the default ``direction_draw='explicit'`` (235,146 Gaussians a direction);
- ``rowspace``: ``measure_volume(direction_draw='rowspace')`` (256·N + 34,186 Gaussians and one χ² a direction).

Per-direction wall time is the best of the rounds for each method. The two engine modes draw different directions
(rowspace is its own seed stream), so their radii are compared as distributions (median, log V), not one by one.

Usage: ``python benchmarks/rowspace_speed.py [--quick] [--threads N]``. Only ratios within one run are meaningful.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from basinlab.volume import measure_volume
from basinlab.volume.directions_rowspace import rowspace_problem
from basinlab.volume.reference import reference_radii

TAU = 0.1
SIZES = (60, 600)


def _volume_speed():
    """The sibling ``volume_speed.py`` (its data loader and cached model), loaded once by path."""
    name = "basinlab_bench_volume_speed"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent / "volume_speed.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def gaussians_per_direction(model: torch.nn.Module, x: torch.Tensor) -> tuple[int, int]:
    """Gaussians drawn per direction: ``(explicit, rowspace)``."""
    reduced = rowspace_problem(model, x).model
    return sum(p.numel() for p in model.parameters()), sum(p.numel() for p in reduced.parameters())


def compare(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, k_ref: int, k_eng: int, rounds: int) -> dict:
    """Interleaved rounds of (reference on ``k_ref // rounds`` directions, explicit on ``k_eng``, rowspace on ``k_eng``);
    best per-direction wall and process-CPU time of each method, and the engine results of the last round."""
    best = {"reference": float("inf"), "explicit": float("inf"), "rowspace": float("inf")}
    cpu = dict(best)
    results: dict = {}
    per_round = max(1, k_ref // rounds)
    for r in range(rounds):
        ks = list(range(r * per_round, (r + 1) * per_round))
        for k in ks:  # the paper's method, one direction at a time
            t, c = time.perf_counter(), time.process_time()
            reference_radii(model, x, y, threshold=TAU, directions=[k], seed=0)
            best["reference"] = min(best["reference"], time.perf_counter() - t)
            cpu["reference"] = min(cpu["reference"], time.process_time() - c)
        for mode in ("explicit", "rowspace"):
            t, c = time.perf_counter(), time.process_time()
            results[mode] = measure_volume(model, x, y, thresholds=(TAU,), directions=k_eng, seed=0, direction_draw=mode)
            best[mode] = min(best[mode], (time.perf_counter() - t) / k_eng)
            cpu[mode] = min(cpu[mode], (time.process_time() - c) / k_eng)
    g_exp, g_row = gaussians_per_direction(model, x)
    e, w = results["explicit"], results["rowspace"]
    return {
        "N": len(x), "centre_loss": float(e.centre_loss[0]), "s_per_dir": best, "gaussians": (g_exp, g_row),
        "speedup_explicit": best["reference"] / best["explicit"], "speedup_rowspace": best["reference"] / best["rowspace"],
        "rowspace_over_explicit": best["explicit"] / best["rowspace"], "cpu_s_per_dir": cpu,
        "cpu_speedups": (cpu["reference"] / cpu["explicit"], cpu["reference"] / cpu["rowspace"],
                         cpu["explicit"] / cpu["rowspace"]),
        "median_radius": (float(np.median(e.radii)), float(np.median(w.radii))),
        "log_volume": (e.log_volume(), w.log_volume()), "ci": (e.bootstrap_ci(), w.bootstrap_ci()),
        "points_per_dir": (e.counts["points"] / k_eng, w.counts["points"] / k_eng),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer directions and rounds")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--no-cache", action="store_true", help="retrain the model instead of reusing cached weights")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    vs = _volume_speed()
    k_ref, k_eng, rounds = (4, 40, 2) if args.quick else (8, 100, 4)
    x_all, y_all, name = vs.load_data(2000)
    model, loss = vs.cached_mlp(x_all, y_all, name, 0, not args.no_cache)
    load = os.getloadavg()
    rows = {n: compare(model, x_all[:n], y_all[:n], k_ref, k_eng, rounds) for n in SIZES}
    load_after = os.getloadavg()
    print(f"data {name}; MLP 784-256-128-10 trained on 2,000 examples to loss {loss:.4f}; τ = {TAU}, rtol 1e-4; "
          f"torch threads {args.threads}; load average {load[0]:.2f} before, {load_after[0]:.2f} after (1 min)")
    print(f"{'rows':>5} {'Gaussians/dir':>17} {'ref s/dir':>9} {'explicit':>9} {'rowspace':>9} {'ref/expl':>8} "
          f"{'ref/rows':>8} {'expl/rows':>9} {'median r (expl, rows)':>22} {'log V (expl, rows)':>22}")
    for n, r in rows.items():
        t = r["s_per_dir"]
        print(f"{n:>5} {r['gaussians'][0]:>8,} {r['gaussians'][1]:>8,} {t['reference']:9.4f} {t['explicit']:9.5f} "
              f"{t['rowspace']:9.5f} {r['speedup_explicit']:8.1f} {r['speedup_rowspace']:8.1f} "
              f"{r['rowspace_over_explicit']:9.2f} {r['median_radius'][0]:10.3f} {r['median_radius'][1]:11.3f} "
              f"{r['log_volume'][0]:11.0f} {r['log_volume'][1]:10.0f}")
    print("the same ratios in process CPU time (all threads; robust to other processes, not to spinning threads): "
          + "; ".join(f"{n} rows: ref/expl {r['cpu_speedups'][0]:.1f}, ref/rows {r['cpu_speedups'][1]:.1f}, "
                      f"expl/rows {r['cpu_speedups'][2]:.2f}" for n, r in rows.items()))
    print(f"s/dir: best of {rounds} interleaved rounds (reference: fastest single direction of {k_ref}; engine: "
          f"{k_eng} directions a call); ref/expl, ref/rows = the paper's method over each engine mode; expl/rows = "
          "rowspace's speed-up over explicit. The modes draw different directions: radii agree in distribution only.")
    return {"rows": {str(n): r for n, r in rows.items()}, "load": (load[0], load_after[0])}


if __name__ == "__main__":
    main(sys.argv[1:])
