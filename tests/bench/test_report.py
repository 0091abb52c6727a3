"""write_report: results.md and the PNG plots from a benchmark folder."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from dirkit.bench import plot_group_confusion, run_benchmark, write_report
from dirkit.bench._report import _mean_per_bin

pytest.importorskip("matplotlib")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def bench_dir(tmp_path, tiny_dataset, fake_run):
    run_benchmark(
        ["tiny-bench"], ["vanilla", "sqinv+lds", "group-asym"], [0, 1], out_dir=tmp_path, run_fn=fake_run
    )
    return tmp_path


def test_report_writes_markdown_and_plots(bench_dir):
    files = write_report(bench_dir)
    assert files.markdown.read_text().startswith("# dirkit benchmark")
    names = sorted(p.name for p in files.plots)
    assert names == [
        "tiny-bench__group-asym__group_confusion.png",
        "tiny-bench__labels.png",
        "tiny-bench__per_bin_mae.png",
    ]
    for path in files.plots:
        assert path.parent == bench_dir / "plots"
        assert path.stat().st_size > 10_000
        assert path.read_bytes()[:8] == PNG_MAGIC


def test_report_without_plots_or_predictions(bench_dir):
    files = write_report(bench_dir, plots=False)
    assert files.plots == [] and files.markdown.exists()
    for path in (bench_dir / "predictions").iterdir():
        path.unlink()
    names = sorted(p.name for p in write_report(bench_dir).plots)
    assert "tiny-bench__per_bin_mae.png" not in names and "tiny-bench__labels.png" in names


def test_missing_matplotlib_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install dirkit\[plot\]"):
        plot_group_confusion(np.eye(2), path=tmp_path / "c.png", title="t")


def test_mean_per_bin_ignores_seeds_without_samples():
    nan = np.nan
    np.testing.assert_array_equal(
        _mean_per_bin([np.array([1.0, nan, 4.0]), np.array([3.0, nan, nan])]), [2.0, nan, 4.0]
    )
