"""The documentation site and the CI floors: every page in the navigation, every snippet runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import dirkit

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

PUBLIC_SUBPACKAGES = [name for name in dirkit.__all__ if name[0].islower() and not name.startswith("_")]


def _nav() -> str:
    return (ROOT / "mkdocs.yml").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", PUBLIC_SUBPACKAGES)
def test_every_public_subpackage_has_an_api_page_in_the_nav(name):
    page = DOCS / "api" / f"{name}.md"
    assert page.is_file(), f"add docs/api/{name}.md with '::: dirkit.{name}'"
    assert f"::: dirkit.{name}\n" in page.read_text(encoding="utf-8")
    assert f"api/{name}.md" in _nav()


@pytest.mark.parametrize("page", sorted(p.name for p in (DOCS / "guide").glob("*.md")))
def test_every_guide_page_is_in_the_nav(page):
    assert f"guide/{page}" in _nav()


def test_the_lowest_pins_of_ci_are_the_floors_of_pyproject():
    with open(ROOT / "pyproject.toml", "rb") as file:
        project = tomllib.load(file)["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["plot"],
                *project["optional-dependencies"]["tabular"], *project["optional-dependencies"]["images"]]
    floors = {dep.split(">=")[0].lower(): dep.split(">=")[1] for dep in declared if ">=" in dep}
    pins = dict(
        line.split("==")
        for line in (ROOT / "ci" / "requirements-lowest.txt").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    assert set(pins) == set(floors) - {"torch"}  # torch comes from its CPU index, pinned in ci.yml
    for name, version in pins.items():
        assert (version + ".").startswith(floors[name] + "."), f"{name}: pin {version}, floor {floors[name]}"


def _snippets(page: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(encoding="utf-8"), re.DOTALL)


@pytest.mark.parametrize("page", ["index.md", "guide/your-data.md"])
def test_the_python_snippets_run(page, capsys):
    snippets = _snippets(page)
    assert snippets
    for code in snippets:
        exec(compile(code, f"docs/{page}", "exec"), {})
    assert capsys.readouterr().out.strip()


def test_the_methods_page_lists_every_registered_method():
    from dirkit._catalog import load

    page = (DOCS / "guide" / "methods.md").read_text(encoding="utf-8")
    missing = [name for name, _ in load("methods") if f"| `{name}` |" not in page]
    assert not missing, f"docs/guide/methods.md lacks {missing}"
