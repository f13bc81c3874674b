"""Wall time of each landscape measure on the paper's Fashion-MNIST MLP (256, 128; 235,146 parameters).

    .venv/bin/python benchmarks/measures_speed.py --examples 2000 --measures hessian_top,hessian_trace

Prints one line per measure: name, seconds, rows. Weights are a seeded init trained for ``--steps`` full-batch
Adam steps (a rough minimum is enough for timing). Threads: ``--threads`` torch threads, BLAS limited to one.
"""

from __future__ import annotations

import argparse
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000, help="landscape rows (Fashion-MNIST prefix)")
    parser.add_argument("--measures", default="hessian_top,hessian_trace,sam,noise,norms,function_space")
    parser.add_argument("--steps", type=int, default=100, help="full-batch Adam steps before measuring")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import torch

    from basinlab.data import load_dataset
    from basinlab.measures import compute_measures, resolve_names
    from basinlab.models import ModelSpec, build_model, count_parameters
    from basinlab.runtime import limit_threads

    with limit_threads(args.threads):
        train = load_dataset("fashion-mnist", size=args.examples, seed=0)
        test = load_dataset("fashion-mnist", split="test", size=1000, seed=0)
        model = build_model(ModelSpec("mlp", train.input_shape, train.num_classes, hidden=(256, 128)), seed=args.seed)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        for _ in range(args.steps):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(train.inputs), train.targets).backward()
            opt.step()
        print(f"model: {count_parameters(model):,} parameters, {len(train)} examples, {args.threads} torch thread(s)")
        for name in resolve_names(args.measures):
            start = time.perf_counter()
            rows = compute_measures(model, train, test, [name], {}, seed=args.seed)
            seconds = time.perf_counter() - start
            values = ", ".join(f"{r['measure']}={r['value']:.4g}" for r in rows)
            print(f"{name:16s} {seconds:8.2f} s   {values}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
