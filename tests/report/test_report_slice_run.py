"""The report picks the 100% / 10% / 1% minima of a run and slices them from real checkpoints."""

from __future__ import annotations

import pandas as pd

from basinlab.analysis import load_run
from basinlab.report.slice_run import pick_slice_models, slice_from_run
from synthetic_run import make_synthetic_run


def test_pick_slice_models_takes_largest_tenth_and_hundredth():
    sizes = [10, 30, 100, 300, 1000]
    models = pd.DataFrame({"model_id": [str(s) for s in sizes] * 2, "variant": "adamw", "train_size": sizes * 2,
                           "poison": 0, "imbalance": "", "model_seed": [0] * 5 + [1] * 5, "data_seed": [0] * 5 + [1] * 5,
                           "checkpoint": "c"})
    picked = pick_slice_models(models)
    assert list(picked["train_size"]) == [1000, 100, 10] and set(picked["model_seed"]) == {0}
    assert pick_slice_models(models.assign(checkpoint="")) is None  # no checkpoints, no slice
    assert pick_slice_models(models[models["train_size"] > 100]) is None  # fewer than three sizes


def test_slice_from_run_loads_checkpoints(tmp_path):
    import torch

    from basinlab.data import DatasetSpec, make_dataset
    from basinlab.models import ModelSpec, build_model
    from basinlab.train import save_checkpoint

    run_dir = make_synthetic_run(tmp_path / "run", extras=False, sizes=(20, 60, 200), seeds=(0,), n_inf=0)
    models = pd.read_parquet(run_dir / "models" / "synthetic.parquet")
    paths = []
    for row in models.itertuples():
        spec = DatasetSpec("swiss-roll", size=int(row.train_size), seed=0, options={"n_total": 400})
        data = make_dataset(spec)
        mspec = ModelSpec(kind="mlp", input_shape=data.input_shape, num_classes=data.num_classes, hidden=(8,))
        model = build_model(mspec, seed=int(row.train_size))
        opt = torch.optim.Adam(model.parameters(), lr=0.05)
        for _ in range(30):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(data.inputs), data.targets).backward()
            opt.step()
        save_checkpoint(run_dir / "checkpoints" / row.model_id, model,
                        {"model_spec": mspec.to_dict(), "dataset_spec": spec.to_dict()})
        paths.append(f"checkpoints/{row.model_id}")
    models["checkpoint"] = paths
    models.to_parquet(run_dir / "models" / "synthetic.parquet", index=False)
    result, note = slice_from_run(load_run(run_dir), run_dir, resolution=5)
    assert note == "" and result is not None
    assert list(result.points) == ["D = 200", "D = 60", "D = 20"]
    assert list(result.losses) == ["landscape of 200 examples", "landscape of 20 examples"]
    assert all(grid.shape == (5, 5) and (grid > 0).all() for grid in result.losses.values())


def test_slice_from_run_explains_missing_checkpoints(tmp_path):
    run_dir = make_synthetic_run(tmp_path / "run", extras=False, sizes=(20, 60, 200), seeds=(0,), n_inf=0)
    models = pd.read_parquet(run_dir / "models" / "synthetic.parquet").assign(checkpoint="checkpoints/gone")
    models.to_parquet(run_dir / "models" / "synthetic.parquet", index=False)
    result, note = slice_from_run(load_run(run_dir), run_dir)
    assert result is None and "could not load" in note and "gone" in note
