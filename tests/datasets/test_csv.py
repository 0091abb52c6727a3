import numpy as np
import pytest

from dirkit.bench import load_dataset
from dirkit.datasets import DATASETS, load_csv
from dirkit.datasets._split import split_table
from dirkit.exceptions import ConfigError, DataNotFoundError


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    n = 240
    return {
        "price": rng.gamma(2.0, 10.0, size=n),
        "area": rng.normal(size=n),
        "rooms": rng.integers(1, 6, size=n),
        "city": rng.choice(["ams", "ber", "rom"], size=n).astype(object),
    }


def _write_csv(table, path):
    pandas = pytest.importorskip("pandas")
    pandas.DataFrame(table).to_csv(path, index=False)
    return path


def _expected(table, seed=0):
    city = np.asarray(table["city"]).astype(str)
    one_hot = np.stack([city == c for c in ("ams", "ber", "rom")], axis=1)
    x = np.column_stack([table["area"], table["rooms"], one_hot]).astype(np.float32)
    return split_table("csv", x, table["price"], seed)


def _assert_same(data, expected):
    for split in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
        np.testing.assert_allclose(getattr(data, split), getattr(expected, split), rtol=1e-6)


def test_csv_matches_the_shared_split_and_one_hot(table, tmp_path):
    path = _write_csv(table, tmp_path / "houses.csv")
    data = load_csv(0, path=path, target="price")
    assert data.info["features"] == ["area", "rooms", "city=ams", "city=ber", "city=rom"]
    _assert_same(data, _expected(table))


def test_npz_needs_no_pandas_and_gives_the_same_data(table, tmp_path):
    path = tmp_path / "houses.npz"
    np.savez(path, **{k: (v.astype(str) if k == "city" else v) for k, v in table.items()})
    _assert_same(load_csv(0, path=path, target="price"), _expected(table))


def test_parquet(table, tmp_path):
    pandas = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    path = tmp_path / "houses.parquet"
    pandas.DataFrame(table).to_parquet(path)
    _assert_same(load_csv(0, path=path, target="price"), _expected(table))


def test_feature_selection_and_registry(table, tmp_path):
    path = _write_csv(table, tmp_path / "houses.csv")
    data = load_dataset("csv", 2, tmp_path, {"path": "houses.csv", "target": "price", "features": ["rooms"]})
    assert DATASETS.get("csv") is load_csv
    assert data.n_features == 1 and data.info["features"] == ["rooms"] and data.info["split_seed"] == 2
    assert load_csv(0, path=path, target="price", features="area").n_features == 1


def test_errors_name_the_fix(table, tmp_path):
    path = _write_csv(table, tmp_path / "houses.csv")
    with pytest.raises(ConfigError, match="needs path= and target="):
        load_csv(0, path=path)
    with pytest.raises(ConfigError, match="columns"):
        load_csv(0, path=path, target="cost")
    with pytest.raises(ConfigError, match="cannot also be a feature"):
        load_csv(0, path=path, target="price", features=["price", "area"])
    with pytest.raises(DataNotFoundError):
        load_csv(0, path=tmp_path / "missing.csv", target="price")
    (tmp_path / "houses.xlsx").touch()
    with pytest.raises(ConfigError, match="format"):
        load_csv(0, path=tmp_path / "houses.xlsx", target="price")
    table["area"][3] = np.nan
    _write_csv(table, path)
    with pytest.raises(ConfigError, match="'area' has 1 row"):
        load_csv(0, path=path, target="price")


def test_a_split_column_fixes_the_split_and_is_not_a_feature(table, tmp_path):
    part = np.array(["train"] * 160 + ["validation"] * 40 + ["test"] * 40, dtype=object)
    path = _write_csv({**table, "fold": part}, tmp_path / "houses.csv")
    data = load_csv(3, path=path, target="price", split="fold")
    assert data.sizes() == {"train": 160, "val": 40, "test": 40}
    np.testing.assert_allclose(data.y_val, table["price"][160:200])
    assert "fold" not in " ".join(data.info["features"]) and data.info["split"] == "fixed"
    again = load_csv(7, path=path, target="price", split="fold")  # the seed no longer moves the split
    np.testing.assert_array_equal(again.y_test, data.y_test)


def test_train_val_test_files_give_their_rows(table, tmp_path):
    rows = {"train": slice(0, 150), "val": slice(150, 200), "test": slice(200, 240)}
    paths = {
        k: _write_csv({c: v[s] for c, v in table.items()}, tmp_path / f"{k}.csv") for k, s in rows.items()
    }
    data = load_csv(0, target="price", **paths)
    assert data.sizes() == {"train": 150, "val": 50, "test": 40}
    np.testing.assert_allclose(data.y_test, table["price"][200:])
    assert data.info["features"] == ["area", "rooms", "city=ams", "city=ber", "city=rom"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"path": "a.csv", "train": "b.csv"}, "either path="),
        ({"train": "a.csv", "val": "b.csv"}, "all three"),
        ({"path": "houses.csv", "split": "nope"}, "Unknown split column 'nope'"),
    ],
)
def test_split_arguments_are_checked(table, tmp_path, monkeypatch, kwargs, message):
    monkeypatch.chdir(tmp_path)
    _write_csv(table, tmp_path / "houses.csv")
    with pytest.raises(ConfigError, match=message):
        load_csv(0, target="price", **kwargs)


def test_unknown_split_values_are_named(table, tmp_path):
    part = np.array(["train"] * 200 + ["holdout"] * 40, dtype=object)
    path = _write_csv({**table, "fold": part}, tmp_path / "houses.csv")
    with pytest.raises(ConfigError, match=r"Unknown split value\(s\) \['holdout'\]"):
        load_csv(0, path=path, target="price", split="fold")
