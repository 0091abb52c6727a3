"""Every bad input of the command line ends in one line naming the value and the fix, never a traceback.

Exit status 2 for usage errors (a bad option or setting), 1 for bad data files, 130 for Ctrl-C.
The cases run ``main(argv)`` in-process; only the interrupt needs a real process.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest

from dirkit.cli import main

SYNTHETIC = ["--dataset", "synthetic", "--dataset-arg", "scale=0.1", "--dataset-arg", "eval_per_bin=2"]
QUICK = ["--epochs", "1", "--batch-size", "128", "--no-progress"]


def _table(path: Path, n: int = 90) -> Path:
    rng = np.random.default_rng(0)
    values = np.column_stack([rng.exponential(5, n), rng.normal(size=(n, 3))])
    path.write_text("y,a,b,c\n" + "".join(",".join(f"{v:.4f}" for v in row) + "\n" for row in values))
    return path


def _faces(path: Path, n: int = 6) -> Path:
    """A UTKFace-like archive of ``n`` tiny JPEG members."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w") as tar:
        for i in range(n):
            buffer = io.BytesIO()
            Image.new("RGB", (24, 24), color=(40 * i, 90, 9)).save(buffer, format="JPEG")
            member = tarfile.TarInfo(f"UTKFace/{20 + i}_0_0_2017{i:04d}.jpg.chip.jpg")
            member.size = len(buffer.getvalue())
            tar.addfile(member, io.BytesIO(buffer.getvalue()))
    return path


def _read_only_folder(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    sysfs = Path("/sys")  # root may write into any folder, but creates no file in sysfs
    try:
        (sysfs / ".dirkit-probe").open("x").close()
    except OSError:
        return sysfs
    (sysfs / ".dirkit-probe").unlink()
    pytest.skip("no read-only folder for root on this system")


def _results_without(tmp_path: Path, field: str) -> Path:
    out = tmp_path / f"no-{field}"
    out.mkdir()
    record = {"dataset": "synthetic", "method": "vanilla", "seed": 0, "metrics": {}}
    del record[field]
    (out / "results.json").write_text(json.dumps({"records": [record]}))
    return out


def _cases(tmp_path: Path) -> dict[str, tuple[list[str], int, str]]:
    """``{case: (argv, exit status, text the one line must hold)}``."""
    csv = ["--dataset", "csv", "--method", "vanilla", "--dataset-arg", "target=y"]
    (tmp_path / "a-file").write_text("")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "ragged.csv").write_text("y,a\n1,2\n3,4,5\n6,7\n")
    (tmp_path / "text-target.csv").write_text("y,a\n24,1\n25,2\n26,3\nabc,4\n27,5\n")
    table = _table(tmp_path / "t.csv")
    full = _faces(tmp_path / "faces.tar")
    with tarfile.open(full) as tar:
        second = tar.getmembers()[1].offset
    cut = tmp_path / "cut" / "utkface" / "UTKFace.tar"
    cut.parent.mkdir(parents=True)
    cut.write_bytes(full.read_bytes()[: second + 700])  # inside the second image
    junk = tmp_path / "junk" / "utkface" / "UTKFace.tar.gz"
    junk.parent.mkdir(parents=True)
    junk.write_bytes(np.random.default_rng(0).bytes(5000))
    short = tmp_path / "short" / "utkface" / "UTKFace.tar"
    short.parent.mkdir(parents=True)
    short.write_bytes(full.read_bytes())
    read_only = _read_only_folder(tmp_path)
    train = ["train", *SYNTHETIC, "--method", "vanilla"]
    faces = ["train", "--dataset", "utkface-dir", "--method", "vanilla", "--data-dir"]
    no_seed = _results_without(tmp_path, "seed")
    return {
        # item 6: tracebacks where a one-line error belongs
        "out is a file (train)": ([*train, "--out", str(tmp_path / "a-file")], 2,
                                  f"{tmp_path / 'a-file'} is an existing file; name a folder"),
        "out is a file (bench)": (["bench", *SYNTHETIC, "--methods", "vanilla", "--seeds", "0",
                                   "--out", str(tmp_path / "a-file")], 2, "is an existing file"),
        "out is read-only": ([*train, "--out", str(read_only)], 2,
                             f"Cannot write into the output folder {read_only}"),
        "empty csv": (["train", *csv, "--dataset-arg", f"path={tmp_path / 'empty.csv'}"], 1,
                      "empty.csv is not a readable CSV table"),
        "ragged csv": (["train", *csv, "--dataset-arg", f"path={tmp_path / 'ragged.csv'}"], 1,
                       "ragged.csv is not a readable CSV table (Error tokenizing data. C error: Expected 2 "
                       "fields in line 3, saw 3)"),
        "dataset-arg bogus": ([*train, "--dataset-arg", "bogus=1"], 2,
                              "takes no argument 'bogus'; valid --dataset-arg keys: n_features, scale"),
        "tar cut mid-file": ([*faces, str(tmp_path / "cut")], 1,
                             f"{cut} is not a readable tar archive (ReadError: unexpected end of data"),
        "tar of random bytes": ([*faces, str(tmp_path / "junk")], 1, f"{junk} is not a readable tar archive"),
        "tar with too few images": ([*faces, str(tmp_path / "short")], 1,
                                    f"{short} holds 6 UTKFace images; expected 23707"),
        "seed too large": (["bench", *SYNTHETIC, "--methods", "vanilla", "--seeds", "99999999999999999999",
                            "--out", str(tmp_path / "o")], 2,
                           "seed 99999999999999999999 out of range; seeds are integers in 0..4294967295"),
        "record without seed (bench)": (["bench", *SYNTHETIC, "--methods", "vanilla", "--seeds", "0",
                                         "--out", str(no_seed)], 2, "has no 'seed' field"),
        "record without seed (report)": (["report", str(no_seed)], 2,
                                         f"Record 1 of {no_seed / 'results.json'} has no 'seed'"),
        "record without method (report)": (["report", str(_results_without(tmp_path, "method"))], 2,
                                           "has no 'method' field"),
        # item 7: accepted nonsense and wrong messages
        "sqinv+inv": (["train", *SYNTHETIC, "--method", "sqinv+inv"], 2,
                      "'inv' and 'sqinv' both set the sample re-weighting"),
        "inv+sqinv": (["train", *SYNTHETIC, "--method", "inv+sqinv"], 2,
                      "'sqinv' and 'inv' both set the sample re-weighting"),
        "text in the csv target": (["train", *csv, "--dataset-arg", "path=text-target.csv"], 1,
                                   "Target column 'y' holds 'abc' at line 5 of text-target.csv"),
        # item 10: one list syntax; a repeated key is an error
        "dataset-arg repeated": (["train", *csv, "--dataset-arg", f"path={table}", "--dataset-arg",
                                  "features=a", "--dataset-arg", "features=b"], 2,
                                 "--dataset-arg features is given twice"),
        "set repeated": (["train", *SYNTHETIC, "--method", "sqinv+lds", "--set", "lds.sigma=1",
                          "--set", "lds.sigma=2"], 2, "--set lds.sigma is given twice"),
        "train-arg repeated": ([*train, "--train-arg", "hidden=8", "--train-arg", "hidden=16"], 2,
                               "--train-arg hidden is given twice"),
        "empty list item": (["train", *csv, "--dataset-arg", f"path={table}",
                             "--dataset-arg", "features=a,,b"], 2, "Empty item in the list 'a,,b'"),
        "unknown listed feature": (["train", *csv, "--dataset-arg", f"path={table}", "--dataset-arg",
                                    "features=a,zz"], 2, "Unknown feature column(s) ['zz']"),
    }


@pytest.fixture
def cases(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return _cases(tmp_path)


CASE_NAMES = [
    "out is a file (train)", "out is a file (bench)", "out is read-only", "empty csv", "ragged csv",
    "dataset-arg bogus", "tar cut mid-file", "tar of random bytes", "tar with too few images",
    "seed too large", "record without seed (bench)", "record without seed (report)",
    "record without method (report)", "sqinv+inv", "inv+sqinv", "text in the csv target",
    "dataset-arg repeated", "set repeated", "train-arg repeated", "empty list item", "unknown listed feature",
]


def test_the_table_lists_every_case(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert sorted(_cases(tmp_path)) == sorted(CASE_NAMES)


@pytest.mark.parametrize("case", CASE_NAMES)
def test_a_bad_input_ends_in_one_line_naming_the_value(cases, case, capsys):
    argv, status, message = cases[case]
    if argv[0] in ("train", "bench"):
        argv = [*argv, *QUICK]
    assert main(argv) == status
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"dirkit {argv[0]}: error: "), err
    assert message in lines[0], err


@pytest.mark.parametrize("features", ["features=a,b", "features=[a, b]", "features=['a', 'b']",
                                      'features=["a", "b"]'])
def test_every_list_syntax_picks_the_same_features(tmp_path, capsys, features):
    table = _table(tmp_path / "t.csv")
    argv = ["train", "--dataset", "csv", "--method", "vanilla", "--dataset-arg", f"path={table}",
            "--dataset-arg", "target=y", "--dataset-arg", features, "--out", str(tmp_path / "runs"), *QUICK]
    assert main(argv) == 0
    record = json.loads((tmp_path / "runs" / "results.json").read_text())["records"][0]
    assert record["settings"]["dataset_kwargs"]["features"] == ["a", "b"]
    assert "Traceback" not in capsys.readouterr().err


def test_set_and_train_arg_take_comma_lists_like_json(tmp_path):
    argv = ["train", *SYNTHETIC, "--method", "sqinv+lds+fds", "--set", "fds.clip=0.5,2",
            "--train-arg", "hidden=16,8", "--out", str(tmp_path), *QUICK]
    assert main(argv) == 0
    record = json.loads((tmp_path / "results.json").read_text())["records"][0]
    assert record["config"]["methods"]["fds"]["clip"] == [0.5, 2]
    assert record["config"]["train"]["hidden"] == [16, 8]


def _interrupt_after(delay: float) -> tuple[int, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "dirkit", "bench", *SYNTHETIC, "--methods", "vanilla", "--seeds", "0",
               "--epochs", "200", "--no-progress", "--out", "runs"]
    # SIGINT back to its default in the child: a pytest-xdist worker ignores it, and a process
    # started with SIGINT ignored keeps ignoring it (as it should), which is not the case tested.
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(delay)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=120)
    return child.returncode, err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT")
def test_ctrl_c_in_the_first_seconds_ends_in_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # 0.2-1 s: while the command line, NumPy, PyTorch and pandas import (where an interrupt left a
    # KeyboardInterrupt or ImportError traceback at 30d8c0d: 0.2-0.4 s failed 5 times in 6); 3 s:
    # while it trains. An interrupt during Python's own start-up (site) is no dirkit code: not counted.
    for delay in (0.2, 0.3, 0.4, 0.6, 1.0, 3.0):
        status, err = _interrupt_after(delay)
        if "init_import_site" in err:
            continue
        assert "Traceback" not in err, (delay, err)
        # 130, or killed by SIGINT after the message: CPython's `-m` sometimes ends so (a shell
        # shows both as status 130)
        assert status in (130, -signal.SIGINT), (delay, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "nterrupted" in lines[0], (delay, err)
