"""dirkit bench's nested progress bars: one over runs, one over the epochs of the current run."""

from __future__ import annotations

import pytest

from dirkit.bench import run_benchmark
from dirkit.cli import main
from dirkit.engine import TrainConfig


class Bars:
    """Stands in for ``tqdm.auto.tqdm``: records each bar's settings, updates and the bars open."""

    def __init__(self):
        self.made = []

    def __call__(self, *args, **kwargs):
        bars = self

        class Bar:
            def __init__(self):
                self.kwargs, self.updates, self.closed = kwargs, 0, False
                self.open_at_start = [b.kwargs.get("unit") for b in bars.made if not b.closed]
                bars.made.append(self)

            def update(self, n=1):
                self.updates += n

            def set_postfix(self, *a, **k):
                pass

            set_postfix_str = set_postfix

            def close(self):
                self.closed = True

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.close()

        return Bar()


@pytest.fixture
def bars(monkeypatch):
    import tqdm.auto

    recorder = Bars()
    monkeypatch.setattr(tqdm.auto, "tqdm", recorder)
    return recorder


def test_runs_bar_with_an_epoch_bar_per_run_nested_inside(tmp_path, bars):
    run_benchmark(["synthetic"], ["vanilla", "sqinv"], [0], out_dir=tmp_path, progress=True,
                  dataset_kwargs={"synthetic": {"scale": 0.05}}, train_config=TrainConfig(epochs=3))
    outer, *inner = bars.made
    assert outer.kwargs["unit"] == "run" and outer.kwargs["total"] == 2 and outer.updates == 2
    assert [b.kwargs["unit"] for b in inner] == ["epoch", "epoch"]
    assert [b.kwargs["total"] for b in inner] == [3, 3] and [b.updates for b in inner] == [3, 3]
    assert all(b.open_at_start == ["run"] for b in inner)  # drawn while the runs bar is open
    assert all(b.kwargs["leave"] is False and b.kwargs["disable"] is None for b in inner)
    assert [b.kwargs["desc"] for b in inner] == ["vanilla main", "sqinv main"]
    assert all(b.closed for b in bars.made)


def test_no_bar_when_asked(tmp_path, bars):
    run_benchmark(["synthetic"], ["vanilla"], [0], out_dir=tmp_path, progress=False,
                  dataset_kwargs={"synthetic": {"scale": 0.05}}, train_config=TrainConfig(epochs=1))
    assert bars.made == []


def test_the_cli_draws_no_bar_off_a_terminal(tmp_path, capsys):
    assert main(["bench", "--dataset", "synthetic", "--methods", "vanilla", "--seeds", "0", "--epochs", "2",
                 "--dataset-arg", "scale=0.05", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "epoch" not in err and "benchmark:" not in err and "run(s)" not in err
    assert "1/1 synthetic vanilla seed=0" in err  # a line per run instead
