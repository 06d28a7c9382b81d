"""The state's revenue from North Korean workers abroad: a Monte Carlo model with stated inputs.

    revenue(host, year) = workers present x monthly wage x 12 x share taken by the state

Every input is a distribution over published figures, chosen per host and input in
``labor_revenue_assumptions`` (distribution, the figure that carries the weight, whose
figures apply, the year rule), each with its reason. No number is typed here.

- **workers**: the host-year's row of ``labor_panel`` (national figures only, official
  stock first): its central figure carries the weight, its low and high are the ends.
  A regional, single-firm or multi-host figure never enters ``labor_panel``, so it can
  never set a national bound.
- **entries x people_per_entry** (a host-year without a head count, where the
  assumptions give both): whole-year national ``entries_for_work`` times people present
  per entry. The ratio is calibrated on the host's own years with both figures; its
  range is divided and multiplied by ``widen`` and drawn flat, because a few calibration
  years cannot tell how often a worker crosses the border.
- **monthly_wage_usd** and **state_share**: published figures in US dollars / percent of
  ``national``, ``world`` or ``multi_country`` scope for the host, the assumptions'
  ``inputs_from`` pool and the world (regional and single-firm figures are left out, as
  are the sources the assumptions exclude). Year rule: figures whose period covers the
  year; failing those, the dated figures nearest in time within ``year_window`` years;
  failing those, undated figures; failing those, the host-year is not estimable.

Draws: each input has its own random stream per host and year (so inputs are never one
shared uniform). Wage and state share also carry a shock common to all hosts in a year:
``rho`` is the correlation of their normal scores across hosts (a Gaussian copula);
rho = 0 draws hosts independently, rho = 1 puts every host at the same quantile. Both are
reported. The model of earlier releases (uniform between the lowest and highest figure
of any year and any scope, independent) is kept as a sensitivity row, ``uniform_pooled``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import special, stats

DRAWS = 20_000
SEED = 20251127
INPUTS = ["workers", "entries", "people_per_entry", "monthly_wage_usd", "state_share"]
SHARED = ("monthly_wage_usd", "state_share")
CORRELATIONS = (0.0, 1.0)
INPUT_SCOPES = ("national", "world", "multi_country")
PEOPLE = ["stock_official", "remaining_2397", "stock_estimate"]
ENTRIES = "entries_for_work"
WAGE, SHARE = "monthly_wage_per_worker", "state_share_pct"
HEADLINE = "weighted_rho0"
LEGACY = "uniform_pooled"
#: z-score of the 95th percentile: a log-normal puts the farther published extreme there.
Z95 = stats.norm.ppf(0.95)
#: Probabilities at which the PERT quantile function is evaluated exactly; draws interpolate between them.
GRID = np.linspace(0.0, 1.0, 8193)


# ----------------------------------------------------------------------------- figures
def _year(col: pd.Series) -> pd.Series:
    return pd.to_datetime(col).dt.year


def points(frame: pd.DataFrame) -> pd.Series:
    """A figure's point value: the value, else the midpoint of a range, else the one bound."""
    mid = (frame["value_low"] + frame["value_high"]) / 2
    return frame["value"].fillna(mid).fillna(frame["value_low"]).fillna(frame["value_high"])


def summarise(frame: pd.DataFrame, centre: str) -> tuple[float, float, float]:
    """(low, centre, high) of published figures: the extremes of values and bounds, and the centre by its rule."""
    pts = points(frame).astype(float)
    every = pd.concat([frame["value"], frame["value_low"], frame["value_high"]]).dropna().astype(float)
    low, high = float(every.min()), float(every.max())
    if centre == "most_cited":
        counts = pts.round(6).value_counts()
        top = counts[counts == counts.max()].index
        mid = float(np.median(top))
    else:
        mid = float(pts.median())
    return low, min(max(mid, low), high), high


def match_year(frame: pd.DataFrame, year: int, window: int) -> tuple[pd.DataFrame, str]:
    """The stated year rule: covering figures, else the nearest dated within ``window``, else undated."""
    if frame.empty:
        return frame, "none"
    start, end = _year(frame["period_start"]), _year(frame["period_end"])
    start, end = start.fillna(end), end.fillna(start)
    dated = start.notna()
    covers = dated & (start <= year) & (end >= year)
    if covers.any():
        return frame.loc[covers], "covers_year"
    distance = np.minimum((start - year).abs(), (end - year).abs()).where(dated)
    near = dated & (distance <= window)
    if near.any():
        best = distance[near].min()
        return frame.loc[near & (distance == best)], f"nearest_dated_{int(best)}y"
    if (~dated).any():
        return frame.loc[~dated], "undated"
    return frame.iloc[0:0], "none"


def _excluded(a) -> set[str]:
    return set(str(a.exclude_source_ids).split(";")) if isinstance(a.exclude_source_ids, str) and a.exclude_source_ids else set()


def _row(host, year, name, a, low, centre, high, rule, sources, scale=1.0) -> dict:
    return {"host": host, "year": int(year), "input": name, "distribution": a.distribution, "centre_rule": a.centre,
            "low": low * scale, "centre": centre * scale, "high": high * scale, "year_rule": rule,
            "n_sources": len(sources), "source_ids": ";".join(sorted(sources))}


def people_per_entry(panel: pd.DataFrame, entries: pd.DataFrame, widen: float) -> tuple[float, float, float, list[str], int] | None:
    """Ratio of people present to entries for work over the years with both; range widened by ``widen``.

    Returns (low, centre, high, sources, calibration years) or None without a calibration year.
    """
    both = sorted(set(panel.index) & set(entries.index))
    if not both:
        return None
    lows = [panel.loc[y, "low"] / entries.loc[y, "high"] for y in both]
    highs = [panel.loc[y, "high"] / entries.loc[y, "low"] for y in both]
    mids = [panel.loc[y, "central"] / entries.loc[y, "centre"] for y in both]
    sources = sorted({s for y in both for s in str(panel.loc[y, "source_ids"]).split(";") + entries.loc[y, "sources"]})
    lo, hi = min(lows) / widen, max(highs) * widen
    return lo, float(np.median(mids)), hi, sources, len(both)


def _entries_by_year(workers: pd.DataFrame, host: str, a) -> pd.DataFrame:
    e = workers.loc[(workers["host"] == host) & (workers["measure"] == ENTRIES) & (workers["scope"] == "national")
                    & ~workers["source_id"].isin(_excluded(a))].copy()
    if e.empty:
        return pd.DataFrame(columns=["low", "centre", "high", "sources"])
    s, t = pd.to_datetime(e["period_start"]), pd.to_datetime(e["period_end"])
    e = e.loc[(s.dt.month == 1) & (s.dt.day == 1) & (t.dt.month == 12) & (t.dt.day == 31) & (s.dt.year == t.dt.year)]
    rows = {}
    for y, g in e.groupby(_year(e["period_end"])):
        lo, c, hi = summarise(g, a.centre)
        rows[int(y)] = {"low": lo, "centre": c, "high": hi, "sources": sorted(g["source_id"].unique())}
    return pd.DataFrame.from_dict(rows, orient="index")


def input_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per (host, year, input): distribution, low, centre, high, year rule and sources."""
    panel, workers, inputs = tables["labor_panel"], tables["labor_workers"], tables["labor_model_inputs"]
    assumptions = tables["labor_revenue_assumptions"]
    rows = []
    for host, spec in assumptions.groupby("host", sort=True):
        spec = spec.set_index("input")
        if "workers" not in spec.index:
            continue
        mine = panel.loc[panel["host"] == host].set_index("year")
        years = {int(y): ("workers", None) for y in mine.index}
        conversion = None
        if {"entries", "people_per_entry"} <= set(spec.index):
            entries = _entries_by_year(workers, host, spec.loc["entries"])
            conversion = people_per_entry(mine, entries, float(spec.loc["people_per_entry", "widen"]))
            if conversion is not None:
                for y in entries.index:
                    years.setdefault(int(y), ("entries", entries.loc[y]))
        for year, (kind, entry) in sorted(years.items()):
            head = []
            if kind == "workers":
                p = mine.loc[year]
                head.append(_row(host, year, "workers", spec.loc["workers"], p["low"], p["central"], p["high"], f"panel:{p['basis']}", str(p["source_ids"]).split(";")))
            else:
                lo, c, hi, src, n = conversion
                head.append(_row(host, year, "entries", spec.loc["entries"], entry["low"], entry["centre"], entry["high"], "covers_year", entry["sources"]))
                head.append(_row(host, year, "people_per_entry", spec.loc["people_per_entry"], lo, c, hi, f"calibrated_on_{n}_years", src))
            money = []
            for name, parameter, scale in (("monthly_wage_usd", WAGE, 1.0), ("state_share", SHARE, 0.01)):
                if name not in spec.index:
                    break
                a = spec.loc[name]
                pool = inputs.loc[(inputs["parameter"] == parameter) & inputs["host"].isin({host, a.inputs_from, "WLD"})
                                  & inputs["scope"].isin(INPUT_SCOPES) & ~inputs["source_id"].isin(_excluded(a))]
                if parameter == WAGE:
                    pool = pool.loc[(pool["currency"] == "USD") & (pool["unit"] == "per_month")]
                matched, rule = match_year(pool, year, int(a.year_window))
                if matched.empty:
                    break
                lo, c, hi = summarise(matched, a.centre)
                money.append(_row(host, year, name, a, lo, c, hi, rule, matched["source_id"].unique(), scale))
            if len(money) == 2:
                rows += head + money
    cols = ["host", "year", "input", "distribution", "centre_rule", "low", "centre", "high", "year_rule", "n_sources", "source_ids"]
    return pd.DataFrame(rows, columns=cols).sort_values(["host", "year", "input"], key=lambda s: s.map(INPUTS.index) if s.name == "input" else s).reset_index(drop=True)


def legacy_inputs(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The model of earlier releases: uniform between the lowest and highest figure of any year and scope."""
    workers, inputs, assumptions = tables["labor_workers"], tables["labor_model_inputs"], tables["labor_revenue_assumptions"]
    rows = []
    for host, spec in assumptions.groupby("host", sort=True):
        spec = spec.set_index("input")
        if not {"workers", "monthly_wage_usd", "state_share"} <= set(spec.index):
            continue
        w = workers.loc[(workers["host"] == host) & workers["measure"].isin(PEOPLE) & workers["period_end"].notna()]
        money = []
        for name, parameter, scale in (("monthly_wage_usd", WAGE, 1.0), ("state_share", SHARE, 0.01)):
            a = spec.loc[name]
            pool = inputs.loc[(inputs["parameter"] == parameter) & inputs["host"].isin({host, a.inputs_from, "WLD"}) & ~inputs["source_id"].isin(_excluded(a))]
            if parameter == WAGE:
                pool = pool.loc[pool["currency"] == "USD"]
            if pool.empty:
                break
            lo, _, hi = summarise(pool, "median")
            money.append((name, lo * scale, hi * scale, pool["source_id"].unique()))
        if len(money) < 2:
            continue
        for year, g in w.groupby(_year(w["period_end"])):
            lo, _, hi = summarise(g, "median")
            for name, l, h, src in [("workers", lo, hi, g["source_id"].unique()), *money]:
                rows.append({"host": host, "year": int(year), "input": name, "distribution": "uniform", "centre_rule": "median",
                             "low": l, "centre": (l + h) / 2, "high": h, "year_rule": "any_year_any_scope",
                             "n_sources": len(src), "source_ids": ";".join(sorted(src))})
    return pd.DataFrame(rows).sort_values(["host", "year", "input"]).reset_index(drop=True)


# ----------------------------------------------------------------------------- draws
@lru_cache(maxsize=None)
def _beta_quantiles(a: float, b: float) -> np.ndarray:
    """The Beta(a, b) quantile function on :data:`GRID`, computed once per shape (it is the slow part of a PERT draw)."""
    q = special.betaincinv(a, b, GRID)
    q.flags.writeable = False
    return q


def quantile(distribution: str, low: float, centre: float, high: float, u: np.ndarray) -> np.ndarray:
    """The inverse distribution function of one input at probabilities ``u``."""
    if high <= low:
        return np.full_like(u, low, dtype=float)
    if distribution == "uniform":
        return low + (high - low) * u
    if distribution == "pert":
        a = 1 + 4 * (centre - low) / (high - low)
        b = 1 + 4 * (high - centre) / (high - low)
        return low + (high - low) * np.interp(u, GRID, _beta_quantiles(a, b))
    if distribution == "lognormal":
        spread = [np.log(high / centre)] + ([np.log(centre / low)] if low > 0 else [])
        return centre * np.exp(max(spread) / Z95 * stats.norm.ppf(u))
    raise ValueError(f"unknown distribution {distribution!r}")  # the schema stops this at the build


def _stream(*key) -> np.random.Generator:
    return np.random.default_rng([SEED, zlib.crc32(":".join(map(str, key)).encode())])


def uniforms(host: str, year: int, name: str, rho: float, draws: int = DRAWS) -> np.ndarray:
    """Probabilities for one input: its own stream, plus (for wage and share) the year's common shock."""
    own = _stream(host, year, name).standard_normal(draws)
    if name in SHARED and rho > 0:
        common = _stream("common", year, name).standard_normal(draws)
        own = np.sqrt(rho) * common + np.sqrt(1 - rho) * own
    return special.ndtr(own)


def _draw(rows, host: str, year: int, rho: float, fixed: str | None, draws: int) -> dict[str, np.ndarray]:
    out = {}
    for r in rows:
        if fixed == r.input:
            out[r.input] = np.full(draws, r.centre)
        else:
            out[r.input] = quantile(r.distribution, r.low, r.centre, r.high, uniforms(host, year, r.input, rho, draws))
    if "state_share" in out:
        out["state_share"] = np.clip(out["state_share"], 0.0, 1.0)
    return out


def draw_inputs(ranges: pd.DataFrame, host: str, year: int, rho: float, fixed: str | None = None, draws: int = DRAWS) -> dict[str, np.ndarray]:
    """One host-year's draws of every input it has (an input named by ``fixed`` held at its centre)."""
    rows = ranges.loc[(ranges["host"] == host) & (ranges["year"] == year)].itertuples(index=False)
    return _draw(rows, host, year, rho, fixed, draws)


def draws_by_host_year(ranges: pd.DataFrame, rho: float) -> dict[tuple[str, int], dict[str, np.ndarray]]:
    """Every host-year's draws (as :func:`draw_inputs` gives them), keyed and sorted by (host, year).

    The draws depend only on the inputs, the host, the year and ``rho`` (each input has its
    own seeded stream), so the revenue model, its sensitivity and the trade-off's revenue
    per worker share one set instead of drawing it again.
    """
    return {(str(host), int(year)): _draw(g.itertuples(index=False), str(host), int(year), rho, None, DRAWS)
            for (host, year), g in ranges.groupby(["host", "year"], sort=True)}


def revenue(d: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(revenue, workers, revenue per worker) per draw, in US dollars a year."""
    workers = d["workers"] if "workers" in d else d["entries"] * d["people_per_entry"]
    per_worker = d["monthly_wage_usd"] * 12 * d["state_share"]
    return workers * per_worker, workers, per_worker


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Variant:
    name: str
    rho: float
    legacy: bool
    what: str


VARIANTS = (
    Variant("weighted_rho0", 0.0, False, "weighted, year-matched national inputs; wage and share independent across hosts"),
    Variant("weighted_rho1", 1.0, False, "the same inputs; wage and share at the same quantile in every host (one common shock)"),
    Variant(LEGACY, 0.0, True, "model of earlier releases: uniform between the extremes of any year and any scope, independent"),
)


def simulate(ranges: pd.DataFrame, rho: float, variant: str = HEADLINE, draws: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Host-year and world results for one variant; also returns the draws by year for the world sums.

    ``draws``: the variant's :func:`draws_by_host_year`, if already drawn.
    """
    per, totals = [], {}
    for (host, year), d in (draws if draws is not None else draws_by_host_year(ranges, rho)).items():
        rev, workers, pw = revenue(d)
        totals.setdefault(int(year), []).append((host, rev, workers))
        q = np.percentile(rev, [5, 50, 95])
        w = np.percentile(pw, [5, 50, 95])
        per.append({"variant": variant, "host": host, "year": int(year), "median_usd": q[1], "p05_usd": q[0], "p95_usd": q[2],
                    "workers_median": float(np.median(workers)), "per_worker_median_usd": w[1], "per_worker_p05_usd": w[0],
                    "per_worker_p95_usd": w[2], "draws": DRAWS})
    world = []
    for year, parts in sorted(totals.items()):
        total = np.sum([p[1] for p in parts], axis=0)
        q = np.percentile(total, [5, 50, 95])
        world.append({"variant": variant, "year": year, "median_usd": q[1], "p05_usd": q[0], "p95_usd": q[2],
                      "workers_median": float(np.median(np.sum([p[2] for p in parts], axis=0))),
                      "hosts_covered": ";".join(sorted(p[0] for p in parts)), "n_hosts": len(parts),
                      "caveat": "sum over the hosts with a national head count (or entries and a conversion) that year only; other hosts are not zero but unmeasured"})
    return pd.DataFrame(per), pd.DataFrame(world), totals


def sensitivity(ranges: pd.DataFrame, rho: float = 0.0, draws: dict | None = None) -> pd.DataFrame:
    """One at a time: how much of each host-year's 5-95% width goes when an input is fixed at its centre.

    ``draws``: :func:`draws_by_host_year` at ``rho``, if already drawn.
    """
    draws = draws if draws is not None else draws_by_host_year(ranges, rho)
    rows = []
    for (host, year), g in ranges.groupby(["host", "year"], sort=True):
        base = draws[(str(host), int(year))]
        r5, r95 = np.percentile(revenue(base)[0], [5, 95])
        centres = dict(zip(g["input"], g["centre"]))
        for name in [i for i in INPUTS if i in centres]:
            fixed = {**base, name: np.full(DRAWS, centres[name])}
            f5, f95 = np.percentile(revenue(fixed)[0], [5, 95])
            width = r95 - r5
            rows.append({"host": host, "year": int(year), "input": name, "interval_width_usd": width, "width_with_input_fixed_usd": f95 - f5,
                         "share_of_width_from_input": 1 - (f95 - f5) / width if width > 0 else 0.0})
    return pd.DataFrame(rows)


def _reasons(r, world_hosts: str | None, model_workers: float | None) -> str:
    why = []
    what = str(r["coverage"]).lower()
    if r["currency"] != "USD":
        why.append("estimate not in US dollars (not converted)")
    if pd.isna(r["year"]):
        why.append("the estimate prints no year")
    elif pd.isna(r["model_median_usd"]):
        why.append("the model has no national head count for this host and year")
    elif r["host"] == "WLD":
        why.append(f"the model sums only {world_hosts.replace(';', ', ')} (about {model_workers:,.0f} workers at the median); the estimate covers every host")
    if any(k in what for k in ("gross", "earnings", "remittance", "income", "wage")) and "state" not in what:
        why.append("the estimate measures earnings or remittances, not the state's share")
    if r["scope"] not in ("national", "world"):
        why.append(f"the estimate is of {r['scope']} scope")
    if not why:
        lo, hi = r["model_p05_usd"], r["model_p95_usd"]
        value = r["value"] if pd.notna(r["value"]) else np.nanmean([r["value_low"], r["value_high"]])
        why.append("inside the model's 90% interval" if lo <= value <= hi else "outside the model's 90% interval: the estimate's head count, wage or share differ from the published figures the model draws on")
    return "; ".join(why)


def compare(host_year: pd.DataFrame, world: pd.DataFrame, estimates: pd.DataFrame) -> pd.DataFrame:
    """Every published estimate beside the model's headline for the same host (or the covered world) and year."""
    e = estimates.copy()
    e["year"] = _year(e["period_end"]).astype("Int64")
    hy = host_year.loc[host_year["variant"] == HEADLINE, ["host", "year", "median_usd", "p05_usd", "p95_usd", "workers_median"]]
    wd = world.loc[world["variant"] == HEADLINE, ["year", "median_usd", "p05_usd", "p95_usd", "workers_median", "hosts_covered"]].assign(host="WLD")
    model = pd.concat([hy.assign(hosts_covered=hy["host"]), wd], ignore_index=True)
    model["year"] = model["year"].astype("Int64")
    rho1 = pd.concat([host_year.loc[host_year["variant"] == "weighted_rho1", ["host", "year", "p05_usd", "p95_usd"]],
                      world.loc[world["variant"] == "weighted_rho1", ["year", "p05_usd", "p95_usd"]].assign(host="WLD")], ignore_index=True)
    rho1["year"] = rho1["year"].astype("Int64")
    out = e.merge(model, on=["host", "year"], how="left").merge(
        rho1.rename(columns={"p05_usd": "model_rho1_p05_usd", "p95_usd": "model_rho1_p95_usd"}), on=["host", "year"], how="left")
    out = out.rename(columns={"median_usd": "model_median_usd", "p05_usd": "model_p05_usd", "p95_usd": "model_p95_usd", "workers_median": "model_workers_median"})
    out["reasons_they_differ"] = [_reasons(r, r["hosts_covered"], r["model_workers_median"]) for _, r in out.iterrows()]
    cols = ["year", "host", "estimator", "coverage", "scope", "value", "value_low", "value_high", "currency", "source_id",
            "model_median_usd", "model_p05_usd", "model_p95_usd", "model_rho1_p05_usd", "model_rho1_p95_usd", "model_workers_median", "reasons_they_differ"]
    out = out[cols].sort_values(["host", "year", "estimator", "source_id"], na_position="first").reset_index(drop=True)
    out["year"] = out["year"].astype(float)  # NaN, not pd.NA, where the estimate prints no year
    return out


def run(tables: dict[str, pd.DataFrame], ranges: pd.DataFrame | None = None, headline: dict | None = None) -> dict[str, pd.DataFrame]:
    """Every labour-revenue result table. ``ranges`` (:func:`input_table`) and ``headline`` (its
    :func:`draws_by_host_year` at rho = 0) may be passed in when already computed."""
    ranges = input_table(tables) if ranges is None else ranges
    headline = draws_by_host_year(ranges, 0.0) if headline is None else headline
    legacy = legacy_inputs(tables)
    per, world = [], []
    for v in VARIANTS:
        shared = headline if not v.legacy and v.rho == 0.0 else None
        h, w, _ = simulate(legacy if v.legacy else ranges, v.rho, v.name, shared)
        per.append(h)
        world.append(w)
    host_year = pd.concat(per, ignore_index=True).sort_values(["variant", "host", "year"]).reset_index(drop=True)
    world = pd.concat(world, ignore_index=True).sort_values(["variant", "year"]).reset_index(drop=True)
    inputs = pd.concat([ranges.assign(variant="weighted"), legacy.assign(variant=LEGACY)], ignore_index=True)
    variants = pd.DataFrame([{"variant": v.name, "correlation": v.rho, "description": v.what} for v in VARIANTS])
    return {
        "labor_revenue_inputs": inputs[["variant", *ranges.columns]],
        "labor_revenue_host_year": host_year,
        "labor_revenue_world": world,
        "labor_revenue_variants": variants,
        "labor_revenue_sensitivity": sensitivity(ranges, 0.0, headline),
        "labor_revenue_comparison": compare(host_year, world, tables["labor_revenue_estimates"]),
    }
