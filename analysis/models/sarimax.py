"""Regression with AR(1) errors (statsmodels ``SARIMAX``): the one fit-and-check routine.

The Kalman filter skips missing values, so gappy monthly or annual series need no filling.
The covariance is named explicitly: ``oim`` (observed information, the default here),
``robust_oim`` (sandwich) or ``opg`` (outer product of gradients, statsmodels' default,
unstable with few observations per parameter). A fit that does not converge, or whose
standard errors are not finite, is an error naming the model.
"""

from __future__ import annotations

import warnings

import numpy as np
from statsmodels.tsa.statespace.sarimax import SARIMAX

from .nb2 import ModelError

COV_TYPES = ("oim", "robust_oim", "opg")


def fit(y: np.ndarray, exog: np.ndarray, what: str, cov_type: str = "oim"):
    if cov_type not in COV_TYPES:
        raise ModelError(f"{what}: unknown covariance {cov_type!r}; use one of {COV_TYPES}")
    model = SARIMAX(y, exog=exog, order=(1, 0, 0), trend="n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(disp=False, maxiter=500, method="lbfgs", cov_type=cov_type)
    if not res.mle_retvals.get("converged", False):
        raise ModelError(f"{what}: the SARIMAX fit did not converge")
    if not np.all(np.isfinite(res.bse)):
        raise ModelError(f"{what}: the SARIMAX fit has no finite standard errors ({cov_type} covariance)")
    return res
