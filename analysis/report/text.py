"""Sentences for the report, generated from published and result tables (no typed numbers).

Every event effect the documents state comes from ``headline_effects`` through one
formatter, :func:`effect_words`: the change, the interval, N and the range over the
specification curve of one headline row, each as printed. :func:`effect_phrase` (the
methods annex) and the reader's sections (:mod:`.findings`) both build on it, so an effect
is stated with one set of numbers wherever it appears; an effect whose interval spans
more than two orders of magnitude is said to be not estimable instead of being printed as
a percentage.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import selectors
from ..models import series, spec


def n(x: float) -> str:
    return f"{int(round(x)):,}"


def change(rr: float) -> str:
    """A ratio as a change a reader can picture: '92% lower', '40% higher', '3.2 times as high'."""
    if rr < 1:
        return f"{(1 - rr) * 100:.0f}% lower"
    if rr < 2:
        return f"{(rr - 1) * 100:.0f}% higher"
    return f"{rr:.1f} times as high"


def p_value(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def ratio(row: pd.Series) -> str:
    return f"rate ratio {row['rate_ratio']:.2f}, 95% CI {row['ci_low']:.2f} to {row['ci_high']:.2f}"


def arrivals_summary(annual: pd.DataFrame) -> dict[str, str]:
    peak = annual.loc[annual["total"].idxmax()]
    last = annual.iloc[-1]
    # the unbroken run of years with a sex split that ends in the latest year
    years = annual.loc[annual["male"].notna(), "year"].astype(int).tolist()
    start = years[-1]
    while start - 1 in years:
        start -= 1
    split = annual.loc[annual["year"] >= start]
    first_split = split.iloc[0]
    return {
        "peak": f"Arrivals peaked in {int(peak['year'])} at {n(peak['total'])} people; in {int(last['year'])} they were {n(last['total'])}.",
        "coverage": (
            f"The preferred annual series has a sex split for every year from {int(first_split['year'])} to {int(split.iloc[-1]['year'])}: "
            f"{n(split['total'].sum())} arrivals, {n(split['female'].sum())} of them women."
        ),
        "first_year": str(int(first_split["year"])),
        "last_year": str(int(last["year"])),
        "peak_year": str(int(peak["year"])),
    }


def headline(effects: pd.DataFrame, key: str) -> pd.Series:
    """The headline row of one effect (by its key in analysis/models/spec.py)."""
    hit = effects.loc[effects["effect"] == key]
    if hit.empty:
        raise KeyError(f"headline_effects has no effect {key!r}; run `nkflows fit`")
    return hit.iloc[0]


#: What a sentence says of an effect its data cannot estimate, where a change would stand, and as a verdict.
NOT_ESTIMABLE_CHANGE = "differently (by an amount these data cannot estimate)"
NOT_ESTIMABLE = "not estimable with these data"


@dataclass(frozen=True)
class EffectWords:
    """One headline effect (a row of ``headline_effects``) as the documents print it."""

    effect: str  # the effect's key (analysis/models/spec.py EFFECTS)
    estimable: bool
    change: str  # '62% lower', '3.2 times as high'; NOT_ESTIMABLE_CHANGE when not estimable
    interval: str  # 'ratio 0.38, 95% CI 0.30 to 0.48'
    interval_change: str  # the 95% interval as changes, nearest to no change first: 'from 52% lower to 70% lower'
    curve: str  # the range over the specification curve: '0.05 to 0.13 across 22 specifications' (or 'one specification')
    n: int  # observations behind the headline


def effect_words(row: pd.Series) -> EffectWords:
    """The one formatting of a headline row: every sentence that states an effect takes its words from here."""
    est, low, high = float(row["estimate"]), float(row["ci_low"]), float(row["ci_high"])
    if low <= 1 <= high:
        ends = (change(low), change(high))
    elif est < 1:
        ends = (change(high), change(low))
    else:
        ends = (change(low), change(high))
    k = int(row["n_specifications"])
    return EffectWords(
        effect=str(row["effect"]) if "effect" in row.index else str(row.name), estimable=bool(row["estimable"]),
        change=change(est) if bool(row["estimable"]) else NOT_ESTIMABLE_CHANGE,
        interval=f"ratio {est:.2f}, 95% CI {low:.2f} to {high:.2f}",
        interval_change=f"from {ends[0]} to {ends[1]}",
        curve=(f"{row['curve_low']:.2f} to {row['curve_high']:.2f} across {k} specifications" if k > 1 else "one specification"),
        n=int(row["n"]))


def effect_phrase(row: pd.Series) -> str:
    """One effect as the methods annex states it: change, ratio, interval, N and the range over the specification curve."""
    w = effect_words(row)
    if not w.estimable:
        return (f"{NOT_ESTIMABLE} (the ratio's 95% interval runs from {row['ci_low']:.2f} to {row['ci_high']:.2f}, "
                f"more than two orders of magnitude; N = {w.n})")
    return f"{w.change} ({w.interval}, N = {w.n}; {w.curve})"


def count_model_reading(effects: pd.DataFrame, terms: pd.DataFrame, events: pd.DataFrame) -> dict[str, str]:
    t = terms.set_index("term")
    trend = t.loc["trend"]
    date = lambda eid: series.event_date(events, eid).strftime("%d %B %Y")  # noqa: E731
    succ, sanctions, closure = (headline(effects, k) for k in ("arrivals_succession", "arrivals_sanctions_2016", "arrivals_closure"))
    return {
        "succession": (
            f"After Kim Jong Il's death ({date(spec.SUCCESSION)}) and Kim Jong Un's succession, arrivals ran "
            f"{effect_phrase(succ)} than the pre-existing trend implies."
        ),
        "sanctions": (
            f"From the 2016 sanctions ({date(spec.SANCTIONS_2016)}) on, arrivals ran {effect_phrase(sanctions)} than the trend implies."
        ),
        "closure": (
            f"From the border closure ({date(spec.CLOSURE)}) on, arrivals ran {effect_phrase(closure)} "
            f"than the model without the closure implies."
        ),
        "closure_title": (f"ran {effect_words(closure).change} after the 2020 border closure" if bool(closure["estimable"])
                          else "fell after the 2020 border closure"),
        "trend": f"The underlying trend is a rate ratio of {trend['rate_ratio']:.3f} per year (95% CI {trend['ci_low']:.3f} to {trend['ci_high']:.3f}).",
        "fit": (
            f"Negative binomial (NB2) regression on N = {int(t['n'].iloc[0])} years ({int(t['first_year'].iloc[0])}-{int(t['last_year'].iloc[0])}), "
            "each event's year an arithmetic mix of the regimes before and after it; "
            f"estimated dispersion alpha = {t.loc['alpha', 'coef']:.3f}; a Poisson fit of the same design has Pearson dispersion "
            f"{t['poisson_pearson_dispersion'].iloc[0]:.1f}, far above 1, which is why the negative binomial is used. "
            "Each effect's range is over the specification curve (reports/tables/specification_curve.csv): no trend or segment trends, "
            "fractional or whole-year steps, with or without UNSC 2270, quasi-Poisson, HAC errors, a transit lag."
        ),
        "caveat": t["caveat"].iloc[0],
    }


def share_reading(annual: pd.DataFrame, share: pd.DataFrame) -> dict[str, str]:
    row = share.iloc[0]
    data = annual.loc[annual["female_share"].notna() & (annual["year"] >= row["first_year"])]
    hi = data.loc[data["female_share"].idxmax()]
    lo = data.loc[data["female_share"].idxmin()]
    direction = "rose" if row["odds_ratio"] > 1 else "fell"
    return {
        "share": (
            f"Women were {data.iloc[0]['female_share'] * 100:.0f}% of arrivals in {int(data.iloc[0]['year'])} and "
            f"{data.iloc[-1]['female_share'] * 100:.0f}% in {int(data.iloc[-1]['year'])}; the highest share was "
            f"{hi['female_share'] * 100:.0f}% ({int(hi['year'])}) and the lowest {lo['female_share'] * 100:.0f}% ({int(lo['year'])})."
        ),
        "trend": (
            f"Over {int(row['n'])} years the odds that an arrival is a woman {direction} by a factor of {row['odds_ratio']:.3f} a year "
            f"(95% CI {row['ci_low']:.3f} to {row['ci_high']:.3f}); {row['caveat']}"
        ),
    }


def provenance_summary(tables: dict[str, pd.DataFrame]) -> str:
    arr, src, conf = tables["defector_arrivals"], tables["sources"], tables["conflicts"]
    used = arr["source_id"].nunique()
    return (
        f"The defector series rests on {n(len(arr))} published figures from {n(used)} sources "
        f"({n((src['kind'] == 'official').sum())} official documents in the whole registry of {n(len(src))}); "
        f"{n(conf.loc[conf['conflict_type'] == 'sources_disagree', 'conflict_id'].nunique())} figures are reported differently by different sources, "
        f"and every one of them is listed below with the value chosen and the rule that chose it."
    )


def usd(x: float) -> str:
    if x >= 1e9:
        return f"${x / 1e9:,.2f} billion"
    return f"${x / 1e6:,.0f} million" if x >= 10e6 else f"${x / 1e6:,.2f} million"


def trade_reading(annual: pd.DataFrame) -> dict[str, str]:
    g = selectors.china_customs_rows(annual, "total_usd").sort_values("year")
    peak = g.loc[g["total_usd"].idxmax()]
    low = g.loc[g["year"] >= 2020].sort_values("total_usd").iloc[0]
    last = g.iloc[-1]
    k = annual.loc[(annual["agency"] == "KOTRA") & (annual["reporter"] == "PRK") & (annual["partner"] == "CHN")]
    both = g.merge(k, on="year", suffixes=("_gacc", "_kotra")).dropna(subset=["total_usd_gacc", "total_usd_kotra"])
    gap = ""
    if not both.empty:
        b = both.iloc[-1]
        gap = (f" KOTRA's estimate of the same trade for {int(b['year'])} is {usd(b['total_usd_kotra'])} against China's customs' "
               f"{usd(b['total_usd_gacc'])}: KOTRA adds unreported crude oil, so the two are different series and are never mixed.")
    missing = [y for y in range(int(g['year'].min()), int(last['year']) + 1) if y not in set(g["year"])]
    return {
        "arc": (
            f"China's customs recorded {usd(g.iloc[0]['total_usd'])} of trade with North Korea in {int(g.iloc[0]['year'])}, "
            f"a peak of {usd(peak['total_usd'])} in {int(peak['year'])}, {usd(low['total_usd'])} in {int(low['year'])} after the border closed, "
            f"and {usd(last['total_usd'])} in {int(last['year'])}.{gap}"
        ),
        "headline": (
            f"China-North Korea trade in China's customs figures peaked at {usd(peak['total_usd'])} in {int(peak['year'])}, "
            f"fell to {usd(low['total_usd'])} in {int(low['year'])} with the border closed, and was {usd(last['total_usd'])} in {int(last['year'])}."
        ),
        "title": f"China-DPRK trade peaked at {usd(peak['total_usd'])} in {int(peak['year'])} and fell to {usd(low['total_usd'])} in {int(low['year'])}",
        "gaps": (f"No China-customs annual total was found for {', '.join(map(str, missing))}." if missing else ""),
    }


def monthly_title(monthly: pd.DataFrame) -> str:
    m = selectors.china_customs_rows(monthly, "total_usd")
    before = m.loc[m["year"] < 2020]
    during = m.loc[m["year"].isin([2020, 2021])]
    if before.empty or during.empty:
        return f"Monthly China-DPRK trade in China's customs figures ({len(m)} months published)"
    lo = during.loc[during["total_usd"].idxmin()]
    return (f"Monthly trade ran up to {usd(before['total_usd'].max())} before 2020 and fell to "
            f"{usd(lo['total_usd'])} in {int(lo['month'])}/{int(lo['year'])}")


def products_title(flows: pd.DataFrame) -> str:
    p = flows.loc[flows["preferred"] & (flows["freq"] == "A") & (flows["reporter"] == "CHN") & (flows["flow"] == "import") & (flows["commodity"] != "TOTAL")]
    return f"China's imports of North Korean product lines tied to labour and sanctions: {len(p)} annual figures found"


def labor_reading(world: pd.DataFrame, comparison: pd.DataFrame, sensitivity: pd.DataFrame) -> dict[str, str]:
    head = world.loc[world["variant"] == "weighted_rho0"] if "variant" in world.columns else world
    best = head.sort_values(["n_hosts", "year"], ascending=[False, False]).iloc[0]
    year = int(best["year"])
    same = comparison.loc[(comparison["year"] == year) & (comparison["currency"] == "USD")]
    points = same["value"].dropna()
    drivers = sensitivity.groupby("input")["share_of_width_from_input"].mean().sort_values(ascending=False)
    names = {"monthly_wage_usd": "the monthly wage", "state_share": "the state's share", "workers": "the head count",
             "entries": "the number of entries", "people_per_entry": "people per entry"}
    published = ""
    if not points.empty:
        published = (f" Published estimates for {year} range from {usd(points.min())} to {usd(points.max())} "
                     f"({len(same)} estimates, including ranges).")
    variants = ""
    if "variant" in world.columns:
        by = world.loc[world["year"] == year].set_index("variant")
        if {"weighted_rho1", "uniform_pooled"} <= set(by.index):
            r1, old = by.loc["weighted_rho1"], by.loc["uniform_pooled"]
            variants = (f"With one wage and share shock common to every host (correlation 1 instead of 0) the interval becomes "
                        f"{usd(r1['p05_usd'])} to {usd(r1['p95_usd'])}; the earlier model, flat between the extremes of any year and any scope, "
                        f"gives a median of {usd(old['median_usd'])} ({usd(old['p05_usd'])} to {usd(old['p95_usd'])}).")
    return {
        "model": (
            f"In {year}, the year with national head counts for the most hosts ({best['hosts_covered'].replace(';', ', ')}), the model puts "
            f"the state's revenue from these workers at {usd(best['median_usd'])} (5-95%: {usd(best['p05_usd'])} to {usd(best['p95_usd'])})."
            f"{published}"
        ),
        "variants": variants,
        "drivers": (
            "Fixing one input at a time at its centre narrows the 5-95% interval, on average over host-years, by "
            + ", ".join(f"{max(v, 0.0):.0%} for {names[k]}" for k, v in drivers.items()) + "."
        ),
        "title": f"Modelled revenue in {year}: {usd(best['median_usd'])} for {int(best['n_hosts'])} hosts, beside published estimates",
    }


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _tradeoff_test_words(r) -> str:
    """One plain sentence for one row of ``tradeoff_tests``, led by its verdict."""
    if r.test == "hosts_risk_return":
        if r.verdict == "not_estimable":
            return "Too few hosts have both a revenue per worker and a defection rate to compare them."
        way = {"supports": "Hosts that pay the state more per worker have had more defections per worker",
               "against": "Hosts that pay the state more per worker have had fewer defections per worker"}.get(
            r.verdict, "Across hosts, pay per worker and the defection rate show no clear relation")
        return f"{way} (rank correlation {r.statistic:.2f}, p = {r.p_value:.2f}, {_plural(int(r.n), 'host')})."
    if r.test == "defection_rate_after_sanctions":
        if r.verdict == "not_estimable":
            return "No incident falls in the years with a head count before or after the 2017 sanctions, so the rates cannot be compared."
        way = {"supports": "The defection rate rose after the 2017 sanctions cut revenue per worker",
               "against": "The defection rate fell after the 2017 sanctions cut revenue per worker"}.get(
            r.verdict, "The defection rate after the 2017 sanctions cannot be told apart from the rate before")
        return (f"{way}: the later rate is {r.statistic:.2f} times the earlier one (95% interval {r.ci_low:.2f} to {r.ci_high:.2f}; "
                f"{_plural(int(r.n), 'incident')} in all).")
    if r.test == "deployment_after_defections":
        if r.verdict == "not_estimable" or int(r.n) == 0:
            return "No host has a national head count on both sides of a high-profile defection, so recalls cannot be measured."
        if r.verdict == "inconclusive":
            return (f"Whether the regime recalled workers after a high-profile defection cannot be told: "
                    f"{_plural(int(r.n), 'host-event')} with a head count on both sides.")
        way = "fell" if r.verdict == "supports" else "rose"
        return f"After high-profile defections the head count in the host {way} ({_plural(int(r.n), 'host-event')})."
    raise KeyError(f"tradeoff_tests: no wording for test {r.test!r}")


def tradeoff_reading(risk_return: pd.DataFrame, rates: pd.DataFrame, tests: pd.DataFrame, panel: pd.DataFrame) -> dict[str, str]:
    """Sentences on the trade-off, from the trade-off result tables; the title follows the tests' verdicts."""
    n_hosts = int(risk_return["per_worker_median_usd"].notna().sum())
    k = int(risk_return["incidents_in_rate"].sum())
    wy = float(risk_return["worker_years"].sum())
    overall = rates.loc[rates["host"] == "ALL"]
    per = "; ".join(
        f"{r.period}: {_plural(int(r.incidents_in_rate), 'incident')} in {r.worker_years:,.0f} worker-years, "
        + (f"{r.incidents_per_10k:.2f} per 10,000 (95% {r.incidents_per_10k_low:.2f}-{r.incidents_per_10k_high:.2f})" if r.worker_years > 0 else "no head count")
        for r in overall.itertuples(index=False))
    top = risk_return.sort_values("per_worker_median_usd", ascending=False).dropna(subset=["per_worker_median_usd"])
    hosts_2010 = panel.loc[(panel["year"] >= 2010) & (panel["central"] > 0), "host"].nunique()
    verdicts = set(tests["verdict"])
    count = f"{_plural(k, 'incident')} in {wy:,.0f} worker-years with a head count, across {_plural(n_hosts, 'host')}"
    if "supports" in verdicts and "against" not in verdicts:
        title = f"Part of the record fits a trade-off between earnings and defection risk ({count})"
    elif "against" in verdicts and "supports" not in verdicts:
        title = f"The record goes against a trade-off between earnings and defection risk ({count})"
    elif verdicts <= {"inconclusive", "not_estimable"}:
        title = f"Too few defections from abroad are on record to show a trade-off either way: {count}"
    else:
        title = f"The record points both ways on a trade-off between earnings and defection risk ({count})"
    return {
        "title": title,
        "panel_title": f"People present by host, {hosts_2010} hosts with a national head count above zero since 2010: official series as lines, estimates as ranges, gaps left as gaps",
        "rates": f"Defection incidents per 10,000 worker-years present, all hosts with a head count: {per}.",
        "spread": (f"The state's take per worker ranges from ${top['per_worker_median_usd'].min():,.0f} ({top.iloc[-1]['host']}) to "
                   f"${top['per_worker_median_usd'].max():,.0f} ({top.iloc[0]['host']}) a year at the median." if len(top) else ""),
        "tests": " ".join(_tradeoff_test_words(r) for r in tests.itertuples(index=False)),
    }


def workers_title(panel: pd.DataFrame) -> str:
    """Russia's arc in the labour panel (the preferred national figure per year, by the panel's rule): the official
    peak, the official low after it, and the latest year."""
    rus = panel.loc[(panel["host"] == "RUS") & panel["central"].notna()].sort_values("year")
    off = rus.loc[rus["basis"].isin(["stock_official", "remaining_2397"])]
    if off.empty:
        raise KeyError("labor_panel: no official Russian head count")
    hi = off.loc[off["central"].idxmax()]
    after = off.loc[off["year"] > hi["year"]]
    lo = after.loc[after["central"].idxmin()] if len(after) else hi
    last = rus.iloc[-1]
    kind = "official count" if last["basis"] in ("stock_official", "remaining_2397") else "estimate"
    return (f"Russia's official count of North Korean workers fell from {hi['central']:,.0f} ({int(hi['year'])}) to "
            f"{lo['central']:,.0f} ({int(lo['year'])}); the latest {kind}, for {int(last['year'])}, is {last['central']:,.0f}")
