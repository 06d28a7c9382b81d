"""Negative binomial (NB2) regression with estimated dispersion, and its predictions.

One fitting routine for every count model: a Poisson GLM gives start values and the
Pearson dispersion that justifies the negative binomial; statsmodels' discrete
``NegativeBinomial`` (``loglike_method="nb2"``) estimates the coefficients and alpha
by maximum likelihood (variance = mu + alpha mu^2). A fit that does not converge is an
error, not a warning.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.genmod import families
from statsmodels.discrete.discrete_model import NegativeBinomial

from ..errors import ModelError  # noqa: F401  (defined with the other user errors; the model modules import it from here)

Z95 = 1.959963984540054


@dataclass
class NB2Fit:
    result: object
    columns: list[str]
    poisson_dispersion: float

    @property
    def params(self) -> pd.Series:
        return self.result.params[self.columns]

    @property
    def cov(self) -> pd.DataFrame:
        return self.result.cov_params().loc[self.columns, self.columns]

    @property
    def alpha(self) -> float:
        return float(self.result.params["alpha"])

    def mean_interval(self, X: pd.DataFrame, level_z: float = Z95) -> pd.DataFrame:
        """Expected counts with 95% intervals (delta method on the linear predictor)."""
        Xv = X[self.columns].to_numpy(float)
        eta = Xv @ self.params.to_numpy()
        se = np.sqrt(np.einsum("ij,jk,ik->i", Xv, self.cov.to_numpy(), Xv))
        return pd.DataFrame({"mean": np.exp(eta), "low": np.exp(eta - level_z * se), "high": np.exp(eta + level_z * se)}, index=X.index)

    def simulate(self, X: pd.DataFrame, draws: int, seed: int) -> np.ndarray:
        """Predictive draws (parameter uncertainty + NB2 noise), shape (draws, len(X))."""
        rng = np.random.default_rng(seed)
        names = self.columns + ["alpha"]
        mean = self.result.params[names].to_numpy()
        cov = self.result.cov_params().loc[names, names].to_numpy()
        theta = rng.multivariate_normal(mean, cov, size=draws, method="cholesky")
        eta = theta[:, :-1] @ X[self.columns].to_numpy(float).T
        mu = np.exp(np.clip(eta, -30, 30))
        alpha = np.clip(theta[:, -1:], 1e-8, None)
        # NB2 as a gamma-Poisson mixture (stable for any alpha, unlike numpy's negative_binomial at tiny alpha)
        lam = mu * rng.gamma(shape=1.0 / alpha, scale=alpha, size=mu.shape)
        return rng.poisson(lam)


def fit(y: np.ndarray, X: pd.DataFrame, what: str) -> NB2Fit:
    """Fit NB2 of counts ``y`` on the design ``X``; ``what`` names the model in errors."""
    y = np.asarray(y, dtype=float)
    if len(y) <= X.shape[1] + 1:
        raise ModelError(f"{what}: {len(y)} observations for {X.shape[1]} coefficients and alpha; too few to fit")
    if np.any(y < 0) or np.any(~np.isfinite(y)):
        raise ModelError(f"{what}: counts must be finite and non-negative")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence is checked explicitly below
        poisson = GLM(y, X, family=families.Poisson()).fit()
        nb = NegativeBinomial(y, X, loglike_method="nb2").fit(
            start_params=np.append(poisson.params, 0.1), method="bfgs", maxiter=5000, disp=0)
        if not nb.mle_retvals.get("converged", False):
            nb = NegativeBinomial(y, X, loglike_method="nb2").fit(
                start_params=nb.params, method="newton", maxiter=200, disp=0)
    if not nb.mle_retvals.get("converged", False):
        raise ModelError(f"{what}: the negative binomial fit did not converge")
    return NB2Fit(nb, list(X.columns), float(poisson.pearson_chi2 / poisson.df_resid))
