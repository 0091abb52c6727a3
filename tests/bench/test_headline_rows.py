"""benchmarks/headline_rows.py: vanilla, the best baseline by All MAE and the group methods."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "headline_rows.py"
spec = importlib.util.spec_from_file_location("headline_rows", SCRIPT)
assert spec is not None and spec.loader is not None
headline_rows = importlib.util.module_from_spec(spec)
spec.loader.exec_module(headline_rows)


def record(method, seed, mae):
    values = {"mae": mae, "gm": mae / 2, "mse": mae**2, "pearson": 0.5}
    shots = {shot: values for shot in ("all", "many", "medium", "few")}
    return {"dataset": "d", "method": method, "seed": seed, "duration_s": 1.0, "metrics": {"test": shots}}


def test_picks_the_baseline_with_the_lowest_mean_all_mae_and_keeps_group_rows():
    maes = {"vanilla": (3.0, 3.2), "lds": (2.9, 2.5), "focal-r": (2.0, 3.6), "group-asym": (1.0, 1.2),
            "cls": (4.0, 4.0)}
    records = [record(m, s, v) for m, values in maes.items() for s, v in enumerate(values)]
    table = headline_rows.render(records)
    rows = [line.split(" | ")[0].strip("| ") for line in table.splitlines() if line.startswith("| ")][1:]
    assert rows == ["vanilla", "lds (best baseline)", "group-asym"]  # lds 2.70 < focal-r 2.80
    assert "| 2.70 ± 0.28 |" in table  # mean ± sample std of lds's All MAE


def test_writes_the_file(tmp_path):
    from dirkit.bench import save_records

    save_records(tmp_path, [record("vanilla", 0, 1.0), record("rrt", 0, 0.5)])
    headline_rows.main([str(tmp_path), "-o", str(tmp_path / "headline.md")])
    text = (tmp_path / "headline.md").read_text()
    assert "| rrt (best baseline) | 0.50 |" in text, text
    with pytest.raises(SystemExit):
        headline_rows.main([])


def test_an_empty_folder_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit):
        headline_rows.main([str(tmp_path)])
    assert "no records in" in capsys.readouterr().err
