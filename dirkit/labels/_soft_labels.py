"""Descending soft labels for group classification (Group-DIR, Pu et al. AAAI 2025 and follow-up)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from dirkit._validation import Interval, OneOf, to_numpy, validate_params
from dirkit.exceptions import ConfigError, LabelError

if TYPE_CHECKING:  # torch is imported only when a tensor comes in: labels stays NumPy-only
    from torch import Tensor

__all__ = ["descending_soft_labels"]

AsymmetricMode = Literal["paper", "dev-code"]


@validate_params(
    {
        "n_groups": [Interval(int, 1, None)],
        "beta": [Interval(float, 0, None, closed="neither")],
        "asymmetric_mode": [OneOf(("paper", "dev-code"))],
    }
)
def descending_soft_labels(
    groups: object,
    n_groups: int,
    *,
    beta: float = 1.0,
    group_counts: object = None,
    asymmetric_mode: AsymmetricMode = "paper",
) -> Tensor | np.ndarray:
    """Soft class targets that descend with the distance from each sample's true group.

    Symmetric (``group_counts=None``): logits ``l_j = G - beta * |j - g|`` with ``G = n_groups``
    and target ``q = softmax(l)`` (with ``beta = 1`` proportional to ``exp(-|j - g|)``).

    Asymmetric (``group_counts`` given, the follow-up paper): with ``D_j`` the training count
    of group ``j``, ``P_j = 1 - D_j / sum(D)``, except ``P_g = 1`` at the true group:

    - ``asymmetric_mode="paper"`` (default): ``q = softmax(P * l)``, elementwise; rows sum to 1.
    - ``asymmetric_mode="dev-code"``: ``q = softmax(l) * P`` without renormalising, as in the
      authors' development code; rows then sum to less than 1 (use with
      :func:`dirkit.losses.soft_cross_entropy`, which takes the rows as given). The same
      ``P`` (with ``P_g = 1``) is used in both modes.

    Parameters
    ----------
    groups : Tensor or array-like of shape (N,)
        True group index of each sample, integers in ``0..n_groups-1``.
    n_groups : int
        Number of groups ``G``.
    beta : float
        Descent per group of distance (paper default 1).
    group_counts : array-like of shape (n_groups,), optional
        Training samples per group; turns on the asymmetric labels.
    asymmetric_mode : {"paper", "dev-code"}
        See above; ignored for symmetric labels.

    Returns
    -------
    Tensor or ndarray of shape (N, n_groups)
        A tensor (default float dtype, on the device of ``groups``) when ``groups`` is a
        tensor, else a float64 NumPy array.

    Raises
    ------
    LabelError
        For a group index that is not an integer in ``0..n_groups-1``.
    ConfigError
        For ``group_counts`` of the wrong length, negative, or summing to 0.

    Examples
    --------
    >>> q = descending_soft_labels([0, 2], n_groups=3)
    >>> q.round(3).tolist()
    [[0.665, 0.245, 0.09], [0.09, 0.245, 0.665]]
    >>> import torch
    >>> descending_soft_labels(torch.tensor([1]), 3, group_counts=[80, 15, 5]).sum().item()
    1.0
    """
    is_tensor = hasattr(groups, "detach") and hasattr(groups, "device")
    device = groups.device if is_tensor else None  # type: ignore[attr-defined]
    group_array = to_numpy(groups)
    if group_array.ndim != 1:
        raise LabelError(f"groups must be 1-D; got shape {group_array.shape}.")
    _check_group_indices(group_array, n_groups)
    columns = np.arange(n_groups)
    logits = n_groups - beta * np.abs(columns[None, :] - group_array[:, None].astype(np.int64))
    if group_counts is None:
        targets = _softmax(logits)
    else:
        scale = np.broadcast_to(1.0 - _group_shares(group_counts, n_groups), logits.shape).copy()
        scale[np.arange(group_array.shape[0]), group_array.astype(np.int64)] = 1.0
        if asymmetric_mode == "paper":
            targets = _softmax(scale * logits)
        else:
            targets = _softmax(logits) * scale
    if device is not None:
        import torch

        return torch.as_tensor(targets, dtype=torch.get_default_dtype(), device=device)
    return targets


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    result: np.ndarray = shifted / shifted.sum(axis=1, keepdims=True)
    return result


def _check_group_indices(groups: np.ndarray, n_groups: int) -> None:
    if groups.dtype.kind not in "biuf":
        raise LabelError(f"groups must hold integer group indices; got dtype {groups.dtype}.")
    bad = (groups != np.round(groups)) | (groups < 0) | (groups >= n_groups)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise LabelError(
            f"groups must be integers in 0..{n_groups - 1}; got {groups[first].item()!r} at index "
            f"{first}. Map labels to groups first (dirkit.labels.LabelGrouper)."
        )


def _group_shares(group_counts: object, n_groups: int) -> np.ndarray:
    counts = np.asarray(group_counts, dtype=np.float64)
    if counts.shape != (n_groups,) or (counts < 0).any() or not counts.sum() > 0:
        raise ConfigError(
            f"group_counts must hold {n_groups} non-negative counts with a positive sum; got "
            f"{np.asarray(group_counts).tolist()}."
        )
    shares: np.ndarray = counts / counts.sum()
    return shares
