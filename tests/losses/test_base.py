import pytest
import torch

from dirkit.losses import LossModule, MSELoss
from dirkit.losses._base import random_regression_batch
from dirkit.losses._noise import noise_variance, register_noise_sigma


def test_a_loss_module_must_say_how_to_build_its_inputs():
    class Incomplete(LossModule):
        def forward(self, pred, target):
            return (pred - target).mean()

    with pytest.raises(TypeError, match="_example_inputs"):
        Incomplete()


def test_defaults_of_the_contract_attributes():
    assert MSELoss._grad_input == "pred" and MSELoss._min_batch_size == 1
    assert MSELoss._xfail_checks == {} and MSELoss._example_init_kwargs() == {}


def test_example_batches_are_reproducible():
    first = random_regression_batch(4, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    again = random_regression_batch(4, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(first, again)


def test_noise_sigma_is_a_parameter_or_a_buffer_and_squares_to_the_variance():
    module = torch.nn.Module()
    register_noise_sigma(module, 3.0, learn_noise=False)
    assert noise_variance(module.noise_sigma, torch.zeros(1, dtype=torch.float64)).item() == 9.0
    with pytest.raises(ValueError, match="init_noise_sigma"):
        register_noise_sigma(torch.nn.Module(), 0.0, learn_noise=True)
