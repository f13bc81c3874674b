"""basinlab.models: JSON-able model specs and seeded builders (MLPs and small CNNs as flat ``nn.Sequential``)."""

from .build import build_model, count_parameters, model_spec_of
from .spec import MODEL_KINDS, PRESETS, ModelSpec, model_preset

__all__ = [
    # specs
    "ModelSpec", "MODEL_KINDS", "PRESETS", "model_preset",
    # building
    "build_model", "count_parameters", "model_spec_of",
]
