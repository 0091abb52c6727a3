"""run_benchmark: record schema, atomic appends, resuming, settings checks (with a fake run_fn)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dirkit.bench import RESULTS_FILE, load_records, predictions_path, run_benchmark, save_records
from dirkit.bench._store import labels_path
from dirkit.engine import TrainConfig
from dirkit.exceptions import ConfigError, UnknownNameError

DATA = "tiny-bench"
SCHEMA = {
    "dataset",
    "method",
    "seed",
    "config",
    "metrics",
    "diagnostics",
    "history",
    "duration_s",
    "commit",
    "machine",
    "command",
    "dirkit_version",
}


def run(tmp_path, fake_run, methods=("vanilla", "lds"), seeds=(0, 1), **kwargs):
    kwargs.setdefault("train_config", TrainConfig(epochs=1))
    return run_benchmark(
        [DATA],
        list(methods),
        list(seeds),
        out_dir=tmp_path,
        run_fn=fake_run,
        command=["dirkit", "bench"],
        **kwargs,
    )


def test_every_record_is_saved_with_the_schema(tmp_path, tiny_dataset, fake_run):
    result = run(tmp_path, fake_run)
    assert (result.n_run, result.n_reused) == (4, 0)
    records = load_records(tmp_path)
    assert [(r["method"], r["seed"]) for r in records] == [
        ("vanilla", 0),
        ("lds", 0),
        ("vanilla", 1),
        ("lds", 1),
    ]
    for record in records:
        assert SCHEMA <= set(record)
        assert set(record["metrics"]) == {"val", "test"}
        assert record["metrics"]["test"]["zero"]["count"] == 15
        assert record["command"] == ["dirkit", "bench"]
        assert {"platform", "cpu_count", "torch", "device"} <= set(record["machine"])
        assert record["settings"]["train_config"]["epochs"] == 1
    json.loads((tmp_path / RESULTS_FILE).read_text())  # strict JSON: NaN were written as null
    assert "NaN" not in (tmp_path / RESULTS_FILE).read_text()
    assert [(r["method"], r["seed"]) for r in result.records] == [
        ("vanilla", 0),
        ("vanilla", 1),
        ("lds", 0),
        ("lds", 1),
    ]


def test_data_is_loaded_once_per_seed(tmp_path, tiny_dataset, fake_run):
    run(tmp_path, fake_run, methods=("a", "b", "c"), seeds=(3, 4))
    assert tiny_dataset == [3, 4]
    assert len(fake_run.calls) == 6


def test_predictions_and_labels_are_saved(tmp_path, tiny_dataset, fake_run):
    run(tmp_path, fake_run, methods=("sqinv+lds",), seeds=(0,))
    with np.load(predictions_path(tmp_path, DATA, "sqinv+lds", 0)) as saved:
        np.testing.assert_allclose(saved["pred_test"] - saved["y_test"], 1.0 + len("sqinv+lds") / 10)
        assert {"y_val", "pred_val"} <= set(saved)
    with np.load(labels_path(tmp_path, DATA, 0)) as saved:
        assert saved["y_train"].size == 5 * (150 + 40 + 5)
        assert float(saved["bin_width"]) == 1.0


def test_second_identical_call_runs_nothing(tmp_path, tiny_dataset, fake_run):
    run(tmp_path, fake_run)
    before = (tmp_path / RESULTS_FILE).read_text()
    again = run(tmp_path, fake_run)
    assert (again.n_run, again.n_reused) == (0, 4)
    assert len(fake_run.calls) == 4
    assert tiny_dataset == [0, 1]  # nothing to run: no data set is loaded either
    assert (tmp_path / RESULTS_FILE).read_text() == before


def test_deleting_one_record_reruns_only_it(tmp_path, tiny_dataset, fake_run):
    run(tmp_path, fake_run)
    records = load_records(tmp_path)
    save_records(tmp_path, [r for r in records if (r["method"], r["seed"]) != ("lds", 1)])
    fake_run.calls.clear()
    again = run(tmp_path, fake_run)
    assert fake_run.calls == [(DATA, "lds", 1)]
    assert (again.n_run, again.n_reused) == (1, 3)
    assert len(load_records(tmp_path)) == 4


def test_a_crash_keeps_the_earlier_records_and_resume_finishes(tmp_path, tiny_dataset, fake_run):
    fake_run.fail_on_call = 3
    with pytest.raises(RuntimeError, match="simulated crash"):
        run(tmp_path, fake_run)
    assert [(r["method"], r["seed"]) for r in load_records(tmp_path)] == [("vanilla", 0), ("lds", 0)]
    assert not list(tmp_path.glob(".*.tmp"))
    fake_run.fail_on_call = None
    fake_run.calls.clear()
    run(tmp_path, fake_run)
    assert fake_run.calls == [(DATA, "vanilla", 1), (DATA, "lds", 1)]
    assert len(load_records(tmp_path)) == 4


def test_other_settings_in_the_same_folder_are_refused(tmp_path, tiny_dataset, fake_run):
    run(tmp_path, fake_run)
    with pytest.raises(ConfigError, match=r"train_config.epochs: 1 -> 2"):
        run(tmp_path, fake_run, train_config=TrainConfig(epochs=2))
    with pytest.raises(ConfigError, match=r"dataset_kwargs.shift: None -> 0.5"):
        run(tmp_path, fake_run, dataset_kwargs={DATA: {"shift": 0.5}})


def test_records_from_before_a_new_training_field_still_resume(tmp_path, tiny_dataset, fake_run):
    run(tmp_path, fake_run)
    records = load_records(tmp_path)
    for record in records:  # as written before TrainConfig gained its image fields
        for field in ("backbone", "resnet_width", "augment"):
            record["settings"]["train_config"].pop(field)
    save_records(tmp_path, records)
    again = run(tmp_path, fake_run)
    assert (again.n_run, again.n_reused) == (0, 4)


def test_records_from_before_standardised_regression_units_are_not_reused(tmp_path, tiny_dataset, fake_run):
    run(tmp_path, fake_run)
    records = load_records(tmp_path)
    for record in records:  # written when regression heads trained in label units
        record["settings"]["train_config"].pop("regression_units")
    save_records(tmp_path, records)
    with pytest.raises(ConfigError, match=r"regression_units: 'label' -> 'standardised'"):
        run(tmp_path, fake_run)
    again = run(tmp_path, fake_run, train_config=TrainConfig(epochs=1, regression_units="label"))
    assert (again.n_run, again.n_reused) == (0, 4)


def test_overrides_reach_only_the_methods_they_name(tmp_path, tiny_dataset, fake_run):
    run(tmp_path, fake_run, methods=("vanilla", "sqinv+lds"), seeds=(0,), overrides={"lds": {"sigma": 1}})
    assert [k["overrides"] for k in fake_run.kwargs] == [None, {"lds": {"sigma": 1}}]
    assert [k["train_config"].epochs for k in fake_run.kwargs] == [1, 1]
    with pytest.raises(ConfigError, match=r"match no component.*valid keys here: lds, sqinv, vanilla"):
        run(tmp_path, fake_run, methods=("vanilla", "sqinv+lds"), overrides={"fds": {"momentum": 0.5}})


def test_dataset_kwargs_and_data_dir_reach_the_loader(tmp_path, tiny_dataset, fake_run, monkeypatch):
    from dirkit._registry import DATASETS

    seen = {}

    def loader(seed=0, *, data_dir=None, shift=0.0):
        seen.update(data_dir=data_dir, shift=shift)
        return DATASETS.get("synthetic")(seed, scale=0.05)

    monkeypatch.setitem(DATASETS._items, "with-dir", loader)
    run_benchmark(
        ["with-dir"],
        ["m"],
        [0],
        out_dir=tmp_path,
        data_dir=tmp_path / "data",
        dataset_kwargs={"with-dir": {"shift": 2.0}},
        run_fn=fake_run,
    )
    assert seen == {"data_dir": tmp_path / "data", "shift": 2.0}
    # the tiny loader takes no data_dir: it is not passed
    run(tmp_path / "other", fake_run, seeds=(0,), data_dir=tmp_path / "data")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"datasets": ["nope"]}, UnknownNameError, "Known datasets: .*synthetic"),
        ({"methods": []}, ConfigError, "at least one method"),
        ({"seeds": [0, 0]}, ConfigError, "repeated: 0"),
        ({"seeds": [-1]}, ConfigError, "integers >= 0"),
        ({"dataset_kwargs": {"synthetic": {}}}, ConfigError, "keyed by data set name"),
    ],
)
def test_invalid_grids_raise_before_running(tmp_path, tiny_dataset, fake_run, kwargs, error, message):
    arguments = {"datasets": [DATA], "methods": ["vanilla"], "seeds": [0], **kwargs}
    with pytest.raises(error, match=message):
        run_benchmark(out_dir=tmp_path, run_fn=fake_run, **arguments)
    assert fake_run.calls == []


def test_unknown_method_is_refused_by_the_engine_before_any_run(tmp_path, tiny_dataset):
    with pytest.raises(UnknownNameError, match=r"Known methods: .*vanilla"):
        run_benchmark([DATA], ["vanilla", "no-such-method"], [0], out_dir=tmp_path)
    assert not (tmp_path / RESULTS_FILE).exists()


def test_checkpoint_folders_only_on_request(tmp_path, tiny_dataset, fake_run):
    run(tmp_path / "a", fake_run, methods=("sqinv+lds",), seeds=(0,))
    run(tmp_path / "b", fake_run, methods=("sqinv+lds",), seeds=(0,), checkpoints=True)
    assert [k["checkpoint_dir"] for k in fake_run.kwargs] == [
        None,
        tmp_path / "b" / "checkpoints" / "tiny-bench__sqinv+lds__0",
    ]
    assert [k["progress"] for k in fake_run.kwargs] == [False, False]


def test_a_finished_run_leaves_no_checkpoint_but_a_crashed_one_keeps_its_own(
    tmp_path, tiny_dataset, fake_run
):
    fake_run.fail_on_call = 2

    def saving_run(data, method, *, seed, checkpoint_dir, **kwargs):
        checkpoint_dir.mkdir(parents=True)
        (checkpoint_dir / "stage0-main.pt").write_bytes(b"state")
        return fake_run(data, method, seed=seed, checkpoint_dir=checkpoint_dir, **kwargs)

    with pytest.raises(RuntimeError, match="simulated crash"):
        run(tmp_path, saving_run, methods=("vanilla", "lds"), seeds=(0,), checkpoints=True)
    assert [r["method"] for r in load_records(tmp_path)] == ["vanilla"]
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["tiny-bench__lds__0"]
