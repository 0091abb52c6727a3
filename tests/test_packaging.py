"""Packaging metadata: one version source, ``dirkit --version``, ``py.typed``, licence and citation."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest

import dirkit
from dirkit.cli import main

ROOT = Path(__file__).resolve().parents[1]
tomllib = pytest.importorskip("tomllib")  # Python >= 3.11


@pytest.fixture(scope="module")
def project() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as file:
        return tomllib.load(file)


def test_version_flag_prints_the_package_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"dirkit {dirkit.__version__}"


def test_version_is_written_once_in_the_package(project):
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "dirkit.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", dirkit.__version__)


def test_installed_metadata_matches_the_package_version():
    try:
        installed = importlib.metadata.version("dirkit")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("dirkit is not installed (run from a source tree)")
    assert installed == dirkit.__version__


def test_citation_and_changelog_name_the_version():
    citation = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(rf"^version: {re.escape(dirkit.__version__)}$", citation, re.MULTILINE)
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{dirkit.__version__}]" in changelog


def test_py_typed_ships_in_the_package_dir(project):
    assert (Path(dirkit.__file__).parent / "py.typed").is_file()
    assert "py.typed" in project["tool"]["setuptools"]["package-data"]["dirkit"]


def test_license_is_an_spdx_expression_with_its_file(project):
    assert project["project"]["license"] == "MIT"
    assert project["project"]["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def test_scikit_learn_floor_provides_validate_data(project):
    # dirkit.estimator imports sklearn.utils.validation.validate_data, new in scikit-learn 1.6.
    floor = next(dep for dep in project["project"]["dependencies"] if dep.startswith("scikit-learn"))
    major, minor = (int(part) for part in floor.split(">=")[1].split(".")[:2])
    assert (major, minor) >= (1, 6), floor


def test_source_distribution_includes_the_tests():
    manifest = (ROOT / "MANIFEST.in").read_text(encoding="utf-8").splitlines()
    assert "graft tests" in manifest
