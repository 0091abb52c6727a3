"""Fixtures of the engine tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dirkit.engine import Trainer


@pytest.fixture
def interrupt_at_epoch(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], Callable[[], None]]:
    """``undo = interrupt_at_epoch(k)``: training raises KeyboardInterrupt when it reaches epoch ``k``.

    Calling ``undo()`` lets training run normally again (to resume from the checkpoints).
    """

    def interrupt(epoch: int) -> Callable[[], None]:
        original = Trainer.train_epoch

        def interrupted(self: Trainer, *args: Any, **kwargs: Any) -> Any:
            if self.epoch == epoch:
                raise KeyboardInterrupt
            return original(self, *args, **kwargs)

        monkeypatch.setattr(Trainer, "train_epoch", interrupted)
        return lambda: monkeypatch.setattr(Trainer, "train_epoch", original)

    return interrupt
