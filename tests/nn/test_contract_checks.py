"""dirkit.testing.check_head / check_backbone catch broken modules."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from dirkit.testing import check_backbone, check_head


class _Detached(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(3, 2)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x).detach()


class _BatchMixing(nn.Linear):
    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x) + x.mean(dim=0)[:2]  # batch statistics leak into eval


class _Float32Only(nn.Linear):
    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x.float().to(self.weight.dtype)).float()


class _NoFeatureDim(nn.Linear):
    pass


@pytest.mark.parametrize(
    ("module", "message"),
    [
        (_Detached(), "gradient"),
        (_BatchMixing(3, 2), "other samples"),
        (_Float32Only(3, 2), "float64"),
    ],
)
def test_check_head_catches(module: nn.Module, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        check_head(module, in_features=3)


def test_check_backbone_needs_feature_dim_and_matching_output() -> None:
    with pytest.raises(AssertionError, match="feature_dim"):
        check_backbone(_NoFeatureDim(3, 2), (3,))
    wrong = nn.Linear(3, 2)
    wrong.feature_dim = 5  # type: ignore[assignment]
    with pytest.raises(AssertionError, match=r"\(4, 5\)"):
        check_backbone(wrong, (3,))


def test_checks_leave_the_module_untouched() -> None:
    head = nn.Linear(3, 2).train()
    before = head.weight.detach().clone()
    check_head(head, in_features=3)
    assert head.training and head.weight.dtype == torch.float32 and head.weight.grad is None
    assert torch.equal(head.weight, before)
