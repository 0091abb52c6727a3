"""The ``dirkit`` command line: ``list``, ``train``, ``bench``, ``report``, ``predict`` and ``evaluate``.

Examples
--------
::

    dirkit list methods
    dirkit train --dataset synthetic --method sqinv+lds --epochs 5 --set lds.sigma=1
    dirkit bench --dataset synthetic --methods vanilla,sqinv,sqinv+lds+fds --seeds 0,1,2 --out runs/syn
    dirkit report runs/syn
    dirkit train --dataset synthetic --method vanilla --save-model model.pt
    dirkit predict --model model.pt --dataset synthetic --out predictions.csv
    dirkit evaluate --model model.pt --dataset synthetic

Unknown data set, method or loss names and invalid settings exit with status 2 and a message that
lists the valid choices.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import os
import shutil
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dirkit import __version__
from dirkit._assignments import parse_assignments
from dirkit._catalog import KINDS, listing
from dirkit._interrupt import interrupted, watch_interrupts
from dirkit._model_commands import add_model_commands
from dirkit._split_seed_option import SPLIT_SEED_HELP, split_seed_option
from dirkit.exceptions import ConfigError, DirkitError, DirkitWarning

if TYPE_CHECKING:
    from dirkit.engine import TrainConfig

__all__ = ["build_parser", "main", "parse_assignments", "train_config_from"]

# PyTorch, scikit-learn and pandas load inside the commands that train or report, so that
# `dirkit --help`, `--version`, `list` and usage errors start in a fraction of a second.
RESULTS_FILE = "results.json"  # dirkit.bench.RESULTS_FILE (a test checks that they agree)


def _csv(kind: Callable[[str], Any]) -> Callable[[str], list[Any]]:
    def parse(text: str) -> list[Any]:
        items = [part.strip() for part in text.split(",") if part.strip()]
        if not items:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list; got {text!r}")
        try:
            return [kind(item) for item in items]
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid list {text!r}") from None

    return parse


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid value {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0; got {text}")
        return value

    return parse


def _seed(text: str) -> int:
    value = int(text)  # a ValueError: argparse's "invalid int value", or _csv's "invalid list"
    if not 0 <= value <= 2**32 - 1:
        raise argparse.ArgumentTypeError(f"seed {text} out of range; seeds are integers in 0..{2**32 - 1}")
    return value


_seed.__name__ = "int"  # argparse names the type in "invalid int value: 'a'"


def _add_training_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("training (defaults: dirkit.engine.TrainConfig)")
    group.add_argument("--epochs", type=_positive(int), help="epochs of the main stage")
    group.add_argument("--batch-size", type=_positive(int), help="batch size")
    group.add_argument("--lr", type=_positive(float), help="Adam learning rate")
    group.add_argument("--device", help="cpu, cuda, cuda:N or auto (CUDA where visible)")
    group.add_argument(
        "--backbone", metavar="NAME|MODULE:CALLABLE",
        help="built-in backbone (auto, mlp, resnet, bilstm) or your own: MODULE:CALLABLE is "
             "imported and called with the per-sample input shape, e.g. (3, 32, 32); it must "
             "return a torch.nn.Module mapping a batch of inputs to features (N, d); "
             "torchvision:MODEL[@WEIGHTS] or timm:MODEL[@pretrained] builds that package's model "
             "without its classifier (e.g. torchvision:resnet50). The built-in ResNet's depth: "
             "--train-arg resnet_depth=50",
    )
    group.add_argument("--data-dir", type=Path,
                       help="root of the real data sets (loaders that need one; default $DIRKIT_DATA_DIR, "
                            "else $DATA_DIR)")
    group.add_argument("--split-seed", type=split_seed_option, default=0, metavar="SEED|per-seed",
                       help=SPLIT_SEED_HELP)
    for flag, metavar, text in (
        ("--set", "METHOD.FIELD=VALUE", "method config field (repeatable), e.g. --set lds.sigma=1"),
        ("--dataset-arg", "KEY=VALUE",
         "data set loader argument (repeatable), e.g. --dataset-arg scale=0.1; csv takes path= and "
         "target=, and split=COLUMN or train=/val=/test= files for a fixed split (default: per "
         "label bin, min(rows // 3, cap) rows each to val and test, seeded by --split-seed)"),
        ("--train-arg", "FIELD=VALUE",
         "other TrainConfig field (repeatable), e.g. --train-arg resnet_depth=50 --train-arg "
         "resnet_width=64 (ResNet-50)"),
    ):
        group.add_argument(flag, action="append", default=[], metavar=metavar, help=text)
    group.add_argument(
        "--tensorboard", action="store_true",
        help="also write TensorBoard event files (needs the tensorboard package; skipped with a "
             "warning without it): OUT/tensorboard/DATASET__METHOD__SEED/, or for train without "
             "--out next to --save-model; the per-epoch CSV log is always written")
    group.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bars: bench shows one over the runs and one over the epochs of the current "
             "run (default: when stderr is a terminal)",
    )


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line: the error, then where the help is."""

    def error(self, message: str) -> Any:  # argparse prints the whole usage block first
        self.exit(2, f"{self.prog}: error: {message}; see `{self.prog} --help`.\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``dirkit`` command (usage errors print one line and exit 2)."""
    parser = _Parser(prog="dirkit", description="Deep imbalanced regression toolkit.")
    parser.add_argument("--version", action="version", version=f"dirkit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = commands.add_parser("list", help="list registered methods, data sets or losses")
    listing.add_argument("kind", choices=sorted(KINDS))
    listing.set_defaults(handler=_list)

    train = commands.add_parser("train", help="train one method on one data set and print its shot table")
    train.add_argument("--dataset", required=True, help="registered data set name")
    train.add_argument("--method", required=True, help="method spec, e.g. vanilla or sqinv+lds+fds")
    train.add_argument("--seed", type=_seed, default=0, help="seed (default 0)")
    train.add_argument("--out", type=Path,
                       help=f"folder to write {RESULTS_FILE}, results.md and the per-epoch log "
                            "logs/DATASET__METHOD__SEED.csv into")
    train.add_argument("--save-model", type=Path, metavar="PATH",
                       help="write the selected model to PATH (read by dirkit predict / evaluate and "
                            "dirkit.engine.load_model); without --out the per-epoch log goes next "
                            "to it, as PATH's name with .log.csv")
    _add_training_options(train)
    train.set_defaults(handler=_train)

    bench = commands.add_parser("bench", help="run a (dataset x method x seed) grid; resumable")
    bench.add_argument(
        "--dataset",
        "--datasets",
        dest="datasets",
        required=True,
        type=_csv(str),
        help="data set names, comma-separated",
    )
    bench.add_argument("--methods", required=True, type=_csv(str), help="method specs, comma-separated")
    bench.add_argument(
        "--seeds", type=_csv(_seed), default=[0, 1, 2], help="seeds, comma-separated (default 0,1,2)"
    )
    bench.add_argument("--out", type=Path, required=True,
                       help="output folder (rerun to resume); per-epoch logs in OUT/logs/")
    bench.add_argument("--checkpoints", action="store_true", help="checkpoint every epoch; resume mid-run")
    bench.add_argument("--keep-models", action="store_true",
                       help="keep each run's selected model in OUT/models/DATASET__METHOD__SEED.pt")
    _add_training_options(bench)
    bench.set_defaults(handler=_bench)

    report = commands.add_parser("report", help="re-render results.md and the plots of a benchmark folder")
    report.add_argument("out", type=Path, help=f"folder holding {RESULTS_FILE}")
    report.set_defaults(handler=_report)
    add_model_commands(commands)
    return parser


def _list(args: argparse.Namespace, command: list[str]) -> int:
    entries = listing(args.kind)
    width = max((len(name) for name, _ in entries), default=0)
    for name, text in entries:
        print(f"{name.ljust(width)}  {text}".rstrip())
    return 0


def train_config_from(assignments: dict[str, Any], **given: Any) -> TrainConfig:
    """A :class:`TrainConfig` from ``--train-arg`` assignments, then the flags in ``given`` (not None).

    Lists become tuples; a value whose type differs from the field's default type is refused.

    Examples
    --------
    >>> train_config_from({"resnet_width": 64, "hidden": [512, 256]}, epochs=5, lr=None)  # doctest: +ELLIPSIS
    TrainConfig(epochs=5, ..., hidden=(512, 256), ..., resnet_width=64, resnet_depth=18, ...)
    """
    from dirkit.engine import TrainConfig

    defaults = TrainConfig()
    fields = [f.name for f in dataclasses.fields(TrainConfig)]
    values = {**assignments, **{k: v for k, v in given.items() if v is not None}}
    for name, value in list(values.items()):
        if name not in fields:
            raise ConfigError(f"Unknown training setting {name!r}; valid: {', '.join(fields)}.")
        default = getattr(defaults, name)
        if isinstance(value, list):
            values[name] = value = tuple(value)
        numeric = isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool)
        if not (numeric or default is None or value is None or type(value) is type(default)):
            raise ConfigError(
                f"Training setting {name}={value!r} must be of type {type(default).__name__}, "
                f"like its default {default!r}."
            )
    return dataclasses.replace(defaults, **values)


def _train_config(args: argparse.Namespace) -> TrainConfig:
    builtin = None if args.backbone is None or ":" in args.backbone else args.backbone
    return train_config_from(
        parse_assignments(args.train_arg, dotted=False, option="--train-arg"),
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, device=args.device,
        backbone=builtin,
    )


def user_backbone(args: argparse.Namespace) -> str | None:
    """The ``MODULE:CALLABLE`` of ``--backbone``, checked to import (None for a built-in name)."""
    if args.backbone is None or ":" not in args.backbone:
        return None
    if os.getcwd() not in sys.path and "" not in sys.path:  # the `dirkit` script's path lacks it
        sys.path.insert(0, os.getcwd())
    from dirkit.engine import import_backbone

    import_backbone(args.backbone)  # fail before any data is loaded
    return str(args.backbone)


def _progress(args: argparse.Namespace) -> bool:
    return bool(args.progress) if args.progress is not None else sys.stderr.isatty()


def _train(args: argparse.Namespace, command: list[str]) -> int:
    from dirkit._registry import DATASETS
    from dirkit.bench import format_shot_table, load_dataset, log_path, run_benchmark, write_report
    from dirkit.engine import check_method_spec, run_experiment

    overrides = parse_assignments(args.set, dotted=True, option="--set")
    loader_args = parse_assignments(args.dataset_arg, dotted=False, option="--dataset-arg")
    config = _train_config(args)
    backbone = user_backbone(args)
    DATASETS.get(args.dataset)
    check_method_spec(args.method)
    if args.out is None:
        log_csv, tensorboard_dir = _logs_beside(args.save_model, tensorboard=args.tensorboard)
        data = load_dataset(args.dataset, args.seed, args.data_dir, loader_args, split_seed=args.split_seed)
        result = run_experiment(
            data,
            args.method,
            seed=args.seed,
            train_config=config,
            overrides=overrides or None,
            progress=_progress(args),
            backbone=backbone,
            save_model=args.save_model,
            log_csv=log_csv,
            tensorboard_dir=tensorboard_dir,
        )
        metrics, duration = result.metrics, result.duration_s
    else:
        run = run_benchmark(
            [args.dataset],
            [args.method],
            [args.seed],
            out_dir=args.out,
            train_config=config,
            data_dir=args.data_dir,
            dataset_kwargs={args.dataset: loader_args},
            overrides=overrides,
            progress=_progress(args),
            command=command,
            backbone=backbone,
            model_dir=None if args.save_model is None else args.out / "models",
            tensorboard=args.tensorboard,
            split_seed=args.split_seed,
        )
        log_csv = log_path(args.out, args.dataset, args.method, args.seed)
        metrics, duration = run.records[0]["metrics"], float(run.records[0]["duration_s"])
        if run.n_reused:
            print(f"Reusing the finished run in {run.path} (delete it there to train again).")
        if args.save_model is not None:
            from dirkit.bench import model_path

            kept = model_path(args.out / "models", args.dataset, args.method, args.seed)
            _copy_model(kept, args.save_model)
    print(
        f"{args.dataset} / {args.method} / seed {args.seed}: test metrics by shot region "
        f"({duration:.1f} s; validation MAE {metrics['val']['all']['mae']:.3f})"
    )
    print(format_shot_table(metrics["test"]))
    if log_csv is not None and log_csv.exists():
        print(f"\nPer-epoch log: {log_csv}")
    if args.out is not None:
        files = write_report(args.out, plots=False)
        print(
            f"\nWrote {args.out / RESULTS_FILE} and {files.markdown}; `dirkit report {args.out}` draws plots."
        )
    return 0


def _logs_beside(model: Path | None, *, tensorboard: bool) -> tuple[Path | None, Path | None]:
    """The CSV log (and TensorBoard folder) of a `dirkit train` without --out: beside --save-model."""
    if model is None:
        if tensorboard:
            raise ConfigError("--tensorboard needs --out or --save-model to say where its logs go.")
        return None, None
    stem = model.name[: -len(model.suffix)] if model.suffix else model.name
    return model.with_name(f"{stem}.log.csv"), model.with_name(f"{stem}.tensorboard") if tensorboard else None


def _copy_model(kept: Path, path: Path) -> None:
    if not kept.exists():
        raise ConfigError(
            f"The finished run reused from --out has no model file ({kept}); delete its record in "
            "results.json to train it again, or use another --out."
        )
    if kept.resolve() != path.resolve():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(kept, path)


def _write_and_print_report(out: Path, records: list[dict[str, Any]]) -> None:
    from dirkit.bench import render_summary, write_report

    print(render_summary(records))
    try:
        files = write_report(out, records)
    except ImportError as error:
        files = write_report(out, records, plots=False)
        print(f"\nNo plots: {error}", file=sys.stderr)
    print(f"\nResults: {out / RESULTS_FILE}\nTables:  {files.markdown}")
    for path in files.plots:
        print(f"Plot:    {path}")


@contextlib.contextmanager
def _run_lines_on_stderr(enabled: bool) -> Iterator[None]:
    """While the benchmark runs, send the runner's line per finished run to stderr."""
    logger = logging.getLogger("dirkit.bench")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    level = logger.level
    if enabled:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _bench(args: argparse.Namespace, command: list[str]) -> int:
    from dirkit.bench import run_benchmark

    loader_args = parse_assignments(args.dataset_arg, dotted=False, option="--dataset-arg")
    with _run_lines_on_stderr(not _progress(args)):  # no bar (a log file, CI): a line per run
        run = run_benchmark(
            args.datasets,
            args.methods,
            args.seeds,
            out_dir=args.out,
            train_config=_train_config(args),
            data_dir=args.data_dir,
            dataset_kwargs={name: loader_args for name in args.datasets},
            overrides=parse_assignments(args.set, dotted=True, option="--set"),
            progress=_progress(args),
            command=command,
            checkpoints=args.checkpoints,
            backbone=user_backbone(args),
            model_dir=args.out / "models" if args.keep_models else None,
            tensorboard=args.tensorboard,
            split_seed=args.split_seed,
        )
    print(f"Ran {run.n_run} run(s); {run.n_reused} already in {run.path}.\n")
    _write_and_print_report(args.out, run.records)
    return 0


def _report(args: argparse.Namespace, command: list[str]) -> int:
    from dirkit.bench import load_records

    records = load_records(args.out)
    if not records:
        raise ConfigError(
            f"No records in {args.out / RESULTS_FILE}; run `dirkit bench --out {args.out}` first."
        )
    _write_and_print_report(args.out, records)
    return 0


@contextlib.contextmanager
def _dirkit_warnings_as_lines(command: str) -> Iterator[None]:
    """Print dirkit's warnings as ``dirkit COMMAND: warning: ...`` lines (other warnings unchanged)."""
    shown = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, DirkitWarning):
            print(f"dirkit {command}: warning: {message}", file=sys.stderr)
        else:
            shown(message, category, *args, **kwargs)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = shown


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``dirkit`` command with ``argv`` (default ``sys.argv[1:]``) and return its exit status.

    Status 0 on success, 2 for usage errors (unknown names, invalid settings), 1 for other dirkit
    errors, 130 when interrupted (finished benchmark records stay saved).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help exits 0, usage errors 2
        return exit_.code if isinstance(exit_.code, int) else 2
    try:
        with watch_interrupts(), _dirkit_warnings_as_lines(args.command):
            try:
                status = int(args.handler(args, ["dirkit", *argv]))
                if interrupted():  # a Ctrl-C that a library's import swallowed (caught as ImportError)
                    raise KeyboardInterrupt
                return status
            except Exception as error:  # e.g. an ImportError made of a Ctrl-C inside NumPy's import
                if interrupted() and not isinstance(error, DirkitError):
                    raise KeyboardInterrupt from None
                raise
    except ConfigError as error:
        print(f"dirkit {args.command}: error: {error}", file=sys.stderr)
        return 2
    except DirkitError as error:
        print(f"dirkit {args.command}: error: {error}", file=sys.stderr)
        return 1
    except ImportError as error:  # an optional dependency is missing; the message names the package
        print(f"dirkit {args.command}: error: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # stdout piped into a program that stopped reading (`| head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 141
    except KeyboardInterrupt:
        print("\nInterrupted; finished records are saved, rerun the same command to resume.", file=sys.stderr)
        return 130
