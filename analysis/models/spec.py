"""The specification file: the questions the report answers, the events they use, and for
each effect one headline specification and the alternatives behind it.

Every event id any model uses is written here and nowhere else in model code (a test
enforces it); the events' dates and titles live in the events table. Models and the
report refer to an effect by its key (``EFFECTS``), never by a literal event id.

Headline choices (one per question; the same reasoning is in docs/results.md):

- **Annual defector arrivals** (:data:`ARRIVALS_HEADLINE`): negative binomial (NB2, the
  Poisson fit's Pearson dispersion is far above 1), a linear trend fitted on 2002-2025,
  and each event as an *arithmetic mix* of the two regimes in the year it falls in
  (expected count = (1 - s) mu_before + s mu_after, s = share of the year after the event).
  Fractional steps on the log scale mix the regimes geometrically, which for a year that
  straddles a collapse (2020: 94% of the year after 22 January, but 135 of 229 arrivals in
  Q1) overstates the drop; whole-year steps throw the date away. UNSC 2270 is in the
  headline because the 2016-2017 sanctions are one of the questions the project asks,
  and adding it lowers the AIC. Intervals use the observed information; HAC errors,
  quasi-Poisson, no trend, segment trends, a transit lag and the other step forms are
  the specification curve.
- **Monthly China-DPRK trade** (:data:`TRADE_HEADLINE`): regression with AR(1) errors and
  two Fourier pairs on every published month as printed (no outcome-based exclusion),
  steps at UNSC 2371, UNSC 2397, the closure and the reopening, covariance from the
  observed information (SARIMAX's default outer-product estimate is unstable with 48-56
  months for 11 parameters). The two 2017 resolutions are 4.5 months apart and are not
  separately identified, so the headline states their *combined* level change (the sum
  of both steps) and the curve carries a joint Wald test of the two.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from .errors import ModelError

# -- events, by id (dates and titles come from the events table) -----------------------------
SUCCESSION = "kim-jong-il-death"
SANCTIONS_2016 = "unsc-2270"
SANCTIONS_2017_EXPORTS = "unsc-2371"
SANCTIONS_2017_FUEL = "unsc-2397"
REPATRIATION_DEADLINE = "repatriation-deadline-2019"
CLOSURE = "border-closure-2020"
REOPENING = "freight-train-resumption-2022-09"

#: Short names the report uses for the events (the events table carries the full titles).
EVENT_NAMES = {
    SUCCESSION: "Kim Jong Un's succession",
    SANCTIONS_2016: "the 2016 sanctions (UNSC 2270)",
    SANCTIONS_2017_EXPORTS: "UNSC 2371",
    SANCTIONS_2017_FUEL: "UNSC 2397",
    REPATRIATION_DEADLINE: "the worker-repatriation deadline",
    CLOSURE: "the 2020 border closure",
    REOPENING: "the resumption of freight trains",
}


@dataclass(frozen=True)
class Effect:
    """One (flow, event) effect the report states."""

    key: str
    flow: str
    event_ids: tuple[str, ...]
    label: str
    question: str


ARRIVALS = "defector_arrivals"
EXPORTS = "china_exports_to_prk"
IMPORTS = "china_imports_from_prk"
FLOW_NAMES = {ARRIVALS: "defector arrivals", EXPORTS: "China's exports to the DPRK", IMPORTS: "China's imports from the DPRK"}

Q_ARRIVALS = "How did the succession, the 2016 sanctions and the 2020 closure move the number of defectors reaching South Korea?"
Q_TRADE = "How did the 2017 sanctions, the 2020 closure and the 2022 reopening move China's monthly trade with the DPRK?"

EFFECTS: tuple[Effect, ...] = (
    Effect("arrivals_succession", ARRIVALS, (SUCCESSION,), "Kim Jong Un's succession", Q_ARRIVALS),
    Effect("arrivals_sanctions_2016", ARRIVALS, (SANCTIONS_2016,), "the 2016 sanctions (UNSC 2270)", Q_ARRIVALS),
    Effect("arrivals_closure", ARRIVALS, (CLOSURE,), "the 2020 border closure", Q_ARRIVALS),
    *(Effect(f"{flow}_{name}", flow, ids, label, Q_TRADE) for flow in (EXPORTS, IMPORTS) for name, ids, label in (
        ("sanctions_2017", (SANCTIONS_2017_EXPORTS, SANCTIONS_2017_FUEL), "the 2017 sanctions (UNSC 2371 and 2397 together)"),
        ("closure", (CLOSURE,), "the 2020 border closure"),
        ("reopening", (REOPENING,), "the resumption of freight trains (Sep 2022)"),
    )),
)
EFFECT_BY_KEY = {e.key: e for e in EFFECTS}

#: An effect whose 95% interval spans more than this ratio (high / low) is "not estimable with these data".
NOT_ESTIMABLE_SPAN = 100.0


# -- annual arrivals ----------------------------------------------------------------------------
#: Defectors reach South Korea months after they leave the North (most transit through China);
#: the transit-lag alternative dates every event this many days later.
TRANSIT_LAG_DAYS = 182
FIRST_YEAR = 2002  # first year of the MOU series with single-year rows


@dataclass(frozen=True)
class ArrivalsSpec:
    name: str
    events: tuple[str, ...] = (SUCCESSION, SANCTIONS_2016, CLOSURE)
    trend: str = "linear"            # linear | none | segments (a slope change at each event)
    steps: str = "arithmetic"        # arithmetic | fractional (log scale) | whole_year
    family: str = "nb2"              # nb2 | quasi_poisson
    cov: str = "observed"            # observed | hac
    lag_days: int = 0
    description: str = ""


ARRIVALS_HEADLINE = ArrivalsSpec(
    "nb2_linear_trend_arithmetic_steps",
    description="NB2, linear trend 2002-2025, arithmetic-mix steps at the succession, UNSC 2270 and the closure; observed-information intervals")


def arrivals_curve() -> list[ArrivalsSpec]:
    """The headline first, then every trend x step form x with/without UNSC 2270, then family, errors and lag."""
    specs = [ARRIVALS_HEADLINE]
    for trend in ("linear", "none", "segments"):
        for steps in ("arithmetic", "fractional", "whole_year"):
            for with_2270 in (True, False):
                events = (SUCCESSION, SANCTIONS_2016, CLOSURE) if with_2270 else (SUCCESSION, CLOSURE)
                s = replace(ARRIVALS_HEADLINE, trend=trend, steps=steps, events=events,
                            name=f"nb2_{trend}_trend_{steps}_steps{'' if with_2270 else '_without_unsc2270'}",
                            description=f"NB2, {trend} trend, {steps.replace('_', '-')} steps, {'with' if with_2270 else 'without'} UNSC 2270")
                if s.name != ARRIVALS_HEADLINE.name and (trend, steps, with_2270) != ("linear", "arithmetic", True):
                    specs.append(s)
    specs += [
        replace(ARRIVALS_HEADLINE, name="quasi_poisson_linear_trend_arithmetic_steps", family="quasi_poisson",
                description="quasi-Poisson (Pearson scale) instead of NB2, otherwise the headline"),
        replace(ARRIVALS_HEADLINE, name="nb2_headline_hac_errors", cov="hac",
                description="the headline with HAC (Newey-West, 1 lag) standard errors"),
        replace(ARRIVALS_HEADLINE, name="nb2_headline_transit_lag", lag_days=TRANSIT_LAG_DAYS,
                description=f"the headline with every event dated {TRANSIT_LAG_DAYS} days later (transit through third countries)"),
    ]
    return specs


#: Events of the interrupted-time-series (segment-trend) model, annual and quarterly.
ITS_CHANGES: list[tuple[str, str]] = [
    (SUCCESSION, "Kim Jong Un succession (Kim Jong Il's death)"),
    (SANCTIONS_2016, "2016-2017 sanctions (from UNSC 2270)"),
    (CLOSURE, "COVID-19 border closure"),
]
#: Counterfactual paths ("without event k") are drawn this many periods after the event and no further.
COUNTERFACTUAL_HORIZON = {"Y": 3, "Q": 8}


# -- monthly trade ------------------------------------------------------------------------------
#: Months with less trade than this (USD) are "near-zero": the alternatives drop them or floor them here.
NEAR_ZERO_USD = 200_000.0


@dataclass(frozen=True)
class TradeSpec:
    name: str
    events: tuple[str, ...] = (SANCTIONS_2017_EXPORTS, SANCTIONS_2017_FUEL, CLOSURE, REOPENING)
    near_zero: str = "keep"          # keep | drop | floor
    cov: str = "oim"                 # oim (observed information) | robust_oim (sandwich) | opg (outer product)
    description: str = ""


TRADE_INTERVENTIONS: list[tuple[str, str]] = [
    (SANCTIONS_2017_EXPORTS, "UNSC 2371 (Aug 2017): ban on DPRK coal, iron and seafood exports"),
    (SANCTIONS_2017_FUEL, "UNSC 2397 (Dec 2017): caps on fuel, bans on machinery exports to the DPRK"),
    (CLOSURE, "COVID-19 border closure (Jan 2020)"),
    (REOPENING, "Dandong-Sinuiju freight trains resume (Sep 2022)"),
]
TRADE_HEADLINE = TradeSpec("ar1_all_months_oim", description="AR(1) errors, two Fourier pairs, all published months, four steps, observed-information covariance")


def trade_curve() -> list[TradeSpec]:
    no_reopen = tuple(e for e in TRADE_HEADLINE.events if e != REOPENING)
    return [
        TRADE_HEADLINE,
        replace(TRADE_HEADLINE, name="ar1_all_months_robust", cov="robust_oim", description="the headline with sandwich (robust) covariance"),
        replace(TRADE_HEADLINE, name="ar1_all_months_opg", cov="opg", description="the headline with SARIMAX's default outer-product covariance"),
        replace(TRADE_HEADLINE, name="ar1_without_reopening_step", events=no_reopen, description="the headline without the reopening step"),
        replace(TRADE_HEADLINE, name="ar1_near_zero_dropped", near_zero="drop",
                description=f"months under ${NEAR_ZERO_USD:,.0f} treated as unpublished"),
        replace(TRADE_HEADLINE, name="ar1_near_zero_floored", near_zero="floor",
                description=f"months under ${NEAR_ZERO_USD:,.0f} set to ${NEAR_ZERO_USD:,.0f}"),
        replace(TRADE_HEADLINE, name="ar1_near_zero_dropped_without_reopening", near_zero="drop", events=no_reopen,
                description=f"months under ${NEAR_ZERO_USD:,.0f} treated as unpublished, no reopening step"),
    ]


#: Events of the annual trade forecast (a forecaster only uses those known at its origin).
TRADE_FORECAST_CHANGES: list[tuple[str, str]] = [
    (SANCTIONS_2017_EXPORTS, "2017 UN bans on DPRK exports"),
    (CLOSURE, "COVID-19 border closure"),
    (REOPENING, "freight trains resume"),
]

#: Events the figures mark.
FIGURE_EVENTS = {"stl": [CLOSURE, REOPENING], "relationships": [CLOSURE]}

#: Years of the 2020-21 shock that the relationships are recomputed without.
SHOCK_YEARS = (2020, 2021)
#: Seeds of every simulation in the models.
SEEDS = {"permutation": 20261204, "breaks_critical": 20261205, "forecast": 20261127}


def every_event_id() -> list[str]:
    ids = set(EVENT_NAMES)
    for e in EFFECTS:
        ids.update(e.event_ids)
    for s in arrivals_curve():
        ids.update(s.events)
    for s in trade_curve():
        ids.update(s.events)
    for lst in (ITS_CHANGES, TRADE_INTERVENTIONS, TRADE_FORECAST_CHANGES):
        ids.update(e for e, _ in lst)
    for lst in FIGURE_EVENTS.values():
        ids.update(lst)
    return sorted(ids)


def check_events(events: pd.DataFrame) -> None:
    """Stop with a message naming the specification entry if it names an event not in the events table."""
    known = set(events["event_id"])
    entries = [(f"effect {e.key}", eid) for e in EFFECTS for eid in e.event_ids]
    entries += [(f"arrivals specification {s.name}", eid) for s in arrivals_curve() for eid in s.events]
    entries += [(f"trade specification {s.name}", eid) for s in trade_curve() for eid in s.events]
    entries += [(f"{name}", eid) for name, lst in (("ITS_CHANGES", ITS_CHANGES), ("TRADE_INTERVENTIONS", TRADE_INTERVENTIONS),
                                                  ("TRADE_FORECAST_CHANGES", TRADE_FORECAST_CHANGES)) for eid, _ in lst]
    for entry, eid in entries:
        if eid not in known:
            raise ModelError(f"analysis/models/spec.py, {entry}: event id {eid!r} is not in the events table (data/processed/events.csv)")


# --------------------------------------------------------------------------- workers abroad: revenue and risk
#: The trade-off's periods: each after the first starts in the year of one of these events.
TRADEOFF_PERIOD_STARTS = ("unsc-2371", CLOSURE, "nationals-return-2023")
#: Events the trade-off's event study looks at, and the role each plays.
TRADEOFF_EVENT_STUDY = {
    "ningbo-restaurant-defection-2016": "high-profile defection",
    "thae-yong-ho-defection-2016": "high-profile defection",
    "jo-song-gil-defection": "high-profile defection",
    "ryu-hyun-woo-defection-2019": "high-profile defection",
    "ri-il-gyu-defection-2023": "high-profile defection",
    "poland-work-visa-halt-2016": "host enforcement",
    "poland-work-permits-halt-2017": "host enforcement",
    "kuwait-downgrade-visas-2017": "host enforcement",
    REPATRIATION_DEADLINE: "UN deadline (all hosts)",
    "russia-dprk-summit-2023": "Russia after 2023",
}
