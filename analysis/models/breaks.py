"""Breaks at unknown dates: a Bai-Perron style search for shifts in the mean.

The model for a series y_1..y_n (arrivals and trade on the log scale) is a mean that
is constant within each of m+1 segments:

    y_t = mu_j + e_t   for t in segment j

For every m up to ``max_breaks`` the partition that minimises the total sum of squared
residuals is found exactly by dynamic programming over segments at least ``min_size``
observations long (Bai and Perron 2003); the number of breaks is the m with the lowest
BIC, n log(SSR/n) + (2m + 1) log n (m+1 means and m dates).

Each break's 95% confidence set inverts the likelihood-ratio statistic with the other
breaks held fixed: the dates t whose LR(t) = (SSR(t) - SSR(t_hat)) / sigma_hat^2 is at
most 7.35 (Hansen 2000, valid for a break that is small relative to the noise; with a
large break the set is conservative, and with serially correlated errors it is too
narrow). Observations need not be equally spaced: a series with missing months is
searched over the months observed, and a break is dated at the first observation of
the new regime.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .its import annual_counts
from .nb2 import ModelError

LR_CRITICAL_95 = 7.35  # -2 log(1 - sqrt(0.95)), Hansen (2000)
TRIM = 0.15


def _cost_matrix(y: np.ndarray, min_size: int) -> np.ndarray:
    """SSR of a constant mean on y[i:j] for every admissible segment (inf elsewhere)."""
    n = len(y)
    s1 = np.concatenate([[0.0], np.cumsum(y)])
    s2 = np.concatenate([[0.0], np.cumsum(y * y)])
    i, j = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    length = (j - i).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ssr = (s2[j] - s2[i]) - (s1[j] - s1[i]) ** 2 / length
    ssr = np.maximum(ssr, 0.0)
    ssr[length < min_size] = np.inf
    return ssr


def partition(y: np.ndarray, m: int, min_size: int, cost: np.ndarray | None = None) -> tuple[list[int], float]:
    """The m break indices (first index of each new segment) minimising the total SSR."""
    n = len(y)
    cost = _cost_matrix(y, min_size) if cost is None else cost
    if (m + 1) * min_size > n:
        return [], np.inf
    best = cost[0].copy()  # best[j]: SSR of y[:j] in k+1 segments
    back = []
    for _ in range(m):
        total = best[:, None] + cost  # split y[:j] at i: best[i] + cost[i, j]
        arg = np.argmin(total, axis=0)
        best = total[arg, np.arange(n + 1)]
        back.append(arg)
    bounds, j = [], n
    for arg in reversed(back):
        j = int(arg[j])
        bounds.append(j)
    return sorted(bounds), float(best[n])


def bic(ssr: float, n: int, m: int) -> float:
    return n * np.log(ssr / n) + (2 * m + 1) * np.log(n)


def confidence_set(y: np.ndarray, bounds: list[int], k: int, min_size: int, cost: np.ndarray) -> tuple[int, int]:
    """Lowest and highest index in the 95% LR confidence set of break ``k`` (others fixed)."""
    n = len(y)
    edges = [0] + bounds + [n]
    lo, hi = edges[k] + min_size, edges[k + 2] - min_size
    ssr_hat = sum(cost[a, b] for a, b in zip(edges[:-1], edges[1:]))
    sigma2 = ssr_hat / n
    rest = ssr_hat - cost[edges[k], edges[k + 1]] - cost[edges[k + 1], edges[k + 2]]
    inside = [t for t in range(lo, hi + 1) if (rest + cost[edges[k], t] + cost[t, edges[k + 2]] - ssr_hat) / sigma2 <= LR_CRITICAL_95]
    return min(inside), max(inside)


def search(y: np.ndarray, min_size: int, max_breaks: int) -> dict:
    """Every m's best partition and BIC; the selected m; confidence sets of the selected breaks."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    if n < 2 * min_size:
        raise ModelError(f"break search: {n} observations cannot hold two segments of at least {min_size}")
    cost = _cost_matrix(y, min_size)
    fits = []
    for m in range(max_breaks + 1):
        bounds, ssr = partition(y, m, min_size, cost)
        if np.isfinite(ssr):
            fits.append({"m": m, "bounds": bounds, "ssr": ssr, "bic": bic(max(ssr, 1e-12), n, m)})
    chosen = min(fits, key=lambda f: (round(f["bic"], 9), f["m"]))
    sets = [confidence_set(y, chosen["bounds"], k, min_size, cost) for k in range(chosen["m"])]
    return {"fits": fits, "chosen": chosen, "sets": sets}


def segments_means(y: np.ndarray, bounds: list[int]) -> list[float]:
    edges = [0] + list(bounds) + [len(y)]
    return [float(np.mean(y[a:b])) for a, b in zip(edges[:-1], edges[1:])]


def nearest_events(events: pd.DataFrame, date: pd.Timestamp, low: pd.Timestamp, high: pd.Timestamp) -> dict:
    """The event nearest the break date, and every event dated inside the confidence band."""
    ev = events.assign(_date=pd.to_datetime(events["date"]))
    gap = (ev["_date"] - date).abs()
    near = ev.loc[gap.idxmin()]
    within = ev.loc[(ev["_date"] >= low) & (ev["_date"] <= high)].sort_values(["_date", "event_id"])
    return {"nearest_event_id": near["event_id"], "nearest_event_date": near["_date"].strftime("%Y-%m-%d"),
            "days_from_event_to_break": int((date - near["_date"]).days),
            "events_in_band": ";".join(within["event_id"]), "n_events_in_band": len(within)}


def trimming(n: int, share: float = TRIM) -> int:
    """Minimum segment length: ``share`` of the sample (Bai-Perron's 15%), at least 3 observations."""
    return max(3, int(np.ceil(share * n)))


def run_series(name: str, series: pd.Series, events: pd.DataFrame, unit: str, max_breaks: int = 4) -> dict[str, pd.DataFrame]:
    """Search a positive series on the log scale; ``series`` is indexed by periods (gaps allowed).

    A break's band runs from the period after the last observation that is certainly in the
    old regime (``band_low``) to the last period at which the new regime can have begun.
    """
    series = series.dropna().sort_index()
    min_size = trimming(len(series))
    if (series <= 0).any():
        raise ModelError(f"break search on {name}: values must be positive for the log scale")
    y = np.log(series.to_numpy(float))
    out = search(y, min_size, max_breaks)
    idx = series.index
    n = len(y)
    means = segments_means(y, out["chosen"]["bounds"])
    rows = []
    for k, (t, (lo, hi)) in enumerate(zip(out["chosen"]["bounds"], out["sets"])):
        start = idx[t].start_time
        rows.append({
            "series": name, "unit": unit, "n": n, "first_period": str(idx[0]), "last_period": str(idx[-1]),
            "breaks_selected": out["chosen"]["m"], "break": k + 1, "break_period": str(idx[t]),
            "last_period_before": str(idx[t - 1]), "band_low": str(idx[lo - 1] + 1), "band_high": str(idx[hi]),
            "ratio_after_to_before": float(np.exp(means[k + 1] - means[k])),
            **nearest_events(events, start, (idx[lo - 1] + 1).start_time, idx[hi].start_time),
        })
    caveat = (f"N = {n} observations ({idx[0]}-{idx[-1]}); minimum segment {min_size}; up to {max_breaks} breaks; "
              "mean shifts on the log scale; bands assume independent errors and are too narrow if errors are autocorrelated.")
    breaks = pd.DataFrame(rows)
    if not breaks.empty:
        breaks["caveat"] = caveat
    bics = pd.DataFrame([{"series": name, "breaks": f["m"], "ssr": f["ssr"], "bic": f["bic"], "selected": f["m"] == out["chosen"]["m"],
                          "break_periods": ";".join(str(idx[b]) for b in f["bounds"])} for f in out["fits"]])
    segs = pd.DataFrame({"series": name, "period": idx.astype(str), "period_start": idx.start_time.strftime("%Y-%m-%d"),
                         "observed": series.to_numpy(float),
                         "segment_mean": np.exp(np.repeat(means, np.diff([0] + out["chosen"]["bounds"] + [n])))})
    return {"breaks": breaks, "bic": bics, "segments": segs}


def monthly_china(monthly: pd.DataFrame, column: str) -> pd.Series:
    """China's customs' monthly figures for one column (exports_usd, imports_usd, total_usd), months observed only."""
    m = monthly.loc[(monthly["agency"] == "GACC") & (monthly["reporter"] == "CHN") & (monthly["partner"] == "PRK") & monthly[column].notna()]
    idx = pd.PeriodIndex([pd.Period(year=int(y), month=int(mo), freq="M") for y, mo in zip(m["year"], m["month"])])
    return pd.Series(m[column].to_numpy(float), index=idx).sort_index()


def run(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    events = tables["events"]
    parts = [run_series("defector_arrivals_annual", annual_counts(tables["defector_arrivals_annual"]), events, "persons per year")]
    for column, label in (("total_usd", "china_prk_trade_monthly_total"), ("exports_usd", "china_exports_to_prk_monthly"), ("imports_usd", "china_imports_from_prk_monthly")):
        s = monthly_china(tables["trade_monthly"], column)
        if len(s) >= 12:
            parts.append(run_series(label, s, events, "USD per month"))
    return {f"breaks_{key}": pd.concat([p[key] for p in parts], ignore_index=True).round(6) for key in ("breaks", "bic", "segments")}


