"""Package structure: __all__ is consistent, every subpackage is public and has tests."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import dirkit

PACKAGE_DIR = Path(dirkit.__file__).parent
TESTS_DIR = Path(__file__).parent
SUBPACKAGES = sorted(m.name for m in pkgutil.iter_modules([str(PACKAGE_DIR)]) if m.ispkg)


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_every_all_name_exists(name):
    # the order of __all__ is ruff's (RUF022: constants, classes, then functions)
    module = importlib.import_module(f"dirkit.{name}")
    for attr in module.__all__:
        assert hasattr(module, attr), f"dirkit.{name}.__all__ lists missing {attr!r}"


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_every_subpackage_has_a_test_folder(name):
    if name == "testing":
        pytest.skip("dirkit.testing is exercised by the tests of the components it checks")
    assert (TESTS_DIR / name).is_dir(), f"tests/{name}/ is missing for dirkit.{name}"


def test_public_subpackages_are_listed_in_the_root():
    imported = [n for n in SUBPACKAGES if n != "testing" and hasattr(dirkit, n)]
    for name in imported:
        assert name in dirkit.__all__, name


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_no_private_name_is_exported(name):
    module = importlib.import_module(f"dirkit.{name}")
    assert not [a for a in module.__all__ if a.startswith("_")]
