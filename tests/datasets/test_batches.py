import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dirkit.datasets import GlobalBatchSampler, SampleTable
from dirkit.exceptions import ConfigError


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.integers(1, 8).map(lambda k: 2 * k), st.integers(0, 50), st.integers(0, 5))
def test_ranks_split_each_global_batch(n, batch_size, seed, epoch):
    single = GlobalBatchSampler(n, batch_size, seed=seed).epoch(epoch)
    seen = torch.cat(single).tolist()
    assert len(set(seen)) == len(seen)  # no sample twice in an epoch
    # every sample once, except a trailing batch of one, which is dropped
    assert len(seen) == (n - 1 if n > batch_size and n % batch_size == 1 else n)
    assert all(len(b) >= 2 for b in single) or n == 1
    halves = [GlobalBatchSampler(n, batch_size, seed=seed, rank=r, world_size=2).epoch(epoch)
              for r in (0, 1)]
    assert len(halves[0]) == len(halves[1])
    for k, (a, b) in enumerate(zip(*halves, strict=True)):
        assert len(a) == len(b)
        assert torch.cat([a, b]).tolist() == single[k].tolist()


def test_epochs_reshuffle_deterministically():
    sampler = GlobalBatchSampler(50, 10, seed=3)
    assert [b.tolist() for b in sampler.epoch(1)] == [b.tolist() for b in sampler.epoch(1)]
    assert [b.tolist() for b in sampler.epoch(1)] != [b.tolist() for b in sampler.epoch(2)]


def test_batch_size_must_split_evenly_across_processes():
    with pytest.raises(ConfigError, match="multiple of the 2 processes"):
        GlobalBatchSampler(10, 5, seed=0, world_size=2)


def test_sample_table_slices_every_column():
    t = SampleTable(np.arange(10.0)[:, None], np.arange(10.0), np.arange(10), np.ones(10),
                    {"groups": np.arange(10) // 5})
    batch = t.batch(torch.tensor([1, 7]))
    assert batch.y.tolist() == [1.0, 7.0] and batch.extras["groups"].tolist() == [0, 1]
    with pytest.raises(ConfigError, match="weight has 3 rows"):
        SampleTable(np.zeros((4, 1)), np.zeros(4), np.zeros(4), np.ones(3))


def test_a_trailing_batch_of_one_is_dropped_for_batch_norm():
    sampler = GlobalBatchSampler(257, 256, seed=0)
    assert [len(b) for b in sampler.epoch(0)] == [256]
    assert sampler.epoch(0)[0].tolist() != sampler.epoch(1)[0].tolist()
    two_ranks = GlobalBatchSampler(258, 256, seed=0, rank=1, world_size=2)
    assert [len(b) for b in two_ranks.epoch(0)] == [128]  # 2 left over: one each, dropped
    assert [len(b) for b in GlobalBatchSampler(1, 4, seed=0).epoch(0)] == [1]
