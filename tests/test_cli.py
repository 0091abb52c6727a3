"""The ``dirkit`` command line, through ``main(argv)`` and once as ``python -m dirkit``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

import dirkit.datasets
import dirkit.losses
import dirkit.methods  # noqa: F401 - fill the registries: `dirkit list` then prints the live ones
from dirkit._registry import DATASETS, LOSSES, METHODS
from dirkit.cli import main, parse_assignments, train_config_from
from dirkit.exceptions import ConfigError

FAST = [
    "--epochs",
    "1",
    "--batch-size",
    "128",
    "--dataset-arg",
    "scale=0.1",
    "--dataset-arg",
    "eval_per_bin=2",
    "--no-progress",
]


@pytest.mark.parametrize(
    ("kind", "registry"), [("methods", METHODS), ("datasets", DATASETS), ("losses", LOSSES)]
)
def test_list_prints_every_registered_name(capsys, kind, registry):
    assert main(["list", kind]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == registry.names()


def test_list_describes_methods(capsys):
    main(["list", "methods"])
    out = capsys.readouterr().out
    assert "vanilla" in out and "Yang et al. 2021" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["list", "things"], "invalid choice: 'things'"),
        (["train", "--dataset", "nope", "--method", "vanilla"], "Unknown dataset 'nope'. Known datasets: "),
        (["train", "--dataset", "synthetic", "--method", "vanilla+nope"], "Known methods: .*sqinv.*vanilla"),
        (
            ["bench", "--dataset", "synthetic", "--methods", "vanilla,nope", "--out", "x"],
            "Unknown method 'nope'",
        ),
        (
            ["train", "--dataset", "synthetic", "--method", "lds", "--set", "lds.nope=1", *FAST],
            "Unknown setting.*nope.*valid: .*sigma",
        ),
        (["train", "--dataset", "synthetic", "--method", "lds", "--set", "sigma=1"], "METHOD.FIELD=VALUE"),
        (["train", "--dataset", "synthetic", "--method", "vanilla", "--epochs", "0"], "must be > 0"),
        (
            ["bench", "--dataset", "synthetic", "--methods", "vanilla", "--seeds", "a,b", "--out", "x"],
            "invalid list",
        ),
        (["report", "no-such-folder"], "No records in no-such-folder"),
        ([], "required: COMMAND"),
    ],
)
def test_usage_errors_exit_2_with_the_valid_choices(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert not (tmp_path / "x").exists()


def test_help_exits_0(capsys):
    assert main(["bench", "--help"]) == 0
    assert "--methods" in capsys.readouterr().out


def test_set_values_are_json_when_they_parse():
    assert parse_assignments(
        ["a.b=1", "a.c=[1, 2]", "a.d=true", "a.e=text", "b.f=null", "a.g="], dotted=True
    ) == {
        "a": {"b": 1, "c": [1, 2], "d": True, "e": "text", "g": ""},
        "b": {"f": None},
    }
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_assignments(["scale"], dotted=False)


def test_train_prints_the_shot_table(capsys):
    assert (
        main(["train", "--dataset", "synthetic", "--method", "sqinv+lds", "--set", "lds.sigma=1", *FAST]) == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("synthetic / sqinv+lds / seed 0: test metrics by shot region")
    rows = [line.split("  ")[0] for line in out.splitlines()[3:]]
    assert rows == ["All", "Many", "Medium", "Few", "Zero", "Zero int.", "Zero ext.", "Few+Zero"]


def test_bench_then_report(capsys, tmp_path):
    argv = [
        "bench",
        "--dataset",
        "synthetic",
        "--methods",
        "vanilla,sqinv",
        "--seeds",
        "0",
        "--out",
        str(tmp_path),
        *FAST,
    ]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert re.search(r"1/2 synthetic vanilla seed=0: val MAE [\d.]+, test MAE [\d.]+ \(\d+ s\)", err), err
    assert re.search(r"2/2 synthetic sqinv seed=0", err), err
    assert "Ran 2 run(s); 0 already in" in out
    assert "synthetic: test MAE ↓" in out and "sqinv" in out
    assert f"Plot:    {tmp_path / 'plots' / 'synthetic__per_bin_mae.png'}" in out
    records = json.loads((tmp_path / "results.json").read_text())["records"]
    assert records[0]["command"] == ["dirkit", *argv]
    (tmp_path / "results.md").unlink()
    assert main(["report", str(tmp_path)]) == 0
    assert "| vanilla | 1 |" in (tmp_path / "results.md").read_text()
    assert main(argv) == 0
    assert "Ran 0 run(s); 2 already in" in capsys.readouterr().out


def test_python_m_dirkit_lists_methods():
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "dirkit", "list", "methods"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [line.split()[0] for line in done.stdout.splitlines()] == METHODS.names()


def test_train_args_reach_the_training_config_and_flags_win():
    config = train_config_from({"resnet_width": 64, "lr": 1, "hidden": [64], "norm": None}, lr=0.5)
    assert (config.resnet_width, config.lr, config.hidden, config.norm) == (64, 0.5, (64,), None)


@pytest.mark.parametrize(
    ("assignments", "message"),
    [
        ({"resnet_widht": 64}, r"Unknown training setting 'resnet_widht'; valid: epochs, .*resnet_width"),
        ({"augment": "yes"}, r"augment='yes' must be of type bool, like its default True"),
        ({"epochs": 2.5}, r"epochs=2.5 must be of type int"),
        ({"lr": True}, r"lr=True must be of type float"),
    ],
)
def test_bad_train_args_are_refused_by_name(assignments, message):
    with pytest.raises(ConfigError, match=message):
        train_config_from(assignments)


def test_bench_records_train_args(tmp_path):
    argv = ["bench", "--dataset", "synthetic", "--methods", "vanilla", "--seeds", "0", "--out", str(tmp_path),
            "--train-arg", "hidden=[32]", "--train-arg", "weight_decay=0", *FAST]
    assert main(argv) == 0
    record = json.loads((tmp_path / "results.json").read_text())["records"][0]
    assert record["config"]["train"]["hidden"] == [32]
    assert record["config"]["train"]["weight_decay"] == 0


def test_dirkit_warnings_print_as_one_line(capsys):
    import warnings

    from dirkit.cli import _dirkit_warnings_as_lines
    from dirkit.exceptions import DegenerateFitWarning

    with _dirkit_warnings_as_lines("train"), warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("collapsed; fix: rescale", DegenerateFitWarning, stacklevel=1)
    assert capsys.readouterr().err == "dirkit train: warning: collapsed; fix: rescale\n"


USER_BACKBONE = (
    "from torch import nn\n\ndef make(shape):\n    return nn.Sequential(nn.Linear(shape[0], 9), nn.Tanh())\n"
)


def test_train_and_bench_take_a_user_backbone_by_import_path(capsys, tmp_path, monkeypatch):
    (tmp_path / "cli_backbones.py").write_text(USER_BACKBONE)
    monkeypatch.chdir(tmp_path)  # found from the working folder, as a user's own module is
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    monkeypatch.delitem(sys.modules, "cli_backbones", raising=False)
    argv = ["bench", "--dataset", "synthetic", "--methods", "sqinv+lds+fds", "--seeds", "0",
            "--out", str(tmp_path / "runs"), "--backbone", "cli_backbones:make", *FAST]
    assert main(argv) == 0
    record = json.loads((tmp_path / "runs" / "results.json").read_text())["records"][0]
    assert record["config"]["backbone"] == {"kind": "factory", "name": "cli_backbones:make"}
    assert record["settings"]["backbone"] == record["config"]["backbone"]
    capsys.readouterr()
    assert main(["train", "--dataset", "synthetic", "--method", "vanilla", "--backbone", "cli_backbones:nope",
                 *FAST]) == 2
    assert "has no attribute 'nope'" in capsys.readouterr().err


def _read_predictions(path):
    import csv

    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [float(r["prediction"]) for r in rows], [float(r["target"]) for r in rows]


def test_a_saved_model_with_a_user_backbone_predicts_the_runs_test_predictions(capsys, tmp_path, monkeypatch):
    import numpy as np

    (tmp_path / "cli_backbones.py").write_text(USER_BACKBONE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "cli_backbones", raising=False)
    data_args = ["--dataset-arg", "scale=0.1", "--dataset-arg", "eval_per_bin=2"]
    assert main(["train", "--dataset", "synthetic", "--method", "sqinv+lds+fds", "--seed", "4",
                 "--backbone", "cli_backbones:make", "--out", "runs", "--save-model", "model.pt", *FAST]) == 0
    assert (tmp_path / "model.pt").is_file() and (tmp_path / "runs" / "models").is_dir()
    saved = np.load(tmp_path / "runs" / "predictions" / "synthetic__sqinv+lds+fds__4.npz")
    capsys.readouterr()
    predict = ["predict", "--model", "model.pt", "--dataset", "synthetic", *data_args, "--out", "pred.csv"]
    assert main(predict) == 2
    assert "pass that backbone again" in capsys.readouterr().err
    assert main([*predict, "--backbone", "cli_backbones:make"]) == 0
    prediction, target = _read_predictions(tmp_path / "pred.csv")
    np.testing.assert_array_equal(prediction, saved["pred_test"])  # exactly, seed read from the file
    np.testing.assert_array_equal(target, saved["y_test"])
    capsys.readouterr()
    assert main(["evaluate", "--model", "model.pt", "--dataset", "synthetic", *data_args,
                 "--backbone", "cli_backbones:make"]) == 0
    record = json.loads((tmp_path / "runs" / "results.json").read_text())["records"][0]
    mae = record["metrics"]["test"]["all"]["mae"]
    assert f"{mae:.3f}" in capsys.readouterr().out


def test_train_without_out_saves_and_bench_keeps_models(capsys, tmp_path):
    assert main(["train", "--dataset", "synthetic", "--method", "vanilla",
                 "--save-model", str(tmp_path / "m" / "vanilla.pt"), *FAST]) == 0
    assert (tmp_path / "m" / "vanilla.pt").is_file()
    assert main(["bench", "--dataset", "synthetic", "--methods", "vanilla,sqinv", "--seeds", "0",
                 "--out", str(tmp_path / "b"), "--keep-models", *FAST]) == 0
    kept = sorted(p.name for p in (tmp_path / "b" / "models").iterdir())
    assert kept == ["synthetic__sqinv__0.pt", "synthetic__vanilla__0.pt"]
    capsys.readouterr()
    assert main(["predict", "--model", str(tmp_path / "nothing.pt"), "--dataset", "synthetic",
                 "--out", str(tmp_path / "p.csv")]) == 1
    assert "No model file" in capsys.readouterr().err
