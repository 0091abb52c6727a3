"""--split-seed: one split for every training seed by default; old per-seed folders are not mixed."""

from __future__ import annotations

import numpy as np
import pytest

from dirkit.bench import load_dataset, load_records, run_benchmark, save_records
from dirkit.cli import main
from dirkit.datasets import load_csv
from dirkit.engine import TrainConfig
from dirkit.exceptions import ConfigError


@pytest.fixture
def table_file(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.gamma(2.0, 10.0, size=300)
    path = tmp_path / "table.npz"
    np.savez(path, y=y, x=np.column_stack([y + rng.normal(size=300), rng.normal(size=300)]))
    return path


def _splits(data):
    return {s: np.asarray(getattr(data, f"y_{s}")) for s in ("train", "val", "test")}


def _same(a, b):
    return all(np.array_equal(a[s], b[s]) for s in a)


def test_a_split_seed_gives_every_training_seed_the_same_split(table_file):
    args = {"path": str(table_file), "target": "y"}
    fixed = [_splits(load_dataset("csv", seed, None, args, split_seed=0)) for seed in (0, 1)]
    assert _same(*fixed)
    per_seed = [_splits(load_dataset("csv", seed, None, args, split_seed="per-seed")) for seed in (0, 1)]
    assert not _same(*per_seed)
    assert _same(per_seed[0], fixed[0])  # split seed 0 is training seed 0's old split
    assert not _same(_splits(load_csv(0, path=table_file, target="y", split_seed=5)), fixed[0])
    assert load_dataset("csv", 1, None, args, split_seed=0).info["split_seed"] == 0


def test_split_seed_is_not_a_loader_argument(table_file):
    with pytest.raises(ConfigError, match="--split-seed"):
        load_dataset("csv", 0, None, {"path": str(table_file), "target": "y", "split_seed": 1})
    with pytest.raises(ConfigError, match="split_seed must be an int"):
        load_dataset("csv", 0, None, {"path": str(table_file), "target": "y"}, split_seed="fixed")


def _bench(tmp_path, table_file, fake_run, seeds=(0, 1), **kwargs):
    return run_benchmark(["csv"], ["vanilla"], list(seeds), out_dir=tmp_path / "out",
                         dataset_kwargs={"csv": {"path": str(table_file), "target": "y"}},
                         train_config=TrainConfig(epochs=1), run_fn=fake_run, **kwargs)


def test_bench_default_shares_one_split_and_records_it(tmp_path, table_file, fake_run):
    seen = []
    original = fake_run.__call__

    def spy(data, method, **kwargs):
        seen.append(_splits(data))
        return original(data, method, **kwargs)

    run = _bench(tmp_path, table_file, spy)
    assert _same(*seen)
    assert [r["settings"]["split_seed"] for r in run.records] == [0, 0]
    seen.clear()
    run = _bench(tmp_path / "b", table_file, spy, split_seed="per-seed")
    assert not _same(*seen)
    assert [r["settings"]["split_seed"] for r in run.records] == ["per-seed"] * 2


def test_folders_from_before_the_option_are_per_seed_and_never_mixed(tmp_path, table_file, fake_run):
    _bench(tmp_path, table_file, fake_run, split_seed="per-seed")
    records = load_records(tmp_path / "out")
    for record in records:  # as written before dirkit had --split-seed
        del record["settings"]["split_seed"]
    save_records(tmp_path / "out", records)
    message = r"split seed 'per-seed'.*rerun with --split-seed per-seed"
    with pytest.raises(ConfigError, match=message) as error:
        _bench(tmp_path, table_file, fake_run)
    assert "\n" not in str(error.value)
    with pytest.raises(ConfigError, match="--split-seed per-seed"):  # new seeds would mix too
        _bench(tmp_path, table_file, fake_run, seeds=(2,))
    again = _bench(tmp_path, table_file, fake_run, seeds=(0, 1, 2), split_seed="per-seed")
    assert (again.n_run, again.n_reused) == (1, 2)
    _bench(tmp_path / "fixed", table_file, fake_run)
    with pytest.raises(ConfigError, match=r"split seed 0 and these would use 3; .*rerun with --split-seed 0"):
        _bench(tmp_path / "fixed", table_file, fake_run, split_seed=3)


def test_data_sets_without_a_split_seed_record_none(tmp_path, tiny_dataset, fake_run):
    run = run_benchmark(["tiny-bench"], ["vanilla"], [0], out_dir=tmp_path, run_fn=fake_run)
    assert "split_seed" not in run.records[0]["settings"]
    again = run_benchmark(["tiny-bench"], ["vanilla"], [0], out_dir=tmp_path, run_fn=fake_run,
                          split_seed="per-seed")
    assert again.n_reused == 1


def test_cli_refuses_to_mix_with_a_one_line_error(tmp_path, table_file, capsys):
    common = ["bench", "--dataset", "csv", "--methods", "vanilla", "--seeds", "0",
              "--out", str(tmp_path / "o"), "--dataset-arg", f"path={table_file}",
              "--dataset-arg", "target=y", "--epochs", "1", "--no-progress"]
    assert main([*common, "--split-seed", "per-seed", "--seeds", "1"]) == 0
    records = load_records(tmp_path / "o")
    assert records[0]["settings"]["split_seed"] == "per-seed"
    assert records[0]["config"]["dataset"]["split_seed"] == 1
    for record in records:
        del record["settings"]["split_seed"]
    save_records(tmp_path / "o", records)
    capsys.readouterr()
    assert main(common) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--split-seed per-seed" in err
    assert main([*common, "--split-seed", "per-seed", "--seeds", "1"]) == 0
    assert "Ran 0 run(s); 1 already in" in capsys.readouterr().out
    assert main([*common, "--split-seed", "fixed"]) == 2
    assert "expected a seed (0, 1, ...) or per-seed; got 'fixed'" in capsys.readouterr().err


def test_a_model_file_remembers_its_split_for_predict(tmp_path, table_file, capsys):
    data_args = ["--dataset", "csv", "--dataset-arg", f"path={table_file}", "--dataset-arg", "target=y"]
    model = str(tmp_path / "m.pt")
    assert main(["train", *data_args, "--method", "vanilla", "--seed", "1", "--epochs", "1",
                 "--save-model", model, "--no-progress"]) == 0
    out = str(tmp_path / "p.csv")
    assert main(["predict", "--model", model, *data_args, "--out", out]) == 0
    targets = np.loadtxt(out, delimiter=",", skiprows=1)[:, 1]
    split_0 = load_csv(1, path=table_file, target="y", split_seed=0)
    np.testing.assert_array_equal(targets, split_0.y_test)  # split seed 0, not the training seed 1
    assert main(["predict", "--model", model, *data_args, "--out", out, "--split-seed", "per-seed"]) == 0
    targets = np.loadtxt(out, delimiter=",", skiprows=1)[:, 1]
    assert not np.array_equal(targets, split_0.y_test)
