"""render_markdown and the aggregation behind it, on constructed records."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dirkit.bench import Summary, aggregate, render_markdown

MAE = {  # method -> seed -> (all, many, medium, few, zero)
    "vanilla": {0: (3.0, 1.0, 2.0, 5.0, 9.0), 1: (3.4, 1.2, 2.5, 5.5, 9.9), 2: (3.2, 1.1, 2.2, 6.0, 9.3)},
    "lds": {0: (2.8, 1.3, 2.1, 4.0, 8.0), 1: (2.9, 1.4, 2.0, 4.4, 8.1), 2: (2.7, 1.2, 2.3, 4.2, 8.3)},
}
SHOTS = ("all", "many", "medium", "few", "zero")


def record(method, seed, maes, *, zero_count=10.0, pearson=0.5, diagnostics=None):
    def metrics(mae):
        if mae is None:
            return {"mae": None, "mse": None, "gm": None, "pearson": None, "count": 0.0}
        return {"mae": mae, "mse": mae**2, "gm": mae / 2, "pearson": pearson + mae / 100, "count": 10.0}

    test = {shot: metrics(mae) for shot, mae in zip(SHOTS, maes, strict=True)}
    test["zero"]["count"] = zero_count
    return {
        "dataset": "toy",
        "method": method,
        "seed": seed,
        "duration_s": 60.0,
        "commit": "abc123",
        "command": ["dirkit", "bench", "--methods", "vanilla,lds"],
        "machine": {"platform": "Linux", "cpu_count": 2},
        "settings": {"train_config": {"epochs": 7, "batch_size": 64, "lr": 0.01}},
        "metrics": {"val": test, "test": test},
        "diagnostics": diagnostics or {},
    }


@pytest.fixture
def records():
    return [record(m, s, v) for m, seeds in MAE.items() for s, v in seeds.items()]


def table(markdown, title):
    """Rows of the table under ``### title`` as lists of cells."""
    block = markdown.split(f"### {title}\n")[1].strip().split("\n\n")[0]
    return [[c.strip() for c in line.strip("|").split("|")] for line in block.splitlines()[2:]]


def test_cells_are_mean_and_sample_std_over_seeds(records):
    rows = {row[0]: row for row in table(render_markdown(records), "MAE ↓")}
    for method, seeds in MAE.items():
        values = np.array(list(seeds.values()))
        assert rows[method][1] == "3"
        for column, shot_values in enumerate(values.T):
            expected = f"{shot_values.mean():.2f} ± {shot_values.std(ddof=1):.2f}"
            assert rows[method][2 + column].strip("*") == expected


def test_best_per_column_is_bold(records):
    rows = {row[0]: row[2:] for row in table(render_markdown(records), "MAE ↓")}
    bold = {m: [c.startswith("**") for c in cells] for m, cells in rows.items()}
    assert bold == {"vanilla": [False, True, False, False, False], "lds": [True, False, True, True, True]}
    pearson = {row[0]: row[2:] for row in table(render_markdown(records), "Pearson ↑")}
    assert pearson["vanilla"][0].startswith("**")  # higher is better for correlations


def test_ties_at_the_shown_precision_are_all_bold():
    records = [record(m, 0, (2.0001, 1, 1, 1, 1) if m == "a" else (2.0002, 2, 2, 2, 2)) for m in ("a", "b")]
    rows = table(render_markdown(records), "MAE ↓")
    assert [r[2] for r in rows] == ["**2.00**", "**2.00**"]


def test_missing_values_show_a_dash_and_one_seed_shows_no_std():
    records = [
        record("vanilla", 0, (3.0, math.nan, 2.0, None, 9.0)),
        record("lds", 0, (2.0, 1.0, 3.0, 4.0, 8.0)),
    ]
    rows = {row[0]: row for row in table(render_markdown(records), "MAE ↓")}
    assert rows["vanilla"][1:] == ["1", "3.00", "–", "**2.00**", "–", "9.00"]
    assert rows["lds"][3] == "1.00"  # the only value of its column is not marked best


def test_zero_column_only_when_the_test_split_has_zero_shot_samples(records):
    assert table(render_markdown(records), "GM ↓")[0].__len__() == 7
    no_zero = [record(m, 0, (1, 1, 1, 1, math.nan), zero_count=0.0) for m in ("a", "b")]
    markdown = render_markdown(no_zero)
    assert "| Method | n | All | Many | Medium | Few |\n" in markdown
    assert len(table(markdown, "GM ↓")[0]) == 6


def test_header_states_provenance_and_every_metric_table(records):
    markdown = render_markdown(records)
    assert "Commit: `abc123`" in markdown
    assert "Machine: Linux, 2 CPUs" in markdown
    assert "Training: epochs 7, batch_size 64, lr 0.01" in markdown
    assert "Command: `dirkit bench --methods vanilla,lds`" in markdown
    assert "Total wall time: 6 min 00 s over 6 runs" in markdown
    assert "## toy" in markdown and "Seeds: 0, 1, 2." in markdown
    for title in ("MAE ↓", "MSE ↓", "GM ↓", "Pearson ↑"):
        assert f"### {title}" in markdown


def test_scalar_diagnostics_get_a_table():
    records = [
        record("group-dir", s, (1, 1, 1, 1, 1), diagnostics={"group_accuracy": a, "group_confusion": [[1]]})
        for s, a in enumerate([0.6, 0.8])
    ] + [record("vanilla", 0, (2, 2, 2, 2, 2))]
    rows = table(render_markdown(records), "Diagnostics")
    assert rows == [["group-dir", "2", "0.700 ± 0.141"]]


def test_summary_ignores_missing_values():
    empty = Summary.of([None, math.nan, math.inf])
    assert empty.n == 0 and math.isnan(empty.mean) and math.isnan(empty.std)
    summary = aggregate([record("a", 0, (1, 2, 3, 4, 5)), record("a", 1, (3, 2, 3, 4, 5))])[("toy", "a")]
    assert summary["metrics"]["all"]["mae"] == Summary(2.0, math.sqrt(2), 2)
    assert summary["duration_s"] == 120.0


def test_no_records():
    assert "No records." in render_markdown([])
