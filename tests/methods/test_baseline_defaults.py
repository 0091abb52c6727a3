"""Each baseline config's defaults are the published values its docstring cites."""

from __future__ import annotations

import dataclasses

import pytest

from dirkit.methods import METHODS

# (method, field, published value, where the docstring says it comes from)
PUBLISHED = [
    ("focal-r", "variant", "l1", "Yang et al. 2021"),
    ("focal-r", "beta", 0.2, "Yang et al. 2021"),
    ("focal-r", "gamma", 1.0, "Yang et al. 2021"),
    ("focal-r", "activation", "sigmoid", "Yang et al. 2021"),
    ("balanced-mse", "sigma_lr", 0.01, "Ren et al. 2022"),
    ("balanced-mse", "learnable_noise", True, "Ren et al. 2022"),
    ("balanced-mse", "n_components", 8, "Ren et al. 2022"),
    ("rrt", "reweight", "inverse", "Yang et al. 2021"),
    ("rrt", "epoch_fraction", 1.0, "reference code"),
    ("ranksim", "gamma", 100.0, "Gong et al. 2022"),
    ("ranksim", "interpolation", 2.0, "Gong et al. 2022"),
    ("ranksim", "features", "features", "Gong et al. 2022"),
    ("rnc", "temperature", 2.0, "Zha et al. 2023"),
    ("rnc", "pretrain_epoch_fraction", 4.0, "Zha et al. 2023"),
    ("rnc", "probe_loss", "l1", "Zha et al. 2023"),
    ("conr", "beta", 4.0, "Keramati et al. 2024"),
    ("conr", "window", 1.0, "Keramati et al. 2024"),
    ("conr", "temperature", 0.2, "Keramati et al. 2024"),
    ("conr", "push_scale", 0.01, "Keramati et al. 2024"),
    ("smoter", "k_neighbors", 5, "Torgo et al. 2013"),
    ("smoter", "threshold", 0.5, "Torgo et al. 2013"),
    ("smoter", "sampling_strategy", "balance", "Torgo et al. 2013"),
    ("smogn", "k_neighbors", 5, "Branco et al. 2017"),
    ("smogn", "perturbation", 0.02, "Branco et al. 2017"),
    ("smogn", "threshold", 0.5, "Branco et al. 2017"),
    ("der", "lam", 0.01, "Amini et al. 2020"),
    ("oe", "weight", 1.0, "Zhang et al. 2023"),
    ("oe", "lambda_d", 1.0, "Zhang et al. 2023"),
    ("oe", "lambda_t", 1.0, "Zhang et al. 2023"),
    ("oe", "tightness", "squared", "Zhang et al. 2023"),
    ("vae", "kl_weight", 1e-3, "VIR release"),
    ("vir", "lam", 0.01, "Wang & Wang 2023"),
    ("vir", "kl_weight", 1e-3, "Wang & Wang 2023"),
    ("vir", "reweight", "sqrt_inv", "Wang & Wang 2023"),
    ("vir", "prior_nu", 0.0, "Wang & Wang 2023"),
    ("vir", "prior_alpha", 0.3, "Wang & Wang 2023"),
    ("vir", "momentum", 0.9, "Wang & Wang 2023"),
]

HEAD_BASELINES = {"der", "vae", "vir"}  # baselines with their own head; the others are modifiers


# Deliberate departures: (method, field, dirkit default, published value, the docstring's words
# for the published value). The docstring must name both and say how to reproduce the paper.
DEPARTURES = [
    # sigma lives in the loss's (standardised) units; 0.1 std is the reference's 1 year on ages
    ("balanced-mse", "init_noise_sigma", 0.1, 1.0, "1.0 in label units"),
]


@pytest.mark.parametrize(("method", "name", "default", "published", "words"), DEPARTURES)
def test_a_departure_from_the_published_value_is_documented(method, name, default, published, words):
    config_type = METHODS.get(method).config_type
    assert getattr(config_type(), name) == default != published
    described = _attribute_doc(config_type.__doc__, name)
    assert f"{default}" in described and words in described
    assert "To reproduce the reference" in config_type.__doc__


def _attribute_doc(doc: str, name: str) -> str:
    """The docstring lines describing attribute ``name`` (its header and indented text)."""
    lines = doc.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{name} :"))
    indent = len(lines[start]) - len(lines[start].lstrip())
    block = [lines[start]]
    for line in lines[start + 1:]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        block.append(line)
    return "\n".join(block)


@pytest.mark.parametrize(("method", "name", "value", "source"), PUBLISHED)
def test_default_is_the_published_value_and_the_docstring_cites_it(method, name, value, source):
    config_type = METHODS.get(method).config_type
    assert getattr(config_type(), name) == value
    doc = config_type.__doc__
    assert source in doc
    described = _attribute_doc(doc, name)
    assert repr(value) in described or f"{value}" in described, described


@pytest.mark.parametrize("method", sorted({m for m, *_ in PUBLISHED}))
def test_every_default_is_recorded_as_plain_values(method):
    config = METHODS.get(method).config_type()
    assert dataclasses.asdict(config) == {f.name: getattr(config, f.name)
                                          for f in dataclasses.fields(config)}
    assert METHODS.get(method).defines_head == (method in HEAD_BASELINES)
