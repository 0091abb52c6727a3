"""FDS under torch.distributed: two CPU ranks on gloo end with the single-process statistics.

One ``torch.multiprocessing.spawn`` of two gloo ranks (process start-up dominates the cost) runs
every scenario; each rank saves its results and the parent compares them with one process.

``DistributedDataParallel`` itself is not constructed (it imports ``torch._dynamo``, about two
seconds per process here); the test reproduces what it does to buffers instead: broadcast the
initial weights from rank 0, and, with its default buffer sync, broadcast every buffer from rank
0 before each forward.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from dirkit.exceptions import ConfigError
from dirkit.nn import FDS, MLP, DIRModel, RegressionHead

WORLD, D, B, N, EPOCHS = 2, 3, 6, 48, 3
COVARIANCES = ("diag", "full")


def _data(epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Dyadic features (multiples of 1/8): every partial sum is exact, so ranks can match bitwise."""
    gen = torch.Generator().manual_seed(epoch)
    features = torch.randint(-64, 64, (N, D), generator=gen).double() / 8
    bins = torch.randint(0, B - 1, (N,), generator=gen)  # the last bin stays empty
    return features, bins


def _train(fds: FDS, rank: int, world: int) -> None:
    for epoch in range(EPOCHS):
        features, bins = _data(epoch)
        half = slice(rank, None, world)  # this rank's share of the batch
        fds(features[half], bins[half])
        fds.update()


def _model() -> DIRModel:
    return DIRModel(MLP(D, hidden=(8,), norm=None), RegressionHead(8), fds=FDS(8, B))


def _ddp_epoch(model: torch.nn.Module, rank: int, world: int, *, sync_buffers: bool) -> None:
    for step in range(3):  # no optimizer step: the backbone stays at its initial weights
        if sync_buffers:  # DDP's default: rank 0's buffers overwrite every rank's before forward
            for buffer in model.buffers():
                dist.broadcast(buffer, src=0)
        features, bins = _data(10 + step)
        half = slice(rank, None, world)
        model(features[half].float(), bins[half]).prediction.sum().backward()


def _worker(rank: int, init_file: str, out_dir: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD)
    try:
        for covariance in COVARIANCES:
            fds = FDS(D, B, covariance=covariance).double()
            _train(fds, rank, WORLD)
            torch.save(fds.state_dict(), Path(out_dir) / f"{covariance}-rank{rank}.pt")
        for sync in (True, False):
            model = _model()
            for param in model.parameters():  # as DDP does at construction
                dist.broadcast(param.data, src=0)
            _ddp_epoch(model, rank, WORLD, sync_buffers=sync)
            try:
                model.fds.update()  # type: ignore[union-attr]
                raised = False
            except ConfigError:
                raised = True
            result = {"raised": raised, "state": model.state_dict()}
            torch.save(result, Path(out_dir) / f"ddp-sync{sync}-rank{rank}.pt")
        dist.barrier()  # no rank tears the group down while its peer still talks to it
    finally:
        dist.destroy_process_group()


@pytest.fixture(scope="module")
def rank_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fds_dist")
    mp.spawn(_worker, args=(str(out / "init"), str(out)), nprocs=WORLD, join=True)
    return out


@pytest.mark.parametrize("covariance", COVARIANCES)
def test_two_gloo_ranks_match_one_process(rank_results: Path, covariance: str) -> None:
    single = FDS(D, B, covariance=covariance).double()
    _train(single, 0, 1)
    expected = single.state_dict()
    for rank in range(WORLD):
        got = torch.load(rank_results / f"{covariance}-rank{rank}.pt")
        assert got.keys() == expected.keys()
        for key, value in expected.items():
            if isinstance(value, torch.Tensor):
                assert torch.equal(got[key], value), f"rank {rank}: {key} differs"
            else:
                assert got[key] == value
    assert int(expected["bin_updates"].sum()) == EPOCHS * (B - 1)
    alone = FDS(D, B, covariance=covariance).double()  # one rank's half without the all_reduce
    _train(alone, 0, WORLD)
    assert not torch.equal(alone.running_var, single.running_var)


def test_ddp_style_buffer_broadcast_raises_on_every_rank(rank_results: Path) -> None:
    for rank in range(WORLD):
        result = torch.load(rank_results / f"ddp-syncTrue-rank{rank}.pt")
        assert result["raised"], f"rank {rank} did not detect the overwritten sums"
        assert int(result["state"]["fds.bin_updates"].sum()) == 0  # the epoch was discarded


def test_without_buffer_broadcast_ranks_match_one_process(rank_results: Path) -> None:
    states = [torch.load(rank_results / f"ddp-syncFalse-rank{r}.pt") for r in range(WORLD)]
    assert not any(s["raised"] for s in states)
    for key, value in states[0]["state"].items():
        if isinstance(value, torch.Tensor):
            assert torch.equal(states[1]["state"][key], value), f"{key} differs between ranks"
    single = _model()
    weights = {k: v for k, v in states[0]["state"].items() if not k.startswith("fds.")}
    single.load_state_dict(weights, strict=False)
    _ddp_epoch(single, 0, 1, sync_buffers=False)
    single.fds.update()  # type: ignore[union-attr]
    got = states[0]["state"]
    for key in ("running_mean", "running_var", "smoothed_mean", "smoothed_var", "bin_updates"):
        torch.testing.assert_close(got[f"fds.{key}"], getattr(single.fds, key), rtol=1e-5, atol=1e-6)
