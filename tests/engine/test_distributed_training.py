"""Two gloo processes under ``DistributedDataParallel`` train the weights one process trains.

Two CPU ranks (gloo, ``file://`` rendezvous in a temporary directory), forked once, fit every case
through :func:`~dirkit.engine.fit_method`, which wraps the model in
``DistributedDataParallel(model, forward_sync_buffers=False)``; each rank saves its final state
dict and history, and the parent compares them with a single-process fit of the same case.

Why the runs must agree: :class:`~dirkit.datasets._batches.GlobalBatchSampler` gives each rank an
equal half of every global batch, the losses are ``mean(w * l)`` over the rank's half and DDP
averages the gradients, so every optimiser step uses the global batch's gradient; FDS sums its
per-bin moments over the ranks before each update; and every rank evaluates the full validation
split, so both select the same checkpoint epoch.

The training split is cut to :data:`N_TRAIN` rows. ``make_synthetic(0, scale=0.1)`` has 611, which
leaves a last global batch of 35 rows: one process trains on it, two processes drop it (it cannot
be split evenly), so the runs differ by design (max weight difference 0.07 after 3 epochs of
``sqinv+lds+fds``). 610 rows leave a last batch of 34 = 2 x 17, so the incomplete-batch path is
exercised too (:func:`test_ranks_see_the_global_batches`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from dirkit.datasets import DatasetSplits, make_synthetic
from dirkit.datasets._batches import GlobalBatchSampler
from dirkit.engine import TrainConfig, fit_method, world_size

WORLD = 2
N_TRAIN = 610
CONFIG = TrainConfig(norm=None, dropout=0.0, hidden=(32,), feature_dim=16, batch_size=64, epochs=3)
#: name -> (method, config). With ``CONFIG`` validation MAE falls every epoch, so the last epoch is
#: selected; at ``lr=0.05`` epoch 2 of 3 is, so restoring the best checkpoint is exercised too.
CASES: dict[str, tuple[str, TrainConfig]] = {
    "vanilla": ("vanilla", CONFIG),
    "sqinv+lds+fds": ("sqinv+lds+fds", CONFIG),
    "sqinv+lds+fds-restore": ("sqinv+lds+fds", dataclasses.replace(CONFIG, lr=0.05)),
}
FDS_STATS = ("running_mean", "running_var", "smoothed_mean", "smoothed_var", "bin_updates")


def _data() -> DatasetSplits:
    """The synthetic data set with a training split whose last global batch splits evenly."""
    data = make_synthetic(0, scale=0.1)
    return dataclasses.replace(data, x_train=data.x_train[:N_TRAIN], y_train=data.y_train[:N_TRAIN])


def _fit(case: str) -> dict[str, Any]:
    """Fit a case (distributed if a process group is up): its final state, history, world size."""
    method, config = CASES[case]
    fitted = fit_method(_data(), method, seed=0, train_config=config)
    state = {k: v.detach().clone() for k, v in fitted.model.state_dict().items()
             if isinstance(v, torch.Tensor)}
    return {"state": state, "history": fitted.history, "world": world_size()}


def _worker(rank: int, init_file: str, out_dir: str) -> None:
    """One rank: join the gloo group and save the result of every case."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD)
    try:
        for index, case in enumerate(CASES):
            torch.save(_fit(case), Path(out_dir) / f"case{index}-rank{rank}.pt")
        dist.barrier()  # no rank tears the group down while its peer still talks to it
    finally:
        dist.destroy_process_group()


def _load(out: Path, case: str) -> list[dict[str, Any]]:
    """Every rank's result for ``case``."""
    index = list(CASES).index(case)
    return [torch.load(out / f"case{index}-rank{r}.pt") for r in range(WORLD)]


def _selected_epoch(history: list[dict[str, Any]]) -> int:
    """The epoch BestOnValidation restores: the first with the lowest validation MAE."""
    main = [record for record in history if record["stage"] == "main"]
    return int(min(main, key=lambda record: record["val_mae"])["epoch"])


def test_ranks_see_the_global_batches() -> None:
    """The ranks' halves of each step concatenate to the single-process batch, the last one too."""
    single = GlobalBatchSampler(N_TRAIN, CONFIG.batch_size, seed=0)
    ranks = [GlobalBatchSampler(N_TRAIN, CONFIG.batch_size, seed=0, rank=r, world_size=WORLD)
             for r in range(WORLD)]
    for epoch in range(CONFIG.epochs):
        expected = single.epoch(epoch)
        halves = [sampler.epoch(epoch) for sampler in ranks]
        assert [len(b) for b in expected][-1] == N_TRAIN % CONFIG.batch_size == 34
        assert all(len(h) == len(expected) for h in halves)
        for step, batch in enumerate(expected):
            assert torch.equal(torch.cat([h[step] for h in halves]), batch)
            assert len(halves[0][step]) == len(halves[1][step])
    odd = [GlobalBatchSampler(N_TRAIN + 1, CONFIG.batch_size, seed=0, rank=r, world_size=WORLD)
           for r in range(WORLD)]  # 611 rows: the last batch of 35 is dropped by both ranks
    assert [len(s.epoch(0)) for s in odd] == [N_TRAIN // CONFIG.batch_size] * WORLD
    assert len(GlobalBatchSampler(N_TRAIN + 1, CONFIG.batch_size, seed=0).epoch(0)) == 10


def _problems(case: str, ranks: list[dict[str, Any]], single: dict[str, Any]) -> list[str]:
    """How the ranks' results for ``case`` differ from the single-process one (empty: equal)."""
    problems: list[str] = []
    expected, selected = single["state"], _selected_epoch(single["history"])
    if selected != CONFIG.epochs and not case.endswith("-restore"):
        problems.append(f"{case}: the single process selected epoch {selected}")
    if case.endswith("-restore") and selected == CONFIG.epochs:
        problems.append(f"{case}: the last epoch was selected, so nothing was restored")
    for rank, result in enumerate(ranks):
        where = f"{case}, rank {rank}"
        if result["world"] != WORLD or _selected_epoch(result["history"]) != selected:
            problems.append(f"{where}: world {result['world']}, selected "
                            f"{_selected_epoch(result['history'])} (single process: {selected})")
        got, want = ([r["val_mae"] for r in run["history"]] for run in (result, single))
        if len(got) != len(want) or not np.allclose(got, want, rtol=1e-5, atol=0.0):
            problems.append(f"{where}: validation MAE per epoch {got} (single process: {want})")
        for key, value in expected.items():
            diff = (result["state"][key].double() - value.double()).abs().max().item()
            if diff >= 1e-5:
                problems.append(f"{where}: {key} differs by {diff:.3g}")
            if not torch.equal(result["state"][key], ranks[0]["state"][key]):
                problems.append(f"{where}: {key} differs from rank 0's")  # DDP keeps them equal
    return problems


def test_two_gloo_ranks_train_the_single_process_weights(tmp_path: Path) -> None:
    """Final weights, FDS statistics and selected epoch match one process on every rank.

    One test item, so that ``pytest -n 2`` does not run the processes on both workers. The ranks
    are forked after the single-process fits, which have imported everything they need.
    """
    single = {case: _fit(case) for case in CASES}
    assert all(result["world"] == 1 for result in single.values())
    fds_state = single["sqinv+lds+fds"]["state"]  # its FDS buffers are compared with the weights
    assert {f"fds.{name}" for name in FDS_STATS} <= fds_state.keys()
    assert int(fds_state["fds.bin_updates"].max()) > 0  # statistics were collected
    mp.start_processes(_worker, args=(str(tmp_path / "init"), str(tmp_path)), nprocs=WORLD,
                       start_method="fork")
    problems = [p for case in CASES for p in _problems(case, _load(tmp_path, case), single[case])]
    assert not problems, "\n".join(problems)
