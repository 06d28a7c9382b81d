"""The reader's report in words: one section per question, each with one finding, a short
paragraph and the uncertainty said in plain language.

Everything is computed from the published tables and the result tables handed in (a dict
of name -> DataFrame, whether fitted in this run or read from ``reports/tables``); nothing
here fits a model, and no number is typed. Statistical detail (rate ratios, intervals,
dispersion) lives in the methods annex.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Section:
    id: str
    heading: str
    finding: str
    paragraph: str
    uncertainty: str
    figure: str


def money(value: float, *, prefix: str = "") -> str:
    """US dollars in plain units: ``$3.0 bn``, ``$462 m``, ``$85,000``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    a = abs(value)
    text = f"${a / 1e9:,.1f} bn" if a >= 1e9 else f"${a / 1e6:,.0f} m" if a >= 1e6 else f"${a:,.0f}"
    return f"{prefix}{'-' if value < 0 else ''}{text}"


def money_range(value: float, low: float, high: float) -> str:
    """A published amount as printed in kind: a value, a range, 'up to' or 'at least'."""
    ok = lambda v: v is not None and not (isinstance(v, float) and math.isnan(v))  # noqa: E731
    if ok(value):
        return money(value)
    if ok(low) and ok(high):
        return f"{money(low)} to {money(high)}"
    if ok(high):
        return money(high, prefix="up to ")
    if ok(low):
        return money(low, prefix="at least ")
    return ""


def change(rr: float) -> str:
    """A rate ratio as a change a reader can picture: '92% lower', '40% higher', '3.2 times as high'."""
    if rr < 1:
        return f"{(1 - rr) * 100:.0f}% lower"
    if rr < 2:
        return f"{(rr - 1) * 100:.0f}% higher"
    return f"{rr:.1f} times as high"


def headline_change(row: pd.Series) -> str:
    """A headline effect (a row of ``headline_effects``) as a change, or 'a change that cannot be estimated'."""
    if not bool(row["estimable"]):
        return "differently (by an amount these data cannot estimate)"
    return change(row["estimate"])


def uncertainty(rr: float, low: float, high: float, n: int, unit: str = "years") -> str:
    """The 95% interval of a rate ratio in words, with the number of observations behind it."""
    if not all(map(math.isfinite, (rr, low, high))) or low <= 0 or high / low > 50:
        return f"The data ({n} {unit}) cannot pin this change down: it is not estimable."
    if low <= 1 <= high:
        return (f"The data ({n} {unit}) cannot tell this apart from no change: plausible values run from {change(low)} "
                f"to {change(high)}.")
    return (f"The direction is clear, the size less so: plausible values run from {change(high)} to {change(low)} "
            f"(95% interval, {n} {unit}).")


def _pct_interval(pct: float, lo: float, hi: float, n: int) -> str:
    rr, rlo, rhi = 1 + pct / 100, 1 + lo / 100, 1 + hi / 100
    return uncertainty(rr, max(rlo, 1e-9), rhi, n, "months")


def sections(tables: dict[str, pd.DataFrame], results: dict[str, pd.DataFrame], read: dict[str, dict[str, str]]) -> list[Section]:
    annual = tables["defector_arrivals_annual"]
    head = results["headline_effects"].set_index("effect")
    closure, succession = head.loc["arrivals_closure"], head.loc["arrivals_succession"]
    n_years = int(closure["n"])
    s = read["summary"]
    split = annual.loc[annual["year"] >= int(s["first_year"])]
    women = split["female"].sum() / split["total"].sum()
    out = [Section(
        "people", "Defectors reaching South Korea",
        f"Arrivals peaked in {s['peak_year']} and have collapsed since the 2020 border closure: "
        f"{int(annual.loc[annual['year'] == int(s['last_year']), 'total'].iloc[0]):,} people arrived in {s['last_year']}.",
        (f"{s['peak'].split(';')[0]}. Since {s['first_year']}, {women:.0%} of arrivals have been women. After Kim Jong Un's succession "
         f"arrivals ran about {headline_change(succession)} than the earlier trend implies; from the 2020 border closure on they ran "
         f"about {headline_change(closure)}. These are associations in time with dated events, not proof of cause."),
        uncertainty(closure["estimate"], closure["ci_low"], closure["ci_high"], n_years)
        + f" Over {int(closure['n_specifications'])} reasonable ways of fitting it, the closure's ratio runs from "
          f"{closure['curve_low']:.2f} to {closure['curve_high']:.2f}.",
        "defector_arrivals_by_sex")]

    trade = read["trade"]
    out.append(Section(
        "trade", "Trade with China", trade["headline"],
        f"{trade['arc']} {trade['gaps']} Missing years are left blank on the chart, never joined by a line.",
        "These are China's own customs figures as reported; they are not estimates, but they miss smuggling and unreported oil.",
        "trade_annual_china"))

    eff = results["trade_monthly_effects"]
    ex, im = head.loc["china_exports_to_prk_closure"], head.loc["china_imports_from_prk_closure"]
    sanc = head.loc["china_exports_to_prk_sanctions_2017"]
    unsc = eff.loc[eff["series"] == "exports_usd"].iloc[0]
    out.append(Section(
        "sanctions", "What sanctions and the closure cut",
        f"After the 2020 closure China's monthly exports to North Korea ran about {headline_change(ex)} and its imports "
        f"about {headline_change(im)} than before, other things equal.",
        ("China's imports of the product lines the 2017 resolutions banned (coal, textiles, seafood) are shown where a yearly figure was "
         "published; the effect of the resolutions on monthly trade is much harder to measure than the effect of the closure, because "
         f"China published only {int(unsc['n_months_observed'])} of {int(unsc['n_months_span'])} months."),
        (uncertainty(ex["estimate"], ex["ci_low"], ex["ci_high"], int(ex["n"]), "months") + " For the 2017 resolutions together, on exports: "
         + uncertainty(sanc["estimate"], sanc["ci_low"], sanc["ci_high"], int(sanc["n"]), "months")),
        "trade_products"))

    lw = tables["labor_workers"]
    hosts = sorted(set(lw.loc[lw["measure"].isin(["stock_official", "stock_estimate"]), "host"]))
    out.append(Section(
        "workers", "Workers sent abroad", read["workers_title"] + ".",
        ("Each panel is one host country. Official counts, UN sanctions-implementation reports and published estimates are shown "
         "side by side and never mixed; Russia's border service counts entries (trips), not people. "
         f"The dataset holds head counts or estimates for {len(hosts)} hosts."),
        "Head counts for most hosts are estimates by journalists, researchers or governments, often given as ranges; the chart shows each range.",
        "labor_workers"))

    world = results["labor_revenue_world"]
    if "variant" in world.columns:  # the headline variant (correlation 0) is the first the schema lists
        from ..schemas import VARIANTS

        world = world.loc[world["variant"] == VARIANTS[0]]
    world = world.reset_index(drop=True)
    comp = results["labor_revenue_comparison"]
    best = world.loc[world["n_hosts"].idxmax()]
    pub = comp.loc[(comp["currency"] == "USD")]
    top = pub[["value", "value_high"]].max(axis=1).max()
    out.append(Section(
        "revenue", "What workers abroad earn the state",
        f"For {int(best['year'])}, the year with head counts for the most hosts, the model puts the state's take at about "
        f"{money(best['median_usd'])} a year.",
        (f"Published estimates run as high as {money(top, prefix='up to ')}; they differ in the hosts and the years they cover. "
         "The model multiplies head counts by published wages and the share the state keeps, each drawn across its published range."),
        (f"Nine times in ten the model's figure for {int(best['year'])} lies between {money(best['p05_usd'])} and "
         f"{money(best['p95_usd'])}: wages and the state's share are the least known inputs."),
        "labor_revenue"))

    t = read["tradeoff"]
    out.append(Section(
        "risk", "Revenue and risk: workers abroad who defect",
        t["title"] + ".",
        f"{t['spread']} {t['rates']}",
        t["tests"],
        "tradeoff_risk_return"))
    return out
