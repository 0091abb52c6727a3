import pytest
import torch

from dirkit.exceptions import ShapeError
from dirkit.losses._reduction import (
    check_features_labels,
    check_min_batch,
    check_pred_target,
    check_weight,
    reduce_weighted,
)


def test_column_vectors_are_flattened_and_target_takes_the_pred_dtype():
    pred, target = check_pred_target(torch.zeros(3, 1, dtype=torch.float64), torch.arange(3))
    assert pred.shape == target.shape == (3,)
    assert target.dtype == torch.float64


@pytest.mark.parametrize(
    ("pred_shape", "target_shape"), [((4,), (5,)), ((4, 2), (4,)), ((4,), (4, 3)), ((2, 1), (3, 1))]
)
def test_mismatched_shapes_raise_printing_both(pred_shape, target_shape):
    with pytest.raises(ShapeError) as info:
        check_pred_target(torch.zeros(pred_shape), torch.zeros(target_shape))
    message = str(info.value)
    assert str(pred_shape) in message or str(target_shape) in message
    if pred_shape[0] != target_shape[0]:
        assert str(pred_shape) in message and str(target_shape) in message


def test_empty_batch_raises():
    with pytest.raises(ShapeError, match="empty"):
        check_pred_target(torch.zeros(0), torch.zeros(0))


def test_weight_needs_one_value_per_sample():
    with pytest.raises(ShapeError, match=r"\(3,\).*batch of 4"):
        check_weight(torch.ones(3), 4, torch.zeros(4))
    assert check_weight(torch.ones(4, 1), 4, torch.zeros(4, dtype=torch.float64)).dtype == (torch.float64)


def test_weighted_mean_is_mean_of_weighted_losses_not_normalised_by_weight_sum():
    loss, weight = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([0.0, 0.0, 3.0])
    assert reduce_weighted(loss, weight, "mean").item() == pytest.approx(9.0 / 3)
    assert reduce_weighted(loss, weight, "sum").item() == pytest.approx(9.0)
    torch.testing.assert_close(reduce_weighted(loss, weight, "none"), torch.tensor([0, 0, 9.0]))
    assert reduce_weighted(loss, None, "mean").item() == pytest.approx(2.0)


def test_min_batch_message_says_why_and_how_to_fix():
    with pytest.raises(ShapeError, match=r"at least 2 samples because it pairs.*drop_last"):
        check_min_batch(1, 2, "some_loss", "it pairs samples")
    check_min_batch(2, 2, "some_loss", "it pairs samples")


def test_features_must_be_two_dimensional():
    with pytest.raises(ShapeError, match=r"\(4,\)"):
        check_features_labels(torch.zeros(4), torch.zeros(4), "labels")
