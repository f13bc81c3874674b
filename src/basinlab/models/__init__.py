"""basinlab.models: JSON-able model specs and seeded builders (MLPs and small CNNs as flat ``nn.Sequential``)."""

from .build import build_model, count_parameters, model_spec_of
from .spec import AUTO_PRESETS, MODEL_KINDS, PRESETS, ModelSpec, model_preset, model_spec_for

__all__ = [
    # specs
    "ModelSpec", "MODEL_KINDS", "PRESETS", "AUTO_PRESETS", "model_preset", "model_spec_for",
    # building
    "build_model", "count_parameters", "model_spec_of",
]
