"""The trade-off: hard-currency earnings from workers abroad against the risk that they defect.

Reads published tables only (``labor_panel``, ``defections_abroad``, ``events`` and the
revenue model's inputs) and writes:

- ``tradeoff_rates``: defection incidents and people per 10,000 worker-years present, by
  host and period, with exact Poisson (Garwood) 95% intervals and N. Numerator and
  denominator cover the same years: an incident in a year without a national head count
  is counted (``incidents``) but left out of the rate (``incidents_in_rate``). A second
  interval (``*_wide``) also carries the head count's own range (panel low and high).
  People are clustered in groups, so their Poisson interval is too narrow: it is given,
  and labelled, as a lower bound on the uncertainty.
- ``tradeoff_revenue_per_worker``: the state's take per worker a year by host and period
  (pooled draws of the revenue model's wage and share).
- ``tradeoff_risk_return``: each host's revenue per worker against its defection rate
  over all years, both with intervals (the risk/return figure reads it).
- ``tradeoff_events``: deployment (the panel's central head count) in the years before
  and after high-profile defections and host enforcement dates, with what the
  comparison can and cannot identify.
- ``tradeoff_tests``: what would count against the trade-off hypothesis, and what the
  data show, each with its N.

Periods and event dates come from the events table by id (``PERIOD_STARTS``,
``EVENT_STUDY``); no date is typed here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError, Issue
from . import labor_revenue

from . import spec

#: First year of the incident catalogue (the scope of ``defections_abroad``), not an intervention date.
FIRST_YEAR = 2000
#: Each period after the first starts in the year of one of these events (ids in spec.py).
PERIOD_STARTS = spec.TRADEOFF_PERIOD_STARTS
PER = 10_000
LEVEL = 0.95
WINDOW = 2  # years compared on each side of an event
#: Events the event study looks at, and the role each plays (spec.py). Hosts are the event's countries
#: other than the two Koreas; the 2397 deadline concerns every host.
EVENT_STUDY = spec.TRADEOFF_EVENT_STUDY
#: Hosts whose enforcement the event study must cover; a host without a dated event gets a row saying so.
ENFORCEMENT_HOSTS = ("MLT", "KWT", "QAT", "ARE", "POL")
ENFORCEMENT = ("labor_policy", "border_control", "sanction_unilateral", "repatriation")
ALL_HOSTS = spec.REPATRIATION_DEADLINE
KOREAS = {"PRK", "KOR"}


# --------------------------------------------------------------------------- helpers
def garwood(k: int, level: float = LEVEL) -> tuple[float, float]:
    """Exact Poisson interval for a count ``k`` (Garwood 1936)."""
    a = 1 - level
    low = 0.0 if k == 0 else stats.chi2.ppf(a / 2, 2 * k) / 2
    high = stats.chi2.ppf(1 - a / 2, 2 * k + 2) / 2
    return float(low), float(high)


def event_date(events: pd.DataFrame, event_id: str) -> pd.Timestamp:
    row = events.loc[events["event_id"] == event_id]
    if row.empty:
        raise DataError([Issue("data/processed/events.csv", None, "event_id",
                               f"the trade-off periods start at event {event_id!r} (analysis/models/tradeoff.py, PERIOD_STARTS), which the events table lacks")])
    return pd.Timestamp(row["date"].iloc[0])


def periods(events: pd.DataFrame, last_year: int) -> list[tuple[str, int, int]]:
    """(label, first year, last year) from ``FIRST_YEAR`` to ``last_year``, split at the years of ``PERIOD_STARTS``."""
    starts = [FIRST_YEAR] + [event_date(events, e).year for e in PERIOD_STARTS]
    ends = [s - 1 for s in starts[1:]] + [last_year]
    return [(f"{s}-{e}", s, e) for s, e in zip(starts, ends) if e >= s]


def incidents(defections: pd.DataFrame) -> pd.DataFrame:
    """One row per incident: year, host, group and outcome of its earliest-dated report (then by
    source id), and people (the smallest count any source gives). Sources that disagree on
    them stay visible in ``defections_abroad``."""
    d = defections.copy()
    d["date"] = pd.to_datetime(d["date"])
    d = d.sort_values(["incident_id", "date", "source_id"], kind="stable")
    d["year"] = d["date"].dt.year
    return (d.groupby("incident_id", sort=True)
            .agg(year=("year", "first"), host=("host", "first"), group=("group", "first"),
                 outcome=("outcome", "first"), people=("people", "min"), n_sources=("source_id", "nunique"))
            .reset_index())


# --------------------------------------------------------------------------- rates
def _rate_row(host, label, inc, covered, panel_years) -> dict:
    w, wl, wh = (float(panel_years[c].sum()) for c in ("central", "low", "high"))
    k = int(len(covered))
    people = int(covered["people"].sum()) if k else 0
    row = {"host": host, "period": label, "incidents": int(len(inc)), "incidents_in_rate": k,
           "people_in_rate": people, "incidents_people_unknown": int(covered["people"].isna().sum()),
           "years_with_headcount": int(len(panel_years)), "worker_years": w, "worker_years_low": wl, "worker_years_high": wh}
    for what, n in (("incidents", k), ("people", people)):
        lo, hi = garwood(n)
        ok = w > 0
        row[f"{what}_per_10k"] = n / w * PER if ok else np.nan
        row[f"{what}_per_10k_low"] = lo / w * PER if ok else np.nan
        row[f"{what}_per_10k_high"] = hi / w * PER if ok else np.nan
        row[f"{what}_per_10k_low_wide"] = lo / wh * PER if wh > 0 else np.nan
        row[f"{what}_per_10k_high_wide"] = hi / wl * PER if wl > 0 else np.nan
    row["status"] = ("estimated" if w > 0 else "not estimable: no national head count in the period")
    if w > 0 and k == 0:
        row["status"] = "estimated: no incident recorded (upper bound only)"
    return row


def rates(panel: pd.DataFrame, defections: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    inc = incidents(defections)
    last = int(max(panel["year"].max() if not panel.empty else FIRST_YEAR, inc["year"].max() if not inc.empty else FIRST_YEAR))
    rows = []
    hosts = sorted(set(panel["host"]) | set(inc["host"]))
    for label, start, end in periods(events, last):
        p = panel.loc[panel["year"].between(start, end)]
        i = inc.loc[inc["year"].between(start, end)]
        for host in hosts:
            hp, hi = p.loc[p["host"] == host], i.loc[i["host"] == host]
            if hp.empty and hi.empty:
                continue
            rows.append(_rate_row(host, label, hi, hi.loc[hi["year"].isin(hp["year"])], hp))
        keyed = set(zip(p["host"], p["year"]))
        covered = i.loc[[(h, y) in keyed for h, y in zip(i["host"], i["year"])]]
        rows.append(_rate_row("ALL", label, i, covered, p))
    out = pd.DataFrame(rows)
    out["note"] = "rates per 10,000 worker-years of national head counts; people come in groups, so their Poisson interval understates the uncertainty"
    return out.sort_values(["period", "host"]).reset_index(drop=True)


# --------------------------------------------------------------------------- revenue per worker
def _per_worker_draws(draws: dict, host: str, years) -> np.ndarray:
    out = [d["monthly_wage_usd"] * 12 * d["state_share"] for d in (draws[(host, int(y))] for y in years)]
    return np.concatenate(out) if out else np.array([])


def revenue_per_worker(ranges: pd.DataFrame, events: pd.DataFrame, draws: dict | None = None) -> pd.DataFrame:
    """``draws``: the revenue model's headline draws (:func:`labor_revenue.draws_by_host_year` at rho = 0), if already drawn."""
    draws = labor_revenue.draws_by_host_year(ranges, 0.0) if draws is None else draws
    rows = []
    last = int(ranges["year"].max()) if not ranges.empty else FIRST_YEAR
    for host, g in ranges.groupby("host", sort=True):
        for label, start, end in periods(events, last) + [("all years", FIRST_YEAR, last)]:
            years = sorted(y for y in g["year"].unique() if start <= y <= end)
            pooled = _per_worker_draws(draws, str(host), years)
            if pooled.size == 0:
                continue
            q = np.percentile(pooled, [5, 50, 95])
            rows.append({"host": host, "period": label, "n_years": len(years), "median_usd": q[1], "p05_usd": q[0], "p95_usd": q[2],
                         "draws": int(pooled.size)})
    return pd.DataFrame(rows)


def risk_return(rate_table: pd.DataFrame, per_worker: pd.DataFrame, panel: pd.DataFrame, defections: pd.DataFrame) -> pd.DataFrame:
    """Each host over all years: revenue per worker (median, 90% interval) against incidents per 10,000 worker-years (Garwood 95%)."""
    inc = incidents(defections)
    rows = []
    for host, hp in panel.groupby("host", sort=True):
        pw = per_worker.loc[(per_worker["host"] == host) & (per_worker["period"] == "all years")]
        hi = inc.loc[inc["host"] == host]
        r = _rate_row(host, "all years", hi, hi.loc[hi["year"].isin(hp["year"])], hp)
        rows.append({"host": host, "worker_years": r["worker_years"], "incidents_in_rate": r["incidents_in_rate"],
                     "incidents_per_10k": r["incidents_per_10k"], "incidents_per_10k_low": r["incidents_per_10k_low"],
                     "incidents_per_10k_high": r["incidents_per_10k_high"],
                     "per_worker_median_usd": pw["median_usd"].iloc[0] if not pw.empty else np.nan,
                     "per_worker_p05_usd": pw["p05_usd"].iloc[0] if not pw.empty else np.nan,
                     "per_worker_p95_usd": pw["p95_usd"].iloc[0] if not pw.empty else np.nan,
                     "years_with_headcount": r["years_with_headcount"]})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- event study
def _side(panel_host: pd.DataFrame, years: range) -> pd.DataFrame:
    return panel_host.loc[panel_host["year"].isin(list(years))]


def _event_row(ev, role: str, host: str, panel: pd.DataFrame, inc: pd.DataFrame) -> dict:
    t = pd.Timestamp(ev["date"]).year
    hp = panel.loc[panel["host"] == host]
    before, after = _side(hp, range(t - WINDOW, t)), _side(hp, range(t + 1, t + WINDOW + 1))
    hi = inc.loc[inc["host"] == host]
    row = {"event_id": ev["event_id"], "role": role, "event_year": t, "host": host,
           "years_before": len(before), "years_after": len(after),
           "headcount_before": before["central"].mean() if len(before) else np.nan,
           "headcount_after": after["central"].mean() if len(after) else np.nan,
           "incidents_before": int(hi["year"].between(t - WINDOW, t - 1).sum()),
           "incidents_after": int(hi["year"].between(t + 1, t + WINDOW).sum())}
    zero = len(before) and len(after) and min(before["low"].mean(), after["low"].mean(), row["headcount_before"], row["headcount_after"]) <= 0
    if zero:  # a head count of zero on either side has no log change; the counts beside it say what happened
        row.update(log_change=np.nan, log_change_low=np.nan, log_change_high=np.nan,
                   status=(f"not estimable on the log scale: a head count of zero (mean {row['headcount_before']:,.0f} before, "
                           f"{row['headcount_after']:,.0f} after)"),
                   identifies="the head counts beside it only; a change to or from zero has no ratio")
    elif len(before) and len(after):
        row["log_change"] = float(np.log(row["headcount_after"] / row["headcount_before"]))
        row["log_change_low"] = float(np.log(after["low"].mean() / before["high"].mean()))
        row["log_change_high"] = float(np.log(after["high"].mean() / before["low"].mean()))
        row["status"] = "estimated"
        row["identifies"] = (f"the change in {host}'s reported head count between the {len(before)} year(s) before and the {len(after)} after; "
                             "it cannot separate the event from the 2016-2017 UN sanctions or the deadline that overlap it, from changes in who reports, "
                             "or from a trend: there is no comparison host and no more than two points a side")
    else:
        row.update(log_change=np.nan, log_change_low=np.nan, log_change_high=np.nan,
                   status="not estimable: no national head count " + ("before" if not len(before) else "after") + " the event",
                   identifies="nothing about deployment; the incident counts beside it are descriptive")
    return row


def event_study(panel: pd.DataFrame, defections: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    inc = incidents(defections)
    rows = []
    chosen = dict(EVENT_STUDY)
    for ev in events.itertuples(index=False):  # every enforcement event of the required hosts, found by category
        if ev.category in ENFORCEMENT and set(ev.countries.split(";")) & set(ENFORCEMENT_HOSTS):
            chosen.setdefault(ev.event_id, "host enforcement")
    covered_hosts = set()
    for event_id, role in sorted(chosen.items()):
        match = events.loc[events["event_id"] == event_id]
        if match.empty:
            rows.append({"event_id": event_id, "role": role, "host": "", "status": "not estimable: event not in the events table",
                         "identifies": "nothing"})
            continue
        ev = match.iloc[0]
        hosts = sorted(panel["host"].unique()) if event_id == ALL_HOSTS else sorted(set(ev["countries"].split(";")) - KOREAS)
        for host in hosts:
            rows.append(_event_row(ev, role, host, panel, inc))
            if role == "host enforcement":
                covered_hosts.add(host)
    for host in ENFORCEMENT_HOSTS:
        if host not in covered_hosts:
            rows.append({"event_id": "", "role": "host enforcement", "host": host,
                         "status": "not estimable: no dated enforcement event for this host in the events table",
                         "identifies": "nothing until the event is dated from a source"})
    out = pd.DataFrame(rows)
    est = out.loc[(out["event_id"] == ALL_HOSTS) & (out["status"] == "estimated")]
    if len(est):
        rows.append({"event_id": ALL_HOSTS, "role": "UN deadline (all hosts)", "host": "ALL", "event_year": int(est["event_year"].iloc[0]),
                     "years_before": int(est["years_before"].sum()), "years_after": int(est["years_after"].sum()),
                     "log_change": float(est["log_change"].mean()), "log_change_low": float(est["log_change_low"].mean()),
                     "log_change_high": float(est["log_change_high"].mean()), "status": f"estimated: mean over {len(est)} host(s)",
                     "identifies": "the average before/after change across the hosts with head counts on both sides; all hosts share the date, so there is no untreated comparison"})
        out = pd.DataFrame(rows)
    return out.sort_values(["event_id", "host"]).reset_index(drop=True)


# --------------------------------------------------------------------------- tests of the hypothesis
#: The fewest host-events a before/after comparison needs before it is read as evidence either way.
MIN_EVENTS = 3


def verdict(test: str, statistic: float, p_value: float, ci_low: float, ci_high: float, n: int) -> str:
    """What one test says about the trade-off: ``supports`` (the data show what the trade-off predicts),
    ``against`` (they show the opposite, at the 5% level), ``inconclusive`` or ``not_estimable``.

    The trade-off predicts that hosts paying more per worker carry a higher defection rate (a positive
    rank correlation), that the rate rose when sanctions cut revenue per worker (a rate ratio above 1),
    and that the regime recalled or cut workers after a defection (a fall in head count)."""
    if not np.isfinite(statistic):
        return "not_estimable"
    if test == "hosts_risk_return":
        if not np.isfinite(p_value) or p_value >= 1 - LEVEL:
            return "inconclusive"
        return "supports" if statistic > 0 else "against"
    if test == "defection_rate_after_sanctions":
        if np.isfinite(ci_low) and ci_low > 1:
            return "supports"
        if np.isfinite(ci_high) and ci_high < 1:
            return "against"
        return "inconclusive"
    if test == "deployment_after_defections":
        if n < MIN_EVENTS or not (np.isfinite(ci_low) and np.isfinite(ci_high)):
            return "inconclusive"
        if ci_high < 0:
            return "supports"
        return "against" if ci_low > 0 else "inconclusive"
    raise ValueError(f"no verdict rule for test {test!r}")


def hypothesis_tests(rate_table: pd.DataFrame, rr: pd.DataFrame, ev: pd.DataFrame) -> pd.DataFrame:
    rows = []
    both = rr.dropna(subset=["per_worker_median_usd", "incidents_per_10k"])
    n = len(both)
    if n >= 4 and both["per_worker_median_usd"].nunique() > 1 and both["incidents_per_10k"].nunique() > 1:
        rho, p = stats.spearmanr(both["per_worker_median_usd"], both["incidents_per_10k"])
        shown = f"Spearman rank correlation {rho:.2f} (p = {p:.2f}) across {n} hosts"
    else:
        rho, p, shown = np.nan, np.nan, (f"not estimable: {n} host(s) have both a revenue per worker and a defection rate, "
                              f"and {int((both['incidents_per_10k'] > 0).sum())} of them a recorded incident in a year with a head count")
    rows.append({"test": "hosts_risk_return", "against_hypothesis_if": "hosts that pay the state more per worker show no higher tolerated defection risk, and deployment does not follow revenue",
                 "statistic": rho, "p_value": p, "ci_low": np.nan, "ci_high": np.nan, "n": n, "result": shown})
    all_rates = rate_table.loc[(rate_table["host"] == "ALL") & (rate_table["worker_years"] > 0)].sort_values("period")
    if len(all_rates) >= 2:
        a, b = all_rates.iloc[0], all_rates.iloc[1]
        k1, k2 = int(a["incidents_in_rate"]), int(b["incidents_in_rate"])
        if k1 + k2 > 0:
            # exact conditional test: k2 | k1+k2 ~ Binomial(k1+k2, w2/(w1+w2))
            frac = b["worker_years"] / (a["worker_years"] + b["worker_years"])
            ci = stats.binomtest(k2, k1 + k2, frac).proportion_ci(confidence_level=LEVEL, method="exact")
            to_ratio = lambda q: (q / (1 - q)) * (a["worker_years"] / b["worker_years"]) if q < 1 else np.inf
            rr_ = (k2 / b["worker_years"]) / (k1 / a["worker_years"]) if k1 else np.inf
            lo, hi = to_ratio(ci.low), to_ratio(ci.high)
            shown = f"rate ratio {b['period']} vs {a['period']}: {rr_:.2f} (95% {lo:.2f}-{hi:.2f}); {k1} and {k2} incidents"
            stat, p = rr_, stats.binomtest(k2, k1 + k2, frac).pvalue
        else:
            shown, stat, p, lo, hi = "not estimable: no incident in either period's covered years", np.nan, np.nan, np.nan, np.nan
        rows.append({"test": "defection_rate_after_sanctions", "against_hypothesis_if": "the defection rate per worker did not rise as sanctions cut revenue per worker (no risk to trade off)",
                     "statistic": stat, "p_value": p, "ci_low": lo, "ci_high": hi, "n": k1 + k2, "result": shown})
    defect = ev.loc[(ev["role"] == "high-profile defection") & (ev["status"] == "estimated")]
    rows.append({"test": "deployment_after_defections", "against_hypothesis_if": "the regime kept sending workers to a host after a high-profile defection there (no recall, no cut)",
                 "statistic": float(defect["log_change"].mean()) if len(defect) else np.nan, "p_value": np.nan,
                 "ci_low": float(defect["log_change_low"].mean()) if len(defect) else np.nan,
                 "ci_high": float(defect["log_change_high"].mean()) if len(defect) else np.nan, "n": len(defect),
                 "result": (f"mean log change in head count {defect['log_change'].mean():.2f}; host-events: {len(defect)}" if len(defect)
                            else "not estimable: no host with a national head count on both sides of a high-profile defection")})
    out = pd.DataFrame(rows)
    out["verdict"] = [verdict(r.test, r.statistic, r.p_value, r.ci_low, r.ci_high, r.n) for r in out.itertuples(index=False)]
    return out


def run(tables: dict[str, pd.DataFrame], ranges: pd.DataFrame | None = None, draws: dict | None = None) -> dict[str, pd.DataFrame]:
    """Every trade-off result table. ``ranges`` and ``draws`` (the revenue model's inputs and headline
    draws) may be passed in when the revenue model has already computed them."""
    panel, defections, events = tables["labor_panel"], tables["defections_abroad"], tables["events"]
    ranges = labor_revenue.input_table(tables) if ranges is None else ranges
    rate_table = rates(panel, defections, events)
    per_worker = revenue_per_worker(ranges, events, draws)
    rr = risk_return(rate_table, per_worker, panel, defections)
    ev = event_study(panel, defections, events)
    return {"tradeoff_rates": rate_table, "tradeoff_revenue_per_worker": per_worker, "tradeoff_risk_return": rr,
            "tradeoff_events": ev, "tradeoff_tests": hypothesis_tests(rate_table, rr, ev)}
