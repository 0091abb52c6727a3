"""Method recipes: each file registers one method of the papers; compose them with ``+``."""

from dirkit._registry import METHODS
from dirkit.methods import (  # noqa: F401 - registration
    _balanced_mse,
    _cls,
    _conr,
    _der,
    _fds,
    _focal_r,
    _group_methods,
    _group_robust,
    _hca_methods,
    _lds,
    _oe,
    _ranksim,
    _reg_cls,
    _reweighting,
    _rnc,
    _rrt,
    _smogn,
    _smoter,
    _vae,
    _vanilla,
    _vir,
)
from dirkit.methods._compose import Method, build_plan, parse_method_spec, register_method
from dirkit.methods._plan import (
    CLASSIFICATION_REGULARIZER_SCALE,
    ExtraModule,
    HeadStrategy,
    LabelContext,
    Regularizer,
    Stage,
    TrainingPlan,
)
from dirkit.methods._prediction_rules import GATE_QUANTILES, PredictionRule, choose_rule
from dirkit.methods._regression_head import RegressionStrategy
from dirkit.methods._scaling import ImageNormalize, LabelScale, Standardize

__all__ = [
    "CLASSIFICATION_REGULARIZER_SCALE",
    "GATE_QUANTILES",
    "METHODS",
    "ExtraModule",
    "HeadStrategy",
    "ImageNormalize",
    "LabelContext",
    "LabelScale",
    "Method",
    "PredictionRule",
    "RegressionStrategy",
    "Regularizer",
    "Stage",
    "Standardize",
    "TrainingPlan",
    "build_plan",
    "choose_rule",
    "parse_method_spec",
    "register_method",
]
