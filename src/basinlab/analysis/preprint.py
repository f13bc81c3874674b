"""The 2026 preprint's studies over a run's tables: head-to-head correlations beside its figures, and the
reparameterisation table (every measure before and after a function-preserving rescaling).

Preprint: M. T. Bennett, "Are Flat Minima an Illusion?", arXiv:2605.05209 (2026). Its public abstract reports,
over 100 networks of identical architecture and training: MNIST weakness +0.374 (p = 0.00012), sharpness −0.226,
simplicity p = 0.848; Fashion-MNIST weakness +0.384 (p = 8.15e-5). The abstract writes the coefficient as ρ;
which rank statistic and which generalisation target (test accuracy or the gap) it is, and how sharpness is
measured, are not public: we set its figures beside our Kendall τ and Spearman ρ against test accuracy, and map
"sharpness" to ``hessian_top`` (the Hessian is the sharpness its abstract names).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .measures import correlation_table

__all__ = ["PAPER_HEAD_TO_HEAD", "head_to_head_table", "reparam_table", "INVARIANCE_RTOL", "LOOSE_RTOL", "varied_columns",
           "FUNCTION_ATOL"]

# dataset -> our measure -> (the preprint's coefficient, its p-value); NaN where the abstract gives none
PAPER_HEAD_TO_HEAD: dict[str, dict[str, tuple[float, float]]] = {
    "mnist": {"weakness": (0.374, 0.00012), "hessian_top": (-0.226, math.nan)},
    "fashion-mnist": {"weakness": (0.384, 8.15e-5)},
}
# the preprint's "simplicity" (MNIST p = 0.848) has no counterpart here: its definition is not public
INVARIANCE_RTOL = 1e-6  # "exact": every rescaled value within this relative change (float64 measures)
LOOSE_RTOL = 1e-3       # "to 1e-3": within this (float32 measures, differences of nearby losses)
_DESIGN = ("variant", "train_size", "data_seed", "lr", "batch_size", "weight_decay", "optimizer", "poison")


def varied_columns(models: pd.DataFrame) -> list[str]:
    """Design columns of ``models`` (besides the model seed) that take more than one value."""
    return [c for c in _DESIGN if c in models.columns and models[c].nunique() > 1]


def head_to_head_table(measures: pd.DataFrame, models: pd.DataFrame, dataset: str | None = None) -> pd.DataFrame:
    """Per measure (rescaled ``@a=`` rows left out): n, Kendall τ / Spearman ρ with p-values against test accuracy
    (``*_acc``) and against the gap (``*_gap``), and the preprint's figure for ``dataset`` where it has one
    (``paper``, ``paper_p``). Sorted by |τ against test accuracy|, strongest first."""
    own = measures[~measures["measure"].astype(str).str.contains("@a=", regex=False)]
    if own.empty:
        return pd.DataFrame()
    acc = correlation_table(own, models, target="test_acc", hyperparameters=[])
    gap = correlation_table(own, models, target="gap", hyperparameters=[])
    keep = ["measure", "kendall_tau", "kendall_p", "spearman_rho", "spearman_p"]
    out = acc[["measure", "n", *keep[1:]]].merge(gap[keep], on="measure", suffixes=("_acc", "_gap"))
    paper = PAPER_HEAD_TO_HEAD.get(str(dataset), {})
    out["paper"] = [paper.get(m, (math.nan, math.nan))[0] for m in out["measure"]]
    out["paper_p"] = [paper.get(m, (math.nan, math.nan))[1] for m in out["measure"]]
    order = out["kendall_tau_acc"].abs().fillna(-1).to_numpy()
    return out.iloc[np.argsort(-order, kind="stable")].reset_index(drop=True)


# rows of the function check (measures.compute): their value for the original network, and the largest |Δ output|
# (float64 evaluation of float32 weights: the rescaled weights are rounded once) still called "same function"
FUNCTION_BASE = {"max_output_change": 0.0, "prediction_agreement": 1.0}
FUNCTION_ATOL = 1e-4


def reparam_table(measures: pd.DataFrame, rtol: float = INVARIANCE_RTOL) -> pd.DataFrame:
    """Every measure at a = 1 and after each rescaling ``@a=<a>``, averaged over models (final epoch): columns
    ``measure``, ``a=1``, ``a=<a>`` …, ``max_ratio`` (largest |rescaled / original| over models and factors),
    ``max_rel_change`` and ``invariant``: ``'exact'`` (every relative change ≤ ``rtol``), ``'to 1e-3'`` (≤
    :data:`LOOSE_RTOL`) or ``'no'``. The function check comes first: ``max_output_change`` (max |Δ output|, largest
    over models; ``'exact'`` when ≤ :data:`FUNCTION_ATOL`) and ``prediction_agreement`` (smallest over models;
    ``'exact'`` when 1). Empty without rescaled rows."""
    rows = measures[measures["epoch"] == -1] if "epoch" in measures.columns else measures
    names = rows["measure"].astype(str)
    scaled = rows[names.str.contains("@a=", regex=False)]
    if scaled.empty:
        return pd.DataFrame()
    base = rows[~names.str.contains("@a=", regex=False)].set_index(["model_id", "measure"])["value"]
    parts = scaled["measure"].astype(str).str.split("@a=", n=1, expand=True)
    scaled = scaled.assign(base_measure=parts[0], factor=parts[1].astype(float))
    out = []
    for name, g in scaled.groupby("base_measure", sort=False):
        if name in FUNCTION_BASE:
            out.append(_function_row(name, g))
            continue
        orig = np.array([base.get((m, name), np.nan) for m in g["model_id"]], dtype=float)
        new = g["value"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            change = np.abs(new - orig) / np.maximum(np.abs(orig), 1e-300)
            ratio = np.abs(new / orig)
        both_inf = np.isinf(orig) & np.isinf(new) & (np.sign(orig) == np.sign(new))
        change = np.where(both_inf | (new == orig), 0.0, change)
        rec: dict[str, object] = {"measure": name, "a=1": float(np.nanmean(orig)) if np.isfinite(orig).any() else float(orig.mean())}
        for a, ga in g.groupby("factor"):
            rec[f"a={a:g}"] = float(ga["value"].mean())
        finite_ratio = ratio[np.isfinite(ratio)]
        rec["max_ratio"] = float(finite_ratio.max()) if finite_ratio.size else math.nan
        rec["max_rel_change"] = float(np.nanmax(change)) if np.isfinite(change).any() else math.nan
        rec["invariant"] = ("exact" if np.all(change <= rtol) else f"to {LOOSE_RTOL:g}" if np.all(change <= LOOSE_RTOL)
                            else "no")
        out.append(rec)
    table = pd.DataFrame(out)
    first = table["measure"].isin(list(FUNCTION_BASE)).to_numpy()
    return pd.concat([table[first], table[~first]], ignore_index=True)


def _function_row(name: str, g: pd.DataFrame) -> dict[str, object]:
    """The reparam table's row of one function check: worst value over models per factor (NaN stays NaN)."""
    worst = np.nanmax if name == "max_output_change" else np.nanmin
    rec: dict[str, object] = {"measure": name, "a=1": FUNCTION_BASE[name]}
    values = g["value"].to_numpy(float)
    for a, ga in g.groupby("factor"):
        v = ga["value"].to_numpy(float)
        rec[f"a={a:g}"] = float(worst(v)) if np.isfinite(v).any() else math.nan
    same = (values <= FUNCTION_ATOL) if name == "max_output_change" else (values == 1.0)
    rec["max_ratio"] = math.nan
    rec["max_rel_change"] = float(np.nanmax(values)) if name == "max_output_change" and np.isfinite(values).any() \
        else math.nan
    rec["invariant"] = "exact" if len(values) and bool(np.all(same)) else "no"
    return rec
