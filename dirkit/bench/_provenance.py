"""Where a result came from: the code's commit, the machine, and the command that ran it."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch

import dirkit

__all__ = ["git_commit", "machine_info"]


def _git(*args: str) -> subprocess.CompletedProcess[str] | None:
    source = Path(dirkit.__file__).resolve().parent
    try:
        return subprocess.run(
            ["git", "-C", str(source), *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None


def git_commit() -> str:
    """``git rev-parse HEAD`` of the dirkit source tree, ``"-dirty"`` appended when tracked files
    differ from it; ``"unknown"`` outside a git checkout (an installed wheel).

    Examples
    --------
    >>> commit = git_commit()
    >>> commit == "unknown" or len(commit.split("-")[0]) == 40
    True
    """
    head = _git("rev-parse", "HEAD")
    if head is None or head.returncode != 0 or not head.stdout.strip():
        return "unknown"
    commit = head.stdout.strip()
    diff = _git("diff", "--quiet", "HEAD", "--")
    return f"{commit}-dirty" if diff is not None and diff.returncode == 1 else commit


def _cpu_name() -> str:
    """The CPU model (``/proc/cpuinfo`` on Linux), else what :mod:`platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(device: str = "cpu") -> dict[str, Any]:
    """Platform, Python, CPU count, torch version and the device a run used.

    Examples
    --------
    >>> sorted(machine_info())
    ['cpu_count', 'device', 'device_name', 'platform', 'python', 'torch', 'torch_threads']
    """
    device_name = _cpu_name()
    if device.startswith("cuda") and torch.cuda.is_available():
        device_name = torch.cuda.get_device_name(torch.device(device))
    return {
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "device": device,
        "device_name": device_name,
    }
