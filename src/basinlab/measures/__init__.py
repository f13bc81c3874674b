"""Loss-landscape measures beyond volume, behind one interface, plus function-preserving reparameterisations.
Rank correlation of measures with generalisation: :func:`basinlab.analysis.correlation_table`.
Definitions: ``docs/measures.md``.

Every measure is ``fn(model, data: MeasureData, settings, seed) -> {row name: MeasureValue}`` in
:data:`MEASURES`; :func:`compute_measures` runs several and returns ``measures``-table rows.
"""

from . import function_space as _function_space  # noqa: F401  (registers measures)
from . import hessian as _hessian  # noqa: F401
from . import norms as _norms  # noqa: F401
from . import pac_bayes as _pac_bayes  # noqa: F401
from . import sharpness as _sharpness  # noqa: F401
from . import volume_measure as _volume_measure  # noqa: F401
from . import weakness as _weakness  # noqa: F401
from .base import (
    MEASURES,
    Measure,
    MeasureData,
    MeasureInfo,
    MeasureValue,
    register_measure,
    resolve_settings,
)
from .compute import (
    ALL_MEASURES,
    compute_measures,
    measure_data,
    resolve_names,
    run_measures,
    validate_measure_settings,
)
from .function_space import edge_scale, function_space
from .functional import FlatModel
from .hessian import hessian_density, hessian_top, hessian_trace
from .linalg import hutchinson_trace, hutchpp_trace, lanczos_top, slq, slq_density
from .norms import frobenius_norm, path_norm, spectral_product
from .pac_bayes import pac_bayes, pac_bayes_sigma
from .reparam import (
    FunctionCheck,
    check_function_preserved,
    fold_batchnorm,
    reparameterize,
    reparameterize_per_neuron,
    weight_layers,
)
from .sharpness import eps_sharpness, noise_sensitivity, sam_sharpness
from .weakness import weakness

__all__ = [
    # interface and runner entry points
    "MeasureValue", "MeasureData", "Measure", "MeasureInfo", "MEASURES", "ALL_MEASURES", "register_measure",
    "resolve_settings", "compute_measures", "run_measures", "validate_measure_settings", "resolve_names", "measure_data",
    "FlatModel",
    # curvature
    "hessian_top", "hessian_trace", "hessian_density", "lanczos_top", "hutchinson_trace", "hutchpp_trace",
    "slq", "slq_density",
    # perturbation sharpness
    "eps_sharpness", "sam_sharpness", "noise_sensitivity", "pac_bayes", "pac_bayes_sigma",
    # norms and function space
    "frobenius_norm", "spectral_product", "path_norm", "function_space", "edge_scale", "weakness",
    # reparameterisations
    "reparameterize", "reparameterize_per_neuron", "fold_batchnorm", "check_function_preserved",
    "FunctionCheck", "weight_layers",
]
