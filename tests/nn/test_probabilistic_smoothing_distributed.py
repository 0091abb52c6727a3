"""VIR's smoothing under torch.distributed: two gloo ranks end with the single-process statistics."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from dirkit.nn import ProbabilisticSmoothing

WORLD, K, B, N, EPOCHS = 2, 3, 6, 48, 3


def _data(epoch: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Dyadic values (multiples of 1/8): every partial sum is exact, so ranks can match bitwise."""
    gen = torch.Generator().manual_seed(epoch)
    mu = torch.randint(-64, 64, (N, K), generator=gen).double() / 8
    var = torch.randint(1, 32, (N, K), generator=gen).double() / 8
    return mu, var, torch.randint(0, B - 1, (N,), generator=gen)  # the last bin stays empty


def _train(layer: ProbabilisticSmoothing, rank: int, world: int) -> None:
    for epoch in range(EPOCHS):
        mu, var, bins = _data(epoch)
        half = slice(rank, None, world)  # this rank's share of the batch
        layer(mu[half], var[half], bins[half])
        layer.update()


def _worker(rank: int, init_file: str, out_dir: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD)
    try:
        layer = ProbabilisticSmoothing(K, B).double()
        _train(layer, rank, WORLD)
        torch.save(layer.state_dict(), Path(out_dir) / f"rank{rank}.pt")
        dist.barrier()
    finally:
        dist.destroy_process_group()


@pytest.fixture(scope="module")
def rank_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("vir_dist")
    mp.spawn(_worker, args=(str(out / "init"), str(out)), nprocs=WORLD, join=True)
    return out


def test_two_gloo_ranks_match_one_process(rank_results: Path) -> None:
    single = ProbabilisticSmoothing(K, B).double()
    _train(single, 0, 1)
    expected = single.state_dict()
    for rank in range(WORLD):
        got = torch.load(rank_results / f"rank{rank}.pt")
        assert got.keys() == expected.keys()
        for key, value in expected.items():
            if isinstance(value, torch.Tensor):
                assert torch.equal(got[key], value), f"rank {rank}: {key} differs"
            else:
                assert got[key] == value
    assert int(expected["bin_updates"].sum()) == EPOCHS * (B - 1)
    alone = ProbabilisticSmoothing(K, B).double()  # one rank's half without the all_reduce
    _train(alone, 0, WORLD)
    assert not torch.equal(alone.running_var_mu, single.running_var_mu)
