"""`dirkit --help`, `--version`, `list` and usage errors start without PyTorch, pandas or scikit-learn."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import dirkit.bench
import dirkit.cli
from dirkit import _catalog

HEAVY = ["torch", "pandas", "sklearn", "scipy"]
PROBE = (
    "import json, sys\n"
    "from dirkit.cli import main\n"
    "status = main(sys.argv[1:])\n"
    f"print(json.dumps([status, [m for m in {HEAVY!r} if m in sys.modules]]))"
)


def _run_fresh(*argv: str) -> tuple[int, list[str], str]:
    """Run `dirkit argv` in a new interpreter: (status, heavy modules imported, stdout before the probe)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=True, timeout=120
    )
    *out, last = done.stdout.strip().splitlines()
    status, imported = json.loads(last)
    return status, imported, "\n".join(out)


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["--version"], ["list", "methods"], ["list", "losses"], ["train", "--epochs", "0"]],
)
def test_light_commands_import_no_heavy_package(argv):
    status, imported, _ = _run_fresh(*argv)
    assert status in (0, 2)
    assert imported == [], f"dirkit {' '.join(argv)} imported {imported}"


def test_fresh_list_prints_the_snapshot():
    _, _, out = _run_fresh("list", "methods")
    names = [line.split()[0] for line in out.splitlines()]
    assert names == [name for name, _ in _catalog.load("methods")]
    assert "group-robust" in names and "vanilla" in names


@pytest.mark.parametrize("kind", sorted(_catalog.KINDS))
def test_snapshot_matches_the_live_registry(kind):
    assert _catalog.load(kind) == _catalog.build(kind), (
        f"dirkit/_catalog.json is stale for {kind}; run `python -m dirkit._catalog` and commit it."
    )


def test_listing_uses_the_live_registry_once_imported(monkeypatch):
    import dirkit.methods  # noqa: F401 - the subpackage is imported: its registry is live
    from dirkit._registry import METHODS

    monkeypatch.setitem(METHODS._items, "zz-registered-later", _catalog)  # described by its docstring
    entries = _catalog.listing("methods")
    assert entries[-1] == ("zz-registered-later", _catalog.describe(_catalog))
    assert [name for name, _ in entries] == METHODS.names()


def test_unknown_kind_names_the_valid_ones():
    with pytest.raises(ValueError, match="valid: datasets, losses, methods"):
        _catalog.load("things")


def test_results_file_name_agrees_with_the_runner():
    assert dirkit.cli.RESULTS_FILE == dirkit.bench.RESULTS_FILE
