"""Shared fixtures: the real-data directory and a single-threaded torch for parallel test workers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

torch.set_num_threads(1)  # pytest -n 2 on a 2-core machine: one thread per worker

_DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared real-data directory (``$DIRKIT_DATA_DIR`` or ``../shared/data``).

    Outside CI a missing directory skips the test; under CI (``CI=true``) it fails loudly, so a
    broken checkout can never pass by skipping every real-data test.
    """
    path = Path(os.environ.get("DIRKIT_DATA_DIR", _DEFAULT_DATA_DIR))
    if not path.is_dir():
        message = f"real-data directory {path} not found (set DIRKIT_DATA_DIR)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
