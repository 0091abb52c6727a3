"""Start-up cost of the ``dirkit`` command: CPU seconds per call, and the ratio to ``python -c pass``.

Each command runs ``--repeats`` times in a fresh interpreter (``python -m dirkit ...``); the CPU
time (user + system, the child's own ``getrusage``) is the median over the repeats, so a busy
machine inflates wall time but hardly the number reported. It also reports whether the command
imported PyTorch, pandas, scikit-learn or SciPy.

Usage::

    python benchmarks/bench_startup.py            # 5 repeats
    python benchmarks/bench_startup.py --repeats 9
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys

COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "dirkit --help": ["-m", "dirkit", "--help"],
    "dirkit --version": ["-m", "dirkit", "--version"],
    "dirkit list methods": ["-m", "dirkit", "list", "methods"],
    "dirkit train (usage error)": ["-m", "dirkit", "train", "--epochs", "0"],
}
HEAVY = ("torch", "pandas", "sklearn", "scipy")
# Runs `dirkit` in-process, then reports which heavy packages it imported (as JSON on stderr).
PROBE = (
    "import json, sys; from dirkit.cli import main\n"
    "try:\n    main(sys.argv[1:])\n"
    "finally:\n    print(json.dumps([m for m in {heavy!r} if m in sys.modules]), file=sys.stderr)"
)


def cpu_seconds(args: list[str]) -> float:
    """CPU time (user + system) of one ``python args`` child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def heavy_imports(args: list[str]) -> list[str]:
    """The packages of ``HEAVY`` that the ``dirkit`` command ``args`` imports."""
    if args[:2] != ["-m", "dirkit"]:
        return []
    probe = PROBE.format(heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", probe, *args[2:]], capture_output=True, text=True, check=False
    )
    return list(json.loads(done.stderr.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per command (default 5)")
    repeats = parser.parse_args().repeats
    baseline = None
    print(f"{'command':<28} {'CPU s (median)':>15} {'x python -c pass':>17}  imports")
    for name, args in COMMANDS.items():
        seconds = statistics.median(cpu_seconds(args) for _ in range(repeats))
        baseline = baseline or seconds
        heavy = ", ".join(heavy_imports(args)) or "none of " + "/".join(HEAVY)
        print(f"{name:<28} {seconds:>15.3f} {seconds / baseline:>17.1f}  {heavy}")


if __name__ == "__main__":
    main()
