"""Error-density correlations: computed from the saved predictions, shown per method in results.md."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dirkit.bench import load_records, run_benchmark, write_report
from dirkit.bench._density import density_correlations
from dirkit.bench._markdown import render_markdown
from dirkit.bench._store import predictions_path
from dirkit.metrics import error_density_correlation
from tests.bench.conftest import FakeRun, make_tiny


@dataclasses.dataclass
class DensityRun(FakeRun):
    """Test errors that grow with the bin index, i.e. as the training density falls (plus noise)."""

    def __call__(self, data, method, *, seed, **kwargs):
        result = super().__call__(data, method, seed=seed, **kwargs)
        rng = np.random.default_rng(seed + len(method))
        for split in ("val", "test"):
            y = getattr(data, f"y_{split}")
            scale = 0.2 if method == "vanilla" else 0.05
            result.predictions[split] = y + scale * np.floor(y) + rng.uniform(0, 0.5, size=y.size)
        return result


@pytest.fixture
def bench_dir(tmp_path, tiny_dataset):
    run_benchmark(["tiny-bench"], ["vanilla", "sqinv+lds"], [0, 1], out_dir=tmp_path, run_fn=DensityRun())
    return tmp_path


def test_correlations_are_the_metric_of_each_saved_run_summarised_over_seeds(bench_dir):
    records = load_records(bench_dir)
    density = density_correlations(bench_dir, records)
    assert set(density) == {("tiny-bench", "vanilla"), ("tiny-bench", "sqinv+lds")}
    for method in ("vanilla", "sqinv+lds"):
        per_seed = []
        for seed in (0, 1):
            data = make_tiny(seed)
            with np.load(predictions_path(bench_dir, "tiny-bench", method, seed)) as saved:
                pred = saved["pred_test"]
            per_seed.append(error_density_correlation(pred, data.y_test, data.y_train, data.binner()))
        for name in ("empirical", "effective"):
            summary = density[("tiny-bench", method)][name]
            assert summary.n == 2
            assert summary.mean == pytest.approx(np.mean([r[name] for r in per_seed]))
            assert summary.mean < -0.5  # errors grow where the training density falls


def test_results_md_shows_a_table_per_data_set_and_skips_runs_without_predictions(bench_dir):
    text = write_report(bench_dir, plots=False).markdown.read_text()
    section = text.split("### Error vs label density")[1]
    assert "LDS-smoothed density" in section and "Fig. 3" in section
    rows = {line.split("|")[1].strip(): line for line in section.splitlines() if line.startswith("| ")}
    assert {"vanilla", "sqinv+lds"} <= set(rows)
    assert rows["vanilla"].count("±") == 2
    for seed in (0, 1):
        predictions_path(bench_dir, "tiny-bench", "vanilla", seed).unlink()
    text = write_report(bench_dir, plots=False).markdown.read_text()
    section = text.split("### Error vs label density")[1]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    assert not any("vanilla" in row for row in rows) and any("sqinv+lds" in row for row in rows)


def test_no_table_without_correlations():
    records = [{"dataset": "d", "method": "m", "seed": 0, "duration_s": 1.0,
                "metrics": {"test": {"all": {"mae": 1.0}}}}]
    assert "Error vs label density" not in render_markdown(records)
