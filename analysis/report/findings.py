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
from markupsafe import Markup

from . import text


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


def stated(row: pd.Series, words: str) -> Markup:
    """Words stating a headline effect, marked with the effect's key (``<span class="effect" data-effect="...">``):
    the test of the built report reads every stated effect back from these marks and checks it against
    ``headline_effects``; an effect size outside a mark fails it."""
    return Markup('<span class="effect" data-effect="{}">{}</span>').format(text.effect_words(row).effect, words)


def headline_change(row: pd.Series) -> Markup:
    """A headline effect as a change ('62% lower'), or 'differently (by an amount these data cannot estimate)'."""
    return stated(row, text.effect_words(row).change)


def uncertainty(row: pd.Series, unit: str = "years") -> Markup:
    """The 95% interval of a headline effect in words, with the number of observations behind it."""
    w = text.effect_words(row)
    if not w.estimable:
        return say(f"The data ({w.n} {unit}) cannot pin this change down: it is ", stated(row, text.NOT_ESTIMABLE), ".")
    if row["ci_low"] <= 1 <= row["ci_high"]:
        return say(f"The data ({w.n} {unit}) cannot tell this apart from no change: plausible values run ", stated(row, w.interval_change), ".")
    return say("The direction is clear, the size less so: plausible values run ", stated(row, w.interval_change),
               f" (95% interval, {w.n} {unit}).")


def say(*parts) -> Markup:
    """A sentence from plain text (escaped as any text) and marked effects (kept)."""
    return Markup("").join(parts)


def sections(tables: dict[str, pd.DataFrame], results: dict[str, pd.DataFrame], read: dict[str, dict[str, str]]) -> list[Section]:
    annual = tables["defector_arrivals_annual"]
    head = results["headline_effects"]
    closure, succession = text.headline(head, "arrivals_closure"), text.headline(head, "arrivals_succession")
    s = read["summary"]
    split = annual.loc[annual["year"] >= int(s["first_year"])]
    women = split["female"].sum() / split["total"].sum()
    out = [Section(
        "people", "Defectors reaching South Korea",
        f"Arrivals peaked in {s['peak_year']} and have collapsed since the 2020 border closure: "
        f"{int(annual.loc[annual['year'] == int(s['last_year']), 'total'].iloc[0]):,} people arrived in {s['last_year']}.",
        say(f"{s['peak'].split(';')[0]}. Since {s['first_year']}, {women:.0%} of arrivals have been women. After Kim Jong Un's succession "
            "arrivals ran about ", headline_change(succession), " than the earlier trend implies; from the 2020 border closure on they ran "
            "about ", headline_change(closure), ". These are associations in time with dated events, not proof of cause."),
        say(uncertainty(closure), " Over the specification curve (reasonable other ways of fitting it) the closure's ratio runs from ",
            stated(closure, text.effect_words(closure).curve), "."),
        "defector_arrivals_by_sex")]

    trade = read["trade"]
    out.append(Section(
        "trade", "Trade with China", trade["headline"],
        f"{trade['arc']} {trade['gaps']} Missing years are left blank on the chart, never joined by a line.",
        "These are China's own customs figures as reported; they are not estimates, but they miss smuggling and unreported oil.",
        "trade_annual_china"))

    eff = results["trade_monthly_effects"]
    ex, im = text.headline(head, "china_exports_to_prk_closure"), text.headline(head, "china_imports_from_prk_closure")
    sanc = text.headline(head, "china_exports_to_prk_sanctions_2017")
    unsc = eff.loc[eff["series"] == "exports_usd"].iloc[0]
    out.append(Section(
        "sanctions", "What sanctions and the closure cut",
        say("After the 2020 closure China's monthly exports to North Korea ran about ", headline_change(ex), " and its imports about ",
            headline_change(im), " than before, other things equal."),
        ("China's imports of the product lines the 2017 resolutions banned (coal, textiles, seafood) are shown where a yearly figure was "
         "published; the effect of the resolutions on monthly trade is much harder to measure than the effect of the closure, because "
         f"the model has a monthly export figure for only {int(unsc['n_months_observed'])} of the {int(unsc['n_months_span'])} months "
         f"from {unsc['first_month']} to {unsc['last_month']}."),
        say(uncertainty(ex, "months"), " For the 2017 resolutions together, on exports: ", uncertainty(sanc, "months")),
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
        (f"Published estimates range {money(top, prefix='up to ')}; they differ in the hosts and the years they cover. "
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
