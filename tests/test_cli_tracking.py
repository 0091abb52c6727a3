"""Per-epoch logs from the command line: OUT/logs/ for bench and train --out, beside --save-model
otherwise; --tensorboard is optional and skipped with a warning without the package."""

from __future__ import annotations

import importlib.util
import json

import pytest

import dirkit.methods  # noqa: F401 - fill the registries
from dirkit.bench import log_path
from dirkit.cli import main
from dirkit.engine import read_csv_log

FAST = ["--epochs", "2", "--batch-size", "128", "--dataset-arg", "scale=0.1", "--dataset-arg",
        "eval_per_bin=2", "--no-progress"]

pytestmark = pytest.mark.filterwarnings("ignore::dirkit.exceptions.DegenerateFitWarning")


def test_bench_writes_one_csv_log_per_run_beside_its_results(capsys, tmp_path):
    assert main(["bench", "--dataset", "synthetic", "--methods", "vanilla,rrt", "--seeds", "0",
                 "--out", str(tmp_path), *FAST]) == 0
    assert sorted(p.name for p in (tmp_path / "logs").iterdir()) == ["synthetic__rrt__0.csv",
                                                                     "synthetic__vanilla__0.csv"]
    records = {r["method"]: r for r in json.loads((tmp_path / "results.json").read_text())["records"]}
    for method in ("vanilla", "rrt"):
        rows = read_csv_log(log_path(tmp_path, "synthetic", method, 0))
        history = records[method]["history"]
        assert [(r["stage"], int(r["epoch"])) for r in rows] == [(h["stage"], h["epoch"]) for h in history]


def test_train_logs_into_out_or_beside_the_saved_model(capsys, tmp_path):
    assert main(["train", "--dataset", "synthetic", "--method", "vanilla", "--out", str(tmp_path / "o"),
                 *FAST]) == 0
    log = tmp_path / "o" / "logs" / "synthetic__vanilla__0.csv"
    assert [r["epoch"] for r in read_csv_log(log)] == ["1", "2"]
    assert f"Per-epoch log: {log}" in capsys.readouterr().out
    assert main(["train", "--dataset", "synthetic", "--method", "vanilla", "--save-model",
                 str(tmp_path / "m" / "model.pt"), *FAST]) == 0
    assert [r["epoch"] for r in read_csv_log(tmp_path / "m" / "model.log.csv")] == ["1", "2"]


def test_tensorboard_needs_a_place_for_its_logs(capsys):
    assert main(["train", "--dataset", "synthetic", "--method", "vanilla", "--tensorboard", *FAST]) == 2
    assert "--tensorboard needs --out or --save-model" in capsys.readouterr().err


@pytest.mark.skipif(importlib.util.find_spec("tensorboard") is not None, reason="tensorboard is installed")
def test_tensorboard_without_the_package_is_a_warning_and_the_run_goes_on(capsys, tmp_path):
    assert main(["bench", "--dataset", "synthetic", "--methods", "vanilla", "--seeds", "0",
                 "--out", str(tmp_path), "--tensorboard", *FAST]) == 0
    err = capsys.readouterr().err
    assert "dirkit bench: warning: TensorBoard logging to" in err and "pip install tensorboard" in err
    assert not (tmp_path / "tensorboard").exists()
    assert (tmp_path / "logs" / "synthetic__vanilla__0.csv").exists()
