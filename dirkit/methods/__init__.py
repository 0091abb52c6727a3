"""Method recipes: each file registers one method of the papers; compose them with ``+``."""

from dirkit._registry import METHODS
from dirkit.methods import _fds, _lds, _reweighting, _vanilla  # noqa: F401 - registration
from dirkit.methods._compose import Method, build_plan, parse_method_spec, register_method
from dirkit.methods._plan import HeadStrategy, LabelContext, Regularizer, Stage, TrainingPlan
from dirkit.methods._regression_head import RegressionStrategy
from dirkit.methods._scaling import LabelScale, Standardize

__all__ = [
    "METHODS",
    "HeadStrategy",
    "LabelContext",
    "LabelScale",
    "Method",
    "RegressionStrategy",
    "Regularizer",
    "Stage",
    "Standardize",
    "TrainingPlan",
    "build_plan",
    "parse_method_spec",
    "register_method",
]
