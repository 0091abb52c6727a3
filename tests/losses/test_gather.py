"""gather=True under a real 2-process gloo group (CPU), against the single-process full batch."""

import subprocess
import sys

import pytest
import torch

from dirkit.losses import group_contrastive_loss, rank_n_contrast_loss
from dirkit.losses._gather import gather_batch

WORKER = r"""
import sys
import torch
import torch.distributed as dist
from dirkit.exceptions import ShapeError
from dirkit.losses import group_contrastive_loss, rank_n_contrast_loss

rank, init_file, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
torch.set_num_threads(1)
dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=2)
generator = torch.Generator().manual_seed(0)
features = torch.randn(12, 5, dtype=torch.float64, generator=generator)
labels = torch.randint(0, 4, (12,), generator=generator)
mine = slice(6 * rank, 6 * rank + 6)
results = {}
for name, loss in (("gcl", group_contrastive_loss), ("rnc", rank_n_contrast_loss)):
    local = features[mine].clone().requires_grad_(True)
    value = loss(local, labels[mine], gather=True)
    value.backward()
    results[name] = (value.detach(), local.grad)
try:
    rank_n_contrast_loss(features[: 6 - rank], labels[: 6 - rank], gather=True)
except ShapeError as error:
    results["unequal"] = str(error)
torch.save(results, out)
dist.barrier()  # no rank tears the group down while its peer still talks to it
dist.destroy_process_group()
"""


@pytest.fixture(scope="module")
def two_process_results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gather")
    outputs = [folder / f"rank{rank}.pt" for rank in range(2)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(rank), str(folder / "store"), str(outputs[rank])],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for rank in range(2)
    ]
    for worker in workers:
        log, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0, log.decode()
    return [torch.load(path) for path in outputs]


@pytest.mark.parametrize(("name", "loss"), [("gcl", group_contrastive_loss), ("rnc", rank_n_contrast_loss)])
def test_gathered_losses_average_to_the_full_batch_loss_and_gradient(two_process_results, name, loss):
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(12, 5, dtype=torch.float64, generator=generator).requires_grad_(True)
    labels = torch.randint(0, 4, (12,), generator=generator)
    full = loss(features, labels)
    full.backward()
    values = [result[name][0] for result in two_process_results]
    torch.testing.assert_close((values[0] + values[1]) / 2, full.detach())
    # Each process gets the gradient of the summed per-process losses for its own slice, so
    # DDP's average over processes yields the gradient of the full-batch loss.
    for rank, result in enumerate(two_process_results):
        torch.testing.assert_close(result[name][1], 2 * features.grad[6 * rank : 6 * rank + 6])


def test_unequal_batch_sizes_raise_on_every_process(two_process_results):
    for result in two_process_results:
        assert "same batch size on every process" in result["unequal"]


def test_gather_is_a_no_op_on_one_process():
    features, labels = torch.randn(5, 3, generator=torch.Generator().manual_seed(1)), torch.arange(5)
    gathered, gathered_labels, columns = gather_batch(features, labels)
    assert gathered is features and gathered_labels is labels
    assert columns.tolist() == [0, 1, 2, 3, 4]
    torch.testing.assert_close(
        rank_n_contrast_loss(features, labels, gather=True), rank_n_contrast_loss(features, labels)
    )
