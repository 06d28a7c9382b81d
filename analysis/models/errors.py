"""The error a model raises when it cannot be fitted, importable from the models package without importing
statsmodels (:mod:`.spec` and :mod:`.series` use it); it is defined once, with the other user errors, in
:mod:`analysis.errors`."""

from __future__ import annotations

from ..errors import ModelError  # noqa: F401
