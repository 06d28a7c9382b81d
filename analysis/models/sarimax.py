"""Regression with AR(1) errors (statsmodels ``SARIMAX``): the one fit-and-check routine.

The Kalman filter skips missing values, so gappy monthly or annual series need no filling.
The covariance is named explicitly: ``oim`` (observed information, the default here),
``robust_oim`` (sandwich) or ``opg`` (outer product of gradients, statsmodels' default,
unstable with few observations per parameter); ``none`` skips it, for a fit used only to
forecast (a forecast's interval comes from the state-space prediction variance, not from
the parameters' covariance, so it is the same either way). The likelihood is maximised by L-BFGS; where
it stops without converging (short annual series, a flat likelihood near the AR bound), BFGS
and then Nelder-Mead are tried from the last point, in that fixed order. A fit that none of
them brings to convergence, or whose standard errors are not finite, is an error naming the
model.
"""

from __future__ import annotations

import warnings

import numpy as np
from statsmodels.tsa.statespace.sarimax import SARIMAX

from .nb2 import ModelError

COV_TYPES = ("oim", "robust_oim", "opg", "none")
#: Optimisers tried in turn, each from where the last stopped, until one converges.
OPTIMIZERS = (("lbfgs", 500), ("bfgs", 1000), ("nm", 5000))


def fit(y: np.ndarray, exog: np.ndarray, what: str, cov_type: str = "oim"):
    if cov_type not in COV_TYPES:
        raise ModelError(f"{what}: unknown covariance {cov_type!r}; use one of {COV_TYPES}")
    model = SARIMAX(y, exog=exog, order=(1, 0, 0), trend="n")
    res, start = None, None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for method, maxiter in OPTIMIZERS:
            res = model.fit(start_params=start, disp=False, maxiter=maxiter, method=method, cov_type=cov_type)
            if res.mle_retvals.get("converged", False):
                break
            start = res.params if np.all(np.isfinite(res.params)) else None
    if not res.mle_retvals.get("converged", False):
        raise ModelError(f"{what}: the SARIMAX fit did not converge (tried {', '.join(m for m, _ in OPTIMIZERS)})")
    if cov_type != "none" and not np.all(np.isfinite(res.bse)):
        raise ModelError(f"{what}: the SARIMAX fit has no finite standard errors ({cov_type} covariance)")
    return res
