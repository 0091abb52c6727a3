"""Checkpoints: loaded with ``weights_only=True``, and discarded when made with other settings."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from dirkit.datasets import make_synthetic
from dirkit.engine import TrainConfig, fit_method
from dirkit.exceptions import CheckpointError, StaleCheckpointWarning

DATA = make_synthetic(0, scale=0.1)
CONFIG = TrainConfig(epochs=3, hidden=(16,), feature_dim=8, batch_size=64)


class _RunsCode:
    """Unpickling this object calls ``Path.touch(marker)``: what a crafted checkpoint could do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_checkpoint_of_other_settings_is_discarded_not_resumed(tmp_path):
    stale = fit_method(DATA, "vanilla", train_config=dataclasses.replace(CONFIG, lr=0.01),
                       checkpoint_dir=tmp_path)  # leaves its checkpoint, as a killed run would
    assert (tmp_path / "stage0-main.pt").exists()
    with pytest.warns(StaleCheckpointWarning, match=r"other settings \(train\.lr\)"):
        resumed = fit_method(DATA, "vanilla", train_config=CONFIG, checkpoint_dir=tmp_path)
    fresh = fit_method(DATA, "vanilla", train_config=CONFIG)
    np.testing.assert_array_equal(resumed.predict(DATA.x_test), fresh.predict(DATA.x_test))
    assert not np.array_equal(resumed.predict(DATA.x_test), stale.predict(DATA.x_test))


def test_a_checkpoint_of_the_same_settings_is_resumed(tmp_path, recwarn):
    fit_method(DATA, "vanilla", train_config=CONFIG, checkpoint_dir=tmp_path)
    state = torch.load(tmp_path / "stage0-main.pt", weights_only=True)
    assert state["settings"]["train"]["lr"] == CONFIG.lr and state["settings"]["seed"] == 0
    again = fit_method(DATA, "vanilla", train_config=CONFIG, checkpoint_dir=tmp_path)
    assert not [w for w in recwarn if issubclass(w.category, StaleCheckpointWarning)]
    assert again.history[-1]["epoch"] == CONFIG.epochs


def test_a_crafted_pickle_in_the_checkpoint_folder_runs_no_code(tmp_path):
    marker = tmp_path / "code-ran"
    torch.save({"model": _RunsCode(marker)}, tmp_path / "stage0-main.pt")
    with pytest.raises(CheckpointError, match=r"stage0-main.pt cannot be loaded safely .*Delete it"):
        fit_method(DATA, "vanilla", train_config=CONFIG, checkpoint_dir=tmp_path)
    assert not marker.exists()
    torch.load(tmp_path / "stage0-main.pt", weights_only=False)  # what the old loader did
    assert marker.exists()


@pytest.mark.parametrize("content", [b"", b"random bytes, not a zip"])
def test_a_truncated_or_foreign_checkpoint_is_a_clean_error(tmp_path, content):
    (tmp_path / "stage0-main.pt").write_bytes(content)
    with pytest.raises(CheckpointError, match="corrupt or not a dirkit checkpoint"):
        fit_method(DATA, "vanilla", train_config=CONFIG, checkpoint_dir=tmp_path)
