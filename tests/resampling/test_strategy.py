import numpy as np
import pytest

from dirkit.exceptions import ConfigError
from dirkit.resampling._strategy import target_counts

SIZES = np.array([10, 170, 20])
RARE = np.array([True, False, True])


def test_balance_by_mode():
    assert target_counts(SIZES, RARE, "balance", mode="both").tolist() == [67, 67, 67]
    assert target_counts(SIZES, RARE, "balance", mode="over").tolist() == [85, 170, 85]
    assert target_counts(SIZES, RARE, "balance", mode="under").tolist() == [10, 30, 20]


def test_extreme_inverts_sizes_and_keeps_total_for_both():
    both = target_counts(SIZES, RARE, "extreme", mode="both")
    level = SIZES.sum() / 3
    raw = level**2 / SIZES
    assert both.tolist() == np.round(raw * SIZES.sum() / raw.sum()).astype(int).tolist()
    assert abs(both.sum() - SIZES.sum()) <= 2
    assert both[0] > both[2] > both[1]
    over = target_counts(SIZES, RARE, "extreme", mode="over")
    assert over.tolist() == [round(85**2 / 10), 170, round(85**2 / 20)]
    under = target_counts(SIZES, RARE, "extreme", mode="under")
    assert under.tolist() == [10, round(30**2 / 170), 20]


def test_ratios():
    assert target_counts(SIZES, RARE, 2.0, mode="both").tolist() == [20, 170, 40]
    assert target_counts(SIZES, RARE, 0.5, mode="under").tolist() == [10, 85, 20]
    assert target_counts(SIZES, RARE, [1.5, 0.1, 2.0], mode="both").tolist() == [15, 17, 40]
    assert target_counts(SIZES, RARE, [1.0, 0.001, 1.0], mode="both").tolist() == [10, 1, 20]


def test_invalid_strategies_name_the_fix():
    with pytest.raises(ConfigError, match="one positive ratio per region"):
        target_counts(SIZES, RARE, [1.0, 2.0], mode="both")
    with pytest.raises(ConfigError, match="over-sampler cannot shrink"):
        target_counts(SIZES, RARE, [1.0, 0.5, 1.0], mode="over")
    with pytest.raises(ConfigError, match="under-sampler cannot grow"):
        target_counts(SIZES, RARE, 2.0, mode="under")
    with pytest.raises(ConfigError, match="'balance', 'extreme'"):
        target_counts(SIZES, RARE, "even", mode="both")
