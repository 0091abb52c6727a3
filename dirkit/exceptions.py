"""The exception and warning types dirkit raises.

Every error dirkit raises derives from :class:`DirkitError` and from the built-in
type a caller would expect (``ValueError``, ``KeyError``, ``AttributeError``), so
``except ValueError`` keeps working while ``except DirkitError`` catches all of them.
"""

from __future__ import annotations

__all__ = [
    "CheckpointError",
    "ConfigError",
    "DataFormatError",
    "DataNotFoundError",
    "DegenerateFitWarning",
    "DirkitError",
    "DirkitWarning",
    "LabelError",
    "LabelRangeWarning",
    "NotFittedError",
    "ShapeError",
    "StaleCheckpointWarning",
    "TrackingWarning",
    "UnknownNameError",
]


class DirkitError(Exception):
    """Base class of every error raised by dirkit."""


class ConfigError(DirkitError, ValueError):
    """A parameter has a value outside its valid set (the message lists the valid set)."""


class UnknownNameError(ConfigError, KeyError):
    """A name (method, loss, data set, option) is not registered; the message lists the known names."""

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return str(self.args[0]) if self.args else ""


class DataNotFoundError(DirkitError, FileNotFoundError):
    """A data set's files are not where they were looked for (the message names the expected files)."""


class DataFormatError(DirkitError, ValueError):
    """A data file is malformed: empty, ragged, truncated or not in the format its name says."""


class LabelError(DirkitError, ValueError):
    """Labels are unusable as given: NaN or infinite values, wrong shape, empty, or out of range."""


class ShapeError(DirkitError, ValueError):
    """Arrays that must agree in shape do not (the message prints both shapes)."""


class NotFittedError(DirkitError, AttributeError):
    """An estimator, binner or weighting was used before ``fit``."""


class CheckpointError(DirkitError, RuntimeError):
    """A checkpoint file cannot be loaded safely (corrupt, truncated, or not a dirkit checkpoint)."""


class DirkitWarning(UserWarning):
    """Base class of the warnings dirkit emits."""


class LabelRangeWarning(DirkitWarning):
    """Labels fell outside a fitted range and were clipped into the end bins."""


class DegenerateFitWarning(DirkitWarning):
    """A trained model predicts (nearly) one value for every input: the fit collapsed."""


class StaleCheckpointWarning(DirkitWarning):
    """A checkpoint made with other settings (or other code) was discarded instead of resumed."""


class TrackingWarning(DirkitWarning):
    """A tracking output was skipped (TensorBoard not installed); training goes on."""
