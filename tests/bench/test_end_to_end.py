"""The runner and the report on the real engine: synthetic data, tiny scale, one epoch."""

from __future__ import annotations

import pytest

from dirkit.bench import load_records, run_benchmark, write_report
from dirkit.engine import TrainConfig

pytest.importorskip("matplotlib")


def test_benchmark_on_the_engine_resumes_and_reports(tmp_path):
    arguments = {
        "out_dir": tmp_path,
        "train_config": TrainConfig(epochs=1, batch_size=128, hidden=(32,), feature_dim=16),
        "dataset_kwargs": {"synthetic": {"scale": 0.1, "eval_per_bin": 2}},
        "overrides": {"lds": {"sigma": 1.0}},
    }
    first = run_benchmark(["synthetic"], ["vanilla", "sqinv+lds"], [0], **arguments)
    assert (first.n_run, first.n_reused) == (2, 0)
    records = load_records(tmp_path)
    assert records[1]["config"]["methods"]["lds"]["sigma"] == 1.0
    assert records[1]["history"] and records[1]["metrics"]["test"]["all"]["count"] == 200
    second = run_benchmark(["synthetic"], ["vanilla", "sqinv+lds"], [0], **arguments)
    assert (second.n_run, second.n_reused) == (0, 2)
    files = write_report(tmp_path)
    assert "| sqinv+lds | 1 |" in files.markdown.read_text()
    assert {p.name for p in files.plots} == {"synthetic__labels.png", "synthetic__per_bin_mae.png"}
