"""Data sets: loaders that return :class:`DatasetSplits`, registered in ``DATASETS`` by name."""

from dirkit._registry import DATASETS
from dirkit.datasets._age_csv import read_age_csv
from dirkit.datasets._agedb import load_agedb_dir
from dirkit.datasets._base import DatasetSplits
from dirkit.datasets._batches import Batch, GlobalBatchSampler, SampleTable
from dirkit.datasets._csv import load_csv
from dirkit.datasets._face_ages import split_sha256
from dirkit.datasets._imdb_wiki import load_imdb_wiki_dir
from dirkit.datasets._sine1d import PEAK_RATIOS, SINE1D_RECIPES, make_sine1d, sine_function
from dirkit.datasets._sts_b import STS_B_FILES, load_sts_b_dir, pair_features, read_sts_b_split
from dirkit.datasets._synthetic import TRAINING_PROFILE, TRUTHS, make_synthetic, synthetic_target
from dirkit.datasets._tabular import TABULAR_IR_SETS, load_tabular_ir
from dirkit.datasets._text_embeddings import SENTENCE_MODELS, embed_sentences
from dirkit.datasets._utkface import UTKFACE_SPLIT_SHA256, load_utkface_dir

__all__ = [
    "DATASETS",
    "PEAK_RATIOS",
    "SENTENCE_MODELS",
    "SINE1D_RECIPES",
    "STS_B_FILES",
    "TABULAR_IR_SETS",
    "TRAINING_PROFILE",
    "TRUTHS",
    "UTKFACE_SPLIT_SHA256",
    "Batch",
    "DatasetSplits",
    "GlobalBatchSampler",
    "SampleTable",
    "embed_sentences",
    "load_agedb_dir",
    "load_csv",
    "load_imdb_wiki_dir",
    "load_sts_b_dir",
    "load_tabular_ir",
    "load_utkface_dir",
    "make_sine1d",
    "make_synthetic",
    "pair_features",
    "read_age_csv",
    "read_sts_b_split",
    "sine_function",
    "split_sha256",
    "synthetic_target",
]
