"""Every claim of the basin-volume paper that a run can test, with a verdict from a rule stated beside it.

Which claims apply is read from the run's tables (never from the recipe name). Each :class:`Claim` carries
the paper's figure (:mod:`basinlab.analysis.paper`), ours, its uncertainty, the rule in words and a verdict:

- ``reproduced`` / ``not reproduced``: the rule's outcome on this run's numbers;
- ``not testable here``: the run lacks what the rule needs (``why`` says what).

Ordering claims ("A has a larger volume than B") are all judged alike: pairs of log-volumes that are equal
in everything but the factor studied; a pair where both are −∞ has no order and is skipped; the claim is
reproduced iff at least :data:`ORDERING_AGREEMENT` of the remaining pairs (and at least one) agree.

Final-model volumes have ``epoch == -1``; checkpoints have their training epoch (≥ 0).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import BasinlabError
from ..numbers import human_number
from .bootstrap import bootstrap_statistic
from .correlation import rank_correlation
from .paper import PAPER_ACCURACY, PAPER_ALPHA, PAPER_ALPHA_THRESHOLD, PAPER_SIZE_RANGE, architecture_of
from .powerlaw import join_models
from .run import RunTables, load_run, loss_thresholds_only
from .table import table1

__all__ = [
    "Claim", "check_claims", "claims_frame", "claims_records", "VERDICTS", "REPRODUCED", "NOT_REPRODUCED",
    "NOT_TESTABLE", "ORDERING_AGREEMENT", "ALPHA_RELATIVE_TOLERANCE", "ACCURACY_TOLERANCE", "CONFIDENCE",
    "SMALL_POISON_FRACTION", "GROKKING_P_VALUE", "GROKKING_ACC_BEFORE", "GROKKING_ACC_AFTER",
    "FEW_DIRECTIONS", "MIN_DIRECTIONS",
]

REPRODUCED, NOT_REPRODUCED, NOT_TESTABLE = "reproduced", "not reproduced", "not testable here"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, NOT_TESTABLE)

# The rule constants, each used by one rule below.
ORDERING_AGREEMENT = 0.9         # fraction of comparable pairs that must agree with a claimed ordering
ALPHA_RELATIVE_TOLERANCE = 0.2   # α matches the paper if inside our CI or within this fraction of |paper α|
ACCURACY_TOLERANCE = 0.03        # test accuracy matches if within this (absolute) of the paper's value/range
CONFIDENCE = 0.95                # level of every bootstrap interval
SMALL_POISON_FRACTION = 0.05     # "even at ≈3 % poison" needs a poison fraction at most this
GROKKING_P_VALUE = 0.05          # one-sided Kendall p-value below which "volume falls" holds
GROKKING_ACC_BEFORE = 0.10       # test accuracy at the first checkpoint must be below this ...
GROKKING_ACC_AFTER = 0.90        # ... and at the last checkpoint above this
FEW_DIRECTIONS = 50              # the paper's robustness check: volumes from this many directions ...
MIN_DIRECTIONS = 100             # ... compared with runs that measured at least this many


@dataclass(frozen=True)
class Claim:
    """One claim of the paper checked on one run.

    ``paper``/``ours``/``uncertainty`` are display text; ``paper_value``/``our_value``/``lo``/``hi`` are the
    numbers behind them where there is one (None otherwise). ``verdict`` is one of :data:`VERDICTS`.
    """

    key: str
    experiment: str
    statement: str
    rule: str
    paper: str
    ours: str
    uncertainty: str
    verdict: str
    why: str = ""
    paper_value: float | None = None
    our_value: float | None = None
    lo: float | None = None
    hi: float | None = None


def _untestable(key: str, experiment: str, statement: str, rule: str, paper: str, why: str,
                paper_value: float | None = None) -> Claim:
    return Claim(key, experiment, statement, rule, paper, "—", "—", NOT_TESTABLE, why, paper_value)


# -- formatting ---------------------------------------------------------------------------------------------

def _g(value: float, digits: int = 3) -> str:
    """A number for people (:func:`basinlab.numbers.human_number`): ``digits`` significant digits (3 for ours; a
    paper's value with the digits it was published with), ``2.8×10⁻⁷`` for tiny ones, a true minus sign."""
    if value is None or not math.isfinite(value):
        return "—" if value is None or math.isnan(value) else ("−∞" if value < 0 else "∞")
    return human_number(float(value), digits).replace("-", "−")


def _signed(fraction: float) -> str:
    return f"{100 * fraction:+.2f}".replace("-", "−")


def _pct(value: float, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f}%"


def _tag(*parts: Any) -> str:
    return "[" + ", ".join(str(p) for p in parts if p != "") + "]"


def _tau(threshold: float) -> str:
    return f"τ={threshold:g}"


# -- pairs ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Pairs:
    """Outcome of an ordering check: ``agree`` of ``total`` comparable pairs; ``skipped`` pairs both −∞."""

    agree: int = 0
    total: int = 0
    skipped: int = 0
    with_inf: int = 0  # comparable pairs where one side is −∞

    def __add__(self, other: _Pairs) -> _Pairs:
        return _Pairs(*(a + b for a, b in zip(dataclasses.astuple(self), dataclasses.astuple(other), strict=True)))

    @property
    def fraction(self) -> float:
        return self.agree / self.total if self.total else float("nan")


def _ordering(frame: pd.DataFrame, by: list[str], factor: str, *, larger: str = "smaller",
              reference: str | None = None) -> _Pairs:
    """Pairs within each ``by`` group whose ``factor`` differs: the row with the ``larger``-claimed factor value
    ('smaller' or 'larger') should have the larger log V. With ``reference`` (a bool column), only pairs of a
    reference row with a non-reference row count.
    """
    out = _Pairs()
    if frame.empty:
        return out
    for _, group in frame.groupby(by, dropna=False, sort=False):
        if len(group) < 2:
            continue
        f = group[factor].to_numpy(dtype=float)
        v = group["log_volume"].to_numpy(dtype=float)
        ref = group[reference].to_numpy(dtype=bool) if reference else None
        i, j = np.triu_indices(len(group), k=1)
        keep = (f[i] != f[j]) & ~np.isnan(v[i]) & ~np.isnan(v[j])
        if ref is not None:
            keep &= ref[i] != ref[j]
        i, j = i[keep], j[keep]
        both = np.isneginf(v[i]) & np.isneginf(v[j])
        i, j = i[~both], j[~both]
        first_larger = (f[i] < f[j]) if larger == "smaller" else (f[i] > f[j])
        hi = np.where(first_larger, i, j)
        lo = np.where(first_larger, j, i)
        out += _Pairs(int((v[hi] > v[lo]).sum()), len(i), int(both.sum()),
                      int((np.isneginf(v[i]) | np.isneginf(v[j])).sum()))
    return out


def _concordance(frame: pd.DataFrame, by: list[str], a: str, b: str) -> _Pairs:
    """Pairs of rows within each ``by`` group ordered the same way by columns ``a`` and ``b``.

    A pair tied (e.g. both −∞) in either column has no order and is skipped.
    """
    out = _Pairs()
    for _, group in frame.groupby(by, dropna=False, sort=False):
        if len(group) < 2:
            continue
        x, y = group[a].to_numpy(dtype=float), group[b].to_numpy(dtype=float)
        i, j = np.triu_indices(len(group), k=1)
        with np.errstate(invalid="ignore"):
            sx, sy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
        sx = np.where(np.isneginf(x[i]) & np.isneginf(x[j]), 0, sx)
        sy = np.where(np.isneginf(y[i]) & np.isneginf(y[j]), 0, sy)
        ok = (sx != 0) & (sy != 0) & ~np.isnan(sx) & ~np.isnan(sy)
        inf = np.isneginf(x[i]) | np.isneginf(x[j]) | np.isneginf(y[i]) | np.isneginf(y[j])
        out += _Pairs(int((sx[ok] == sy[ok]).sum()), int(ok.sum()), int((~ok).sum()), int((ok & inf).sum()))
    return out


ORDERING_RULE = (f"pairs equal in everything but the factor studied; pairs with both log V = −∞ skipped; "
                 f"reproduced iff ≥ {ORDERING_AGREEMENT:.0%} of comparable pairs (and ≥ 1) agree")


def _ordering_claim(key: str, experiment: str, statement: str, pairs_text: str, paper: str, pairs: _Pairs,
                    why_none: str, why: str = "") -> Claim:
    rule = f"{pairs_text}; {ORDERING_RULE}"
    if pairs.total == 0:
        extra = f" ({pairs.skipped} pairs had both log V = −∞)" if pairs.skipped else ""
        return _untestable(key, experiment, statement, rule, paper, why_none + extra)
    frac = pairs.fraction
    notes = []
    if pairs.skipped:
        notes.append(f"{pairs.skipped} with both −∞ skipped")
    if pairs.with_inf:
        notes.append(f"{pairs.with_inf} decided by a −∞")
    uncertainty = f"{pairs.agree}/{pairs.total} pairs" + (f" ({'; '.join(notes)})" if notes else "")
    verdict = REPRODUCED if frac >= ORDERING_AGREEMENT else NOT_REPRODUCED
    return Claim(key, experiment, statement, rule, paper, f"{pairs.agree}/{pairs.total} agree ({frac:.0%})",
                 uncertainty, verdict, why, None, frac, None, None)


# -- the run, normalised ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Run:
    models: pd.DataFrame   # with label, seed_unit, eff_batch and filled poison/imbalance/sam_rho/optimizer
    volumes: pd.DataFrame  # volumes joined with models, log_volume float, own-landscape flag
    training: pd.DataFrame
    radii: pd.DataFrame
    tables: RunTables
    thresholds: tuple[float, ...]


def _prepare(tables: RunTables) -> _Run:
    m = tables.models.copy()
    m["poison"] = pd.to_numeric(m["poison"]).fillna(0).astype(int)
    m["imbalance"] = m["imbalance"].astype(object).where(m["imbalance"].notna(), "").astype(str)
    m["sam_rho"] = pd.to_numeric(m["sam_rho"]).astype(float).fillna(0.0)
    m["optimizer"] = m["optimizer"].astype(object).where(m["optimizer"].notna(), "").astype(str)
    m["batch_size"] = pd.to_numeric(m["batch_size"]).fillna(0).astype(int)
    m["train_size"] = pd.to_numeric(m["train_size"]).astype(int)
    m["eff_batch"] = np.where(m["batch_size"] > 0, m["batch_size"], m["train_size"])  # 0 = full batch
    m["seed_unit"] = m["model_seed"].astype(str) + "/" + m["data_seed"].astype(str)
    several = m["dataset"].nunique() > 1
    m["label"] = [f"{d}/{v}" if several else str(v) for d, v in zip(m["dataset"], m["variant"], strict=True)]
    m["clean"] = (m["poison"] == 0) & (m["imbalance"] == "")
    if len(tables.volumes) and len(m):
        vol = join_models(tables.volumes, m.drop(columns=["seed_unit"]))
        vol["log_volume"] = vol["log_volume"].astype(float)
        vol["threshold"] = vol["threshold"].astype(float)
        vol["epoch"] = vol["epoch"].astype(int)
        vol["landscape_size"] = vol["landscape_size"].astype(int)
        vol["own"] = vol["landscape"].astype(str) == "train:" + (vol["train_size"] + vol["poison"]).astype(str)
        vol["own"] |= (vol["poison"] > 0) & (vol["landscape"].astype(str) == "own:" + (vol["train_size"] + vol["poison"]).astype(str))
        vol["kind"] = vol["landscape"].astype(str).str.split(":").str[0]
        # landscapes no larger than the model's own training set: where the paper's orderings are stated
        # (a minimum carried into a larger landscape is the class-imbalance study's subject, not these)
        vol["within"] = vol["landscape_size"] <= vol["train_size"] + vol["poison"]
        thresholds = tuple(sorted(float(t) for t in vol["threshold"].unique()))
    else:
        vol, thresholds = pd.DataFrame(), ()
    return _Run(m, vol, tables.training, tables.radii, tables, thresholds)


def _final(run: _Run) -> pd.DataFrame:
    return run.volumes[run.volumes["epoch"] == -1] if len(run.volumes) else run.volumes


# -- 1. data size --------------------------------------------------------------------------------------------------

def _optimiser(group: pd.DataFrame) -> str:
    return "sam" if (group["sam_rho"] > 0).any() else str(group["optimizer"].iloc[0])


def _data_size(run: _Run, *, seed: int, n_boot: int) -> list[Claim]:
    clean = run.models[run.models["clean"]]
    variants = [(k, g) for k, g in clean.groupby(["dataset", "label"], sort=True) if g["train_size"].nunique() >= 2]
    if not variants:
        return []
    claims: list[Claim] = []
    final = _final(run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t1 = table1(run.tables, n_boot=n_boot, seed=seed) if len(final) else pd.DataFrame()
    for (dataset, label), group in variants:
        sam = bool((group["sam_rho"] > 0).any())
        claims += _size_ordering(final, group, label, sam)
        claims += _alpha(t1, run, dataset, label, group)
        claims += _accuracy(dataset, label, group)
    return claims


def _size_ordering(final: pd.DataFrame, group: pd.DataFrame, label: str, sam: bool) -> list[Claim]:
    experiment, name = ("SAM", "sam.size_trend") if sam else ("data size", "data_size.ordering")
    statement = ("with SAM too, a minimum trained on less data has a larger basin in a shared landscape" if sam else
                 "a minimum trained on less data has a larger basin than one trained on more, in the same landscape")
    pairs_text = ("within each (seed pair, τ, landscape 'train:<n>' with n ≤ a), every two models trained on sizes "
                  "a < b: the size-a model has the larger log V")
    paper = "holds in every landscape (qualitative)"
    rows = final[final["model_id"].isin(group["model_id"]) & final["landscape"].astype(str).str.startswith("train:")
                 & final["within"]] if len(final) else final
    thresholds = sorted(rows["threshold"].unique()) if len(rows) else []
    if not thresholds:
        return [_untestable(f"{name}{_tag(label)}", experiment, statement, f"{pairs_text}; {ORDERING_RULE}", paper,
                            f"no final-model volumes in 'train:<n>' landscapes for variant {label!r}")]
    return [_ordering_claim(f"{name}{_tag(label, _tau(t))}", experiment, statement, pairs_text, paper,
                            _ordering(rows[rows["threshold"] == t], ["landscape", "seed_unit"], "train_size"),
                            "no landscape holds two of this variant's training sizes for one seed pair")
            for t in thresholds]


def _alpha(t1: pd.DataFrame, run: _Run, dataset: str, label: str, group: pd.DataFrame) -> list[Claim]:
    n = int(group["n_params"].iloc[0]) if group["n_params"].nunique() == 1 else None
    arch = architecture_of(dataset, n) if n is not None else None
    opt = _optimiser(group)
    paper_alpha = PAPER_ALPHA.get((dataset, arch.name, opt)) if arch else None
    sizes = (int(group["train_size"].min()), int(group["train_size"].max()))
    full = PAPER_SIZE_RANGE.get(dataset)
    what = f"{dataset} {arch.name if arch else f'n = {n:,}' if n else 'mixed n'} with {opt}"
    paper_text = (f"α = {_g(paper_alpha, 4)} (Table 1, {full[0]:,}–{full[1]:,}, τ = {PAPER_ALPHA_THRESHOLD:g})"
                  if paper_alpha is not None and full else "no α reported")
    v_statement = "the power-law exponent α (log V ∝ n·α·log D) has the paper's value"
    v_rule = (f"reproduced iff the paper's α lies in our {CONFIDENCE:.0%} CI over seeds or "
              f"|ours − paper| ≤ {ALPHA_RELATIVE_TOLERANCE:g}·|paper|")
    s_statement = "basin volume falls with training-set size: α < 0"
    s_rule = f"reproduced iff the upper end of our {CONFIDENCE:.0%} CI over seeds is < 0"
    notes = []
    if full and (sizes[0] > full[0] or sizes[1] < full[1]):
        notes.append(f"our sizes {sizes[0]:,}–{sizes[1]:,} span less than the paper's {full[0]:,}–{full[1]:,}")
    if arch and arch.note:
        notes.append(arch.note)
    rows = t1[(t1["dataset"] == dataset) & (t1["variant"].isin(group["variant"].unique()))] if len(t1) else t1
    claims = []
    if not run.thresholds:
        claims.append(_untestable(f"data_size.alpha{_tag(label)}", "data size", v_statement, v_rule, paper_text,
                                  "no volumes measured", paper_alpha))
    for t in run.thresholds:
        tag = _tag(label, _tau(t))
        row = rows[np.isclose(rows["threshold"].astype(float), t)] if len(rows) else rows
        fitted = len(row) and np.isfinite(float(row["alpha"].iloc[0]))
        if not fitted:
            why = "fewer than two training sizes with a finite own-landscape volume (or no volumes) at this τ"
            claims.append(_untestable(f"data_size.alpha{tag}", "data size", v_statement, v_rule, paper_text, why,
                                      paper_alpha))
            claims.append(_untestable(f"data_size.alpha_sign{tag}", "data size", s_statement, s_rule, "α < 0 in every "
                                      "row of Table 1", why))
            continue
        r = row.iloc[0]
        alpha, lo, hi = float(r["alpha"]), float(r["alpha_lo"]), float(r["alpha_hi"])
        has_ci = math.isfinite(lo) and math.isfinite(hi)
        ours = f"α = {_g(alpha)}"
        unc = (f"{CONFIDENCE:.0%} CI [{_g(lo)}, {_g(hi)}] over {int(r['n_seeds'])} seeds" if has_ci
               else f"no CI ({int(r['n_seeds'])} seed)")
        excluded = int(r["n_excluded"]) if pd.notna(r["n_excluded"]) else 0
        if excluded:
            unc += f"; {excluded} own-landscape −∞ left out"
        if paper_alpha is None:
            why = f"the paper reports no α for {what}"
            claims.append(Claim(f"data_size.alpha{tag}", "data size", v_statement, v_rule, paper_text, ours, unc,
                                NOT_TESTABLE, why, None, alpha, lo if has_ci else None, hi if has_ci else None))
        elif not math.isclose(t, PAPER_ALPHA_THRESHOLD):
            why = f"the paper reports α at τ = {PAPER_ALPHA_THRESHOLD:g} only"
            claims.append(Claim(f"data_size.alpha{tag}", "data size", v_statement, v_rule, paper_text, ours, unc,
                                NOT_TESTABLE, why, paper_alpha, alpha, lo if has_ci else None, hi if has_ci else None))
        else:
            inside = has_ci and lo <= paper_alpha <= hi
            close = abs(alpha - paper_alpha) <= ALPHA_RELATIVE_TOLERANCE * abs(paper_alpha)
            claims.append(Claim(f"data_size.alpha{tag}", "data size", v_statement, v_rule, paper_text, ours, unc,
                                REPRODUCED if inside or close else NOT_REPRODUCED, "; ".join(notes), paper_alpha,
                                alpha, lo if has_ci else None, hi if has_ci else None))
        if has_ci:
            claims.append(Claim(f"data_size.alpha_sign{tag}", "data size", s_statement, s_rule,
                                "α < 0 in every row of Table 1", ours, unc, REPRODUCED if hi < 0 else NOT_REPRODUCED,
                                "; ".join(notes[:1]), None, alpha, lo, hi))
        else:
            claims.append(Claim(f"data_size.alpha_sign{tag}", "data size", s_statement, s_rule,
                                "α < 0 in every row of Table 1", ours, unc, NOT_TESTABLE,
                                "a CI over seeds needs at least two seed pairs", None, alpha))
    return claims


def _accuracy(dataset: str, label: str, group: pd.DataFrame) -> list[Claim]:
    n = int(group["n_params"].iloc[0]) if group["n_params"].nunique() == 1 else None
    arch = architecture_of(dataset, n) if n is not None else None
    opt = _optimiser(group)
    statement = "test accuracy at this training size matches the paper's"
    rule = f"reproduced iff our mean over seeds is within {ACCURACY_TOLERANCE:g} (absolute) of the paper's value or range"
    claims = []
    for size in sorted({int(group["train_size"].min()), int(group["train_size"].max())}):
        acc = group.loc[group["train_size"] == size, "test_acc"].astype(float).dropna()
        key = f"data_size.test_acc{_tag(label, f'D={size}')}"
        refs = [a for a in PAPER_ACCURACY if arch and opt == "adamw" and a.dataset == dataset
                and a.architecture == arch.name and a.train_size == size]
        if not refs:
            what = f"{dataset} {arch.name if arch else f'n = {n:,}' if n else 'mixed n'} with {opt}"
            claims.append(_untestable(key, "data size", statement, rule, "no figure",
                                      f"the paper reports no test accuracy for {what} at D = {size:,}"))
            continue
        ref = refs[0]
        paper = ref.text() + "".join(f"; {r.text()}" for r in refs[1:])
        if acc.empty:
            claims.append(_untestable(key, "data size", statement, rule, paper, "no test accuracy recorded",
                                      (ref.low + ref.high) / 2))
            continue
        mean = float(acc.mean())
        distance = max(ref.low - mean, mean - ref.high, 0.0)
        unc = f"seeds {_pct(acc.min())}–{_pct(acc.max())} (n = {len(acc)})"
        claims.append(Claim(key, "data size", statement, rule, paper, _pct(mean), unc,
                            REPRODUCED if distance <= ACCURACY_TOLERANCE + 1e-12 else NOT_REPRODUCED, "",
                            (ref.low + ref.high) / 2, mean, float(acc.min()), float(acc.max())))
    return claims


# -- 2. poisoning ----------------------------------------------------------------------------------------------

_MATCH_POISON = ["dataset", "label", "model_seed", "data_seed", "train_size", "imbalance"]


def _poisoning(run: _Run, **_: Any) -> list[Claim]:
    models = run.models
    poisoned = models[models["poison"] > 0]
    if poisoned.empty:
        return []
    final = _final(run)
    base = final[final["landscape"].astype(str) == "train:" + final["train_size"].astype(str)] if len(final) else final
    partners = models[models["poison"] == 0].merge(poisoned[_MATCH_POISON].drop_duplicates(), on=_MATCH_POISON)
    claims = []
    for label, group in poisoned.groupby("label", sort=True):
        rows = base[base["model_id"].isin(group["model_id"])] if len(base) else base
        clean_rows = base[base["model_id"].isin(partners.loc[partners["label"] == label, "model_id"])] \
            if len(base) else base
        p_min = float((group["poison"] / group["train_size"]).min())
        if not run.thresholds:
            claims.append(_poison_fit(f"poisoning.fits_base{_tag(label)}", pd.DataFrame(), float("nan")))
            continue
        for t in run.thresholds:
            tag = _tag(label, _tau(t))
            at = rows[rows["threshold"] == t] if len(rows) else rows
            claims.append(_poison_fit(f"poisoning.fits_base{tag}", at, t))
            both = pd.concat([at, clean_rows[clean_rows["threshold"] == t]]) if len(at) else at
            if len(both):
                both = both.assign(is_clean=both["poison"] == 0)
            by = ["seed_unit", "train_size", "imbalance"]
            claims.append(_ordering_claim(
                f"poisoning.smaller_volume{tag}", "poisoning",
                "a poisoned minimum has a smaller basin than the clean minimum, in the clean base landscape",
                "poison 0 vs each poison > 0, same seeds and base size, in landscape 'train:<base size>': "
                "the poisoned model has the smaller log V", "holds (qualitative)",
                _ordering(both, by, "poison", reference="is_clean") if len(both) else _Pairs(),
                "no poisoned model has a clean partner (same seeds and base size) measured in the base landscape"))
            statement = "even a small poison fraction (≈3 %) gives a smaller basin"
            pairs_text = (f"as poisoning.smaller_volume, restricted to the smallest poison fraction p = "
                          f"poison/base (here {_pct(p_min)})")
            paper = "holds at ≈3 % poison"
            if p_min > SMALL_POISON_FRACTION:
                claims.append(_untestable(f"poisoning.small_poison{tag}", "poisoning", statement,
                                          f"{pairs_text}; not testable if p > {SMALL_POISON_FRACTION:.0%}; "
                                          f"{ORDERING_RULE}", paper,
                                          f"the smallest poison fraction here is {_pct(p_min)} > "
                                          f"{_pct(SMALL_POISON_FRACTION, 0)}"))
                continue
            small = both[(both["poison"] == 0) | np.isclose(both["poison"] / both["train_size"], p_min)] \
                if len(both) else both
            claim = _ordering_claim(f"poisoning.small_poison{tag}", "poisoning", statement, pairs_text, paper,
                                    _ordering(small, by, "poison", reference="is_clean") if len(small) else _Pairs(),
                                    "no model at the smallest poison fraction has a measured clean partner")
            claims.append(dataclasses.replace(claim, ours=f"p = {_pct(p_min)}: {claim.ours}"))
    return claims


def _poison_fit(key: str, rows: pd.DataFrame, t: float) -> Claim:
    statement = "a poisoned minimum still fits its clean base set (it is a minimum of the base landscape)"
    rule = "every poisoned model's centre loss in 'train:<base size>' is below τ (finite log V); reproduced iff all are"
    if rows.empty:
        return _untestable(key, "poisoning", statement, rule, "holds (qualitative)",
                           "no poisoned model was measured in its clean base landscape")
    fits = np.isfinite(rows["log_volume"].to_numpy(dtype=float))
    worst = float(rows["centre_loss"].astype(float).max())
    return Claim(key, "poisoning", statement, rule, "holds (qualitative)",
                 f"{int(fits.sum())}/{len(fits)} fit", f"largest centre loss {_g(worst, 3)} (τ = {t:g})",
                 REPRODUCED if fits.all() else NOT_REPRODUCED, "", None, float(fits.mean()))


# -- 3. SAM and 4. batch size -----------------------------------------------------------------------------------

_MATCH_SAM = ["dataset", "train_size", "model_seed", "data_seed", "batch_size", "optimizer", "n_params"]
_MATCH_BATCH = ["dataset", "train_size", "model_seed", "data_seed", "optimizer", "sam_rho", "n_params"]


def _paired_difference(diffs: list[float], *, seed: int, n_boot: int) -> tuple[float, float, float]:
    arrays = [np.array([d]) for d in diffs]
    return bootstrap_statistic(arrays, np.mean, n_resamples=n_boot, seed=seed, level=CONFIDENCE)


def _acc_claim(key: str, experiment: str, statement: str, rule: str, paper: str, diffs: list[float], what: str,
               why_none: str, *, seed: int, n_boot: int) -> Claim:
    diffs = [d for d in diffs if math.isfinite(d)]
    if not diffs:
        return _untestable(key, experiment, statement, rule, paper, why_none)
    mean, lo, hi = _paired_difference(diffs, seed=seed, n_boot=n_boot)
    unc = f"{CONFIDENCE:.0%} CI [{_signed(lo)}, {_signed(hi)}] points over {len(diffs)} {what}"
    return Claim(key, experiment, statement, rule, paper, f"{_signed(mean)} points", unc,
                 REPRODUCED if mean > 0 else NOT_REPRODUCED, "", None, mean, lo, hi)


def _sam(run: _Run, *, seed: int, n_boot: int) -> list[Claim]:
    clean = run.models[run.models["clean"]]
    sam, plain = clean[clean["sam_rho"] > 0], clean[clean["sam_rho"] == 0]
    if sam.empty or plain.empty:
        return []
    final = _final(run)
    own = final[final["own"]] if len(final) else final
    claims = []
    for label, group in sam.groupby("label", sort=True):
        pairs = group.merge(plain, on=_MATCH_SAM, suffixes=("", "_base"))
        why_none = "no AdamW model (sam_rho = 0) shares this SAM model's seeds, size, batch size and optimizer"
        ids = set(pairs["model_id"]) | set(pairs["model_id_base"])
        rows = own[own["model_id"].isin(ids)] if len(own) else own
        if len(rows):
            rows = rows.assign(is_plain=rows["sam_rho"] == 0)
        for t in run.thresholds:
            at = rows[rows["threshold"] == t] if len(rows) else rows
            claims.append(_ordering_claim(
                f"sam.larger_volume{_tag(label, _tau(t))}", "SAM", "SAM finds minima with larger basins than AdamW",
                "SAM vs AdamW models with the same seeds, size, batch size and optimizer, each in its own landscape "
                "'train:<size>': the SAM model has the larger log V", "holds (qualitative)",
                _ordering(at, ["seed_unit", *_MATCH_SAM], "sam_rho", larger="larger", reference="is_plain")
                if len(at) else _Pairs(), why_none))
        diffs = (pairs["test_acc"].astype(float) - pairs["test_acc_base"].astype(float)).tolist()
        claims.append(_acc_claim(
            f"sam.test_acc{_tag(label)}", "SAM", "SAM reaches slightly better test accuracy than AdamW",
            f"mean paired difference test_acc(SAM) − test_acc(AdamW) over (seed, size) pairs, {CONFIDENCE:.0%} "
            "bootstrap CI over pairs; reproduced iff the mean > 0", "slightly better (qualitative)", diffs,
            "(seed, size) pairs", why_none, seed=seed, n_boot=n_boot))
    return claims


def _batch_size(run: _Run, *, seed: int, n_boot: int) -> list[Claim]:
    clean = run.models[run.models["clean"]]
    counts = clean.groupby(_MATCH_BATCH, dropna=False)["eff_batch"].transform("nunique")
    matched = clean[counts >= 2]
    if matched.empty or matched["label"].nunique() < 2:
        return []
    final = _final(run)
    own = final[final["own"] & final["model_id"].isin(matched["model_id"])] if len(final) else final
    claims = []
    statement = "a smaller batch finds a minimum with a larger basin"
    for t in run.thresholds:
        at = own[own["threshold"] == t] if len(own) else own
        claims.append(_ordering_claim(
            f"batch_size.ordering{_tag(_tau(t))}", "batch size", statement,
            "models equal but for batch size (same seeds, size, optimizer), each in its own landscape, every two "
            "batch sizes (full batch = training-set size): the smaller batch has the larger log V",
            "holds (qualitative)", _ordering(at, _MATCH_BATCH, "eff_batch") if len(at) else _Pairs(),
            "no two models that differ only in batch size were measured in their own landscape"))
    diffs, sizes = [], set()
    for _, group in matched.groupby(_MATCH_BATCH, sort=True):
        small, large = group["eff_batch"].min(), group["eff_batch"].max()
        if small == large:
            continue
        sizes.add((int(small), int(large)))
        diffs.append(float(group.loc[group["eff_batch"] == small, "test_acc"].astype(float).mean()
                           - group.loc[group["eff_batch"] == large, "test_acc"].astype(float).mean()))
    claim = _acc_claim("batch_size.test_acc", "batch size", "a smaller batch gives better test accuracy",
                       f"mean paired difference test_acc(smallest batch) − test_acc(largest batch) over seeds, "
                       f"{CONFIDENCE:.0%} bootstrap CI; reproduced iff the mean > 0", "better (qualitative)", diffs,
                       "seed pairs", "no seed pair has two batch sizes with a test accuracy", seed=seed, n_boot=n_boot)
    batches = ", ".join(f"B = {a:,} vs {b:,}" for a, b in sorted(sizes))
    return [*claims, dataclasses.replace(claim, ours=f"{claim.ours} ({batches})") if sizes else claim]


# -- 5. class imbalance -------------------------------------------------------------------------------------------

def _imbalance(run: _Run, **_: Any) -> list[Claim]:
    models = run.models[run.models["imbalance"] != ""]
    if models.empty:
        return []
    final = _final(run)
    rows = final[final["model_id"].isin(models["model_id"])] if len(final) else final
    if len(rows):
        rows = rows[rows["landscape_size"] >= rows["train_size"] + rows["poison"]]
    statement = "a minimum trained on imbalanced data grows in volume as imbalanced data is added"
    pairs_text = ("within one model and one landscape family, every two landscapes L1 < L2 with L1 ≥ its own training "
                  "set: log V(L2) > log V(L1)")
    claims = []
    for t in run.thresholds:
        at = rows[rows["threshold"] == t] if len(rows) else rows
        claim = _ordering_claim(f"imbalance.volume_grows{_tag(_tau(t))}", "class imbalance", statement, pairs_text,
                                "holds (the rare case of volume increasing with data)",
                                _ordering(at, ["model_id", "kind"], "landscape_size", larger="larger")
                                if len(at) else _Pairs(),
                                "no imbalanced model was measured in a landscape larger than its training set")
        n_inf = int(np.isneginf(at["log_volume"].to_numpy(dtype=float)).sum()) if len(at) else 0
        claims.append(dataclasses.replace(claim, uncertainty=f"{claim.uncertainty}; {n_inf}/{len(at)} log V = −∞"))
    return claims


# -- 6. grokking ----------------------------------------------------------------------------------------------

def _at_epochs(training: pd.DataFrame, epochs: Iterable[int]) -> tuple[pd.DataFrame, list[int]]:
    """Training rows at each of ``epochs`` (the nearest earlier row when missing) and the epochs that fell back."""
    training = training.sort_values("epoch")
    picked, fallback = [], []
    for e in epochs:
        earlier = training[training["epoch"] <= e]
        if earlier.empty:
            continue
        row = earlier.iloc[-1]
        if int(row["epoch"]) != e:
            fallback.append(int(e))
        picked.append(row.to_dict() | {"checkpoint": int(e)})
    return pd.DataFrame(picked), fallback


def _grokking(run: _Run, **_: Any) -> list[Claim]:
    from scipy import stats

    ckpt = run.volumes[run.volumes["epoch"] >= 0] if len(run.volumes) else run.volumes
    if ckpt.empty:
        return []
    ckpt = ckpt[ckpt["landscape_size"] == ckpt["train_size"] + ckpt["poison"]]
    n_epochs = ckpt.groupby("model_id")["epoch"].nunique()
    ids = n_epochs[n_epochs >= 3].index
    if not len(ids):
        return []
    claims = []
    training = run.training
    for label, group in ckpt[ckpt["model_id"].isin(ids)].groupby("label", sort=True):
        flat, accs, fallbacks, missing = [], [], [], []
        for mid, mrows in group.groupby("model_id", sort=True):
            epochs = sorted(int(e) for e in mrows["epoch"].unique())
            picked, fb = _at_epochs(training[training["model_id"] == mid], epochs)
            fallbacks += fb
            if len(picked) < len(epochs):
                missing.append(mid)
                continue
            flat.append(float(picked["train_loss"].astype(float).max()))
            accs.append((float(picked["test_acc"].iloc[0]), float(picked["test_acc"].iloc[-1])))
        note = (f"training rows missing at epochs {sorted(set(fallbacks))[:6]}: the nearest earlier row used"
                if fallbacks else "")
        why_none = ("the training table has no row at or before the checkpoint epochs of "
                    f"{len(missing)} model(s)")
        s1 = "training loss stays flat (below τ) over the measured checkpoints"
        r1 = "the training loss at every measured checkpoint is below τ; reproduced iff for every model"
        for t in sorted(group["threshold"].unique()):
            key = f"grokking.train_loss_flat{_tag(label, _tau(t))}"
            if not flat:
                claims.append(_untestable(key, "grokking", s1, r1, "flat", why_none))
                continue
            below = sum(loss < t for loss in flat)
            claims.append(Claim(key, "grokking", s1, r1, "flat", f"largest train loss {_g(max(flat), 3)}",
                                f"{below}/{len(flat)} models below τ = {t:g} at every checkpoint",
                                REPRODUCED if below == len(flat) else NOT_REPRODUCED, note, None, max(flat)))
        for t in sorted(group["threshold"].unique()):
            claims.append(_grok_volume(stats, group[group["threshold"] == t], label, float(t)))
        s3 = "test accuracy jumps late: chance level at the first checkpoint, near perfect at the last"
        r3 = (f"test accuracy at the first measured checkpoint < {GROKKING_ACC_BEFORE:g} and at the last > "
              f"{GROKKING_ACC_AFTER:g}; reproduced iff for every model")
        if not accs:
            claims.append(_untestable(f"grokking.test_acc_jumps{_tag(label)}", "grokking", s3, r3, "jumps late", why_none))
        else:
            ok = all(a < GROKKING_ACC_BEFORE and b > GROKKING_ACC_AFTER for a, b in accs)
            ours = "; ".join(f"{_pct(a)} → {_pct(b)}" for a, b in accs[:4]) + (" …" if len(accs) > 4 else "")
            claims.append(Claim(f"grokking.test_acc_jumps{_tag(label)}", "grokking", s3, r3, "jumps late", ours,
                                f"{len(accs)} model(s)", REPRODUCED if ok else NOT_REPRODUCED, note, None,
                                min(b for _, b in accs), min(a for a, _ in accs), max(b for _, b in accs)))
    return claims


def _grok_volume(stats: Any, rows: pd.DataFrame, label: str, t: float) -> Claim:
    key = f"grokking.volume_falls{_tag(label, _tau(t))}"
    statement = "basin volume falls steadily during grokking"
    rule = (f"per model, Kendall τ between checkpoint epoch and own-landscape log V with a one-sided p-value "
            f"(alternative: τ < 0); reproduced iff τ < 0 and p < {GROKKING_P_VALUE:g} for every model")
    results = []
    for _, m in rows.groupby("model_id", sort=True):
        m = m.drop_duplicates("epoch").sort_values("epoch")
        if len(m) < 3:
            continue
        v = m["log_volume"].to_numpy(dtype=float)
        v = np.where(np.isneginf(v), np.nanmin(v[np.isfinite(v)], initial=0.0) - 1.0, v)  # −∞ ranks lowest
        res = stats.kendalltau(m["epoch"].to_numpy(dtype=float), v, alternative="less")
        results.append((float(res.statistic), float(res.pvalue), len(m)))
    if not results:
        return _untestable(key, "grokking", statement, rule, "falls steadily",
                           "no model has three checkpoints measured at this τ")
    ok = all(tau < 0 and p < GROKKING_P_VALUE for tau, p, _ in results)
    ours = "; ".join(f"τ = {_g(tau)} (p = {_g(p, 2)}, {n} ckpts)" for tau, p, n in results[:3])
    why = ("with 3 checkpoints the smallest possible one-sided p is 1/6" if any(n == 3 for *_, n in results) else "")
    return Claim(key, "grokking", statement, rule, "falls steadily", ours + (" …" if len(results) > 3 else ""),
                 f"largest p = {_g(max(p for _, p, _ in results), 2)} over {len(results)} model(s)",
                 REPRODUCED if ok else NOT_REPRODUCED, why, None, max(tau for tau, *_ in results))


# -- 7. thresholds and 8. directions -----------------------------------------------------------------------------

_GROUP = ["dataset", "label", "landscape", "seed_unit", "epoch"]


def _thresholds(run: _Run, **_: Any) -> list[Claim]:
    if len(run.thresholds) < 2:
        return []
    ref = max(run.thresholds)
    wide = run.volumes[run.volumes["within"]].pivot_table(index=["model_id", *_GROUP], columns="threshold", values="log_volume",
                                   aggfunc="first").reset_index()
    claims = []
    for t in run.thresholds:
        if t == ref:
            continue
        pairs = _concordance(wide.dropna(subset=[ref, t]), _GROUP, ref, t)
        claims.append(_ordering_claim(
            f"thresholds.ordering{_tag(f'τ={t:g} vs {ref:g}')}", "thresholds",
            f"the same trends hold at τ = {t:g} as at τ = {ref:g}",
            f"within each (landscape, seed pair, variant, epoch), every two models ordered by log V at τ = {t:g} "
            f"as at the reference τ = {ref:g} (pairs tied or both −∞ at either τ skipped)",
            "same trends at τ = 0.01", pairs, "no landscape holds two models measured at both thresholds"))
    return claims


def _log_mean_exp(x: np.ndarray) -> float:
    m = float(np.max(x))
    if not math.isfinite(m):
        return m
    return m + math.log(float(np.mean(np.exp(x - m))))


def _directions(run: _Run, **_: Any) -> list[Claim]:
    if not len(run.volumes):
        return []
    many = run.volumes[(run.volumes["n_directions"].astype(int) >= MIN_DIRECTIONS) & run.volumes["within"]]
    if many.empty:
        return []
    key = f"directions.ordering{_tag(f'{FEW_DIRECTIONS} of ≥{MIN_DIRECTIONS}')}"
    statement = f"the same trends hold with {FEW_DIRECTIONS} directions"
    pairs_text = (f"log V recomputed from the first {FEW_DIRECTIONS} directions of the radii table "
                  f"(logmeanexp of n·log r; −∞ where the full log V is −∞); within each (landscape, τ, seed pair, "
                  f"variant, epoch), every two models ordered alike by both (pairs tied or both −∞ skipped)")
    keys = ["model_id", "epoch", "landscape", "threshold"]
    radii = run.radii
    if radii.empty:
        return [_untestable(key, "directions", statement, f"{pairs_text}; {ORDERING_RULE}", "same trends",
                            "the radii table is empty")]
    radii = radii.assign(epoch=radii["epoch"].astype(int), threshold=radii["threshold"].astype(float),
                         radius=radii["radius"].astype(float))
    radii = radii.merge(many[keys].drop_duplicates(), on=keys).sort_values("direction")
    first = radii.groupby(keys, sort=False).head(FEW_DIRECTIONS)
    n_of = many.set_index(keys)["n_params"].astype(float)
    few = {}
    for k, g in first.groupby(keys, sort=False):
        if len(g) < FEW_DIRECTIONS:
            continue
        with np.errstate(divide="ignore"):
            few[k] = _log_mean_exp(n_of.loc[k] * np.log(g["radius"].to_numpy(dtype=float)))
    rows = many.assign(log_volume_few=[few.get(tuple(r), np.nan) for r in many[keys].itertuples(index=False)])
    rows = rows.dropna(subset=["log_volume_few"])
    rows.loc[np.isneginf(rows["log_volume"]), "log_volume_few"] = -np.inf
    if rows.empty:
        return [_untestable(key, "directions", statement, f"{pairs_text}; {ORDERING_RULE}", "same trends",
                            f"no volume with ≥ {MIN_DIRECTIONS} directions has {FEW_DIRECTIONS} radii rows")]
    pairs = _concordance(rows, [*_GROUP, "threshold"], "log_volume", "log_volume_few")
    claim = _ordering_claim(key, "directions", statement, pairs_text, "same trends with 50 of 500 directions", pairs,
                            "no landscape holds two models measured with enough directions")
    finite = rows[np.isfinite(rows["log_volume"]) & np.isfinite(rows["log_volume_few"])]
    if len(finite) >= 3:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rc = rank_correlation(finite["log_volume"], finite["log_volume_few"])
        claim = dataclasses.replace(claim, uncertainty=f"{claim.uncertainty}; Kendall τ = {_g(rc.kendall_tau, 3)} "
                                                       f"over {rc.n} finite volumes")
    return [claim]


# -- the 2026 preprint (arXiv:2605.05209): weakness, sharpness, the batch gap -----------------------------------

PREPRINT_P_VALUE = 0.05          # two-sided p-value below which a rank correlation "predicts"
PREPRINT_MIN_MODELS = 10         # head-to-head claims need at least this many networks differing only in seeds


def _preprint(run: _Run, **_: Any) -> list[Claim]:
    from .batch_gap import batch_size_gap
    from .preprint import PAPER_HEAD_TO_HEAD, head_to_head_table, varied_columns

    claims: list[Claim] = []
    measures, models = run.tables.measures, run.tables.models
    present = set(measures["measure"].astype(str)) if len(measures) else set()
    for name, sign, statement in (("weakness", 1, "weakness predicts generalisation (larger weakness, higher "
                                   "test accuracy) over networks that differ only in seeds"),
                                  ("hessian_top", -1, "sharpness (Hessian λmax) anticorrelates with test accuracy "
                                   "over networks that differ only in seeds")):
        if name not in present:
            continue
        key = f"preprint.{name}"
        rule = (f"Kendall τ of {name} with test accuracy over ≥ {PREPRINT_MIN_MODELS} final models whose design "
                f"differs only in the model seed; reproduced iff τ {'>' if sign > 0 else '<'} 0 and two-sided "
                f"p < {PREPRINT_P_VALUE}")
        paper = "; ".join(f"{d} {v[name][0]:+.3f}" + (f" (p = {_g(v[name][1])})" if math.isfinite(v[name][1]) else "")
                          for d, v in PAPER_HEAD_TO_HEAD.items() if name in v)
        varied = varied_columns(models)
        n = int(models["model_id"].nunique())
        if varied or n < PREPRINT_MIN_MODELS:
            why = (f"the networks differ in {', '.join(varied)}, not only in seeds" if varied
                   else f"{n} networks; the rule needs ≥ {PREPRINT_MIN_MODELS}")
            claims.append(_untestable(key, "preprint", statement, rule, paper, why))
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row = head_to_head_table(measures[measures["measure"] == name], models).iloc[0]
        tau, p = float(row["kendall_tau_acc"]), float(row["kendall_p_acc"])
        ok = math.isfinite(tau) and sign * tau > 0 and p < PREPRINT_P_VALUE
        claims.append(Claim(key, "preprint", statement, rule, paper, f"τ = {_g(tau, 3)} over {int(row['n'])} networks",
                            f"p = {_g(p, 2)}; Spearman ρ = {_g(float(row['spearman_rho_acc']), 3)}",
                            REPRODUCED if ok else NOT_REPRODUCED, "", None, tau, None, None))
    if len(models) and models["batch_size"].replace(0, np.iinfo(np.int64).max).nunique() >= 2 \
            and models["train_size"].nunique() >= 2:
        key, statement = "preprint.batch_gap", "the small-batch test-accuracy advantage vanishes as data grows"
        rule = (f"per training size, mean paired 100·(test_acc small − large batch) with a {CONFIDENCE:.0%} t interval "
                "over ≥ 3 seed pairs, every model of both arms at training loss ≤ the run's stop_loss (shared by both arms); reproduced "
                "iff the smallest size's interval lies above 0 and the largest size's interval contains 0")
        paper = "+1.6 points at 2,000 → +0.02 at 60,000 (MNIST)"
        stop = _stop_loss(run.tables)
        gap = batch_size_gap(models, stop_loss=stop, confidence=CONFIDENCE).sort_values("train_size")
        first, last = gap.iloc[0], gap.iloc[-1]
        if stop is None or not gap["equal_loss"].all() or gap["n_pairs"].min() < 3:
            why = ("the spec has no stop_loss" if stop is None else "a size has fewer than 3 seed pairs"
                   if gap["n_pairs"].min() < 3 else "a model ended above stop_loss: the arms are not at equal loss")
            claims.append(_untestable(key, "preprint", statement, rule, paper, why))
        else:
            ok = first["lo"] > 0 and last["lo"] <= 0 <= last["hi"]
            ours = "; ".join(f"{int(r.train_size):,}: {_g(r.gap_points, 3)}" for r in gap.itertuples())
            unc = "; ".join(f"{int(r.train_size):,}: [{_g(r.lo, 3)}, {_g(r.hi, 3)}]" for r in gap.itertuples())
            claims.append(Claim(key, "preprint", statement, rule, paper, f"{ours} points", unc,
                                REPRODUCED if ok else NOT_REPRODUCED, "", 1.6, float(last["gap_points"]),
                                float(last["lo"]), float(last["hi"])))
    return claims


def _stop_loss(tables: RunTables) -> float | None:
    from .batch_gap import run_stop_loss

    return None if tables.run_dir is None else run_stop_loss(tables.run_dir)


# -- entry points -------------------------------------------------------------------------------------------------

_SECTIONS: tuple[tuple[str, Callable[..., list[Claim]]], ...] = (
    ("data size", _data_size), ("poisoning", _poisoning), ("SAM", _sam), ("batch size", _batch_size),
    ("class imbalance", _imbalance), ("grokking", _grokking), ("thresholds", _thresholds),
    ("directions", _directions), ("preprint", _preprint),
)


def check_claims(run: str | Path | RunTables, *, seed: int = 0, n_boot: int = 2000) -> list[Claim]:
    """Every paper claim this run can test, each with its rule, our figure and a verdict.

    ``run`` is a run directory or its :class:`RunTables`. Which claims apply is decided from the tables; a
    claim whose inputs are partly there is listed as "not testable here" with the reason. Bootstrap intervals
    use ``n_boot`` resamples seeded by ``seed``. A section whose tables are malformed yields one
    "not testable here" claim naming the error instead of stopping the others.
    """
    tables = loss_thresholds_only(run if isinstance(run, RunTables) else load_run(run))
    if tables.models.empty:
        return []
    prepared = _prepare(tables)
    claims: list[Claim] = []
    for experiment, section in _SECTIONS:
        try:
            claims += section(prepared, seed=seed, n_boot=n_boot)
        except BasinlabError as exc:
            claims.append(Claim(f"{experiment.replace(' ', '_').lower()}.error", experiment,
                                f"the {experiment} claims", "—", "—", "—", "—", NOT_TESTABLE,
                                f"could not compute: {exc}"))
    return claims


def claims_frame(claims: Iterable[Claim]) -> pd.DataFrame:
    """One row per claim, one column per :class:`Claim` field (in field order)."""
    names = [f.name for f in dataclasses.fields(Claim)]
    return pd.DataFrame([dataclasses.asdict(c) for c in claims], columns=names)


def claims_records(claims: Iterable[Claim]) -> list[dict[str, Any]]:
    """The claims as JSON-ready dicts: NaN and ±inf numbers become None."""
    def clean(value: Any) -> Any:
        if isinstance(value, (float, np.floating)):
            return float(value) if math.isfinite(value) else None
        return value

    return [{k: clean(v) for k, v in dataclasses.asdict(c).items()} for c in claims]
