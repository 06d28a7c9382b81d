"""The error a model raises when it cannot be fitted; here, apart from the model code, so that
modules the report imports (:mod:`.spec`, :mod:`.series`) do not import statsmodels."""

from __future__ import annotations


class ModelError(RuntimeError):
    """A model could not be fitted to the data it was given; the message says why."""
