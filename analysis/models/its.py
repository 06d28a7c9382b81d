"""Interrupted time series of defector arrivals: level and slope changes at events.

Segmented negative binomial regression (NB2, alpha estimated):

    log E[y_t] = b0 + b1 * t + sum_k ( g_k * step_k(t) + d_k * ramp_k(t) )

``step_k`` is the share of period t on or after event k's date and ``ramp_k`` the
number of periods since it (a slope change), both built from the events table by
event id (:mod:`.interventions`). exp(g_k) is the rate ratio of the level change at
the event; exp(d_k) the change in the per-period growth ratio after it.

The counterfactual "without change k" sets step_k and ramp_k to zero and keeps the
rest of the fit; its 95% band is the delta-method interval of the expected count.

Annual data (2002 on) carry all the changes in :data:`CHANGES`; the quarterly series
(preferred quarterly totals) carries only the changes that fall inside its window with
at least :data:`MIN_SIDE` periods on each side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.tools.tools import add_constant

from . import interventions, nb2, series, spec

#: The changes users ask about, by event id (dates come from the events table; ids from the specification file).
CHANGES: list[tuple[str, str]] = spec.ITS_CHANGES
MIN_SIDE = 4
FREQ_NAME = {"Y": "annual", "Q": "quarterly"}


def annual_counts(annual: pd.DataFrame, first_year: int = 2002) -> pd.Series:
    """Preferred annual totals from ``defector_arrivals_annual`` as a series on a period index."""
    return series.annual_arrivals(annual, first_year)


def quarterly_counts(arrivals: pd.DataFrame) -> pd.Series:
    """Preferred quarterly totals (all sexes) from ``defector_arrivals``: the longest unbroken run of quarters."""
    q = arrivals.loc[(arrivals["freq"] == "Q") & (arrivals["sex"] == "all") & arrivals["preferred"]]
    s = pd.Series(q["arrivals"].to_numpy(float), index=pd.PeriodIndex(pd.to_datetime(q["period_start"]), freq="Q")).sort_index()
    if s.empty:
        raise nb2.ModelError("defector_arrivals: no preferred quarterly totals")
    full = s.reindex(pd.period_range(s.index.min(), s.index.max(), freq="Q"))
    run_id = full.isna().cumsum()
    runs = full.dropna().groupby(run_id[full.notna()])
    best = max(runs, key=lambda kv: (len(kv[1]), kv[1].index.max()))[1]
    return best.rename("arrivals")


def usable_changes(index: pd.PeriodIndex, events: pd.DataFrame, changes=CHANGES, min_side: int = MIN_SIDE) -> list[tuple[str, str]]:
    """The changes whose date falls inside ``index`` with ``min_side`` whole periods before and after."""
    out = []
    for event_id, label in changes:
        date = interventions.event_date(events, event_id)
        before = int((index.end_time < date).sum())
        after = int((index.start_time > date).sum())
        if before >= min_side and after >= min_side:
            out.append((event_id, label))
    return out


def design(index: pd.PeriodIndex, events: pd.DataFrame, changes: list[tuple[str, str]], origin: pd.Period,
           levels_only: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Constant, trend, and a step and a ramp per change (only a step for ids in ``levels_only``)."""
    spec = [(kind, event_id) for event_id, _ in changes for kind in (("step",) if event_id in levels_only else ("step", "ramp"))]
    X = interventions.design(events, index, spec) if spec else pd.DataFrame(index=index)
    X.insert(0, "trend", np.asarray([(p - origin).n for p in index], dtype=float))
    return add_constant(X, has_constant="add")


def fit(counts: pd.Series, events: pd.DataFrame, changes: list[tuple[str, str]] | None = None) -> dict[str, pd.DataFrame]:
    """Fit the segmented NB2 model; return tidy ``terms`` and ``paths`` (fitted and counterfactuals)."""
    freq = counts.index.freqstr[0]
    name = FREQ_NAME.get(freq, freq)
    changes = usable_changes(counts.index, events) if changes is None else changes
    X = design(counts.index, events, changes, counts.index[0])
    res = nb2.fit(counts.to_numpy(), X, f"interrupted time series ({name})")
    ci = res.result.conf_int(alpha=0.05)
    n = len(counts)
    per = "year" if freq == "Y" else "quarter"
    caveat = (
        f"N = {n} {name} observations ({counts.index[0]}-{counts.index[-1]}) for {X.shape[1]} coefficients and alpha; "
        "level and slope changes at nearby dates share the same few points, so intervals are wide; "
        "an association in time with the dated events, not an identified causal effect."
    )
    labels = dict(changes)
    rows = []
    for term in X.columns:
        kind, _, event_id = term.partition(":")
        change = {"const": "intercept", "trend": "trend", "step": "level", "ramp": "slope"}[kind]
        label = {"const": f"expected arrivals in {counts.index[0]}", "trend": f"growth ratio per {per} before any change"}.get(
            kind, f"{labels.get(event_id, event_id)}: {'level change' if kind == 'step' else f'change in growth ratio per {per}'}")
        est = float(res.result.params[term])
        rows.append({"model": f"its_{name}", "term": term, "event_id": event_id or None, "change": change, "label": label,
                     "estimate": est, "rate_ratio": float(np.exp(est)), "ci_low": float(np.exp(ci.loc[term, 0])),
                     "ci_high": float(np.exp(ci.loc[term, 1])), "p_value": float(res.result.pvalues[term])})
    rows.append({"model": f"its_{name}", "term": "alpha", "event_id": None, "change": "dispersion",
                 "label": "NB2 dispersion alpha (variance = mu + alpha mu^2)", "estimate": res.alpha, "rate_ratio": np.nan,
                 "ci_low": float(ci.loc["alpha", 0]), "ci_high": float(ci.loc["alpha", 1]), "p_value": float(res.result.pvalues["alpha"])})
    terms = pd.DataFrame(rows)
    terms["n"] = n
    terms["first_period"] = str(counts.index[0])
    terms["last_period"] = str(counts.index[-1])
    terms["poisson_pearson_dispersion"] = res.poisson_dispersion
    terms["caveat"] = caveat

    paths = []
    scenarios = [("fitted", None)] + [(f"without {event_id}", event_id) for event_id, _ in changes]
    horizon = spec.COUNTERFACTUAL_HORIZON.get(freq, 3)
    for scenario, event_id in scenarios:
        X0 = X.copy()
        keep = np.ones(len(counts), bool)
        if event_id:
            X0[[f"step:{event_id}", f"ramp:{event_id}"]] = 0.0
            # a counterfactual path runs from the event's period for a stated horizon, no further
            start = int(np.argmax(counts.index.end_time >= interventions.event_date(events, event_id)))
            keep = (np.arange(len(counts)) >= start) & (np.arange(len(counts)) <= start + horizon)
        m = res.mean_interval(X0).loc[keep]
        paths.append(pd.DataFrame({
            "model": f"its_{name}", "period": counts.index[keep].astype(str), "period_start": counts.index[keep].start_time.strftime("%Y-%m-%d"),
            "scenario": scenario, "event_id": event_id, "observed": counts.to_numpy()[keep], "mean": m["mean"].to_numpy(),
            "low": m["low"].to_numpy(), "high": m["high"].to_numpy(),
        }))
    return {"terms": terms.round(6), "paths": pd.concat(paths, ignore_index=True).round(3)}


def run(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Annual and quarterly fits, stacked into the result tables ``its_terms`` and ``its_paths``."""
    events = tables["events"]
    fits = [fit(annual_counts(tables["defector_arrivals_annual"]), events, CHANGES),
            fit(quarterly_counts(tables["defector_arrivals"]), events)]
    return {"its_terms": pd.concat([f["terms"] for f in fits], ignore_index=True),
            "its_paths": pd.concat([f["paths"] for f in fits], ignore_index=True)}
