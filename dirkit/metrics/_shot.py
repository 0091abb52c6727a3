"""Shot-wise regression metrics (DIR benchmark): overall, many, medium, few and zero-shot."""

from __future__ import annotations

import copy

import numpy as np
from scipy.stats import spearmanr
from sklearn.base import clone

from dirkit._validation import check_is_fitted, check_labels, check_same_length
from dirkit.labels import UniformBinner, bin_shots, zero_shot_regions
from dirkit.metrics._bin_sums import DEFAULT_GM_EPS, BinSums, metrics_from_sums

__all__ = ["SHOT_GROUPS", "ShotMetrics", "regression_metrics", "shot_metrics"]

#: Keys of the dict :func:`shot_metrics` returns. ``"zero"`` splits into ``"zero_interp"`` (empty
#: bins inside the training label range) and ``"zero_extrap"`` (outside it), see
#: :func:`~dirkit.labels.zero_shot_regions`. ``"few_incl_zero"`` lumps zero-shot bins into
#: few-shot, as the reference code does, for comparison with published tables.
SHOT_GROUPS = ("all", "many", "medium", "few", "zero", "zero_interp", "zero_extrap", "few_incl_zero")


class ShotMetrics:
    """Accumulate predictions batch by batch and compute metrics per shot region.

    The state is a :class:`~dirkit.metrics.BinSums` of per-bin additive sums (plus, with
    ``keep_raw``, the raw values Spearman's rank correlation needs), so partial results from
    batches or processes merge by addition: ``(a + b).compute()`` equals one pass over all data.

    Parameters
    ----------
    binner : UniformBinner
        Fitted on the **training** labels: its ``counts_`` define the shot of every bin.
    many, few : int
        Shot thresholds (many > 100, few < 20 training samples per bin by default).
    gm_eps : float
        Floor on |error| in the geometric mean (exact zeros would make GM 0).
    keep_raw : bool
        Keep predictions and targets for Spearman; without them Spearman is NaN.

    Examples
    --------
    >>> import numpy as np
    >>> train = np.repeat([0.5, 1.5, 2.5], [150, 50, 5])
    >>> metric = ShotMetrics(UniformBinner(width=1.0).fit(train))
    >>> metric.update(pred=np.array([0.4, 1.9, 2.0]), target=np.array([0.5, 1.5, 2.5]))
    >>> {k: round(v["mae"], 2) for k, v in metric.compute().items() if not k.startswith("zero")}
    {'all': 0.33, 'many': 0.1, 'medium': 0.4, 'few': 0.5, 'few_incl_zero': 0.5}
    """

    def __init__(
        self,
        binner: UniformBinner,
        *,
        many: int = 100,
        few: int = 20,
        gm_eps: float = DEFAULT_GM_EPS,
        keep_raw: bool = True,
    ) -> None:
        check_is_fitted(binner, ["counts_"])
        self.binner = binner
        self.many, self.few, self.gm_eps, self.keep_raw = many, few, gm_eps, keep_raw
        self.bin_shot = bin_shots(binner.counts_, many=many, few=few)
        self.sums = BinSums.zeros(binner.n_bins_)
        self._pred: list[np.ndarray] = []
        self._target: list[np.ndarray] = []
        self._bins: list[np.ndarray] = []

    def update(self, pred: object, target: object) -> None:
        """Add a batch of predictions and their targets."""
        p = check_labels(pred, name="pred")
        t = check_labels(target, name="target")
        check_same_length(pred=p, target=t)
        bins = self.binner.transform(t)
        self.sums = self.sums + BinSums.from_predictions(
            p, t, bins, self.binner.n_bins_, gm_eps=self.gm_eps
        )
        if self.keep_raw:
            self._pred.append(p)
            self._target.append(t)
            self._bins.append(bins)

    def __add__(self, other: ShotMetrics) -> ShotMetrics:
        merged = copy.copy(self)
        merged.sums = self.sums + other.sums
        merged.keep_raw = self.keep_raw and other.keep_raw
        merged._pred = self._pred + other._pred if merged.keep_raw else []
        merged._target = self._target + other._target if merged.keep_raw else []
        merged._bins = self._bins + other._bins if merged.keep_raw else []
        return merged

    def shot_masks(self) -> dict[str, np.ndarray]:
        """Boolean mask over bins for every shot group in :data:`SHOT_GROUPS`."""
        shot = self.bin_shot
        masks = {name: shot == name for name in ("many", "medium", "few", "zero")}
        masks["zero_interp"], masks["zero_extrap"] = zero_shot_regions(self.binner.counts_)
        masks["all"] = np.ones_like(shot, dtype=bool)
        masks["few_incl_zero"] = masks["few"] | masks["zero"]
        return {name: masks[name] for name in SHOT_GROUPS}

    def compute(self) -> dict[str, dict[str, float]]:
        """Metrics for every shot group; an empty group gives NaN metrics and count 0."""
        raw = self._raw_by_bin()
        results = {}
        for name, mask in self.shot_masks().items():
            metrics = metrics_from_sums(self.sums, mask)
            metrics["spearman"] = _spearman(raw, mask) if raw is not None else float("nan")
            results[name] = metrics
        return results

    def _raw_by_bin(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        if not self.keep_raw or not self._pred:
            return None
        return np.concatenate(self._pred), np.concatenate(self._target), np.concatenate(self._bins)


def _spearman(raw: tuple[np.ndarray, np.ndarray, np.ndarray], mask: np.ndarray) -> float:
    pred, target, bins = raw
    keep = mask[bins]
    p, t = pred[keep], target[keep]
    if p.size < 2 or np.ptp(p) == 0 or np.ptp(t) == 0:
        return float("nan")
    return float(spearmanr(p, t).statistic)


def _training_binner(binner: UniformBinner | None, train_target: object) -> UniformBinner:
    """A binner whose ``counts_`` are the training counts (fitted edges are kept)."""
    labels = check_labels(train_target, name="train_target")
    if binner is None:
        return UniformBinner().fit(labels)
    if not hasattr(binner, "edges_"):
        return clone(binner).fit(labels)
    recounted = copy.copy(binner)
    recounted.counts_ = binner.count(labels)
    return recounted


def shot_metrics(
    pred: object,
    target: object,
    train_target: object,
    binner: UniformBinner | None = None,
    *,
    many: int = 100,
    few: int = 20,
    gm_eps: float = DEFAULT_GM_EPS,
) -> dict[str, dict[str, float]]:
    """MAE, MSE, RMSE, GM, Pearson, Spearman and balanced MAE, overall and per shot region.

    Parameters
    ----------
    pred, target : array-like of shape (n,)
        Test predictions and labels.
    train_target : array-like of shape (n_train,)
        Training labels; their count in each bin sets the bin's shot region.
    binner : UniformBinner, optional
        The label bins (a fitted one keeps its edges). Defaults to 100 bins over the training range.
    many, few : int
        Many-shot bins have more than ``many`` training samples, few-shot fewer than ``few``.
    gm_eps : float
        Floor on |error| in the geometric mean.

    Returns
    -------
    dict
        Keyed by :data:`SHOT_GROUPS`: ``"all"``, ``"many"``, ``"medium"``, ``"few"``, ``"zero"``,
        ``"zero_interp"``, ``"zero_extrap"``, ``"few_incl_zero"``;
        each a dict with ``mae``, ``mse``, ``rmse``, ``gm``, ``pearson``, ``spearman``, ``bmae``
        and ``count``. An empty group has NaN metrics.

    Examples
    --------
    >>> import numpy as np
    >>> train = np.repeat([0.5, 1.5, 2.5], [150, 50, 5])
    >>> m = shot_metrics([0.4, 1.9, 2.0], [0.5, 1.5, 2.5], train, UniformBinner(width=1.0))
    >>> round(m["few"]["mae"], 3), m["zero"]["count"]
    (0.5, 0.0)
    """
    metric = ShotMetrics(_training_binner(binner, train_target), many=many, few=few, gm_eps=gm_eps)
    metric.update(pred, target)
    return metric.compute()


def regression_metrics(
    pred: object, target: object, *, gm_eps: float = DEFAULT_GM_EPS
) -> dict[str, float]:
    """Overall MAE, MSE, RMSE, GM, Pearson and Spearman (no bins, so no balanced MAE).

    Examples
    --------
    >>> m = regression_metrics([1.0, 2.0, 3.5], [1.0, 2.5, 3.0])
    >>> round(m["mae"], 4), round(m["mse"], 4)
    (0.3333, 0.1667)
    """
    p = check_labels(pred, name="pred")
    t = check_labels(target, name="target")
    check_same_length(pred=p, target=t)
    sums = BinSums.from_predictions(p, t, np.zeros(p.size, dtype=np.int64), 1, gm_eps=gm_eps)
    metrics = metrics_from_sums(sums)
    metrics.pop("bmae")
    metrics["spearman"] = _spearman((p, t, np.zeros(p.size, dtype=np.int64)), np.array([True]))
    return metrics
