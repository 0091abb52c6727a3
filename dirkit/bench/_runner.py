"""The resumable benchmark runner: every (dataset, method, seed) run becomes one saved record."""

from __future__ import annotations

import inspect
import itertools
import logging
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dirkit._registry import DATASETS
from dirkit.bench._command import portable_command
from dirkit.bench._provenance import git_commit, machine_info
from dirkit.bench._record import make_record, save_labels, save_predictions
from dirkit.bench._split_seed import (
    PER_SEED,
    SplitSeed,
    check_same_split,
    check_split_seed,
    takes_split_seed,
)
from dirkit.bench._store import (
    RESULTS_FILE,
    load_records,
    log_path,
    merge_records,
    predictions_path,
    prepare_out_dir,
    record_key,
    to_json,
)
from dirkit.datasets import DatasetSplits
from dirkit.datasets._paths import resolve_data_dir
from dirkit.engine import BackboneSpec, RunResult, TrainConfig, check_method_spec, run_experiment
from dirkit.engine._precision import resolve_device
from dirkit.engine._user_backbone import describe_backbone
from dirkit.exceptions import ConfigError

__all__ = ["BenchmarkRun", "RunFn", "load_dataset", "model_path", "run_benchmark"]

#: Signature of :func:`dirkit.engine.run_experiment`, the function that performs one run.
RunFn = Callable[..., RunResult]

Overrides = Mapping[str, Mapping[str, object]]

logger = logging.getLogger(__name__)

MAX_SEED = 2**32 - 1
"""The largest seed: NumPy's and torch's generators take seeds below 2**32 here."""


@dataclass(frozen=True)
class BenchmarkRun:
    """What :func:`run_benchmark` did.

    Attributes
    ----------
    records : list of dict
        The records of the requested grid, in (dataset, method, seed) order.
    n_run, n_reused : int
        Records computed by this call, and records found already in ``results.json``.
    path : Path
        The ``results.json`` file.
    """

    records: list[dict[str, Any]]
    n_run: int
    n_reused: int
    path: Path


def model_path(model_dir: Path, dataset: str, method: str, seed: int) -> Path:
    """The model file of one run under ``model_dir``.

    Examples
    --------
    >>> model_path(Path("out/models"), "synthetic", "sqinv+lds", 2).as_posix()
    'out/models/synthetic__sqinv+lds__2.pt'
    """
    return Path(model_dir) / predictions_path(Path(), dataset, method, seed).with_suffix(".pt").name


def _components(method: str) -> list[str]:
    return [part.strip() for part in method.split("+")]


def _check_names(kind: str, values: Sequence[Any]) -> None:
    if not values:
        raise ConfigError(f"run_benchmark needs at least one {kind}; got an empty list.")
    repeated = sorted({str(v) for v in values if list(values).count(v) > 1})
    if repeated:
        raise ConfigError(f"{kind}s must be unique; repeated: {', '.join(repeated)}.")


def _check_inputs(
    datasets: Sequence[str],
    methods: Sequence[str],
    seeds: Sequence[int],
    dataset_kwargs: Overrides,
    overrides: Overrides,
) -> None:
    _check_names("dataset", datasets)
    _check_names("method", methods)
    _check_names("seed", seeds)
    bad_seeds = [s for s in seeds if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0]
    bad_seeds += [s for s in seeds if s not in bad_seeds and s > MAX_SEED]
    if bad_seeds:
        raise ConfigError(f"seeds must be integers >= 0 and <= {MAX_SEED}; got {bad_seeds}.")
    for name in datasets:
        DATASETS.get(name)  # unknown names raise with the list of known data sets
    stray = sorted(set(dataset_kwargs) - set(datasets))
    if stray:
        raise ConfigError(
            f"dataset_kwargs is keyed by data set name; {stray} not among the data sets {list(datasets)}. "
            'Example: dataset_kwargs={"synthetic": {"scale": 0.1}}.'
        )
    components = {part for method in methods for part in _components(method)}
    unused = sorted(set(overrides) - components)
    if unused:
        raise ConfigError(
            f"overrides for {unused} match no component of the methods {list(methods)}; "
            f"valid keys here: {', '.join(sorted(components))}."
        )


def _accepts(func: Callable[..., Any], name: str) -> bool:
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == name or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def _check_loader_arguments(name: str, loader: Callable[..., Any], arguments: Mapping[str, object]) -> None:
    """Refuse loader arguments the loader does not take, listing those it does."""
    try:
        parameters = inspect.signature(loader).parameters.values()
    except (TypeError, ValueError):
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return
    valid = [p.name for p in parameters if p.name not in ("seed", "data_dir", "split_seed")]
    unknown = sorted(set(arguments) - set(valid))
    if unknown:
        raise ConfigError(
            f"Data set {name!r} takes no argument {', '.join(map(repr, unknown))}; "
            f"valid --dataset-arg keys: {', '.join(valid) or 'none'}."
        )


def load_dataset(
    name: str,
    seed: int,
    data_dir: Path | None = None,
    kwargs: Mapping[str, object] | None = None,
    *,
    split_seed: SplitSeed = PER_SEED,
) -> DatasetSplits:
    """Load a registered data set, passing ``data_dir`` and ``split_seed`` only to loaders that take them.

    ``data_dir`` defaults to ``$DIRKIT_DATA_DIR``, else ``$DATA_DIR``
    (:func:`dirkit.datasets._paths.resolve_data_dir`; ``$VAR`` in it is expanded).

    ``split_seed``: an int seeds the split of the loaders that take one (``csv``,
    ``tabular-ir/*``) whatever ``seed`` is; ``"per-seed"`` (the default here; ``run_benchmark``'s
    is 0) lets ``seed`` seed it.

    Examples
    --------
    >>> load_dataset("synthetic", 0, Path("/data"), {"scale": 0.1}).sizes()["train"]
    611
    """
    loader = DATASETS.get(name)
    arguments = dict(kwargs or {})
    if "split_seed" in arguments:
        raise ConfigError(
            f"Give the split seed as --split-seed (split_seed= in Python), not as a {name!r} loader argument."
        )
    _check_loader_arguments(name, loader, arguments)
    data_dir = resolve_data_dir(data_dir)
    if data_dir is not None and _accepts(loader, "data_dir"):
        arguments["data_dir"] = data_dir
    if check_split_seed(split_seed) != PER_SEED and takes_split_seed(loader):
        arguments["split_seed"] = split_seed
    return loader(seed=seed, **arguments)


@contextmanager
def _progress_bar(total: int, enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    from tqdm.auto import tqdm

    # position 0: the epoch bars of each run (dirkit.engine's Trainer) open below it and vanish
    with tqdm(total=total, unit="run", desc="benchmark", dynamic_ncols=True, position=0) as bar:
        yield bar


def _settings(
    train_config: TrainConfig, kwargs: Mapping[str, object], overrides: Overrides,
    backbone: Mapping[str, object] | None = None, split_seed: SplitSeed | None = None,
) -> Any:
    """What a record's result depends on besides its key, in the plain-JSON form it is saved in.

    A user backbone's description is added only when there is one, so records of the built-in
    backbones saved before it existed still match; the split seed only for the data sets whose
    loader takes one.
    """
    settings: dict[str, Any] = {"train_config": train_config.to_dict(), "dataset_kwargs": kwargs,
                                "overrides": overrides}
    if backbone is not None:
        settings["backbone"] = backbone
    if split_seed is not None:
        settings["split_seed"] = split_seed
    return to_json(settings)


#: Training fields whose default changed after records were saved without them: the value that
#: reproduces what those records ran (a record without the field did not run the new default).
_EARLIER_BEHAVIOUR: dict[str, Any] = {"regression_units": "label"}


def _with_current_defaults(saved: Any) -> Any:
    """Saved settings with training fields added to :class:`TrainConfig` since then filled in.

    A field added later takes a default that keeps the earlier behaviour, so an older record
    still matches the same command run today; a field whose default changed when it was added
    (:data:`_EARLIER_BEHAVIOUR`) takes the value the older record ran with, so it no longer
    matches a run under the new default.

    Examples
    --------
    >>> filled = _with_current_defaults({"train_config": {"epochs": 2}})
    >>> filled["train_config"]["epochs"], "batch_size" in filled["train_config"]
    (2, True)
    """
    if not isinstance(saved, dict) or not isinstance(saved.get("train_config"), dict):
        return saved
    defaults = {**to_json(TrainConfig().to_dict()), **_EARLIER_BEHAVIOUR}
    return {**saved, "train_config": {**defaults, **saved["train_config"]}}


def _differences(saved: Any, asked: Any, prefix: str = "") -> list[str]:
    """``"path: saved -> asked"`` for every leaf where two JSON values differ.

    Examples
    --------
    >>> _differences({"train_config": {"epochs": 2, "lr": 0.1}}, {"train_config": {"epochs": 3, "lr": 0.1}})
    ['train_config.epochs: 2 -> 3']
    """
    if isinstance(saved, dict) and isinstance(asked, dict):
        return [
            change
            for key in dict.fromkeys([*saved, *asked])
            for change in _differences(saved.get(key), asked.get(key), f"{prefix}{key}.")
        ]
    return [] if saved == asked else [f"{prefix.rstrip('.')}: {saved!r} -> {asked!r}"]


def run_benchmark(
    datasets: Sequence[str],
    methods: Sequence[str],
    seeds: Sequence[int],
    *,
    out_dir: Path,
    train_config: TrainConfig | None = None,
    data_dir: Path | None = None,
    dataset_kwargs: Overrides | None = None,
    overrides: Overrides | None = None,
    progress: bool = False,
    command: Sequence[str] | None = None,
    checkpoints: bool = False,
    run_fn: RunFn = run_experiment,
    backbone: BackboneSpec | str | None = None,
    model_dir: Path | None = None,
    tensorboard: bool = False,
    split_seed: SplitSeed = 0,
) -> BenchmarkRun:
    """Run every (dataset, method, seed) of the grid that ``out_dir/results.json`` lacks.

    Each data set is loaded once per seed. After every run its record is merged into
    ``results.json`` (re-read and rewritten atomically under a cross-process lock, so
    benchmarks running concurrently on one folder keep each other's records), its predictions
    go to ``predictions/``, its per-epoch log (every stage's training loss, validation metrics
    and learning rate) to ``logs/<dataset>__<method>__<seed>.csv`` and the training labels of
    each (dataset, seed) to ``labels/``, so
    an interrupt loses at most the run in progress and calling again with the same arguments
    runs only what is missing. A line per finished run goes to the ``dirkit.bench._runner``
    logger at INFO level.

    Parameters
    ----------
    datasets, methods : sequence of str
        Registered data set names and method specs (``"sqinv+lds+fds"``).
    seeds : sequence of int
        Seeds; the protocol reports mean and std over at least three.
    out_dir : Path
        Output folder (created if needed).
    train_config : TrainConfig, optional
        Optimisation settings shared by every run (defaults to ``TrainConfig()``).
    data_dir : Path, optional
        Passed to the loaders that take a ``data_dir`` argument; default ``$DIRKIT_DATA_DIR``, else
        ``$DATA_DIR``.
    dataset_kwargs : dict of str to dict, optional
        Extra loader arguments per data set name, e.g. ``{"synthetic": {"scale": 0.1}}``.
    overrides : dict of str to dict, optional
        Method config fields per component, e.g. ``{"lds": {"sigma": 1.0}}``; each run gets the
        entries of its own components.
    progress : bool
        Show a progress bar over the runs and, nested under it, one over the epochs of the run in
        progress (each training stage's; quiet when stderr is not a terminal).
    command : sequence of str, optional
        The command line to record (defaults to ``sys.argv``). Its ``--data-dir`` is recorded
        relative to the project when the folder is inside or next to it, else as ``$DATA_DIR``
        (:func:`dirkit.bench._command.portable_command`).
    checkpoints : bool
        Give each run a checkpoint folder under ``out_dir/checkpoints/``: the engine saves the
        training state every epoch there, and a rerun after an interrupt resumes the unfinished
        run from its last epoch instead of from scratch. A run's folder is deleted once its
        record is saved: the record, not the checkpoint, is what a finished run keeps.
    run_fn : callable
        Performs one run, with the signature of :func:`dirkit.engine.run_experiment` (the
        default, whose method specs are validated before anything runs).
    backbone : nn.Module, callable or str, optional
        A user backbone for every run (see :func:`dirkit.engine.run_experiment`); its
        description is part of each record's settings.
    model_dir : Path, optional
        Keep each run's selected model there, as ``<dataset>__<method>__<seed>.pt``
        (:meth:`dirkit.engine.FittedMethod.save`; read with :func:`dirkit.engine.load_model`).
        Runs already finished before are not trained again, so they get no file.
    tensorboard : bool
        Also write each run's per-epoch scalars as TensorBoard event files to
        ``out_dir/tensorboard/<dataset>__<method>__<seed>/`` (needs the ``tensorboard``
        package; without it a :class:`~dirkit.exceptions.TrackingWarning` says so and the runs
        go on). The CSV logs are written either way (when ``run_fn`` takes ``log_csv``).
    split_seed : int or "per-seed"
        Seeds the train / validation / test split of the data sets whose loader takes a
        ``split_seed`` (``csv``, ``tabular-ir/*``). An int (default 0): one split for every
        seed, so mean ± std over seeds is the training spread (the DIR protocol).
        ``"per-seed"``: each seed seeds its own split too (dirkit before this option; records
        saved without a split seed are read as such). Saved in each record's
        ``settings.split_seed``; runs with another split seed than a folder's records of the
        same data set are refused.

    Returns
    -------
    BenchmarkRun

    Raises
    ------
    ConfigError
        On an unknown data set or method, or when ``results.json`` holds a record of the grid
        made with other settings, or a record of one of its data sets made with another split
        seed (use another ``out_dir``).
    """
    split_seed = check_split_seed(split_seed)
    train_config = train_config if train_config is not None else TrainConfig()
    dataset_kwargs, overrides = dict(dataset_kwargs or {}), dict(overrides or {})
    _check_inputs(datasets, methods, seeds, dataset_kwargs, overrides)
    if run_fn is run_experiment:
        for method in methods:
            check_method_spec(method)
    out_dir = prepare_out_dir(Path(out_dir))

    backbone_info = None if backbone is None else describe_backbone(backbone)
    run_kwargs: dict[str, Any] = {} if backbone is None else {"backbone": backbone}
    logs = _accepts(run_fn, "log_csv")  # a custom run_fn may not log
    if tensorboard and not _accepts(run_fn, "tensorboard_dir"):
        raise ConfigError("tensorboard=True needs a run_fn that takes tensorboard_dir (run_experiment does).")

    split_seeded = [d for d in datasets if takes_split_seed(DATASETS.get(d))]

    def settings_of(dataset: str, method: str) -> Any:
        own = {k: v for k, v in overrides.items() if k in _components(method)}
        return _settings(train_config, dataset_kwargs.get(dataset, {}), own, backbone_info,
                         split_seed if dataset in split_seeded else None)

    all_records = load_records(out_dir)
    check_same_split(all_records, split_seeded, split_seed, out_dir / RESULTS_FILE)
    done = {record_key(r): r for r in all_records}
    grid = [(d, m, int(s)) for d in datasets for s in seeds for m in methods]
    for key in grid:
        saved = _with_current_defaults(done[key].get("settings")) if key in done else None
        if isinstance(saved, dict) and key[0] in split_seeded:
            saved = {**saved, "split_seed": split_seed}  # check_same_split found it equal
        if saved is not None and saved != settings_of(key[0], key[1]):
            changes = _differences(saved, settings_of(key[0], key[1]))
            raise ConfigError(
                f"{out_dir / RESULTS_FILE} already holds {key} run with other settings "
                f"(saved -> asked: {'; '.join(changes)}). "
                "Use another output folder, or delete that record to rerun it."
            )
    pending = [key for key in grid if key not in done]
    n_finished = 0
    argv = portable_command(command if command is not None else sys.argv)  # no machine's data path
    commit, machine = git_commit(), machine_info(str(resolve_device(train_config.device)))  # "auto" resolved
    with _progress_bar(len(pending), progress) as bar:
        for (dataset, seed), group in itertools.groupby(pending, key=lambda k: (k[0], k[2])):
            data = load_dataset(
                dataset, seed, data_dir, dataset_kwargs.get(dataset, {}), split_seed=split_seed
            )
            save_labels(out_dir, dataset, seed, data)
            for _, method, _ in group:
                if bar is not None:
                    bar.set_postfix_str(f"{dataset} {method} seed={seed}")
                own = {k: dict(v) for k, v in overrides.items() if k in _components(method)}
                checkpoint_dir = (
                    out_dir / "checkpoints" / predictions_path(out_dir, dataset, method, seed).stem
                    if checkpoints
                    else None
                )
                result = run_fn(
                    data,
                    method,
                    seed=seed,
                    train_config=train_config,
                    overrides=own or None,
                    progress=progress,  # the epoch bar of this run, nested under the bar over runs
                    checkpoint_dir=checkpoint_dir,
                    **run_kwargs,
                    **({} if model_dir is None
                       else {"save_model": model_path(model_dir, dataset, method, seed)}),
                    **({"log_csv": log_path(out_dir, dataset, method, seed)} if logs else {}),
                    **({"tensorboard_dir": log_path(out_dir, dataset, method, seed, kind="tensorboard")}
                       if tensorboard else {}),
                )
                save_predictions(out_dir, dataset, method, seed, data, result)
                record = make_record(
                    result,
                    settings=settings_of(dataset, method),
                    command=argv,
                    commit=commit,
                    machine=machine,
                )
                record.update(dataset=dataset, method=method, seed=seed)
                done[(dataset, method, seed)] = record
                merge_records(out_dir, [record])  # keeps what concurrent runs saved meanwhile
                if checkpoint_dir is not None:
                    shutil.rmtree(checkpoint_dir, ignore_errors=True)
                n_finished += 1
                logger.info(
                    "%d/%d %s %s seed=%d: val MAE %.4g, test MAE %.4g (%.0f s)",
                    n_finished, len(pending), dataset, method, seed,
                    record["metrics"]["val"]["all"]["mae"], record["metrics"]["test"]["all"]["mae"],
                    result.duration_s,
                )
                if bar is not None:
                    bar.update()
    ordered = [done[(d, m, int(s))] for d in datasets for m in methods for s in seeds]
    return BenchmarkRun(ordered, len(pending), len(grid) - len(pending), out_dir / RESULTS_FILE)
