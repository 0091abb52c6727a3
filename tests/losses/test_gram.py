import torch

from dirkit.losses._gram import self_gram


def test_self_gram_value_and_gradient_equal_autograd_of_the_product():
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(7, 3, dtype=torch.float64, generator=generator, requires_grad=True)
    upstream = torch.randn(7, 7, dtype=torch.float64, generator=generator)  # not symmetric
    (grad,) = torch.autograd.grad((self_gram(features) * upstream).sum(), features)
    (expected,) = torch.autograd.grad(((features @ features.T) * upstream).sum(), features)
    torch.testing.assert_close(self_gram(features), features @ features.T)
    torch.testing.assert_close(grad, expected, rtol=1e-12, atol=1e-12)
