"""Recorded commands hold no machine's absolute data path; data folders come from $DATA_DIR too."""

from __future__ import annotations

import json
import shlex
import subprocess

import pytest

from dirkit.bench import load_dataset, run_benchmark
from dirkit.bench._command import (
    portable_command,
    portable_data_dir,
    portable_text,
    project_root,
    shell_join,
)
from dirkit.cli import main
from dirkit.datasets._paths import resolve_data_dir
from dirkit.exceptions import ConfigError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/home/me/project/data", "data"),
        ("/home/me/project", "."),
        ("/home/me/shared/data", "../shared/data"),
        ("/home/shared/data", "$DATA_DIR"),
        ("/mnt/data", "$DATA_DIR"),
        ("../shared/data", "../shared/data"),
        ("data/sub", "data/sub"),
        ("../../data", "$DATA_DIR"),
        ("$DATA_DIR", "$DATA_DIR"),
    ],
)
def test_data_dir_relative_to_the_project_when_inside_or_next_to_it(value, expected):
    assert portable_data_dir(value, "/home/me/project") == expected


def test_both_flag_forms_and_other_arguments_naming_the_folder():
    argv = ["dirkit", "bench", "--data-dir=/mnt/data/", "--dataset-arg", "path=/mnt/data/t.csv",
            "--out", "/mnt/database"]
    assert portable_command(argv, "/home/me/project") == [
        "dirkit", "bench", "--data-dir=$DATA_DIR", "--dataset-arg", "path=$DATA_DIR/t.csv",
        "--out", "/mnt/database"]


def test_shell_join_leaves_the_variable_to_the_shell():
    line = shell_join(["dirkit", "bench", "--data-dir", "$DATA_DIR", "--set", "fds.clip=[0.5,2]"])
    assert line == "dirkit bench --data-dir \"$DATA_DIR\" --set 'fds.clip=[0.5,2]'"
    echoed = subprocess.run(["bash", "-c", f"DATA_DIR=/x; set -- {line}; echo $4"], capture_output=True,
                            text=True, check=True).stdout.strip()
    assert echoed == "/x"
    assert shlex.split(shell_join(["a", "$DATA_DIR$HOME"])) == ["a", "$DATA_DIR$HOME"]  # quoted


def test_readme_text_is_rewritten():
    text = "```bash\ndirkit bench --data-dir /mnt/data \\\n  --out x\n```\nand `--data-dir ../shared/data`."
    assert portable_text(text, "/home/me/project") == (
        "```bash\ndirkit bench --data-dir \"$DATA_DIR\" \\\n  --out x\n```\nand `--data-dir ../shared/data`.")


def test_records_and_results_md_hold_no_absolute_data_path(tmp_path, tiny_dataset, fake_run):
    far = tmp_path / "elsewhere" / "data"
    near = project_root().parent / "shared" / "data"
    for data_dir, expected in ((far, "$DATA_DIR"), (near, "../shared/data")):
        out = tmp_path / expected.replace("$", "").replace("/", "_")
        run = run_benchmark(["tiny-bench"], ["vanilla"], [0], out_dir=out, run_fn=fake_run,
                            command=["dirkit", "bench", "--data-dir", str(data_dir)])
        assert run.records[0]["command"] == ["dirkit", "bench", "--data-dir", expected]
        assert json.loads((out / "results.json").read_text())["records"][0]["command"][-1] == expected


def test_old_records_are_rendered_portable(tmp_path, tiny_dataset, fake_run):
    from dirkit.bench import load_records, save_records, write_report

    run_benchmark(["tiny-bench"], ["vanilla"], [0], out_dir=tmp_path, run_fn=fake_run, command=["dirkit"])
    records = load_records(tmp_path)
    records[0]["command"] = ["dirkit", "bench", "--data-dir", str(tmp_path / "far" / "data")]
    save_records(tmp_path, records)
    markdown = write_report(tmp_path, plots=False).markdown.read_text()
    assert 'Command: `dirkit bench --data-dir "$DATA_DIR"`' in markdown
    assert str(tmp_path / "far") not in markdown


def test_data_dir_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("DIRKIT_DATA_DIR", raising=False)
    monkeypatch.delenv("DATA_DIR", raising=False)
    assert resolve_data_dir(None) is None
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "b"))
    assert resolve_data_dir(None) == tmp_path / "b"
    assert resolve_data_dir("$DATA_DIR/x") == tmp_path / "b" / "x"  # a recorded command run without a shell
    monkeypatch.setenv("DIRKIT_DATA_DIR", str(tmp_path / "a"))
    assert resolve_data_dir(None) == tmp_path / "a"  # DIRKIT_DATA_DIR first
    assert resolve_data_dir(tmp_path / "c") == tmp_path / "c"  # the argument first of all
    with pytest.raises(ConfigError, match="unset environment variable; set it"):
        resolve_data_dir("$NOT_SET_ANYWHERE_42")
    with pytest.raises(ConfigError, match="set DATA_DIR or pass --data-dir"):
        resolve_data_dir("")


def test_loaders_and_the_cli_read_the_data_folder_from_the_environment(tmp_path, monkeypatch, capsys):
    import numpy as np

    (tmp_path / "tabular-ir").mkdir()
    rng = np.random.default_rng(0)
    y = rng.gamma(2.0, 10.0, size=300)
    rows = "\n".join(f"{a},{b}" for a, b in zip(y, y + rng.normal(size=300), strict=True))
    (tmp_path / "tabular-ir" / "boston.csv").write_text("medv,x\n" + rows + "\n")
    monkeypatch.delenv("DIRKIT_DATA_DIR", raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert load_dataset("tabular-ir/boston", 0).n_features == 1
    monkeypatch.delenv("DATA_DIR")
    with pytest.raises(ConfigError, match="needs data_dir"):
        load_dataset("tabular-ir/boston", 0)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    out = tmp_path / "runs"
    assert main(["bench", "--dataset", "tabular-ir/boston", "--methods", "vanilla", "--seeds", "0",
                 "--epochs", "1", "--data-dir", "$DATA_DIR", "--out", str(out), "--no-progress"]) == 0
    record = json.loads((out / "results.json").read_text())["records"][0]
    assert record["command"][record["command"].index("--data-dir") + 1] == "$DATA_DIR"
