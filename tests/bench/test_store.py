"""results.json and .npz files: strict JSON, atomic replacement, clear errors on foreign files."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from dirkit.bench import RESULTS_FILE, load_records, save_records
from dirkit.bench._store import atomic_write, predictions_path, safe_name, save_arrays, to_json
from dirkit.exceptions import ConfigError


def test_to_json_makes_strict_json():
    value = {"a": np.float32(0.5), "b": [math.nan, math.inf], "c": np.arange(3), "d": (1, (2,))}
    assert to_json(value) == {"a": 0.5, "b": [None, None], "c": [0, 1, 2], "d": [1, [2]]}
    json.dumps(to_json(value), allow_nan=False)


def test_records_round_trip(tmp_path):
    records = [{"dataset": "d", "method": "m", "seed": 0, "metrics": {"test": {"few": {"mae": math.nan}}}}]
    save_records(tmp_path, records)
    assert load_records(tmp_path) == [
        {"dataset": "d", "method": "m", "seed": 0, "metrics": {"test": {"few": {"mae": None}}}}
    ]
    assert load_records(tmp_path / "absent") == []


def test_a_failed_write_leaves_the_old_file_whole(tmp_path):
    save_records(tmp_path, [{"dataset": "d", "method": "m", "seed": 0}])
    before = (tmp_path / RESULTS_FILE).read_text()

    def half_then_crash(file):
        file.write('{"records": [')
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / RESULTS_FILE, half_then_crash, mode="w")
    assert (tmp_path / RESULTS_FILE).read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".{RESULTS_FILE}.lock", RESULTS_FILE]  # no .tmp


def test_unserialisable_records_do_not_touch_the_file(tmp_path):
    save_records(tmp_path, [{"dataset": "d", "method": "m", "seed": 0}])
    with pytest.raises(TypeError):
        save_records(tmp_path, [{"dataset": "d", "method": "m", "seed": 0, "x": object()}])
    assert len(load_records(tmp_path)) == 1


@pytest.mark.parametrize(
    ("content", "message"), [("{not json", "not valid JSON"), ("[1, 2]", "not a dirkit")]
)
def test_foreign_files_raise(tmp_path, content, message):
    (tmp_path / RESULTS_FILE).write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_records(tmp_path)


def test_arrays_and_file_names(tmp_path):
    path = save_arrays(tmp_path / "a" / "x.npz", y=np.arange(3.0))
    with np.load(path) as saved:
        np.testing.assert_array_equal(saved["y"], [0.0, 1.0, 2.0])
    assert safe_name("a b/c") == "a_b_c"
    assert predictions_path(tmp_path, "d", "hca-d+lds", 1).name == "d__hca-d+lds__1.npz"
