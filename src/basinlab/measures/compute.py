"""Run several measures on one model and return rows of the run directory's ``measures`` table.

The settings dict (the runner's ``[measures]`` table, or the CLI's) is flat at the top level::

    {"examples": 2000, "test_examples": 1000, "chunk_size": 4096,      # global keys (0 = all rows)
     "sam": {"rho": 0.05}, "volume": {"directions": 50}}              # per-measure overrides

Unknown measure names, unknown keys and values of the wrong type raise ConfigError naming the key.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import ConfigError, describe_choices
from .base import GLOBAL_SETTINGS, MEASURES, READS, MeasureData, MeasureValue, resolve_settings

__all__ = ["ALL_MEASURES", "compute_measures", "run_measures", "validate_measure_settings", "resolve_names",
           "measure_data"]

ALL_MEASURES = ("hessian_top", "hessian_trace", "hessian_density", "sam", "eps_sharpness", "noise", "pac_bayes",
                "norms", "function_space", "weakness", "volume", "volume_elementwise")
# Keys a spec may put in its [measures] table next to settings: which measures, and their seed.
_RESERVED = ("names", "seed")


def resolve_names(names: str | Iterable[str] | None) -> list[str]:
    """``'all'``/None → every measure; ``'a,b'`` or a list → those names, validated, duplicates removed."""
    if names is None or names == "all" or (not isinstance(names, str) and list(names) == ["all"]):
        return list(ALL_MEASURES)
    items = [s.strip() for s in names.split(",")] if isinstance(names, str) else [str(s).strip() for s in names]
    items = [s for s in items if s]
    unknown = [s for s in items if s not in MEASURES]
    if unknown or not items:
        raise ConfigError(f"measure name(s) {unknown or items!r} unknown; use 'all' or any of {describe_choices(ALL_MEASURES)}")
    return list(dict.fromkeys(items))


def validate_measure_settings(names: str | Iterable[str] | None, settings: Mapping[str, Any] | None) -> list[str]:
    """Check ``names`` and ``settings`` without computing anything; return the resolved measure names.

    ``names=None`` takes ``settings['names']`` (default ``'all'``), so a spec's whole ``[measures]`` table can be
    checked with ``validate_measure_settings(None, table)``. Raises ConfigError naming the first bad key
    (``measures.<name>.<key>`` or ``measures.<key>``).
    """
    settings = dict(settings or {})
    resolved = resolve_names(settings.get("names", "all") if names is None else names)
    seed = settings.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"setting measures.seed must be an integer; got {seed!r}")
    for key, value in settings.items():
        if key in _RESERVED or key in GLOBAL_SETTINGS:
            continue
        if key not in MEASURES:
            raise ConfigError(
                f"setting measures.{key} is unknown; use a measure name ({describe_choices(ALL_MEASURES)}) "
                f"or a global key ({describe_choices(sorted(GLOBAL_SETTINGS))})"
            )
        if not isinstance(value, Mapping):
            raise ConfigError(f"setting measures.{key} must be a table of that measure's settings; got {value!r}")
    for name in set(resolved) | {k for k in settings if k in MEASURES}:
        resolve_settings(name, settings)
    return resolved


def _tensors(data: Any, what: str) -> tuple[Any, Any]:
    if data is None:
        return None, None
    from ..data.tensors import as_tensors

    return as_tensors(data, what=what)


def measure_data(train_data: Any, test_data: Any = None, *, loss: str | None = None,
                 init_state: Mapping[str, Any] | None = None, landscape: str | None = None,
                 device: Any = None) -> MeasureData:
    """:class:`MeasureData` from any data form of :func:`basinlab.data.as_tensors`; loss inferred from the targets'
    dtype (float → ``'mse'``) unless given; landscape defaults to ``'train:<N>'``; ``device`` (``'cpu'``,
    ``'cuda'``, ``'auto'``; None = the model's) is where the measures compute."""
    x, y = _tensors(train_data, "data")
    tx, ty = _tensors(test_data, "test data")
    if loss is None:
        loss = "mse" if y.is_floating_point() else "cross_entropy"
    if loss == "mse" and not y.is_floating_point():  # labels -> one-hot rows, as training does
        import torch.nn.functional as F

        classes = int(getattr(train_data, "num_classes", 0) or int(y.max()) + 1)
        y = F.one_hot(y.long(), classes).float()
    if device is not None:
        from ..runtime import resolve_device

        device = resolve_device(device)
    return MeasureData(x, y, tx, ty, loss=loss, init_state=init_state, landscape=landscape or f"train:{len(x)}",
                       device=device)


NONFINITE_REASON = "the weights are not finite (NaN or Inf): no measure is defined"
NONFINITE_DATA = "the training examples are not finite (NaN or Inf in the inputs or targets): no loss is defined"
NONFINITE_HELD_OUT = "the held-out inputs are not finite (NaN or Inf): no prediction on them is defined"
NONFINITE_LOSS = "the training loss at these weights is not finite ({loss}): no measure of the loss is defined"
NUMERICAL_FAILURE = "the computation failed numerically ({error}); try float64 = true"
NONFINITE_RESULT = "the computation gave NaN (an overflow, e.g. of a float32 curvature); try float64 = true"


def _finite(*tensors: Any) -> bool:
    import torch

    return all(t is None or not t.is_floating_point() or bool(torch.isfinite(t).all()) for t in tensors)


def _finite_weights(model: Any) -> bool:
    return _finite(*model.parameters())


def _numerical_errors() -> tuple[type[BaseException], ...]:
    """Errors of a linear-algebra routine fed numbers it cannot handle (LAPACK, ARPACK, float traps)."""
    import numpy as np
    from scipy.sparse.linalg import ArpackError

    return np.linalg.LinAlgError, ArpackError, FloatingPointError


def _input_problems(net: Any, data: MeasureData, examples: int) -> dict[str, str]:
    """Why a measure reading ``'train'`` / ``'held_out'`` (:data:`~basinlab.measures.base.READS`) of ``net`` is not
    defined: non-finite training examples or test inputs, or a non-finite mean loss over the first ``examples``
    rows (0 = all) at these weights. Empty when every input is finite."""
    import torch

    from ..train.evaluate import evaluate

    problems: dict[str, str] = {}
    if not _finite(data.test_inputs):
        problems["held_out"] = NONFINITE_HELD_OUT
    if not _finite(data.inputs, data.targets):
        problems["train"] = NONFINITE_DATA
        return problems
    rows = int(examples) or len(data.inputs)
    device = next(iter(net.parameters()), torch.empty(0)).device
    loss, _ = evaluate(net, data.inputs[:rows].to(device), data.targets[:rows].to(device), data.loss)
    if not math.isfinite(loss):
        problems["train"] = NONFINITE_LOSS.format(loss=loss)
    return problems


def _measure(name: str, net: Any, data: MeasureData, settings: dict[str, Any], seed: int,
             problems: dict[str, str]) -> dict[str, MeasureValue]:
    """One measure's outputs: NaN with the reason when an input it reads is not finite or its linear algebra
    fails on the numbers; a NaN it computes carries :data:`NONFINITE_RESULT` as its reason."""
    info = MEASURES[name]
    reason = next((problems[r] for r in info.reads if r in problems), None)
    if reason is None:
        try:
            values = info.fn(net, data, settings, seed)
        except _numerical_errors() as exc:
            reason = NUMERICAL_FAILURE.format(error=f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
        else:
            return {out: (MeasureValue(mv.value, mv.stderr, {**mv.details, "reason": NONFINITE_RESULT})
                          if math.isnan(mv.value) and not mv.details.get("reason") else mv)
                    for out, mv in values.items()}
    return {out: MeasureValue(math.nan, math.nan, {"reason": reason}) for out in info.outputs}


def compute_measures(
    model: Any, train_data: Any, test_data: Any, names: str | Iterable[str] | None, settings: Mapping[str, Any] | None,
    seed: int, *, init_state: Mapping[str, Any] | None = None, landscape: str | None = None, loss: str | None = None,
    details: dict[str, MeasureValue] | None = None, device: Any = None,
) -> list[dict[str, Any]]:
    """Compute measures ``names`` of ``model`` and return ``measures``-table rows.

    Each row: ``measure`` (output name, e.g. ``'sam_avg'``), ``value``, ``stderr`` (NaN if exact),
    ``landscape`` and ``settings`` (JSON of that measure's resolved settings and the seed). The runner adds
    ``model_id`` and ``epoch``. ``details``, if given, is filled with the full :class:`MeasureValue` per row.
    ``device``: where to compute (a copy of the model and the data are moved there; default: the model's device).
    NaN or Inf never becomes a number: a model with a NaN or Inf weight gets NaN for every measure; a measure
    whose inputs (:attr:`MeasureInfo.reads`: the training examples and the loss at these weights, the held-out
    inputs) are not finite, or whose linear algebra fails on the numbers, gets NaN; ``details[...].details
    ['reason']`` says why (``basinlab measure`` shows it).
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"measure seed must be an integer; got {seed!r}")
    resolved = validate_measure_settings(names, settings)
    data = measure_data(train_data, test_data, loss=loss, init_state=init_state, landscape=landscape, device=device)
    variants: list[tuple[str, Any]] = [("", model)]
    factors = list((settings or {}).get("reparam_factors", []))
    if factors:
        from .reparam import reparameterize

        layer = int((settings or {}).get("reparam_layer", 0))
        variants += [(f"@a={float(a):g}", reparameterize(model, layer, float(a))) for a in factors]
    rows = [] if len(variants) == 1 else _function_check_rows(model, variants[1:], data, seed)
    for suffix, net in variants:
        if _finite_weights(net):
            problems = _input_problems(net, data, int((settings or {}).get("examples", 0)))
        else:
            problems = dict.fromkeys(("weights", *READS), NONFINITE_REASON)
        for name in resolved:
            resolved_settings = resolve_settings(name, settings)
            if "weights" in problems:
                values = {out: MeasureValue(math.nan, math.nan, {"reason": NONFINITE_REASON})
                          for out in MEASURES[name].outputs}
            else:
                values = _measure(name, net, data, resolved_settings, seed, problems)
            text = json.dumps({**resolved_settings, "seed": seed}, sort_keys=True, default=str)
            for out_name, mv in values.items():
                rows.append({"measure": out_name + suffix, "value": float(mv.value),
                             "stderr": float(mv.stderr) if mv.stderr is not None else math.nan,
                             "landscape": data.landscape, "settings": text})
                if details is not None:
                    details[out_name + suffix] = mv
    return rows


# rows comparing each rescaled network's outputs with the original's (reparam_factors): the function is unchanged
FUNCTION_CHECKS = ("max_output_change", "prediction_agreement")


def _function_check_rows(model: Any, variants: list[tuple[str, Any]], data: MeasureData, seed: int) -> list[dict[str, Any]]:
    """Per rescaled network ``(suffix, net)``: ``max_output_change<suffix>`` = max |f_a(x) − f(x)| over every
    output of every landscape and held-out input (both networks evaluated in float64; the rescaled weights are
    rounded to the model's dtype) and ``prediction_agreement<suffix>`` = fraction of inputs with the same argmax."""
    import torch

    from .reparam import check_function_preserved

    x, tx = data.inputs, data.test_inputs
    inputs = x if tx is None else torch.cat([x, tx.to(x.dtype)])
    inputs = inputs.to(next(model.parameters()).device)  # the measures' data may sit on another device
    text = json.dumps({"inputs": int(inputs.shape[0]), "dtype": "float64", "seed": seed}, sort_keys=True)
    rows = []
    for suffix, net in variants:
        check = check_function_preserved(model, net, inputs)
        values = (check.max_abs_diff, check.argmax_agreement)
        if not math.isfinite(check.max_abs_diff):  # NaN/Inf weights or outputs: no argmax to compare
            values = (math.nan, math.nan)
        for name, value in zip(FUNCTION_CHECKS, values, strict=True):
            rows.append({"measure": name + suffix, "value": float(value), "stderr": math.nan,
                         "landscape": data.landscape, "settings": text})
    return rows


def run_measures(model: Any, data: Any, settings: Mapping[str, Any] | None, *, loss: str | None = None,
                 landscape: str | None = None, test_data: Any = None, seed: int | None = None,
                 init_state: Mapping[str, Any] | None = None, data_dir: Any = None,
                 device: Any = None) -> list[dict[str, Any]]:
    """The runner's entry point: a spec's whole ``[measures]`` table as ``settings``.

    ``settings['names']`` (default ``'all'``) picks the measures and ``settings['seed']`` (default 0) seeds them
    unless ``seed`` is given. When ``function_space`` or ``weakness`` is requested without ``test_data`` and ``data`` is a
    basinlab ``Dataset``, its test split (same data seed and options) is built here.
    """
    table = dict(settings or {})
    names = validate_measure_settings(None, table)
    if test_data is None and {"function_space", "weakness"} & set(names) and getattr(data, "spec", None) is not None:
        from ..data import DatasetSpec, make_dataset

        spec = data.spec
        test_data = make_dataset(DatasetSpec(name=spec.name, split="test", seed=spec.seed, options=spec.options),
                                 data_dir=data_dir)
    run_seed = table.get("seed", 0) if seed is None else seed
    return compute_measures(model, data, test_data, names, table, run_seed, init_state=init_state,
                            landscape=landscape, loss=loss, device=device)
