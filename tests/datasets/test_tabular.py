import numpy as np
import pytest

from dirkit.bench import load_dataset
from dirkit.datasets import DATASETS, TABULAR_IR_SETS, load_tabular_ir
from dirkit.exceptions import ConfigError, DataNotFoundError, UnknownNameError

pytest.importorskip("pandas")


def _rows(data):
    return sum(data.sizes().values())


def test_every_set_is_registered_under_its_lower_case_name():
    registered = [n for n in DATASETS.names() if n.startswith("tabular-ir/")]
    assert registered == sorted(f"tabular-ir/{name}" for name in TABULAR_IR_SETS)
    assert len(registered) == 15


@pytest.mark.parametrize("name", sorted(TABULAR_IR_SETS))
def test_every_file_loads_with_a_complete_disjoint_split(name, data_dir):
    data = load_dataset(f"tabular-ir/{name}", 0, data_dir)
    assert data.name == f"tabular-ir/{name}"
    assert data.x_train.dtype == np.float32 and np.isfinite(data.x_train).all()
    assert np.ptp(data.x_train, axis=0).min() > 0  # no column constant on the training rows
    assert len(data.info["features"]) == data.n_features
    assert data.y_val.size > 0 and data.y_test.size > 0
    # the target (first column) is not among the features
    assert data.info["target"] not in data.info["features"]
    # the fine bins cover every label without clipping
    low, high = data.label_range
    for y in (data.y_train, data.y_val, data.y_test):
        assert low <= y.min() and y.max() <= high


def test_abalone_target_features_and_one_hot_sex(data_dir):
    data = load_tabular_ir("Abalone", 0, data_dir=data_dir)
    assert _rows(data) == 4177 and data.info["target"] == "Rings"
    assert data.n_features == 10  # 7 measurements + Sex one-hot (F, I, M)
    names = data.info["features"]
    sex = np.concatenate([data.x_train, data.x_val, data.x_test])[:, [names.index(f"Sex={v}") for v in "FIM"]]
    np.testing.assert_array_equal(sex.sum(axis=1), 1.0)
    assert data.bin_width == 1.0  # integer ring counts: one bin per value


def test_split_is_deterministic_and_balanced_on_real_data(data_dir):
    a = load_tabular_ir("cpusm", 1, data_dir=data_dir)
    b = load_tabular_ir("cpusm", 1, data_dir=data_dir / "tabular-ir")  # the folder itself works too
    np.testing.assert_array_equal(a.y_test, b.y_test)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    binner = a.binner()

    def spread(labels):
        counts = binner.count(labels)
        return counts[counts > 0].max() / counts[counts > 0].min()

    assert spread(a.y_test) < spread(a.y_train) / 10


def test_errors_name_the_fix(tmp_path):
    with pytest.raises(ConfigError, match="needs data_dir"):
        DATASETS.get("tabular-ir/boston")(seed=0)
    with pytest.raises(DataNotFoundError, match=r"boston\.csv not found"):
        load_tabular_ir("boston", data_dir=tmp_path)
    with pytest.raises(UnknownNameError, match="abalone"):
        load_tabular_ir("abalon", data_dir=tmp_path)
