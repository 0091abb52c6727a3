"""Training: a plain loop with callbacks, the stage runner, and one-call experiments."""

from dirkit.engine._callbacks import BestOnValidation, EarlyStopping, EpochCheckpoint, FDSUpdate, History
from dirkit.engine._config import RunResult, TrainConfig
from dirkit.engine._distributed import all_reduce_sum, is_distributed, rank, world_size
from dirkit.engine._fit import FittedMethod, fit_plan
from dirkit.engine._hub_backbone import hub_backbone
from dirkit.engine._model_file import load_model
from dirkit.engine._run import check_method_spec, fit_method, run_experiment
from dirkit.engine._tracking import CSVLogger, TensorBoardLogger, read_csv_log
from dirkit.engine._trainer import Trainer, TrainingError, TrainModule
from dirkit.engine._user_backbone import BackboneSpec, UserBackbone, import_backbone

__all__ = [
    "BackboneSpec",
    "BestOnValidation",
    "CSVLogger",
    "EarlyStopping",
    "EpochCheckpoint",
    "FDSUpdate",
    "FittedMethod",
    "History",
    "RunResult",
    "TensorBoardLogger",
    "TrainConfig",
    "TrainModule",
    "Trainer",
    "TrainingError",
    "UserBackbone",
    "all_reduce_sum",
    "check_method_spec",
    "fit_method",
    "fit_plan",
    "hub_backbone",
    "import_backbone",
    "is_distributed",
    "load_model",
    "rank",
    "read_csv_log",
    "run_experiment",
    "world_size",
]
