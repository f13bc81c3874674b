"""The functional API: one Python function per registered measure, in PyTorch's idiom.

    from basinlab.measures import hessian_top, hessian_trace
    top = hessian_top(model, loader, k=2)          # loader: a DataLoader, (X, y), TensorDataset, arrays ...
    print(top.value, top.details["eigenvalues"], hessian_trace(model, loader).value)

The functions are built from the registry (:data:`~basinlab.measures.MEASURES`): each takes the measure's
settings as keyword arguments with the registry's defaults, so a newly registered measure gets its function
without an edit here. Registry names map to Python names by :data:`PYTHON_NAMES` (``sam`` → ``sam_sharpness``,
``noise`` → ``noise_sensitivity``); every other name is its own function name. The registry callables
``fn(model, MeasureData, settings, seed)`` stay the runner's interface (``MEASURES[name].fn``).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError, describe_choices
from .base import MEASURES, MeasureValue

__all__ = ["MeasureResult", "measure", "measure_functions", "lookup", "python_name", "PYTHON_NAMES", "API_GLOBALS"]

# registry name -> Python function name, where they differ
PYTHON_NAMES: dict[str, str] = {"sam": "sam_sharpness", "noise": "noise_sensitivity"}
# global settings the functions take (as in a spec's [measures] table): rows used, forward-pass chunk size
API_GLOBALS: dict[str, Any] = {"examples": 0, "test_examples": 0, "chunk_size": 4096}
_GLOBAL_DOCS = {
    "examples": "use the first ``examples`` rows of the data (0 = all).",
    "test_examples": "use the first ``test_examples`` rows of ``test`` (0 = all).",
    "chunk_size": "rows per forward pass (memory only; the loss is the mean over all rows).",
}


@dataclass(frozen=True)
class MeasureResult:
    """What a measure function returns.

    Attributes:
        measure: the registry name (``'sam'``). value, stderr, details: the primary output row (``stderr`` is
            NaN when exact; ``details`` holds arrays and counts, e.g. ``eigenvalues``).
        outputs: every output row of the measure by name, primary first (``sam``, ``sam_avg``, ``asam`` …),
            each a :class:`~basinlab.measures.MeasureValue`; also reachable as ``result['sam_avg']``.
        settings: the settings used (defaults merged with the keywords given) and the ``seed``.

    ``float(result)`` is ``result.value``.
    """

    measure: str
    value: float
    stderr: float
    details: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, MeasureValue] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def __float__(self) -> float:
        return float(self.value)

    def __getitem__(self, output: str) -> MeasureValue:
        if output not in self.outputs:
            raise KeyError(f"{output!r} is not an output of {self.measure}; it has {describe_choices(self.outputs)}")
        return self.outputs[output]

    def __repr__(self) -> str:
        def one(name: str, mv: MeasureValue) -> str:
            err = "" if mv.stderr is None or math.isnan(mv.stderr) else f" ± {mv.stderr:.3g}"
            return f"{name}={mv.value:.6g}{err}"

        return f"MeasureResult({', '.join(one(n, mv) for n, mv in self.outputs.items())})"


def python_name(name: str) -> str:
    """The Python function name of registry measure ``name``."""
    return PYTHON_NAMES.get(name, name)


def _registry_name(name: str) -> str:
    if name in MEASURES:
        return name
    for reg, py in PYTHON_NAMES.items():
        if py == name and reg in MEASURES:
            return reg
    choices = sorted({python_name(n) for n in MEASURES} | set(MEASURES))
    raise ConfigError(f"measure {name!r} is unknown; use {describe_choices(choices)}")


def measure(name: str, model: Any, data: Any, targets: Any = None, *, seed: int = 0, test: Any = None,
            test_targets: Any = None, loss: str | None = None, init_state: Any = None, device: Any = None,
            **settings: Any) -> MeasureResult:
    """Compute registered measure ``name`` (registry or Python name) of ``model`` on ``data``.

    Args:
        model: an ``nn.Module``; copied and put in eval mode, never modified.
        data, targets: the landscape's training examples in any form :func:`basinlab.data.as_tensors` accepts
            (``X, y`` tensors or numpy arrays, an ``(X, y)`` pair, a Dataset, a DataLoader).
        seed: every random draw of the measure comes from it.
        test, test_targets: held-out examples (same forms), for measures that need them (``function_space``).
        loss: ``'cross_entropy'`` or ``'mse'``; default: ``'mse'`` for float targets, else cross-entropy.
        init_state: the model at initialisation (``nn.Module`` or ``state_dict``), for ``dist_init`` and the
            PAC-Bayes KL term.
        device: where to compute (``'cpu'``, ``'cuda'``, ``'cuda:N'``, ``'auto'``); a copy of the model and the
            data are moved there. Default: the model's device.
        **settings: the measure's own settings and ``examples``, ``test_examples``, ``chunk_size``.
    """
    from .compute import compute_measures

    reg = _registry_name(name)
    own = {k: v for k, v in settings.items() if k not in API_GLOBALS}
    unknown = sorted(set(own) - set(MEASURES[reg].defaults))
    if unknown:
        accepted = sorted(MEASURES[reg].defaults) + sorted(API_GLOBALS)
        raise ConfigError(f"{python_name(reg)}() got unknown setting(s) {unknown}; it accepts "
                          f"{describe_choices(accepted)}")
    table = {**{k: v for k, v in settings.items() if k in API_GLOBALS}, reg: own}
    if hasattr(init_state, "state_dict") and callable(init_state.state_dict):
        init_state = init_state.state_dict()
    train = (data, targets) if targets is not None else data
    held_out = (test, test_targets) if test_targets is not None else test
    details: dict[str, MeasureValue] = {}
    compute_measures(model, train, held_out, [reg], table, seed, init_state=init_state, loss=loss, details=details,
                     device=device)
    from .base import resolve_settings

    used = {**resolve_settings(reg, table), "seed": seed}
    primary = details[next(iter(details))]
    return MeasureResult(reg, float(primary.value), float(primary.stderr), dict(primary.details), details, used)


_DATA_PARAMS = [
    inspect.Parameter("model", inspect.Parameter.POSITIONAL_OR_KEYWORD),
    inspect.Parameter("data", inspect.Parameter.POSITIONAL_OR_KEYWORD),
    inspect.Parameter("targets", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None),
]
_CALL_PARAMS = [("seed", 0), ("test", None), ("test_targets", None), ("loss", None), ("init_state", None),
                ("device", None)]


def _doc(reg: str, py: str) -> str:
    info = MEASURES[reg]
    body = inspect.cleandoc(info.fn.__doc__ or info.summary)
    args = []
    for key, default in info.defaults.items():
        check = info.checks.get(key)
        args.append(f"    {key}: default {default!r}" + (f"; {check[1]}." if check else "."))
    args += [f"    {key}: default {default!r}; {_GLOBAL_DOCS[key]}" for key, default in API_GLOBALS.items()]
    outputs = ", ".join(f"``{o}``" for o in info.outputs)
    return f"""{body}

Args:
    model: an ``nn.Module`` (copied, eval mode; never modified).
    data, targets: training examples as ``X, y`` (torch tensors or numpy arrays), an ``(X, y)`` pair, a
        Dataset or a DataLoader (:func:`basinlab.data.as_tensors`).
    seed: seeds every random draw.  test, test_targets: held-out examples, same forms.
    loss: ``'cross_entropy'`` or ``'mse'`` (default: from the targets' dtype).
    init_state: the model at initialisation (``nn.Module`` or ``state_dict``), or None.
    device: where to compute (``'cpu'``, ``'cuda'``, ``'auto'``; default: the model's device).
{chr(10).join(args)}

Returns:
    :class:`~basinlab.measures.MeasureResult`: ``value``/``stderr``/``details`` of ``{info.outputs[0]}``;
    ``outputs`` has {outputs}.

Example::

    from basinlab.measures import {py}
    result = {py}(model, X, y, seed=0)
    result.value, result.stderr
"""


def _function(reg: str) -> Callable[..., MeasureResult]:
    py = python_name(reg)

    def fn(model: Any, data: Any, targets: Any = None, **kwargs: Any) -> MeasureResult:
        return measure(reg, model, data, targets, **kwargs)

    info = MEASURES[reg]
    keyword = [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=d) for k, d in _CALL_PARAMS]
    keyword += [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=d)
                for k, d in {**info.defaults, **API_GLOBALS}.items() if k not in dict(_CALL_PARAMS)]
    fn.__signature__ = inspect.Signature(_DATA_PARAMS + keyword, return_annotation=MeasureResult)  # type: ignore[attr-defined]
    fn.__name__ = fn.__qualname__ = py
    fn.__module__ = "basinlab.measures"
    fn.__doc__ = _doc(reg, py)
    return fn


def measure_functions() -> dict[str, Callable[..., MeasureResult]]:
    """``{python name: function}`` for every measure registered now (see the module docstring)."""
    return {python_name(reg): _function(reg) for reg in MEASURES}


def lookup(name: str) -> Callable[..., MeasureResult] | None:
    """The function of a measure registered after import (for ``basinlab.measures.__getattr__``), or None."""
    for reg in MEASURES:
        if python_name(reg) == name:
            return _function(reg)
    return None
