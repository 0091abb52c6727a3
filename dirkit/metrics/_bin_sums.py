"""Additive per-bin error sums: the state every shot metric is computed from.

Each field is a per-bin array that adds up across batches and processes, so a distributed
evaluation sums the arrays (``all_reduce(SUM)``) and gets exactly the one-shot metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from dirkit._validation import check_labels, check_same_length
from dirkit.exceptions import ShapeError

__all__ = ["DEFAULT_GM_EPS", "BinSums", "metrics_from_sums"]

#: Floor on |error| inside the geometric mean, so one exact prediction does not make GM zero.
DEFAULT_GM_EPS = 1e-6


@dataclass
class BinSums:
    """Per-bin sums of errors, predictions and targets (each an array of shape (n_bins,)).

    ``e = pred - target``; ``sum_log_abs`` sums ``log(max(|e|, gm_eps))``.
    """

    count: np.ndarray
    sum_abs: np.ndarray
    sum_sq: np.ndarray
    sum_log_abs: np.ndarray
    sum_pred: np.ndarray
    sum_target: np.ndarray
    sum_pred_sq: np.ndarray
    sum_target_sq: np.ndarray
    sum_pred_target: np.ndarray

    @classmethod
    def zeros(cls, n_bins: int) -> BinSums:
        """Empty sums for ``n_bins`` bins."""
        return cls(*(np.zeros(n_bins) for _ in fields(cls)))

    @classmethod
    def from_predictions(
        cls,
        pred: object,
        target: object,
        bins: np.ndarray,
        n_bins: int,
        *,
        gm_eps: float = DEFAULT_GM_EPS,
    ) -> BinSums:
        """Sum the errors of ``pred`` against ``target`` into the bins ``bins`` (target's bins)."""
        p = check_labels(pred, name="pred")
        t = check_labels(target, name="target")
        check_same_length(pred=p, target=t, bins=bins)
        e = p - t
        columns = (
            np.ones_like(e),
            np.abs(e),
            e**2,
            np.log(np.maximum(np.abs(e), gm_eps)),
            p,
            t,
            p**2,
            t**2,
            p * t,
        )
        return cls(*(np.bincount(bins, weights=c, minlength=n_bins) for c in columns))

    def __add__(self, other: BinSums) -> BinSums:
        if self.count.shape != other.count.shape:
            raise ShapeError(
                f"Cannot merge sums over {self.count.shape[0]} and {other.count.shape[0]} bins."
            )
        return BinSums(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def as_array(self) -> np.ndarray:
        """All fields stacked, shape (9, n_bins): one buffer to all-reduce."""
        return np.stack([getattr(self, f.name) for f in fields(self)])

    @classmethod
    def from_array(cls, array: np.ndarray) -> BinSums:
        """Inverse of :meth:`as_array`."""
        return cls(*np.asarray(array, dtype=np.float64))


def metrics_from_sums(sums: BinSums, mask: np.ndarray | None = None) -> dict[str, float]:
    """MAE, MSE, RMSE, GM, Pearson and balanced MAE of the bins selected by ``mask``.

    Returns NaN for every metric when the selected bins hold no sample (and NaN Pearson when
    fewer than two samples or a constant prediction or target leave it undefined).

    Examples
    --------
    >>> sums = BinSums.from_predictions([1.0, 2.0, 4.0], [1.5, 2.0, 3.0], np.array([0, 0, 1]), 2)
    >>> m = metrics_from_sums(sums)
    >>> round(m["mae"], 4), round(m["bmae"], 4)
    (0.5, 0.625)
    """
    keep = np.ones_like(sums.count, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    n = float(sums.count[keep].sum())
    if n == 0:
        return {k: float("nan") for k in ("mae", "mse", "rmse", "gm", "pearson", "bmae", "count")} | {
            "count": 0.0
        }
    total = {f.name: float(getattr(sums, f.name)[keep].sum()) for f in fields(sums)}
    mse = total["sum_sq"] / n
    occupied = keep & (sums.count > 0)
    per_bin_mae = sums.sum_abs[occupied] / sums.count[occupied]
    return {
        "mae": total["sum_abs"] / n,
        "mse": mse,
        "rmse": float(np.sqrt(mse)),
        "gm": float(np.exp(total["sum_log_abs"] / n)),
        "pearson": _pearson_from_sums(total, n),
        "bmae": float(per_bin_mae.mean()),
        "count": n,
    }


def _pearson_from_sums(total: dict[str, float], n: float) -> float:
    cov = total["sum_pred_target"] - total["sum_pred"] * total["sum_target"] / n
    var_p = total["sum_pred_sq"] - total["sum_pred"] ** 2 / n
    var_t = total["sum_target_sq"] - total["sum_target"] ** 2 / n
    scale = max(total["sum_pred_sq"], total["sum_target_sq"], 1e-300)
    if n < 2 or var_p <= 1e-12 * scale or var_t <= 1e-12 * scale:
        return float("nan")
    return float(np.clip(cov / np.sqrt(var_p * var_t), -1.0, 1.0))
