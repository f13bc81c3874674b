"""``VolumeResult``: per-direction radii of one minimum and every summary computed from them.

Log-volumes are in nats, ``log mean_k exp(n·log r_k)`` with the unit-ball constant left out (docs/method.md §1).
Censored directions enter at their lower bound ``max_coefficient·‖P_k‖`` and are counted in every summary.

File format (``save``/``load``, no pickle): one safetensors file holding the arrays ``radii`` (K, T, L) float64,
``censored`` (K, T, L) uint8, ``seeds`` (K,) int64, ``thresholds`` (T,) float64, ``landscapes`` (L,) int64,
``centre_loss`` (L,) float64, ``norms`` (K,) float64; its metadata has ``format = "basinlab.volume/1"``,
``meta`` (JSON: the scalar fields) and ``sha256`` (of the arrays' bytes in that order plus ``meta``).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CheckpointError, ConfigError

__all__ = ["VolumeResult"]

FORMAT = "basinlab.volume/1"
_ARRAYS = ("radii", "censored", "seeds", "thresholds", "landscapes", "centre_loss", "norms")


def _logsumexp(x: np.ndarray) -> float:
    m = float(np.max(x))
    if not math.isfinite(m):
        return m
    return m + math.log(float(np.sum(np.exp(x - m))))


@dataclass(frozen=True, eq=False)
class VolumeResult:
    """Radii of K directions × T thresholds × L nested landscapes of one minimum.

    Attributes:
        radii: (K, T, L) float64, r = c*·‖P_k‖ (0 where the centre is above τ; lower bound where censored).
        censored: (K, T, L) bool, no crossing up to ``max_coefficient``.
        seeds: (K,) int64 torch seed of each direction (``seed * 1_000_003 + k``).
        thresholds: (T,) loss thresholds τ.  landscapes: (L,) prefix sizes.  centre_loss: (L,) L_D(θ0).
        norms: (K,) ‖P_k‖ of the raw Gaussians.  n_params: n.
        filter_normalize, normalization, rtol, max_coefficient, scan_points, loss: the settings used
            (``normalization`` is the direction-normalisation mode, see :func:`basinlab.volume.measure_volume`).
        counts: evaluation counts (points, point_rows, direction_rows, flops, nonfinite_points, fast_path).
        threshold_kind: ``'loss'`` (thresholds are losses τ) or ``'accuracy'`` (thresholds are training-accuracy
            levels; a ray leaves the basin where accuracy falls below the level; ``centre_loss`` holds the centre's
            error rate 1 − accuracy).
        direction_draw: ``'explicit'`` (every entry of P drawn; direction k is ``random_direction(model, seeds[k])``) or
            ``'rowspace'`` (the first layer drawn in the data's row space: same distribution, its own stream; the
            directions are not rebuildable, see :mod:`basinlab.volume.directions_rowspace`).
    """

    radii: np.ndarray
    censored: np.ndarray
    seeds: np.ndarray
    thresholds: np.ndarray
    landscapes: np.ndarray
    centre_loss: np.ndarray
    norms: np.ndarray
    n_params: int
    filter_normalize: bool = True
    normalization: str = "rows"
    rtol: float = 1e-4
    max_coefficient: float = 10.0
    scan_points: int = 4
    loss: str = "cross_entropy"
    counts: dict[str, Any] = field(default_factory=dict)
    threshold_kind: str = "loss"
    direction_draw: str = "explicit"

    def _level(self, ti: int) -> float:
        """The crossing level on the evaluated quantity: τ for loss thresholds, the error rate ``1 − level`` for
        accuracy thresholds (``centre_loss`` then holds the centre's error rate)."""
        from .validate import error_level

        t = float(self.thresholds[ti])
        return error_level(t) if self.threshold_kind == "accuracy" else t

    def __repr__(self) -> str:
        from .display import volume_repr

        return volume_repr(self)

    def _repr_html_(self) -> str:
        from .display import volume_html

        return volume_html(self)

    # -- indexing -------------------------------------------------------------------------------------------
    def _index(self, threshold: float | None, landscape: int | None) -> tuple[int, int]:
        if threshold is None:
            if len(self.thresholds) != 1:
                raise ConfigError(f"threshold must be given; this result has {list(self.thresholds)}")
            ti = 0
        else:
            hits = np.flatnonzero(np.isclose(self.thresholds, threshold, rtol=1e-12, atol=0))
            if not len(hits):
                raise ConfigError(f"threshold {threshold!r} was not measured; use one of {list(self.thresholds)}")
            ti = int(hits[0])
        if landscape is None:
            li = len(self.landscapes) - 1
        else:
            hits = np.flatnonzero(self.landscapes == landscape)
            if not len(hits):
                raise ConfigError(f"landscape {landscape!r} was not measured; use one of {list(self.landscapes)}")
            li = int(hits[0])
        return ti, li

    def centre_above(self, threshold: float | None = None, landscape: int | None = None) -> bool:
        """True when θ0 is not a minimum of that landscape at τ (its volume is 0)."""
        ti, li = self._index(threshold, landscape)
        return not bool(self.centre_loss[li] <= self._level(ti))

    def _log_terms(self, ti: int, li: int) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return self.n_params * np.log(self.radii[:, ti, li])

    # -- summaries ------------------------------------------------------------------------------------------
    def log_volume(self, threshold: float | None = None, landscape: int | None = None) -> float:
        """``log mean_k exp(n·log r_k)`` in nats (−inf when the centre is above τ)."""
        ti, li = self._index(threshold, landscape)
        if self.centre_above(self.thresholds[ti], self.landscapes[li]):
            return -math.inf
        terms = self._log_terms(ti, li)
        return _logsumexp(terms) - math.log(len(terms))

    def bootstrap_ci(
        self, threshold: float | None = None, landscape: int | None = None, *, n_boot: int = 1000,
        seed: int = 0, level: float = 0.95,
    ) -> tuple[float, float]:
        """Percentile bootstrap CI of :meth:`log_volume`, resampling directions (``numpy.default_rng(seed)``).

        The interval covers the sampling noise of the K directions of THIS minimum only. Because log V is
        dominated by the largest radius (see :meth:`top_share`) and a resample never exceeds the sample
        maximum, the upper end sits within ~log K nats of the estimate: read it as "how much fewer directions
        could lower the estimate", not as a two-sided error bar. Variation between minima (seeds) is usually
        far larger; compare minima with several seeds and with robust radius summaries (:meth:`quantiles`).
        """
        if not 0.0 < level < 1.0:
            raise ConfigError(f"level must be in (0, 1); got {level!r}")
        ti, li = self._index(threshold, landscape)
        if self.centre_above(self.thresholds[ti], self.landscapes[li]):
            return -math.inf, -math.inf
        terms = self._log_terms(ti, li)
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, len(terms), size=(int(n_boot), len(terms)))
        sample = terms[idx]
        m = sample.max(axis=1, keepdims=True)
        boot = m[:, 0] + np.log(np.exp(sample - m).sum(axis=1)) - math.log(len(terms))
        lo, hi = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
        return float(lo), float(hi)

    def quantiles(self, threshold: float | None = None, landscape: int | None = None) -> dict[str, float]:
        """Radius ``min``, ``median``, ``mean``, ``max`` over directions."""
        ti, li = self._index(threshold, landscape)
        r = self.radii[:, ti, li]
        return {"min": float(r.min()), "median": float(np.median(r)), "mean": float(r.mean()), "max": float(r.max())}

    def top_share(self, threshold: float | None = None, landscape: int | None = None) -> float:
        """``exp(n·log r_max − logsumexp_k n·log r_k)``: share of the sum carried by the largest direction."""
        ti, li = self._index(threshold, landscape)
        if self.centre_above(self.thresholds[ti], self.landscapes[li]):
            return float("nan")
        terms = self._log_terms(ti, li)
        return float(math.exp(float(terms.max()) - _logsumexp(terms)))

    def summary(self, *, n_boot: int = 1000, seed: int = 0):
        """pandas DataFrame, one row per threshold × landscape, columns as the run directory's ``volumes``."""
        import pandas as pd

        rows = []
        for ti, tau in enumerate(self.thresholds):
            for li, size in enumerate(self.landscapes):
                lo, hi = self.bootstrap_ci(tau, size, n_boot=n_boot, seed=seed)
                q = self.quantiles(tau, size)
                rows.append({
                    "landscape_size": int(size), "threshold": float(tau), "threshold_kind": self.threshold_kind,
                    "n_params": int(self.n_params),
                    "n_directions": int(len(self.seeds)), "n_censored": int(self.censored[:, ti, li].sum()),
                    "nonfinite_points": int(self.counts.get("nonfinite_points", 0)),
                    "centre_loss": float(self.centre_loss[li]), "centre_above": self.centre_above(tau, size),
                    "log_volume": self.log_volume(tau, size),
                    "log_volume_lo": lo, "log_volume_hi": hi, "r_min": q["min"], "r_median": q["median"],
                    "r_mean": q["mean"], "r_max": q["max"], "top_share": self.top_share(tau, size),
                })
        return pd.DataFrame(rows)

    def to_frame(self):
        """Tidy pandas frame, one row per direction × threshold × landscape (run directory ``radii`` columns
        without the model/landscape labels the runner adds)."""
        import pandas as pd

        k, t, l_ = self.radii.shape
        kk, tt, ll = np.meshgrid(np.arange(k), np.arange(t), np.arange(l_), indexing="ij")
        return pd.DataFrame({
            "landscape_size": self.landscapes[ll.ravel()].astype(np.int64),
            "threshold": self.thresholds[tt.ravel()].astype(np.float64),
            "threshold_kind": np.full(k * t * l_, self.threshold_kind, dtype=object),
            "direction": kk.ravel().astype(np.int64),
            "seed": self.seeds[kk.ravel()].astype(np.int64),
            "radius": self.radii.ravel(),
            "censored": self.censored.ravel().astype(bool),
        })

    # -- files ----------------------------------------------------------------------------------------------
    def _meta(self) -> dict[str, Any]:
        return {
            "n_params": int(self.n_params), "filter_normalize": bool(self.filter_normalize),
            "normalization": str(self.normalization),
            "rtol": float(self.rtol), "max_coefficient": float(self.max_coefficient),
            "scan_points": int(self.scan_points), "loss": str(self.loss), "counts": self.counts,
            "threshold_kind": str(self.threshold_kind), "direction_draw": str(self.direction_draw),
        }

    def _arrays(self) -> dict[str, np.ndarray]:
        return {
            "radii": np.ascontiguousarray(self.radii, dtype=np.float64),
            "censored": np.ascontiguousarray(self.censored, dtype=np.uint8),
            "seeds": np.ascontiguousarray(self.seeds, dtype=np.int64),
            "thresholds": np.ascontiguousarray(self.thresholds, dtype=np.float64),
            "landscapes": np.ascontiguousarray(self.landscapes, dtype=np.int64),
            "centre_loss": np.ascontiguousarray(self.centre_loss, dtype=np.float64),
            "norms": np.ascontiguousarray(self.norms, dtype=np.float64),
        }

    @staticmethod
    def _digest(arrays: dict[str, np.ndarray], meta: str) -> str:
        h = hashlib.sha256()
        for name in _ARRAYS:
            h.update(name.encode() + str(arrays[name].shape).encode() + arrays[name].tobytes())
        h.update(meta.encode())
        return h.hexdigest()

    def save(self, path: str | Path) -> None:
        """Write the result as one safetensors file (see the module docstring); atomic (temp file + rename), mode
        0644 under the usual umask like every file basinlab writes."""
        from safetensors.numpy import save_file

        from ..rundir import atomic_path

        path = Path(path)
        arrays = self._arrays()
        meta = json.dumps(self._meta(), sort_keys=True)
        with atomic_path(path) as tmp:
            save_file(arrays, str(tmp), metadata={"format": FORMAT, "meta": meta, "sha256": self._digest(arrays, meta)})

    @classmethod
    def load(cls, path: str | Path) -> VolumeResult:
        """Read a file written by :meth:`save`; a missing, truncated or altered file raises ``CheckpointError``."""
        from safetensors import safe_open

        path = Path(path)
        if not path.is_file():
            raise CheckpointError(f"volume result file {str(path)!r} does not exist")
        try:
            with safe_open(str(path), framework="numpy") as f:
                header = f.metadata() or {}
                arrays = {name: f.get_tensor(name) for name in _ARRAYS}
        except Exception as exc:  # safetensors raises several types for corrupt files
            raise CheckpointError(f"volume result file {str(path)!r} is truncated or not a safetensors file: {exc}") from exc
        if header.get("format") != FORMAT:
            raise CheckpointError(f"{str(path)!r} is not a basinlab volume result (format {header.get('format')!r}, expected {FORMAT!r})")
        meta = header.get("meta", "")
        if header.get("sha256") != cls._digest(arrays, meta):
            raise CheckpointError(f"volume result file {str(path)!r} failed its checksum: it was altered or damaged")
        m = json.loads(meta)
        return cls(
            radii=arrays["radii"], censored=arrays["censored"].astype(bool), seeds=arrays["seeds"],
            thresholds=arrays["thresholds"], landscapes=arrays["landscapes"], centre_loss=arrays["centre_loss"],
            norms=arrays["norms"], n_params=int(m["n_params"]), filter_normalize=bool(m["filter_normalize"]),
            normalization=str(m.get("normalization", "rows" if m["filter_normalize"] else "none")),
            rtol=float(m["rtol"]), max_coefficient=float(m["max_coefficient"]), scan_points=int(m["scan_points"]),
            loss=str(m["loss"]), counts=dict(m["counts"]), threshold_kind=str(m.get("threshold_kind", "loss")),
            direction_draw=str(m.get("direction_draw", "explicit")),
        )
