"""``dirkit predict`` and ``dirkit evaluate``: use a model file written by ``dirkit train --save-model``."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

import numpy as np

from dirkit._split_seed_option import split_seed_option
from dirkit.exceptions import ConfigError

__all__ = ["add_model_commands"]

_SPLITS = ("train", "val", "test")


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, required=True, help="model file of dirkit train --save-model")
    parser.add_argument("--dataset", required=True, help="registered data set name")
    parser.add_argument("--seed", type=int, help="data set seed (default: the model's own seed)")
    parser.add_argument("--data-dir", type=Path,
                        help="root of the real data sets (default $DIRKIT_DATA_DIR, else $DATA_DIR)")
    parser.add_argument("--split-seed", type=split_seed_option, metavar="SEED|per-seed",
                        help="seed of the csv / tabular-ir split (default: the one the model was trained "
                             "on, from the model file; per-seed for model files without one)")
    parser.add_argument("--dataset-arg", action="append", default=[], metavar="KEY=VALUE",
                        help="data set loader argument (repeatable), as given to dirkit train")
    parser.add_argument("--backbone", metavar="MODULE:CALLABLE",
                        help="the user backbone the model was trained with (models of --backbone only)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")


def add_model_commands(commands: Any) -> None:
    """Add ``predict`` and ``evaluate`` to the ``dirkit`` sub-command parsers."""
    predict = commands.add_parser("predict", help="write a model file's predictions on a split to CSV")
    _add_model_options(predict)
    predict.add_argument("--split", choices=_SPLITS, default="test", help="split to predict (default test)")
    predict.add_argument("--out", type=Path, required=True, help="CSV file: columns prediction, target")
    predict.set_defaults(handler=_predict)
    evaluate = commands.add_parser("evaluate", help="print a model file's shot table on a test split")
    _add_model_options(evaluate)
    evaluate.set_defaults(handler=_evaluate)


def _load(args: argparse.Namespace) -> tuple[Any, Any]:
    from dirkit.bench import load_dataset
    from dirkit.cli import parse_assignments, user_backbone
    from dirkit.engine import load_model

    fitted = load_model(args.model, backbone=user_backbone(args), device=args.device)
    seed = fitted.context.seed if args.seed is None else args.seed
    split_seed = args.split_seed
    if split_seed is None:
        split_seed = fitted.context.data.info.get("split_seed", "per-seed")
    loader_args = parse_assignments(args.dataset_arg, dotted=False, option="--dataset-arg")
    data = load_dataset(args.dataset, seed, args.data_dir, loader_args, split_seed=split_seed)
    expected = tuple(fitted.context.x_train.shape[1:])
    if tuple(data.x_test.shape[1:]) != expected:
        raise ConfigError(
            f"The model reads inputs of shape {expected}; data set {args.dataset!r} has "
            f"{tuple(data.x_test.shape[1:])}. Pass the --dataset-arg values it was trained with."
        )
    return fitted, data


def _predict(args: argparse.Namespace, command: list[str]) -> int:
    if args.out.is_dir():
        raise ConfigError(f"--out {args.out} is a folder; name the CSV file to write.")
    fitted, data = _load(args)
    prediction = fitted.predict(getattr(data, f"x_{args.split}"))
    target = np.asarray(getattr(data, f"y_{args.split}"), dtype=np.float64)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["prediction", "target"])
        writer.writerows((repr(float(p)), repr(float(t))) for p, t in zip(prediction, target, strict=True))
    print(f"Wrote {len(prediction)} predictions of {args.dataset} / {args.split} to {args.out}.")
    return 0


def _evaluate(args: argparse.Namespace, command: list[str]) -> int:
    from dirkit.bench import format_shot_table
    from dirkit.metrics import shot_metrics

    fitted, data = _load(args)
    metrics = shot_metrics(fitted.predict(data.x_test), data.y_test, data.y_train, data.binner())
    print(f"{args.dataset} / {fitted.method} ({args.model}): test metrics by shot region")
    print(format_shot_table(metrics))
    return 0
