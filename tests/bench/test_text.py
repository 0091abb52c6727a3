"""Plain-text tables for the terminal."""

from __future__ import annotations

import math

from dirkit.bench import format_shot_table, render_summary


def test_shot_table_has_a_row_per_present_shot_and_dashes_for_nan():
    metrics = {
        "all": {"mae": 1.23456, "count": 30.0, "pearson": 0.9},
        "many": {"mae": 0.5, "count": 10.0, "pearson": math.nan},
        "zero": {"mae": math.nan, "count": 0.0, "pearson": math.nan},
        "few_incl_zero": {"mae": 2.0, "count": 5.0, "pearson": 0.1},
    }
    lines = format_shot_table(metrics).splitlines()
    assert lines[0].split() == ["Shot", "count", "mae", "pearson"]
    assert [line.split()[0] for line in lines[2:]] == ["All", "Many", "Zero", "Few+Zero"]
    assert lines[2].split() == ["All", "30", "1.235", "0.900"]
    assert lines[4].split() == ["Zero", "0", "–", "–"]


def test_summary_marks_the_best_and_aligns_columns():
    records = [
        {
            "dataset": "d",
            "method": m,
            "seed": s,
            "metrics": {
                "test": {"all": {"mae": v + s, "gm": v, "count": 4.0}, "few": {"mae": 9.0 - v, "count": 2.0}}
            },
        }
        for m, v in [("vanilla", 3.0), ("sqinv+lds", 2.0)]
        for s in (0, 1)
    ]
    text = render_summary(records)
    mae, gm = text.split("\n\n")
    lines = mae.splitlines()
    assert lines[0] == "d: test MAE ↓ (mean ± std over seeds; * best)"
    assert lines[1].split() == ["Method", "n", "All", "Many", "Medium", "Few"]
    assert lines[3].split() == ["vanilla", "2", "3.50", "±", "0.71", "–", "–", "6.00", "±", "0.00*"]
    assert lines[4].split()[:5] == ["sqinv+lds", "2", "2.50", "±", "0.71*"]
    assert len({len(line.rstrip()) for line in lines[1:3]}) == 1  # header and rule line up
    assert gm.startswith("d: test GM ↓")
