"""Breaks at unknown dates: a Bai-Perron style search for shifts in the mean.

The model for a series y_1..y_n (arrivals and trade on the log scale) is a mean that
is constant within each of m+1 segments:

    y_t = mu_j + e_t   for t in segment j

For every m up to ``max_breaks`` the partition that minimises the total sum of squared
residuals is found exactly by dynamic programming over segments at least ``min_size``
observations long (Bai and Perron 2003). The number of breaks is chosen three ways,
all reported:

- **BIC**, n log(SSR/n) + (2m + 1) log n (m+1 means and m dates); the breaks listed are BIC's;
- **LWZ** (Liu, Wu and Zidek 1997, as in Bai and Perron 2003): log(SSR/(n - p)) +
  (p/n) 0.299 (log n)^2.1, p = 2m + 1, which penalises extra breaks more;
- **sequential supF(l+1|l)** (Bai and Perron 1998): add a break while the largest
  reduction in SSR from splitting one of the l+1 segments, over sigma^2 of the l+1-break
  model, exceeds its 5% critical value. The critical values are simulated in the package
  for the series' own length, trimming and estimated segments (iid Gaussian errors,
  :data:`CRITICAL_DRAWS` draws, seeded), not read from an asymptotic table.

Each break's 95% confidence set inverts the likelihood-ratio statistic with the other
breaks held fixed (Hansen 2000's critical value 7.35 = -2 log(1 - sqrt(0.95))):
LR(t) = (SSR(t) - SSR(t_hat)) / (sigma_side^2 eta_side^2), where sigma_side^2 is the
residual variance of the regime the moved observations belong to (the segment before the
break for t < t_hat, after it for t > t_hat), so a change in variance at the break is
allowed for, and eta_side^2 >= 1 is that segment's long-run to short-run variance ratio
(Bartlett kernel), which widens the set when errors are autocorrelated. Observations need
not be equally spaced: a series with missing months is searched over the months
observed, and a break is dated at the first observation of the new regime.

Events in a band are listed with the chance that a band of the same width placed at
random in the sample span holds at least one event (with ~120 dated events, a random
date lies a median few weeks from one, so "an event is near" is weak evidence by itself).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import selectors
from . import spec
from .its import annual_counts
from .nb2 import ModelError

LR_CRITICAL_95 = 7.35  # -2 log(1 - sqrt(0.95)), Hansen (2000)
TRIM = 0.15
CRITICAL_DRAWS = 2000
LWZ_C0, LWZ_D0 = 0.299, 0.1


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


def lwz(ssr: float, n: int, m: int) -> float:
    p = 2 * m + 1
    return float(np.log(ssr / (n - p)) + p / n * LWZ_C0 * np.log(n) ** (2 + LWZ_D0))


def long_run_ratio(e: np.ndarray) -> float:
    """Long-run over short-run variance of residuals ``e`` (Bartlett kernel, Newey-West bandwidth), at least 1."""
    e = np.asarray(e, float) - np.mean(e)
    n = len(e)
    if n < 3:
        return 1.0
    gamma0 = float(e @ e) / n
    if gamma0 <= 0:
        return 1.0
    lags = max(1, int(np.floor(4 * (n / 100) ** (2 / 9))))
    lrv = gamma0 + 2 * sum((1 - j / (lags + 1)) * float(e[j:] @ e[:-j]) / n for j in range(1, min(lags, n - 1) + 1))
    return max(1.0, lrv / gamma0)


def side_variances(y: np.ndarray, edges: list[int], k: int) -> tuple[float, float]:
    """sigma^2 eta^2 of the segments before and after break ``k``: each regime's own variance and autocorrelation."""
    out = []
    for a, b in ((edges[k], edges[k + 1]), (edges[k + 1], edges[k + 2])):
        e = y[a:b] - y[a:b].mean()
        out.append(max(float(e @ e) / len(e), 1e-12) * long_run_ratio(e))
    return out[0], out[1]


def confidence_set(y: np.ndarray, bounds: list[int], k: int, min_size: int, cost: np.ndarray) -> tuple[int, int]:
    """Lowest and highest index in the 95% LR confidence set of break ``k`` (others fixed)."""
    n = len(y)
    edges = [0] + list(bounds) + [n]
    lo, hi = edges[k] + min_size, edges[k + 2] - min_size
    t_hat = edges[k + 1]
    ssr_hat = cost[edges[k], t_hat] + cost[t_hat, edges[k + 2]]
    before, after = side_variances(y, edges, k)
    inside = [t for t in range(lo, hi + 1)
              if (cost[edges[k], t] + cost[t, edges[k + 2]] - ssr_hat) / (before if t < t_hat else after) <= LR_CRITICAL_95]
    return min(inside), max(inside)


def split_gain(y: np.ndarray, a: int, b: int, min_size: int) -> float:
    """The largest reduction in SSR from one more break inside y[a:b] (0 if the segment is too short)."""
    return float(split_gains(y[None, a:b], min_size)[0])


def split_gains(Y: np.ndarray, min_size: int) -> np.ndarray:
    """Row-wise largest SSR reduction from splitting each row of ``Y`` once (segments at least ``min_size``)."""
    R, L = Y.shape
    if L < 2 * min_size:
        return np.zeros(R)
    c = np.cumsum(Y, axis=1)
    total = c[:, -1:]
    t = np.arange(min_size, L - min_size + 1)
    left = c[:, t - 1]
    gain = left ** 2 / t + (total - left) ** 2 / (L - t) - total ** 2 / L
    return gain.max(axis=1)


def sup_f_next(y: np.ndarray, bounds: list[int], min_size: int) -> float:
    """Bai-Perron supF(l+1|l) given the l-break partition ``bounds``."""
    n = len(y)
    edges = [0] + list(bounds) + [n]
    ssr = sum(float(((y[a:b] - y[a:b].mean()) ** 2).sum()) for a, b in zip(edges[:-1], edges[1:]))
    gains = [split_gain(y, a, b, min_size) for a, b in zip(edges[:-1], edges[1:])]
    best = max(gains)
    l1 = len(bounds) + 1
    dof = n - (2 * l1 + 1)
    if best <= 0 or dof <= 0:
        return 0.0
    return float(best / ((ssr - best) / dof))


def sup_f_critical(n: int, bounds: list[int], min_size: int, draws: int = CRITICAL_DRAWS, seed: int = spec.SEEDS["breaks_critical"],
                   level: float = 0.95) -> float:
    """Simulated ``level`` quantile of supF(l+1|l) under iid Gaussian errors with breaks at ``bounds``."""
    rng = np.random.default_rng([seed, n, min_size, *bounds])
    E = rng.standard_normal((draws, n))
    edges = [0] + list(bounds) + [n]
    ssr = np.zeros(draws)
    best = np.zeros(draws)
    for a, b in zip(edges[:-1], edges[1:]):
        seg = E[:, a:b]
        ssr += ((seg - seg.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
        best = np.maximum(best, split_gains(seg, min_size))
    dof = n - (2 * (len(bounds) + 1) + 1)
    stat = best / ((ssr - best) / dof)
    return float(np.quantile(stat, level))


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
            f = {"m": m, "bounds": bounds, "ssr": ssr, "bic": bic(max(ssr, 1e-12), n, m), "lwz": lwz(max(ssr, 1e-12), n, m)}
            f["sup_f_next"] = sup_f_next(y, bounds, min_size)
            f["sup_f_critical"] = sup_f_critical(n, bounds, min_size) if f["sup_f_next"] > 0 else np.nan
            fits.append(f)
    chosen = min(fits, key=lambda f: (round(f["bic"], 9), f["m"]))
    by_lwz = min(fits, key=lambda f: (round(f["lwz"], 9), f["m"]))["m"]
    sequential = 0
    while sequential < len(fits) - 1 and fits[sequential]["sup_f_next"] > fits[sequential]["sup_f_critical"]:
        sequential += 1
    sets = [confidence_set(y, chosen["bounds"], k, min_size, cost) for k in range(chosen["m"])]
    return {"fits": fits, "chosen": chosen, "sets": sets, "lwz_m": by_lwz, "sequential_m": sequential}


def segments_means(y: np.ndarray, bounds: list[int]) -> list[float]:
    edges = [0] + list(bounds) + [len(y)]
    return [float(np.mean(y[a:b])) for a, b in zip(edges[:-1], edges[1:])]


def chance_of_event(event_dates: pd.Series, width_days: int, span_start: pd.Timestamp, span_end: pd.Timestamp) -> float:
    """Share of windows of ``width_days`` placed at every day of the span that contain at least one event."""
    starts = pd.date_range(span_start, span_end - pd.Timedelta(days=width_days), freq="D")
    if len(starts) == 0:
        return 1.0
    ev = np.sort(event_dates.to_numpy(dtype="datetime64[D]"))
    s = starts.to_numpy(dtype="datetime64[D]")
    first = np.searchsorted(ev, s, side="left")
    last = np.searchsorted(ev, s + np.timedelta64(width_days, "D"), side="right")
    return float(np.mean(last > first))


def nearest_events(events: pd.DataFrame, date: pd.Timestamp, low: pd.Timestamp, high: pd.Timestamp,
                   span: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> dict:
    """The event nearest the break date, every event dated inside the confidence band [low, high],
    and the chance that a band of the same width placed at random in ``span`` holds an event."""
    ev = events.assign(_date=pd.to_datetime(events["date"]))
    gap = (ev["_date"] - date).abs()
    near = ev.loc[gap.idxmin()]
    within = ev.loc[(ev["_date"] >= low) & (ev["_date"] <= high)].sort_values(["_date", "event_id"])
    span = span or (ev["_date"].min(), ev["_date"].max())
    width = int((high - low).days)
    return {"nearest_event_id": near["event_id"], "nearest_event_date": near["_date"].strftime("%Y-%m-%d"),
            "days_from_event_to_break": int((date - near["_date"]).days),
            "events_in_band": ";".join(within["event_id"]), "n_events_in_band": len(within),
            "chance_random_band_has_event": round(chance_of_event(ev["_date"], width, span[0], span[1]), 4)}


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
    span = (idx[0].start_time, idx[-1].end_time.normalize())
    for k, (t, (lo, hi)) in enumerate(zip(out["chosen"]["bounds"], out["sets"])):
        start = idx[t].start_time
        rows.append({
            "series": name, "unit": unit, "n": n, "first_period": str(idx[0]), "last_period": str(idx[-1]),
            "breaks_selected": out["chosen"]["m"], "breaks_lwz": out["lwz_m"], "breaks_sequential": out["sequential_m"],
            "break": k + 1, "break_period": str(idx[t]),
            "last_period_before": str(idx[t - 1]), "band_low": str(idx[lo - 1] + 1), "band_high": str(idx[hi]),
            "ratio_after_to_before": float(np.exp(means[k + 1] - means[k])),
            # the band runs to the END of its last period: a break in year 2020 can begin on any day of 2020
            **nearest_events(events, start, (idx[lo - 1] + 1).start_time, idx[hi].end_time.normalize(), span),
        })
    caveat = (f"N = {n} observations ({idx[0]}-{idx[-1]}); minimum segment {min_size}; up to {max_breaks} breaks; "
              f"mean shifts on the log scale; BIC selects {out['chosen']['m']}, LWZ {out['lwz_m']}, the sequential supF test "
              f"{out['sequential_m']}; bands allow a different variance and autocorrelation in each regime.")
    breaks = pd.DataFrame(rows)
    if not breaks.empty:
        breaks["caveat"] = caveat
    bics = pd.DataFrame([{"series": name, "breaks": f["m"], "ssr": f["ssr"], "bic": f["bic"], "lwz": f["lwz"],
                          "sup_f_next": f["sup_f_next"], "sup_f_critical_05": f["sup_f_critical"],
                          "selected": f["m"] == out["chosen"]["m"], "selected_lwz": f["m"] == out["lwz_m"],
                          "selected_sequential": f["m"] == out["sequential_m"],
                          "break_periods": ";".join(str(idx[b]) for b in f["bounds"])} for f in out["fits"]])
    segs = pd.DataFrame({"series": name, "period": idx.astype(str), "period_start": idx.start_time.strftime("%Y-%m-%d"),
                         "observed": series.to_numpy(float),
                         "segment_mean": np.exp(np.repeat(means, np.diff([0] + out["chosen"]["bounds"] + [n])))})
    return {"breaks": breaks, "bic": bics, "segments": segs}


def monthly_china(monthly: pd.DataFrame, column: str) -> pd.Series:
    """China's customs' monthly figures for one column, months observed only (:func:`analysis.selectors.china_customs`)."""
    return selectors.china_customs(monthly, column, "M")


def run(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    events = tables["events"]
    parts = [run_series("defector_arrivals_annual", annual_counts(tables["defector_arrivals_annual"]), events, "persons per year")]
    for column, label in (("total_usd", "china_prk_trade_monthly_total"), ("exports_usd", "china_exports_to_prk_monthly"), ("imports_usd", "china_imports_from_prk_monthly")):
        s = monthly_china(tables["trade_monthly"], column)
        if len(s) >= 12:
            parts.append(run_series(label, s, events, "USD per month"))
    return {f"breaks_{key}": pd.concat([p[key] for p in parts], ignore_index=True).round(6) for key in ("breaks", "bic", "segments")}


