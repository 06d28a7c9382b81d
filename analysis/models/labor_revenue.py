"""The state's revenue from North Korean workers abroad: a transparent Monte Carlo model.

    revenue(host, year) = workers present x monthly wage x 12 x share taken by the state

Each input is drawn from a range computed from published figures (no number is typed):

- workers present: the lowest to the highest people-present figure (``stock_official``,
  ``stock_estimate``, ``remaining_2397``; values and stated bounds) published for the
  host and year;
- where a host-year has no people-present figure but has published border entries
  (``entries_total``: trips, not people), workers = entries x people per entry, and
  people per entry is a parameter with its own range: the lowest to the highest ratio
  of people present to entries in the host's years that have both (so the conversion is
  calibrated on the host's own published figures, and a host without such a year gets
  no conversion). Permits and visas are not converted;
- monthly wage: the lowest to the highest published monthly wage in US dollars for the
  host, for the region ``labor_revenue_assumptions`` names, and worldwide (other
  currencies are not converted, so they are left out);
- state share: likewise from the published ``state_share_pct`` figures.

Each range is drawn uniformly (``labor_revenue_assumptions.distribution``), independently,
``DRAWS`` times with a fixed seed per host and year. Results: median and 5-95% interval
per host-year and for the covered world total; a one-at-a-time sensitivity table; and
the model beside every published revenue estimate.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

DRAWS = 20_000
SEED = 20251127
PEOPLE = ["stock_official", "stock_estimate", "remaining_2397"]
INPUTS = ["workers", "entries", "people_per_entry", "monthly_wage_usd", "state_share"]
ENTRIES = "entries_total"


def _bounds(frame: pd.DataFrame) -> tuple[float, float, list[str]] | None:
    vals = pd.concat([frame["value"], frame["value_low"], frame["value_high"]]).dropna()
    if vals.empty:
        return None
    return float(vals.min()), float(vals.max()), sorted(frame["source_id"].unique())


def input_ranges(workers: pd.DataFrame, inputs: pd.DataFrame, assumptions: pd.DataFrame) -> pd.DataFrame:
    """One row per (host, year, input): low, high and the sources behind them."""
    w = workers.loc[workers["measure"].isin(PEOPLE) & workers["period_end"].notna()].copy()
    w["year"] = pd.to_datetime(w["period_end"]).dt.year
    start, end = pd.to_datetime(workers["period_start"]), pd.to_datetime(workers["period_end"])
    whole_year = (start.dt.month == 1) & (start.dt.day == 1) & (end.dt.month == 12) & (end.dt.day == 31) & (start.dt.year == end.dt.year)
    e = workers.loc[(workers["measure"] == ENTRIES) & whole_year].copy()
    e["year"] = pd.to_datetime(e["period_end"]).dt.year
    rows = []
    for a in assumptions.itertuples(index=False):
        excluded = set(str(a.exclude_source_ids).split(";")) if isinstance(a.exclude_source_ids, str) else set()
        pool = inputs.loc[inputs["host"].isin({a.host, a.inputs_from, "WLD"}) & ~inputs["source_id"].isin(excluded)]
        wage = _bounds(pool.loc[(pool["parameter"] == "monthly_wage_per_worker") & (pool["currency"] == "USD")])
        share = _bounds(pool.loc[pool["parameter"] == "state_share_pct"])
        if wage is None or share is None:
            continue
        people_by_year = {int(y): _bounds(g) for y, g in w.loc[w["host"] == a.workers_from].groupby("year")}
        entries_by_year = {int(y): _bounds(g) for y, g in e.loc[e["host"] == a.workers_from].groupby("year")}
        ratio = _ratio(people_by_year, entries_by_year)
        for year in sorted(set(people_by_year) | (set(entries_by_year) if ratio else set())):
            if people_by_year.get(year):
                head = [("workers", people_by_year[year], 1.0)]
            elif entries_by_year.get(year) and ratio:
                head = [("entries", entries_by_year[year], 1.0), ("people_per_entry", ratio, 1.0)]
            else:
                continue
            for name, (lo, hi, src), scale in (*head, ("monthly_wage_usd", wage, 1.0), ("state_share", share, 0.01)):
                rows.append({"host": a.host, "year": int(year), "input": name, "low": lo * scale, "high": hi * scale,
                             "distribution": a.distribution, "n_sources": len(src), "source_ids": ";".join(src)})
    return pd.DataFrame(rows).sort_values(["host", "year", "input"]).reset_index(drop=True)


def _ratio(people: dict, entries: dict) -> tuple[float, float, list[str]] | None:
    """People present per border entry: the range over the years that have both."""
    both = [y for y in people if people[y] and entries.get(y)]
    if not both:
        return None
    lows = [people[y][0] / entries[y][1] for y in both]
    highs = [people[y][1] / entries[y][0] for y in both]
    sources = sorted({s for y in both for s in people[y][2] + entries[y][2]})
    return min(lows), max(highs), sources


def _draws(ranges: pd.DataFrame, host: str, year: int, fixed: str | None = None) -> np.ndarray:
    rng = np.random.default_rng([SEED, zlib.crc32(f"{host}:{year}".encode())])
    out = np.ones(DRAWS)
    mine = ranges.loc[(ranges["host"] == host) & (ranges["year"] == year)]
    for name in INPUTS:  # a fixed order, so each input always takes the same stream position
        if name not in set(mine["input"]):
            continue
        r = mine.loc[mine["input"] == name].iloc[0]
        draw = rng.uniform(r["low"], r["high"], DRAWS)
        out *= np.full(DRAWS, (r["low"] + r["high"]) / 2) if fixed == name else draw
    return out * 12  # monthly wage -> annual


def simulate(ranges: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Revenue per host-year and the covered world total, with the sensitivity table."""
    per, sens, totals = [], [], {}
    for (host, year), _ in ranges.groupby(["host", "year"], sort=True):
        rev = _draws(ranges, host, year)
        totals.setdefault(year, []).append((host, rev))
        q5, q50, q95 = np.percentile(rev, [5, 50, 95])
        per.append({"host": host, "year": year, "median_usd": q50, "p05_usd": q5, "p95_usd": q95, "draws": DRAWS})
        width = q95 - q5
        present = set(ranges.loc[(ranges["host"] == host) & (ranges["year"] == year), "input"])
        for name in [i for i in INPUTS if i in present]:
            f5, f95 = np.percentile(_draws(ranges, host, year, fixed=name), [5, 95])
            sens.append({"host": host, "year": year, "input": name,
                         "interval_width_usd": width, "width_with_input_fixed_usd": f95 - f5,
                         "share_of_width_from_input": 1 - (f95 - f5) / width if width > 0 else 0.0})
    world = []
    for year, parts in sorted(totals.items()):
        total = np.sum([p[1] for p in parts], axis=0)
        q5, q50, q95 = np.percentile(total, [5, 50, 95])
        world.append({"year": year, "median_usd": q50, "p05_usd": q5, "p95_usd": q95,
                      "hosts_covered": ";".join(sorted(p[0] for p in parts)), "n_hosts": len(parts),
                      "caveat": "sum over the hosts with a published head count that year only; other hosts are not zero but unmeasured"})
    return {"host_year": pd.DataFrame(per), "world": pd.DataFrame(world), "sensitivity": pd.DataFrame(sens)}


def compare(world: pd.DataFrame, estimates: pd.DataFrame) -> pd.DataFrame:
    """Every published worldwide estimate beside the model's covered total for the same year."""
    e = estimates.loc[estimates["host"] == "WLD"].copy()
    e["year"] = pd.to_datetime(e["period_end"]).dt.year.astype("Int64")  # a year, not 2006.0, where some estimates have no date
    out = e.merge(world[["year", "median_usd", "p05_usd", "p95_usd", "hosts_covered"]], on="year", how="left")
    def reason(r) -> str:
        why = []
        if r["currency"] != "USD":
            why.append("estimate not in US dollars (not converted)")
        if pd.isna(r["median_usd"]):
            why.append("no host has a published head count for that year")
        else:
            why.append(f"the model covers only {r['hosts_covered'].replace(';', ', ')}")
        scope = str(r["scope"]).lower()
        if any(k in scope for k in ("gross", "earnings", "remittance", "income")) and "state" not in scope:
            why.append("the estimate measures earnings or remittances, not the state's share")
        return "; ".join(why)
    out["model_median_usd"] = out["median_usd"]
    out["reasons_they_differ"] = out.apply(reason, axis=1)
    return out[["year", "estimator", "scope", "value", "value_low", "value_high", "currency", "source_id",
                "model_median_usd", "p05_usd", "p95_usd", "reasons_they_differ"]].rename(
        columns={"p05_usd": "model_p05_usd", "p95_usd": "model_p95_usd"}).sort_values(["year", "estimator", "source_id"], na_position="first").reset_index(drop=True)


def run(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    ranges = input_ranges(tables["labor_workers"], tables["labor_model_inputs"], tables["labor_revenue_assumptions"])
    sim = simulate(ranges)
    return {"labor_revenue_inputs": ranges, "labor_revenue_host_year": sim["host_year"], "labor_revenue_world": sim["world"],
            "labor_revenue_sensitivity": sim["sensitivity"], "labor_revenue_comparison": compare(sim["world"], tables["labor_revenue_estimates"])}
