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


def _tick_texts(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    return [t.get_text() for t in ax.get_xticklabels()], [t.get_text() for t in ax.get_yticklabels()], ax


@pytest.fixture
def confusion_figures(monkeypatch):
    import dirkit.bench._confusion as confusion

    figures = []
    save = confusion._save
    monkeypatch.setattr(confusion, "_save", lambda fig, path: (figures.append(fig), save(fig, path))[1])
    return figures


def test_confusion_axes_show_the_groups_label_ranges(tmp_path, confusion_figures):
    counts = np.array([[5, 1, 0], [2, 6, 1], [0, 1, 3]])
    plot_group_confusion(counts, path=tmp_path / "c.png", title="t", edges=[0.0, 10.0, 20.0, 30.0])
    xs, ys, ax = _tick_texts(confusion_figures[0])
    assert xs == ys == ["0–10", "10–20", "20–30"]
    assert "label range" in ax.get_xlabel()
    with pytest.raises(ValueError, match="3 groups need 4 edges; got 3"):
        plot_group_confusion(counts, path=tmp_path / "d.png", title="t", edges=[0.0, 1.0, 2.0])


def test_report_labels_confusion_with_recorded_edges_and_old_records_with_indices(
    tmp_path, tiny_dataset, fake_run, confusion_figures
):
    from dirkit.bench import load_records, save_records

    run_benchmark(["tiny-bench"], ["group-asym"], [0, 1], out_dir=tmp_path, run_fn=fake_run)
    records = load_records(tmp_path)
    for record in records:
        record["diagnostics"]["group_edges"] = [0.0, 2.5, 5.0, 7.5]
    save_records(tmp_path, records)
    write_report(tmp_path)
    xs, _, _ = _tick_texts(confusion_figures[-1])
    assert xs == ["0–2.5", "2.5–5", "5–7.5"]
    for record in records:  # an old folder: diagnostics without edges still plot, by index
        del record["diagnostics"]["group_edges"]
    save_records(tmp_path, records)
    files = write_report(tmp_path)
    assert any(p.name.endswith("group_confusion.png") for p in files.plots)
    xs, _, ax = _tick_texts(confusion_figures[-1])
    assert xs == ["0", "1", "2"] and ax.get_xlabel() == "predicted group"
