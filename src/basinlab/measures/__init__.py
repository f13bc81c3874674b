"""Loss-landscape measures beyond volume, behind one interface, plus function-preserving reparameterisations.
Rank correlation of measures with generalisation: :func:`basinlab.analysis.correlation_table`.
Definitions: ``docs/measures.md``; the Python API: ``docs/python-api.md``.

For users, one function per measure (:mod:`basinlab.measures.api`)::

    from basinlab.measures import hessian_top, hessian_trace, sam_sharpness
    hessian_top(model, X, y, k=3).details["eigenvalues"]     # X, y: tensors, arrays; or a DataLoader alone

For the runner, every measure is ``fn(model, data: MeasureData, settings, seed) -> {row name: MeasureValue}``
in :data:`MEASURES` (``MEASURES[name].fn``); :func:`compute_measures` runs several and returns
``measures``-table rows.
"""

from . import function_space as _function_space  # noqa: F401  (registers measures)
from . import hessian as _hessian  # noqa: F401
from . import norms as _norms  # noqa: F401
from . import pac_bayes as _pac_bayes  # noqa: F401
from . import sharpness as _sharpness  # noqa: F401
from . import volume_measure as _volume_measure  # noqa: F401
from . import weakness as _weakness  # noqa: F401
from .api import MeasureResult, lookup, measure, measure_functions, python_name
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
from .function_space import edge_scale
from .functional import FlatModel
from .linalg import hutchinson_trace, hutchpp_trace, lanczos_top, slq, slq_density
from .norms import frobenius_norm, path_norm, spectral_product
from .pac_bayes import pac_bayes_sigma
from .reparam import (
    FunctionCheck,
    check_function_preserved,
    fold_batchnorm,
    reparameterize,
    reparameterize_per_neuron,
    weight_layers,
)

# One function per registered measure (hessian_top, hessian_trace, hessian_density, sam_sharpness, eps_sharpness,
# noise_sensitivity, pac_bayes, norms, function_space, volume, ...), built from the registry after every
# measure module above has registered; see basinlab.measures.api.
_API = measure_functions()
globals().update(_API)

__all__ = [
    # the functional API (plus one function per measure, listed in _API)
    "measure", "MeasureResult", "python_name",
    # interface and runner entry points
    "MeasureValue", "MeasureData", "Measure", "MeasureInfo", "MEASURES", "ALL_MEASURES", "register_measure",
    "resolve_settings", "compute_measures", "run_measures", "validate_measure_settings", "resolve_names", "measure_data",
    "FlatModel",
    # curvature estimators on any Hessian-vector product
    "lanczos_top", "hutchinson_trace", "hutchpp_trace", "slq", "slq_density",
    # building blocks
    "pac_bayes_sigma", "frobenius_norm", "spectral_product", "path_norm", "edge_scale",
    # reparameterisations
    "reparameterize", "reparameterize_per_neuron", "fold_batchnorm", "check_function_preserved",
    "FunctionCheck", "weight_layers",
]
__all__ += sorted(_API)


def __getattr__(name: str):
    """The function of a measure registered after this package was imported (e.g. by a plugin)."""
    fn = lookup(name)
    if fn is None:
        raise AttributeError(f"module 'basinlab.measures' has no attribute {name!r}")
    return fn
