"""Parameter descriptions shared by many loss docstrings, written once and substituted in.

A docstring line holding only ``%(weight)s`` (indented like a parameter name) is replaced by
the text below, so the wording of the shared parameters cannot drift between losses.
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["fill_doc"]

_SHARED_PARAMETERS = {
    "weight": """weight : Tensor of shape (N,) or (N, 1), optional
        Per-sample weights, e.g. LDS weights rescaled to mean 1; ``None`` weighs every sample 1.
        The weighted mean is ``mean(weight * loss)``, not ``sum(weight * loss) / sum(weight)``,
        so weights with mean 1 keep the scale of the unweighted loss (and a batch that happens
        to hold only rare labels gets a larger loss, as re-weighting intends).""",
    "reduction": """reduction : {"mean", "sum", "none"}
        ``"mean"`` averages the weighted per-sample losses over the batch, ``"sum"`` adds them,
        ``"none"`` returns them as a tensor of shape (N,).""",
}


def fill_doc(obj: T) -> T:
    """Replace each ``%(name)s`` placeholder in ``obj.__doc__`` with the shared parameter text.

    Examples
    --------
    >>> def f():
    ...     '''Parameters
    ...     ----------
    ...     %(reduction)s
    ...     '''
    >>> "averages the weighted" in fill_doc(f).__doc__
    True
    """
    target: Any = obj
    while target is not None:  # the wrapped function too (``functools.wraps``), read by doc tools
        doc = target.__doc__
        if doc:
            for key, text in _SHARED_PARAMETERS.items():
                doc = doc.replace(f"%({key})s", text)
            target.__doc__ = doc
        target = getattr(target, "__wrapped__", None)
    return obj
