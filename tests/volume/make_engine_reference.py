"""Regenerate ``data/engine_reference.json``: radii of the engine at a fixed commit on small fixed models.

The file pins the engine's results (issue 14: "radii equal to the previous engine within rtol"): the models'
weights are stored in it (float32 values, exact in JSON), the data are drawn from fixed torch seeds, and the radii
were computed by the engine of the commit named in the file. ``test_volume_pinned.py`` recomputes them with the
current engine. Rerun this only on purpose (``python tests/volume/make_engine_reference.py``), when a change of
results is intended and documented.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import torch
from torch import nn

from basinlab.volume import measure_volume

HERE = Path(__file__).resolve().parent
PATH = HERE / "data" / "engine_reference.json"


def blobs(n: int, d: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` Gaussian points in ``d`` dimensions and 3 classes from the signs of two coordinates."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    return x, (x[:, 0] > 0).long() + (x[:, 1] > 0).long()


def images(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 8, 8, generator=g)
    return x, (x[:, 0, :4].mean(dim=(1, 2)) > 0).long()


def mlp() -> nn.Sequential:
    return nn.Sequential(nn.Flatten(), nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 3))


def cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 4, 3), nn.ReLU(),
        nn.Flatten(), nn.Linear(16, 2),
    )


# name -> (model factory, data factory, rows, measure_volume settings)
CASES = {
    "mlp_nested": (mlp, lambda: blobs(600, 20, 0), 600,
                   {"thresholds": [0.1, 0.05, 0.02], "landscapes": [60, 300, 600], "directions": 24, "seed": 3}),
    "mlp_scan4": (mlp, lambda: blobs(600, 20, 0), 600,
                  {"thresholds": [0.1], "directions": 12, "seed": 1, "scan_points": 4, "rtol": 1e-3}),
    "cnn": (cnn, lambda: images(120, 1), 120, {"thresholds": [0.1, 0.3], "directions": 8, "seed": 0}),
}


def train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int = 400) -> nn.Module:
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return model


def load_model(name: str, state: dict[str, list]) -> nn.Module:
    model = CASES[name][0]()
    model.load_state_dict({k: torch.tensor(v, dtype=torch.float32) for k, v in state.items()})
    return model.eval()


def main() -> None:
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=HERE).stdout.strip()
    out = {"engine_commit": commit, "cases": {}}
    for i, (name, (make, data, _, settings)) in enumerate(CASES.items()):
        torch.manual_seed(i)
        x, y = data()
        model = train(make(), x, y).eval()
        state = {k: v.tolist() for k, v in model.state_dict().items()}
        model = load_model(name, state)  # exactly what the test will rebuild
        res = measure_volume(model, x, y, **settings)
        out["cases"][name] = {
            "settings": settings, "state": state, "radii": res.radii.tolist(), "censored": res.censored.tolist(),
            "centre_loss": res.centre_loss.tolist(),
        }
        print(name, res.radii.shape, "censored", int(res.censored.sum()), "centre", res.centre_loss)
    PATH.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {PATH} ({PATH.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
