"""basinlab: basin volume and other loss-landscape geometry of neural-network minima.

Public names are imported lazily so that ``import basinlab`` (and the CLI's ``--help``) stays fast and does
not import torch until a function that needs it is used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # volume engine
    "measure_volume": "basinlab.volume",
    "random_direction": "basinlab.volume",
    "VolumeResult": "basinlab.volume",
    # data
    "load_dataset": "basinlab.data",
    "make_dataset": "basinlab.data",
    "Dataset": "basinlab.data",
    "available_datasets": "basinlab.data",
    "DatasetSpec": "basinlab.data",
    "nested_subsets": "basinlab.data",
    "as_tensors": "basinlab.data",
    # models
    "build_model": "basinlab.models",
    "ModelSpec": "basinlab.models",
    # training (the function is basinlab.train.train: the package name ``basinlab.train`` is the module)
    "TrainConfig": "basinlab.train",
    "save_checkpoint": "basinlab.train",
    "load_checkpoint": "basinlab.train",
    # other measures
    "compute_measures": "basinlab.measures",
    "reparameterize": "basinlab.measures",
    # errors
    "BasinlabError": "basinlab.errors",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'basinlab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
