"""Relationships between trade, workers abroad and defections: lagged correlations, Granger tests.

All three flows are annual and short, with gaps, and all three fell together in 2020:
a correlation in levels would mostly show the shared closure. So each series is
turned into year-on-year changes of its logarithm (growth rates) first, and

- the **lagged cross-correlation** at lag k is the Pearson correlation between x's growth
  in year t and y's growth in year t + k, over the years where both exist (pairwise
  complete; N is reported per lag), with the approximate 95% band +/- 1.96 / sqrt(N)
  for a correlation of zero between independent series;
- the **Granger test** of "x helps predict y" compares, by an F test (statsmodels OLS
  ``compare_f_test``), the regression of y's growth on its own p lags with the one that
  adds p lags of x's growth, over the years where every term exists. On a contiguous
  series it equals statsmodels' ``grangercausalitytests`` ssr F test; unlike that
  function it accepts gaps (a lag is the value one year earlier, or missing).

Small samples are said out loud: each row carries its N and a warning when N is below
:data:`SMALL_N`. Granger "causality" is predictive precedence, not causation.

Because all the series fell together in 2020-21, each correlation is also given without
the growth years of that shock (:data:`spec.SHOCK_YEARS`), and with a permutation p-value
(the x growth rates shuffled among the year pairs, :data:`PERMUTATIONS` times, seeded).
Every p-value the report prints (the correlations' permutation p-values and the Granger
tests) is one family: Benjamini-Hochberg q-values are computed across all of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.tools import add_constant

from .. import selectors
from . import series, spec
from .nb2 import Z95, ModelError

SMALL_N = 20
PERMUTATIONS = 2000
MAX_LAG = 2
MIN_PAIRS = 8  # a pair of series with fewer overlapping growth years at lag 0 is listed as skipped, not tested


def growth(series: pd.Series) -> pd.Series:
    """Year-on-year change of the log, on an unbroken yearly index (NaN where either year is missing)."""
    s = series.sort_index()
    full = s.reindex(pd.RangeIndex(int(s.index.min()), int(s.index.max()) + 1))
    return np.log(full).diff()


def permutation_p(x: np.ndarray, y: np.ndarray, draws: int = PERMUTATIONS, seed: int = spec.SEEDS["permutation"]) -> float:
    """Two-sided permutation p-value of Pearson's r: the share of shuffles of x with |r| at least the observed (observed included)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 3:
        return np.nan
    rng = np.random.default_rng(seed)
    xs = (x - x.mean()) / x.std()
    ys = (y - y.mean()) / y.std()
    r = abs(float(xs @ ys) / len(x))
    perm = np.array([rng.permutation(xs) for _ in range(draws)])
    rp = np.abs(perm @ ys / len(x))
    return float((1 + np.sum(rp >= r - 1e-12)) / (draws + 1))


def cross_correlations(x: pd.Series, y: pd.Series, max_lag: int = MAX_LAG, shock_years=spec.SHOCK_YEARS) -> pd.DataFrame:
    """corr(x_t, y_{t+k}) for k = -max_lag..max_lag, pairwise complete; also without the pairs that touch ``shock_years``."""
    years = pd.RangeIndex(min(x.index.min(), y.index.min()), max(x.index.max(), y.index.max()) + 1)
    x, y = x.reindex(years), y.reindex(years)
    rows = []
    for k in range(-max_lag, max_lag + 1):
        pair = pd.DataFrame({"x": x, "y": y.shift(-k)}).dropna()
        n = len(pair)
        r = float(pair["x"].corr(pair["y"])) if n >= 3 else np.nan
        calm = pair.loc[~pair.index.isin(shock_years) & ~(pair.index + k).isin(shock_years)]
        r0 = float(calm["x"].corr(calm["y"])) if len(calm) >= 3 else np.nan
        rows.append({"lag": k, "n": n, "correlation": r, "band": Z95 / np.sqrt(n) if n > 0 else np.nan,
                     "permutation_p": permutation_p(pair["x"].to_numpy(), pair["y"].to_numpy()) if n >= 3 else np.nan,
                     "n_without_shock": len(calm), "correlation_without_shock": r0})
    out = pd.DataFrame(rows)
    out["outside_band"] = out["correlation"].abs() > out["band"]
    return out


def bh_q_values(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values (step-up adjusted p-values) of the p-values ``p``; missing stay missing."""
    p = np.asarray(p, float)
    q = np.full(len(p), np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    if m == 0:
        return q
    order = ok[np.argsort(p[ok], kind="stable")]
    ranked = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    return q


def granger(x: pd.Series, y: pd.Series, lags: int) -> dict:
    """F test that ``lags`` lags of x add to ``lags`` lags of y in predicting y (gaps allowed)."""
    years = pd.RangeIndex(min(x.index.min(), y.index.min()), max(x.index.max(), y.index.max()) + 1)
    x, y = x.reindex(years), y.reindex(years)
    frame = pd.DataFrame({"y": y})
    for j in range(1, lags + 1):
        frame[f"y_l{j}"] = y.shift(j)
        frame[f"x_l{j}"] = x.shift(j)
    frame = frame.dropna()
    n = len(frame)
    k_full = 1 + 2 * lags
    if n <= k_full + 1:
        raise ModelError(f"Granger test with {lags} lag(s): {n} complete years for {k_full} coefficients")
    own = add_constant(frame[[f"y_l{j}" for j in range(1, lags + 1)]], has_constant="add")
    full = add_constant(frame[[c for c in frame.columns if c != "y"]], has_constant="add")
    restricted = OLS(frame["y"], own).fit()
    unrestricted = OLS(frame["y"], full).fit()
    f, p, df = unrestricted.compare_f_test(restricted)
    return {"lags": lags, "n": n, "f_stat": float(f), "p_value": float(p), "df_num": int(df), "df_denom": int(unrestricted.df_resid),
            "first_year": int(frame.index.min()), "last_year": int(frame.index.max())}


def annual_series(tables: dict[str, pd.DataFrame]) -> dict[str, pd.Series]:
    """The annual series the relationships use, by name, indexed by year (published tables only)."""
    annual = tables["defector_arrivals_annual"]
    out = {"defector_arrivals": pd.Series(annual["total"].to_numpy(float), index=annual["year"].astype(int).to_numpy())}
    for col, name in (("total_usd", "china_prk_trade_total"), ("imports_usd", "china_imports_from_prk"), ("exports_usd", "china_exports_to_prk")):
        s = selectors.china_customs(tables["trade_annual"], col, "Y").dropna()
        out[name] = pd.Series(s.to_numpy(), index=s.index.year)
    w = tables["labor_workers"]
    for host, measure in (("RUS", "entries_for_work"), ("RUS", "entries_total"), ("CHN", "entries_for_work")):
        s = worker_series(w, host, measure)
        if len(s) >= 5:
            out[f"{host.lower()}_{measure}"] = s
    return {k: v.sort_index() for k, v in out.items()}


def worker_series(workers: pd.DataFrame, host: str, measure: str) -> pd.Series:
    """One official annual worker measure for one host: calendar-year figures, the mean where sources differ."""
    w = workers.loc[(workers["host"] == host) & (workers["measure"] == measure) & workers["value"].notna()]
    w = series.calendar_year_rows(w)
    return w.groupby("year")["value"].mean().astype(float).rename_axis(None)


PAIRS: list[tuple[str, str]] = [
    ("china_prk_trade_total", "defector_arrivals"),
    ("china_imports_from_prk", "defector_arrivals"),
    ("china_exports_to_prk", "defector_arrivals"),
    ("rus_entries_for_work", "defector_arrivals"),
    ("rus_entries_for_work", "china_prk_trade_total"),
    ("chn_entries_for_work", "defector_arrivals"),
]


def run(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    series = annual_series(tables)
    ccf_rows, granger_rows, skipped = [], [], []
    for a, b in PAIRS:
        if a not in series or b not in series:
            skipped.append({"x": a, "y": b, "n_years_overlap": 0, "reason": "series not available (fewer than 5 calendar-year figures)"})
            continue
        ga, gb = growth(series[a]), growth(series[b])
        c = cross_correlations(ga, gb)
        n0 = int(c.loc[c["lag"] == 0, "n"].iloc[0])
        if n0 < MIN_PAIRS:
            skipped.append({"x": a, "y": b, "n_years_overlap": n0, "reason": f"fewer than {MIN_PAIRS} years with both growth rates"})
            continue
        c.insert(0, "y", b)
        c.insert(0, "x", a)
        ccf_rows.append(c)
        for x_name, y_name, gx, gy in ((a, b, ga, gb), (b, a, gb, ga)):
            for lags in (1, MAX_LAG):
                try:
                    g = granger(gx, gy, lags)
                except ModelError as exc:
                    g = {"lags": lags, "n": 0, "f_stat": np.nan, "p_value": np.nan, "df_num": lags, "df_denom": 0,
                         "first_year": np.nan, "last_year": np.nan, "note": str(exc)}
                granger_rows.append({"cause": x_name, "effect": y_name, **g})
    ccf = pd.concat(ccf_rows, ignore_index=True)
    ccf["caveat"] = np.where(ccf["n"] < SMALL_N, "fewer than 20 year pairs: a correlation of this size arises easily by chance", "")
    gr = pd.DataFrame(granger_rows)
    if "note" not in gr.columns:
        gr["note"] = ""
    gr["note"] = gr["note"].fillna("")
    small = gr["n"] < SMALL_N
    gr["caveat"] = np.where(small, "small sample: F test on fewer than 20 years has little power, and a rejection can come from one year such as 2020; "
                                   "predictive precedence, not causation", "predictive precedence, not causation")
    # one family: every p-value the report prints (permutation p of each correlation, each Granger test)
    q = bh_q_values(np.concatenate([ccf["permutation_p"].to_numpy(float), gr["p_value"].to_numpy(float)]))
    ccf["q_value"] = q[: len(ccf)]
    gr["q_value"] = q[len(ccf):]
    ccf["tests_in_family"] = gr["q_value"].notna().sum() + ccf["q_value"].notna().sum()
    gr["tests_in_family"] = ccf["tests_in_family"].iloc[0]
    panel = pd.DataFrame(series).rename_axis("year").reset_index()
    skip = pd.DataFrame(skipped, columns=["x", "y", "n_years_overlap", "reason"])
    return {"relationships_ccf": ccf.round(6), "relationships_granger": gr.round(6), "relationships_skipped": skip, "annual_panel": panel}
