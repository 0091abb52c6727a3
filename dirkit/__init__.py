"""dirkit: deep imbalanced regression in PyTorch.

The subpackages follow the data flow, each usable on its own:

========================  ===================================================================
``dirkit.datasets``       loaders returning train / val / test splits (``synthetic`` built in)
``dirkit.labels``         continuous labels -> fine bins, groups, hierarchies, shot regions
``dirkit.density``        bin counts -> smoothed label density (LDS) -> sample weights
``dirkit.nn``             backbones (MLP, ResNet), FDS, regression / group / hierarchical heads
``dirkit.losses``         regression, focal, balanced-MSE, soft-label, ranking and contrastive losses
``dirkit.metrics``        MAE / MSE / GM / Pearson / Spearman / bMAE, overall and per shot
``dirkit.exceptions``     the error and warning types dirkit raises
========================  ===================================================================
"""

from dirkit import datasets, density, exceptions, labels, losses, metrics, nn

__version__ = "0.1.0"

__all__ = ["__version__", "datasets", "density", "exceptions", "labels", "losses", "metrics", "nn"]
