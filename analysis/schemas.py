"""One pandera ``DataFrameModel`` per table: the raw observation tables and the published ones.

These models are the single statement of each table's contract: column names, dtypes,
nullability, ranges, allowed categories and unique keys. The data package descriptor
(:mod:`analysis.datapackage`) is generated from them, so the two cannot drift apart.
Published tables extend the raw observation models they are built from.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

import pandera.polars as pa
from iso3166 import countries_by_alpha3

SOURCE_ID = r"^[a-z0-9][a-z0-9-]*$"
PARTIAL_DATE = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"
ISO3_LIST = r"^[A-Z]{3}(;[A-Z]{3})*$"

SOURCE_KINDS = ["official", "news", "research", "secondary"]
SEXES = ["male", "female", "all"]
ARRIVAL_FREQS = ["A", "H", "Q", "M", "P"]
STATUSES = ["provisional", "final", "revised"]
EVENT_CATEGORIES = [
    "sanction_un", "sanction_unilateral", "border_control", "defection_high_profile",
    "labor_policy", "repatriation", "regime_control", "leadership", "diplomacy", "weapons_program", "military", "other",
]
DATE_PRECISIONS = ["day", "month", "year"]
EVENT_SOURCE_ROLES = ["primary", "public_date", "corroborating", "alternate_disagreeing"]
CONFLICT_TYPES = ["sources_disagree", "sum_mismatch", "cumulative_mismatch"]


#: Dates the dataset can hold: nothing before 1950, nothing after the last year covered.
FIRST_DAY, LAST_DAY = dt.date(1950, 1, 1), dt.date(2026, 12, 31)
IN_RANGE = {"ge": FIRST_DAY, "le": LAST_DAY}
#: The ceiling of every money or mixed-unit column: 10**15 units of any currency, below 2**53, so that
#: every whole number up to it is exact in a 64-bit float (a larger figure is a data error, not a float).
CEILING = 1e15
PERSONS = 1_000_000  # the ceiling of a count of people (running totals included)


class _Strict:
    strict = True
    ordered = True  # published CSV columns come in the model's field order
    coerce = False


# --------------------------------------------------------------------------- sources
class Sources(pa.DataFrameModel):
    """Every document a figure or event in the dataset was read from."""

    source_id: str = pa.Field(str_matches=SOURCE_ID, unique=True, description="Stable identifier of the source document, cited by every row that uses it.")
    publisher: str = pa.Field(str_length={"min_value": 1}, description="Outlet or body that published the document.")
    title: str = pa.Field(str_length={"min_value": 1}, description="Title of the document as published (or a short description where it has none).")
    url: str = pa.Field(str_matches=r"^https?://\S+$", description="Address of the document.")
    published: Optional[str] = pa.Field(nullable=True, str_matches=PARTIAL_DATE, description="Publication date, ISO 8601 at the precision known (YYYY, YYYY-MM or YYYY-MM-DD); empty where the document does not show it.")
    accessed: dt.date = pa.Field(ge=dt.date(1990, 1, 1), le=LAST_DAY, description="Date the document was read (not before its publication date).")
    kind: str = pa.Field(isin=SOURCE_KINDS, description="official (government statistics, releases, reports to the UN), news (a report citing an agency), research (think tank, academic, NGO, UN Panel of Experts), secondary (compilations without own reporting). Sets the precedence rule.")
    language: str = pa.Field(str_matches=r"^[a-z]{2}$", description="ISO 639-1 code of the document's language.")

    class Config(_Strict):
        name = "sources"
        unique = ["source_id"]


# ------------------------------------------------------------------ defector arrivals
class DefectorArrivalObservations(pa.DataFrameModel):
    """Raw table: one row per published figure of defector arrivals in South Korea, per source."""

    source_id: str = pa.Field(str_matches=SOURCE_ID, description="Source the figure was read from (see sources).")
    period_start: Optional[dt.date] = pa.Field(nullable=True, **IN_RANGE, description="First day covered; empty for the open-ended pooled row of all arrivals up to a date.")
    period_end: dt.date = pa.Field(ge=dt.date(1950, 1, 1), le=dt.date(2026, 12, 31), description="Last day covered.")
    freq: str = pa.Field(isin=ARRIVAL_FREQS, description="A calendar year, H half-year, Q quarter, M month, P any other span (pooled years, year to date).")
    sex: str = pa.Field(isin=SEXES, description="male, female or all.")
    arrivals: int = pa.Field(ge=0, le=100_000, description="Defectors who arrived in South Korea in the period (persons).")
    status: str = pa.Field(isin=STATUSES, description="provisional (labelled preliminary, or reported before the period ended), final, or revised (the source corrects an earlier figure).")
    reported_as: str = pa.Field(str_length={"min_value": 1}, description="The figure exactly as printed in the source.")
    note: Optional[str] = pa.Field(nullable=True, description="Remarks on the figure.")

    class Config(_Strict):
        name = "defector_arrival_observations"
        unique = ["source_id", "freq", "period_start", "period_end", "sex"]


class DefectorArrivals(DefectorArrivalObservations):
    """Published: every figure x source, with the preferred one flagged."""

    preferred: bool = pa.Field(description="True for the figure the precedence rule chose for its period and sex.")

    class Config(_Strict):
        name = "defector_arrivals"
        unique = ["source_id", "freq", "period_start", "period_end", "sex"]


class DefectorCumulativeObservations(pa.DataFrameModel):
    """Raw table: running totals of arrivals since records began, as reported on given dates."""

    source_id: str = pa.Field(str_matches=SOURCE_ID, description="Source the figure was read from.")
    as_of: dt.date = pa.Field(ge=dt.date(1990, 1, 1), le=dt.date(2026, 12, 31), description="Date the running total refers to.")
    sex: str = pa.Field(isin=SEXES, description="male, female or all.")
    cumulative: int = pa.Field(ge=0, le=1_000_000, description="Defectors arrived since records began, up to as_of (persons).")
    reported_as: str = pa.Field(str_length={"min_value": 1}, description="The figure exactly as printed in the source.")
    note: Optional[str] = pa.Field(nullable=True, description="Remarks on the figure.")

    class Config(_Strict):
        name = "defector_cumulative_observations"
        unique = ["source_id", "as_of", "sex"]


class DefectorCumulative(DefectorCumulativeObservations):
    """Published: reported running totals, each set beside the running total of the preferred series."""

    computed: Optional[int] = pa.Field(nullable=True, ge=0, le=PERSONS, description="Running total of the preferred series up to as_of; empty where the series has a gap.")
    difference: Optional[int] = pa.Field(nullable=True, ge=-PERSONS, le=PERSONS, description="cumulative minus computed (persons).")

    class Config(_Strict):
        name = "defector_cumulative"
        unique = ["source_id", "as_of", "sex"]


class DefectorArrivalsAnnual(pa.DataFrameModel):
    """Published: the preferred annual series, one row per single calendar year."""

    year: int = pa.Field(ge=1950, le=2026, unique=True, description="Calendar year of arrival.")
    male: Optional[int] = pa.Field(nullable=True, ge=0, le=100_000, description="Male arrivals (persons); empty where no source splits the year by sex.")
    female: Optional[int] = pa.Field(nullable=True, ge=0, le=100_000, description="Female arrivals (persons).")
    total: int = pa.Field(ge=0, le=100_000, description="All arrivals (persons).")
    female_share: Optional[float] = pa.Field(nullable=True, ge=0.0, le=1.0, description="female / total, rounded to 4 decimals.")
    status: str = pa.Field(isin=STATUSES, description="Status of the chosen figure.")
    source_id: str = pa.Field(str_matches=SOURCE_ID, description="Source of the chosen figures.")

    class Config(_Strict):
        name = "defector_arrivals_annual"
        unique = ["year"]


# ------------------------------------------------------------------------------- trade
TRADE_FREQS = ["A", "M", "YTD"]
TRADE_FLOWS = ["export", "import", "total"]
TRADE_AGENCIES = ["GACC", "KOTRA", "MOU", "KITA", "ITC", "MOFCOM", "KOSTAT", "ROSSTAT", "FCS", "ROSSTAT/FCS", "COMTRADE", "OTHER"]
CURRENCIES = ["USD", "CNY", "RUB", "KRW", "EUR"]
COMMODITY = r"^(TOTAL|\d{2,6}(\+\d{2,6})*)$"
#: Trade reporters and partners: ISO 3166 alpha-3 country codes, and WLD for the world.
TRADE_AREAS = sorted(set(countries_by_alpha3) | {"WLD"})


class TradeFlowObservations(pa.DataFrameModel):
    """Raw table: one row per published trade figure per source."""

    source_id: str = pa.Field(str_matches=SOURCE_ID, description="Source the figure was read from (see sources).")
    period_start: dt.date = pa.Field(ge=dt.date(1950, 1, 1), le=dt.date(2026, 12, 31), description="First day covered.")
    period_end: dt.date = pa.Field(ge=dt.date(1950, 1, 1), le=dt.date(2026, 12, 31), description="Last day covered.")
    freq: str = pa.Field(isin=TRADE_FREQS, description="A calendar year, M calendar month, YTD cumulative from January 1 to period_end.")
    reporter: str = pa.Field(isin=TRADE_AREAS, description="ISO 3166 alpha-3 of the reporting country (whose statistics these are); PRK for KOTRA's estimates of North Korea's trade.")
    partner: str = pa.Field(isin=TRADE_AREAS, description="ISO 3166 alpha-3 of the partner; WLD for the world.")
    flow: str = pa.Field(isin=TRADE_FLOWS, description="export, import or total, from the reporter's point of view.")
    commodity: str = pa.Field(str_matches=COMMODITY, description="TOTAL, or an HS code (chapter, heading or subheading; '61+62' for a combined figure).")
    value: float = pa.Field(ge=0, le=CEILING, description="Value in units of currency (not thousands or millions).")
    currency: str = pa.Field(isin=CURRENCIES, description="ISO 4217 currency of value; never converted.")
    agency: str = pa.Field(isin=TRADE_AGENCIES, description="Agency whose statistic the figure is: GACC China customs, KOTRA (its estimates of North Korea's trade), MOU ROK Ministry of Unification, KITA Korea International Trade Association, ITC International Trade Centre, MOFCOM China's commerce ministry, KOSTAT Statistics Korea, ROSSTAT/FCS Russian statistics or customs where the source does not say which, COMTRADE UN Comtrade.")
    status: str = pa.Field(isin=STATUSES, description="provisional, final or revised.")
    reported_as: str = pa.Field(str_length={"min_value": 1}, description="The figure exactly as printed in the source.")
    note: Optional[str] = pa.Field(nullable=True, description="Remarks on the figure.")

    class Config(_Strict):
        name = "trade_flow_observations"
        unique = ["source_id", "freq", "period_start", "period_end", "reporter", "partner", "flow", "commodity", "currency", "agency"]


class TradeFlows(TradeFlowObservations):
    """Published: every trade figure x source, as reported (never converted), with the preferred one flagged."""

    preferred: bool = pa.Field(description="True for the figures of the source the precedence rule chose for this series and period.")

    class Config(_Strict):
        name = "trade_flows"
        unique = ["source_id", "freq", "period_start", "period_end", "reporter", "partner", "flow", "commodity", "currency", "agency"]


class TradeAnnual(pa.DataFrameModel):
    """Published: the preferred annual series in US dollars, one row per year, reporter, partner and agency (agencies are never mixed)."""

    year: int = pa.Field(ge=1950, le=2026, description="Calendar year.")
    reporter: str = pa.Field(isin=TRADE_AREAS, description="Reporting country (CHN for China's customs; PRK for KOTRA's estimates of North Korea's trade).")
    partner: str = pa.Field(isin=TRADE_AREAS, description="Partner country; WLD for the world.")
    agency: str = pa.Field(isin=TRADE_AGENCIES, description="Agency whose statistic the series is.")
    exports_usd: Optional[float] = pa.Field(nullable=True, ge=0, le=CEILING, description="Reporter's exports to the partner (US dollars).")
    imports_usd: Optional[float] = pa.Field(nullable=True, ge=0, le=CEILING, description="Reporter's imports from the partner (US dollars).")
    total_usd: Optional[float] = pa.Field(nullable=True, ge=0, le=CEILING, description="Total trade (US dollars).")
    total_derived: bool = pa.Field(description="True where the source gave exports and imports but no total, and total_usd is their sum.")
    status: str = pa.Field(isin=STATUSES, description="Status of the chosen figures.")
    source_id: str = pa.Field(str_matches=SOURCE_ID, description="Source of the chosen figures.")

    class Config(_Strict):
        name = "trade_annual"
        unique = ["year", "reporter", "partner", "agency"]


class TradeMonthly(pa.DataFrameModel):
    """Published: the preferred monthly series in US dollars; each month reported directly or derived from consecutive year-to-date figures."""

    year: int = pa.Field(ge=1950, le=2026, description="Calendar year.")
    month: int = pa.Field(ge=1, le=12, description="Calendar month.")
    reporter: str = pa.Field(isin=TRADE_AREAS, description="Reporting country.")
    partner: str = pa.Field(isin=TRADE_AREAS, description="Partner country.")
    agency: str = pa.Field(isin=TRADE_AGENCIES, description="Agency whose statistic the series is.")
    exports_usd: Optional[float] = pa.Field(nullable=True, ge=-CEILING, le=CEILING, description="Reporter's exports to the partner in the month (US dollars).")
    imports_usd: Optional[float] = pa.Field(nullable=True, ge=-CEILING, le=CEILING, description="Reporter's imports from the partner in the month (US dollars).")
    total_usd: Optional[float] = pa.Field(nullable=True, ge=-CEILING, le=CEILING, description="Total trade in the month (US dollars).")
    basis: str = pa.Field(str_matches=r"^(reported|derived_from_ytd)(;(reported|derived_from_ytd))?$", description="reported (a monthly figure as published), derived_from_ytd (difference of consecutive year-to-date figures), or both where flows differ.")
    source_id: str = pa.Field(description="Source(s) of the month's figures, separated by ';'.")

    class Config(_Strict):
        name = "trade_monthly"
        unique = ["year", "month", "reporter", "partner", "agency"]


#: The product lines tied to work abroad and to sanctions that trade_products carries, at the
#: 2- and 4-digit level of the HS: clothing made under processing contracts (61, 62 and the
#: combined 61+62 some sources print), wigs and false eyelashes (67, 6704), watches (91),
#: seafood (03), coal (27, 2701), iron ore (26, 2601) and electricity (2716).
LABOUR_LINKED_HS = {
    "03": "Fish and seafood (chapter 03)",
    "26": "Ores, slag and ash (chapter 26)",
    "2601": "Iron ore and concentrates (heading 2601)",
    "27": "Mineral fuels (chapter 27)",
    "2701": "Coal (heading 2701)",
    "2716": "Electricity (heading 2716)",
    "61": "Clothing, knitted or crocheted (chapter 61)",
    "62": "Clothing, not knitted (chapter 62)",
    "61+62": "Clothing, chapters 61 and 62 together",
    "67": "Wigs, prepared feathers, artificial flowers (chapter 67)",
    "6704": "Wigs, false eyelashes and beards (heading 6704)",
    "91": "Clocks and watches (chapter 91)",
}


class TradeProducts(pa.DataFrameModel):
    """Published: the preferred annual figure for each labour-linked product line (LABOUR_LINKED_HS), one row per year, reporter, partner, flow, HS line and agency; a year no source reports is absent (a gap, never a zero)."""

    year: int = pa.Field(ge=1950, le=2026, description="Calendar year.")
    reporter: str = pa.Field(isin=TRADE_AREAS, description="Reporting country (CHN for China's statistics; PRK for KOTRA's estimates of North Korea's trade).")
    partner: str = pa.Field(isin=TRADE_AREAS, description="Partner country; WLD for the world.")
    flow: str = pa.Field(isin=TRADE_FLOWS, description="export, import or total, from the reporter's point of view.")
    hs_code: str = pa.Field(isin=list(LABOUR_LINKED_HS), description="HS chapter (2 digits) or heading (4 digits); 61+62 where a source printed the two clothing chapters together.")
    description: str = pa.Field(str_length={"min_value": 1}, description="What the HS line holds, in the project's words.")
    value_usd: float = pa.Field(ge=0, description="Value in US dollars, as reported.")
    agency: str = pa.Field(isin=TRADE_AGENCIES, description="Who compiled the figure (GACC, KITA, KOTRA, COMTRADE, ...); agencies are separate series.")
    source_id: str = pa.Field(str_matches=SOURCE_ID, description="Source of the figure (the precedence rule's choice for its series and year).")

    class Config(_Strict):
        name = "trade_products"
        unique = ["year", "reporter", "partner", "flow", "hs_code", "agency"]


# ------------------------------------------------------------------------------- labor
#: Measures of workers abroad. They count different things and are never added together.
LABOR_MEASURES = {
    "stock_official": ("persons", "People present at a date according to an official register of the host (for example holders of valid work permits)."),
    "stock_estimate": ("persons", "An estimate of the people present, by the named estimator; a range goes in value_low and value_high."),
    "permits_issued": ("permits", "Work permits issued during the period: documents, not people present (one person may hold several over time)."),
    "entries_for_work": ("entries", "Border entries of North Korean citizens who declared work as their purpose: trips, not people."),
    "entries_for_study": ("entries", "Border entries of North Korean citizens who declared study as their purpose: trips, not people."),
    "entries_for_other": ("entries", "Border entries for another declared purpose (business, private, crew, tourism; the note says which): trips, not people."),
    "entries_total": ("entries", "All border entries of North Korean citizens in the period: trips, not people."),
    "visas_issued": ("visas", "Visas issued during the period, of the type the note names."),
    "registrations": ("registrations", "Migration (residence) registrations of North Korean citizens during the period, of the type the note names: records of arrival at an address, not people present and not visas."),
    "quota_granted": ("persons", "A labour quota or intake granted or requested for the period (a ceiling or a request, not people present)."),
    "remaining_2397": ("persons", "Workers still present as a host state reported under UN Security Council resolution 2397."),
    "repatriated_2397": ("persons", "Workers sent home as a host state reported under UN Security Council resolution 2397."),
}
#: Hosts that are regions rather than countries (ISO 3166 has no codes for them); WLD is the world.
REGIONS = {"WLD": "World", "AFR": "Africa", "MEA": "Middle East", "SEA": "South-East Asia", "EEU": "Eastern Europe", "EUR": "Europe"}
HOSTS = sorted(set(countries_by_alpha3) | set(REGIONS))
LABOR_PARAMETERS = [
    "monthly_wage_per_worker", "monthly_take_home_pay_per_worker", "state_share_pct", "take_home_share_pct",
    "fixed_annual_payment_per_worker", "monthly_payment_to_state_per_worker", "additional_monthly_payment_to_state_per_worker",
]
LABOR_UNITS = ["per_month", "per_year", "percent"]
#: Whose workers a figure covers. Only ``national`` figures set a host's bounds; the others
#: are kept, published and shown, but never stand for a whole host.
LABOR_SCOPES = {
    "national": "the whole host country",
    "regional": "one region, province or city of a host",
    "firm": "one company, site or project",
    "world": "all hosts together",
    "multi_country": "a named group of hosts",
}
SCOPE_FIELD = dict(isin=list(LABOR_SCOPES), description="Whose workers the figure covers: " + "; ".join(f"{k} = {v}" for k, v in LABOR_SCOPES.items()) + ". Only national figures set a host's bounds.")
MONEY = CURRENCIES + ["JPY"]


class LaborWorkerObservations(pa.DataFrameModel):
    """Raw table: one row per published figure of North Korean workers abroad, per source and measure."""

    source_id: str = pa.Field(str_matches=SOURCE_ID, description="Source the figure was read from.")
    period_start: Optional[dt.date] = pa.Field(nullable=True, **IN_RANGE, description="First day covered (for a stock at a date, that date); empty where the source prints no date.")
    period_end: Optional[dt.date] = pa.Field(nullable=True, **IN_RANGE, description="Last day covered.")
    host: str = pa.Field(isin=HOSTS, description="Host country, ISO 3166 alpha-3; or a region: WLD world, AFR Africa, MEA Middle East, SEA South-East Asia, EEU Eastern Europe, EUR Europe.")
    measure: str = pa.Field(isin=list(LABOR_MEASURES), description="What is counted (see labor_measures); measures are never added together.")
    value: Optional[float] = pa.Field(nullable=True, ge=0, le=CEILING, description="The figure, in the measure's unit; empty where only a range is given.")
    value_low: Optional[float] = pa.Field(nullable=True, ge=0, le=CEILING, description="Lower bound of a range, or 'at least'.")
    value_high: Optional[float] = pa.Field(nullable=True, ge=0, le=CEILING, description="Upper bound of a range, or 'at most'.")
    estimator: str = pa.Field(str_length={"min_value": 1}, description="Who produced the figure (agency, government, researcher).")
    reported_as: str = pa.Field(str_length={"min_value": 1}, description="The figure exactly as printed in the source.")
    note: Optional[str] = pa.Field(nullable=True, description="Remarks: the declared purpose within entries_for_other, the visa type, the region covered, how the period was fixed.")
    scope: str = pa.Field(**SCOPE_FIELD)

    class Config(_Strict):
        name = "labor_worker_observations"
        unique = ["source_id", "period_start", "period_end", "host", "measure", "value", "value_low", "value_high", "estimator", "note"]


class LaborWorkers(LaborWorkerObservations):
    """Published: every figure of North Korean workers abroad x source, by host and measure."""

    class Config(_Strict):
        name = "labor_workers"
        unique = ["source_id", "period_start", "period_end", "host", "measure", "value", "value_low", "value_high", "estimator", "note"]


class LaborMeasures(pa.DataFrameModel):
    """Published: the definition and unit of each labor measure."""

    measure: str = pa.Field(isin=list(LABOR_MEASURES), unique=True, description="Measure name, as used in labor_workers.")
    unit: str = pa.Field(description="What one unit of the measure is.")
    definition: str = pa.Field(description="What the measure counts, and what it does not.")

    class Config(_Strict):
        name = "labor_measures"
        unique = ["measure"]


class LaborRevenueEstimates(pa.DataFrameModel):
    """Published: every published estimate of the state's revenue from North Korean workers abroad."""

    source_id: str = pa.Field(str_matches=SOURCE_ID, description="Source the estimate was read from.")
    period_start: Optional[dt.date] = pa.Field(nullable=True, **IN_RANGE, description="First day of the period the estimate covers (a year, usually).")
    period_end: Optional[dt.date] = pa.Field(nullable=True, **IN_RANGE, description="Last day of that period.")
    host: str = pa.Field(isin=HOSTS, description="Host country (ISO 3166 alpha-3) or region; WLD for all workers abroad.")
    coverage: str = pa.Field(str_length={"min_value": 1}, description="What the estimate measures, in a few words (annual state revenue, gross earnings, remittances...).")
    value: Optional[float] = pa.Field(nullable=True, ge=0, le=CEILING, description="The estimate, in currency (not converted).")
    value_low: Optional[float] = pa.Field(nullable=True, ge=0, le=CEILING, description="Lower bound of a range.")
    value_high: Optional[float] = pa.Field(nullable=True, ge=0, le=CEILING, description="Upper bound of a range.")
    currency: str = pa.Field(isin=MONEY, description="ISO 4217 currency of the values; estimates are never converted.")
    estimator: str = pa.Field(str_length={"min_value": 1}, description="Who made the estimate.")
    reported_as: str = pa.Field(str_length={"min_value": 1}, description="The estimate exactly as printed.")
    note: Optional[str] = pa.Field(nullable=True, description="Remarks.")
    scope: str = pa.Field(**SCOPE_FIELD)

    class Config(_Strict):
        name = "labor_revenue_estimates"
        unique = ["source_id", "period_start", "period_end", "host", "coverage", "value", "value_low", "value_high", "estimator"]


class LaborModelInputs(pa.DataFrameModel):
    """Published: wages, the state's share and payments per worker, in the units and currency printed."""

    source_id: str = pa.Field(str_matches=SOURCE_ID, description="Source the figure was read from.")
    parameter: str = pa.Field(isin=LABOR_PARAMETERS, description="What the figure is (monthly wage, share taken by the state, fixed payment...).")
    host: str = pa.Field(isin=HOSTS, description="Host country or region the figure applies to.")
    period_start: Optional[dt.date] = pa.Field(nullable=True, **IN_RANGE, description="First day of the period the figure applies to.")
    period_end: Optional[dt.date] = pa.Field(nullable=True, **IN_RANGE, description="Last day of that period.")
    value: Optional[float] = pa.Field(nullable=True, ge=0, le=CEILING, description="The figure.")
    value_low: Optional[float] = pa.Field(nullable=True, ge=0, le=CEILING, description="Lower bound of a range, or 'at least'.")
    value_high: Optional[float] = pa.Field(nullable=True, ge=0, le=CEILING, description="Upper bound of a range, or 'at most'.")
    unit: str = pa.Field(isin=LABOR_UNITS, description="per_month, per_year (money per worker) or percent.")
    currency: Optional[str] = pa.Field(nullable=True, isin=MONEY, description="Currency of money figures; empty for percentages.")
    reported_as: str = pa.Field(str_length={"min_value": 1}, description="The figure exactly as printed.")
    note: Optional[str] = pa.Field(nullable=True, description="Remarks.")
    scope: str = pa.Field(**SCOPE_FIELD)

    class Config(_Strict):
        name = "labor_model_inputs"
        unique = ["source_id", "parameter", "host", "period_start", "period_end", "value", "value_low", "value_high", "unit"]


#: Inputs of the revenue model, in the order they are drawn.
REVENUE_INPUTS = ["workers", "entries", "people_per_entry", "monthly_wage_usd", "state_share"]
#: Distributions an input may take. pert and lognormal put their weight on the centre figure.
REVENUE_DISTRIBUTIONS = {
    "pert": "PERT (scaled Beta) from the lowest to the highest published figure, its mode at the centre figure",
    "lognormal": "log-normal with its median at the centre figure and the published extremes at its 5th and 95th percentiles (the farther one sets the spread)",
    "uniform": "flat between the lowest and the highest published figure (no figure better supported than another)",
}
#: Which published figure carries the weight.
REVENUE_CENTRES = {
    "panel": "the central figure of labor_panel (official stock first, then estimates)",
    "most_cited": "the value printed by the most sources among the matched figures (ties: their median)",
    "median": "the median of the matched figures' point values (a range counts by its midpoint)",
}


class LaborRevenueAssumptions(pa.DataFrameModel):
    """Published: for each host and input of the revenue model, the distribution drawn, the figure that carries the weight, whose figures apply and how they are matched to the year, with the reason. Ranges are computed from the published figures, never typed."""

    host: str = pa.Field(isin=HOSTS, description="Host modelled.")
    input: str = pa.Field(isin=REVENUE_INPUTS, description="Input of the model: workers (people present, from labor_panel), entries (border entries for work, for a host-year without a head count), people_per_entry (the conversion of entries to people), monthly_wage_usd, state_share.")
    distribution: str = pa.Field(isin=list(REVENUE_DISTRIBUTIONS), description="Distribution drawn: " + "; ".join(f"{k} = {v}" for k, v in REVENUE_DISTRIBUTIONS.items()) + ".")
    centre: str = pa.Field(isin=list(REVENUE_CENTRES), description="Figure the distribution is centred on: " + "; ".join(f"{k} = {v}" for k, v in REVENUE_CENTRES.items()) + ".")
    inputs_from: str = pa.Field(isin=HOSTS, description="Host or region whose national-scope wage and state-share figures apply, pooled with the host's own and the worldwide ones (ignored for head counts).")
    year_window: int = pa.Field(ge=0, le=30, description="Year rule: figures whose period covers the modelled year are used; failing those, the dated figures nearest in time within this many years; failing those, figures without a date.")
    widen: float = pa.Field(ge=1.0, le=10.0, description="For people_per_entry only: the range calibrated on the host's own years is divided (low) and multiplied (high) by this factor, because a handful of calibration years cannot fix how often a worker crosses the border; 1 elsewhere.")
    exclude_source_ids: Optional[str] = pa.Field(nullable=True, description="Sources whose figures are left out for this host and input (separated by ';'), with the reason.")
    reason: str = pa.Field(str_length={"min_value": 10}, description="Why this distribution, centre and pool.")

    class Config(_Strict):
        name = "labor_revenue_assumptions"
        unique = ["host", "input"]


#: The one measure a labor_panel row rests on, in order of precedence.
PANEL_BASES = ["stock_official", "remaining_2397", "stock_estimate"]


class LaborPanel(pa.DataFrameModel):
    """Published: people present by host and year, one measure per row, chosen by the written rule of :mod:`analysis.harmonize.labor`."""

    host: str = pa.Field(isin=sorted(countries_by_alpha3), description="Host country, ISO 3166 alpha-3 (regions and the world are not hosts here).")
    year: int = pa.Field(ge=1990, le=2026, description="Calendar year the head counts are dated in (their period_end).")
    low: float = pa.Field(ge=0, le=1_000_000, description="Lowest figure of the basis measure in the year (values and stated lower bounds).")
    central: float = pa.Field(ge=0, le=1_000_000, description="Median of the basis measure's point figures in the year (a range counts by its midpoint).")
    high: float = pa.Field(ge=0, le=1_000_000, description="Highest figure of the basis measure in the year (values and stated upper bounds).")
    basis: str = pa.Field(isin=PANEL_BASES, description="The single measure the row rests on: stock_official (a host's register) first, then remaining_2397 (a host's report to the UN), then stock_estimate. Entries, permits and visas are never used.")
    n_sources: int = pa.Field(ge=1, le=10_000, description="Sources behind the basis figures.")
    source_ids: str = pa.Field(str_matches=r"^[a-z0-9][a-z0-9-]*(;[a-z0-9][a-z0-9-]*)*$", description="Those sources, separated by ';'.")

    class Config(_Strict):
        name = "labor_panel"
        unique = ["host", "year"]


class LaborPanelGaps(pa.DataFrameModel):
    """Published: each year 2010-2025 for which Russia or China has no labor_panel row, and why."""

    host: str = pa.Field(isin=sorted(countries_by_alpha3), description="Host country.")
    year: int = pa.Field(ge=1990, le=2026, description="Year without a national people-present figure.")
    reason: str = pa.Field(str_length={"min_value": 5}, description="What the data hold for the year instead (entries, permits, regional figures) or that nothing was found.")
    measures_available: Optional[str] = pa.Field(nullable=True, description="Measures with a dated figure for the host in that year, separated by ';'; empty when none.")

    class Config(_Strict):
        name = "labor_panel_gaps"
        unique = ["host", "year"]


# ------------------------------------------------------------------ defections abroad
DEFECTION_GROUPS = ["worker", "restaurant_staff", "diplomat", "trade_official", "official", "student", "seafarer", "athlete", "other"]
DEFECTION_OUTCOMES = ["reached_rok", "third_country", "caught", "returned", "unknown"]


class DefectionsAbroadObservations(pa.DataFrameModel):
    """Raw table: one row per known defection or attempt by North Korean nationals stationed abroad, per source."""

    incident_id: str = pa.Field(str_matches=SOURCE_ID, description="Stable identifier of the incident; two sources of one incident share it.")
    date: dt.date = pa.Field(**IN_RANGE, description="Date of the defection (first day of the month or year at lower precision).")
    date_precision: str = pa.Field(isin=DATE_PRECISIONS, description="day, month or year.")
    host: str = pa.Field(isin=HOSTS, description="Country where the people were stationed, ISO 3166 alpha-3, or a region (AFR, SEA, EUR, MEA, WLD) where the source names only that.")
    people: Optional[int] = pa.Field(nullable=True, ge=1, le=10_000, description="Number of people; empty where no source gives a count.")
    group: str = pa.Field(isin=DEFECTION_GROUPS, description="Who they were: " + ", ".join(DEFECTION_GROUPS) + ".")
    outcome: str = pa.Field(isin=DEFECTION_OUTCOMES, description="reached_rok (arrived in South Korea), third_country (settled or stayed elsewhere), caught (stopped or detained before leaving), returned (sent or went back to North Korea), unknown.")
    source_id: str = pa.Field(str_matches=SOURCE_ID, description="Source the incident was read from.")
    reported_as: str = pa.Field(str_length={"min_value": 1}, description="The words that fix the incident (count, date) exactly as printed.")
    note: Optional[str] = pa.Field(nullable=True, description="Remarks.")

    class Config(_Strict):
        name = "defections_abroad_observations"
        unique = ["incident_id", "source_id"]


class DefectionsAbroad(DefectionsAbroadObservations):
    """Published: every defection incident abroad x source."""

    class Config(_Strict):
        name = "defections_abroad"
        unique = ["incident_id", "source_id"]


# ------------------------------------------------------------------------------ events
class Events(pa.DataFrameModel):
    """Published: dated events that shape the flows (sanctions, border controls, defections...)."""

    event_id: str = pa.Field(str_matches=SOURCE_ID, unique=True, description="Stable identifier; models refer to events by this id, never by date.")
    date: dt.date = pa.Field(ge=dt.date(1990, 1, 1), le=dt.date(2026, 12, 31), description="Date the event happened (first day of the month or year at lower precision).")
    date_precision: str = pa.Field(isin=DATE_PRECISIONS, description="day, month or year.")
    public_date: Optional[dt.date] = pa.Field(nullable=True, **IN_RANGE, description="Date the event became public, where it differs from date (later for a defection revealed afterwards, earlier for a measure announced before it takes effect).")
    category: str = pa.Field(isin=EVENT_CATEGORIES, description="Kind of event; regime_control is a step the DPRK took to watch, recall or restrict its nationals abroad (often after a defection), as reported.")
    countries: str = pa.Field(str_matches=ISO3_LIST, description="ISO 3166 alpha-3 codes of the countries involved, separated by ';' (each a code ISO 3166 assigns).")
    title: str = pa.Field(str_length={"min_value": 1, "max_value": 120}, description="Title: what happened, in one line.")
    short_title: str = pa.Field(str_length={"min_value": 1, "max_value": 28}, description="Label for charts (at most 28 characters); every figure marks the event with it.")
    description: str = pa.Field(str_length={"min_value": 1, "max_value": 400}, description="One sentence on what happened and why it matters for the flows.")
    source_id: str = pa.Field(str_matches=SOURCE_ID, description="Source the date was read from.")

    class Config(_Strict):
        name = "events"
        unique = ["event_id"]


class EventSources(pa.DataFrameModel):
    """Published: for each event, the pages that date it, with the date as printed there."""

    event_id: str = pa.Field(str_matches=SOURCE_ID, description="Event (see events).")
    source_id: str = pa.Field(str_matches=SOURCE_ID, description="Page that gives the date.")
    reported_as: str = pa.Field(str_length={"min_value": 1}, description="The date (or the words that fix it) exactly as printed on the page.")
    role: str = pa.Field(isin=EVENT_SOURCE_ROLES, description="primary (the source of the events row), public_date (the page that dates when the event became public), corroborating (gives the same date), alternate_disagreeing (gives another date; kept so the disagreement is visible).")

    class Config(_Strict):
        name = "event_sources"
        unique = ["event_id", "source_id"]


# --------------------------------------------------------------------------- conflicts
class Conflicts(pa.DataFrameModel):
    """Published: every figure that sources report differently, and every documented check miss: one row per value and source of each conflict."""

    conflict_id: str = pa.Field(str_matches=r"^c[0-9a-f]{10}$", description="Identifier of the conflict (stable across builds); the rows of one conflict share it.")
    table: str = pa.Field(description="Published table the figure belongs to.")
    key: str = pa.Field(description="The figure's key within that table, as name=value pairs separated by ';' (the same text for every row of the conflict).")
    conflict_type: str = pa.Field(isin=CONFLICT_TYPES, description="sources_disagree, sum_mismatch (parts do not add up to the whole) or cumulative_mismatch.")
    value: str = pa.Field(str_length={"min_value": 1}, description="One of the differing values, as a number in the table's unit.")
    source_id: Optional[str] = pa.Field(nullable=True, description="Source of the value; empty for a value computed from the published series (see basis).")
    basis: str = pa.Field(str_length={"min_value": 1}, description="What the value is: reported (a figure as printed), or how it was computed (male + female, sum of the preferred quarters, running total of the preferred series...).")
    chosen: bool = pa.Field(description="True for the value the published series uses; every row false where nothing was chosen (a source's own split that does not add up).")
    decided_by: str = pa.Field(str_length={"min_value": 1}, description="The step of that table's precedence rule that chose the value (for example 'defector rule, step 4: official > news > research > secondary'), or how a check miss was settled.")
    note: Optional[str] = pa.Field(nullable=True, description="The documented explanation of a check miss, or the range the published revisions allow.")

    class Config(_Strict):
        name = "conflicts"
        unique = ["conflict_id", "value", "source_id", "basis"]



# ============================================================================ result tables
# The tables `nkflows fit` writes to reports/tables/ (pandas frames, checked on write and on
# read). One model each on one base (_ResultModel), collected in RESULT_MODELS at the end of this
# file; everything above this line is the published-table contract.
from pathlib import Path as _Path  # noqa: E402

import pandas as _pd  # noqa: E402
import pandera.pandas as rpa  # noqa: E402

from .errors import DataError as _DataError  # noqa: E402
from .errors import Issue as _Issue  # noqa: E402

RATIO = {"gt": 0}
PROB = {"ge": 0, "le": 1}


class _ResultModel(rpa.DataFrameModel):
    class Config:
        strict = True
        ordered = True
        coerce = True  # CSV writes 3.0 as 3: numbers are read back to the model's dtype (a value that cannot be is an error)

    @rpa.dataframe_check(error="a number is infinite: a result is a finite number or empty (not estimable)")
    @classmethod
    def _finite(cls, df: _pd.DataFrame) -> _pd.Series:
        numbers = df.select_dtypes(include="number")
        return ~numbers.isin([float("inf"), float("-inf")]).any(axis=1)


class HeadlineEffects(_ResultModel):
    """One row per effect the report states: the headline specification's estimate and the range over its curve."""

    effect: str = rpa.Field(unique=True, description="Key of the effect in analysis/models/spec.py (EFFECTS).")
    flow: str = rpa.Field(description="The flow: defector_arrivals, china_exports_to_prk or china_imports_from_prk.")
    event_ids: str = rpa.Field(description="Event id(s) from the events table, ';'-separated for a combined effect.")
    label: str
    question: str
    specification: str = rpa.Field(description="Name of the headline specification (spec.py).")
    estimate: float = rpa.Field(**RATIO, description="Ratio of the level after the event to the level without it.")
    ci_low: float = rpa.Field(**RATIO)
    ci_high: float = rpa.Field(**RATIO)
    pct_change: float = rpa.Field(ge=-100)
    n: int = rpa.Field(gt=0, description="Observations the headline model was fitted to.")
    curve_low: float = rpa.Field(**RATIO, description="Lowest estimate over the specification curve.")
    curve_high: float = rpa.Field(**RATIO, description="Highest estimate over the specification curve.")
    n_specifications: int = rpa.Field(ge=1)
    interval_span: float = rpa.Field(ge=1, description="ci_high / ci_low.")
    estimable: bool = rpa.Field(description="False when the interval spans more than two orders of magnitude: 'not estimable with these data'.")

    class Config:
        name = "headline_effects"

    @rpa.dataframe_check
    def estimate_inside_interval_and_curve(cls, df: _pd.DataFrame) -> _pd.Series:
        return (df["ci_low"] <= df["estimate"]) & (df["estimate"] <= df["ci_high"]) & (df["curve_low"] <= df["estimate"]) & (df["estimate"] <= df["curve_high"])


class SpecificationCurve(_ResultModel):
    """Every effect under every specification (and the joint tests), headline rows marked."""

    flow: str
    event_ids: str
    specification: str
    description: str
    headline: bool
    scale: str = rpa.Field(isin=["rate_ratio", "ratio", "test"])
    estimate: float = rpa.Field(nullable=True, **RATIO)
    ci_low: float = rpa.Field(nullable=True, **RATIO)
    ci_high: float = rpa.Field(nullable=True, **RATIO)
    n: int = rpa.Field(gt=0)
    aic: float = rpa.Field(nullable=True)
    test: Optional[str] = rpa.Field(nullable=True)
    statistic: float = rpa.Field(nullable=True, ge=0)
    p_value: float = rpa.Field(nullable=True, **PROB)

    class Config:
        name = "specification_curve"
        unique = ["flow", "event_ids", "specification", "scale"]


class DefectorCountModel(_ResultModel):
    model: str
    term: str = rpa.Field(unique=True)
    label: str
    coef: float
    rate_ratio: float = rpa.Field(nullable=True)
    ci_low: float
    ci_high: float
    p_value: float = rpa.Field(nullable=True, **PROB)
    n: int = rpa.Field(gt=0)
    first_year: int
    last_year: int
    aic: float = rpa.Field(nullable=True)
    poisson_pearson_dispersion: float = rpa.Field(gt=0)
    caveat: str

    class Config:
        name = "defector_count_model"


class DefectorCountFitted(_ResultModel):
    """Fitted arrivals of the headline model and, per event, the path without it (stated horizon only; then empty)."""

    year: int = rpa.Field(unique=True)
    observed: int = rpa.Field(ge=0)
    fitted: float = rpa.Field(gt=0)

    class Config:
        name = "defector_count_fitted"
        strict = False  # plus one without_<event_id> column per headline event


class FemaleShareTrend(_ResultModel):
    model: str
    term: str
    label: str
    odds_ratio: float = rpa.Field(**RATIO)
    ci_low: float = rpa.Field(**RATIO)
    ci_high: float = rpa.Field(**RATIO)
    p_value: float = rpa.Field(**PROB)
    scale: float = rpa.Field(gt=0)
    n: int = rpa.Field(gt=0)
    first_year: int
    last_year: int
    caveat: str

    class Config:
        name = "female_share_trend"


class FemaleShareFitted(_ResultModel):
    year: int = rpa.Field(unique=True)
    female_share: float = rpa.Field(**PROB)
    fitted_share: float = rpa.Field(**PROB)

    class Config:
        name = "female_share_fitted"


class ItsTerms(_ResultModel):
    model: str
    term: str
    event_id: Optional[str] = rpa.Field(nullable=True)
    change: str = rpa.Field(isin=["intercept", "trend", "level", "slope", "dispersion"])
    label: str
    estimate: float
    rate_ratio: float = rpa.Field(nullable=True)
    ci_low: float
    ci_high: float
    p_value: float = rpa.Field(nullable=True, **PROB)
    n: int = rpa.Field(gt=0)
    first_period: str
    last_period: str
    poisson_pearson_dispersion: float
    caveat: str

    class Config:
        name = "its_terms"
        unique = ["model", "term"]


class ItsPaths(_ResultModel):
    model: str
    period: str
    period_start: str
    scenario: str
    event_id: Optional[str] = rpa.Field(nullable=True)
    observed: float = rpa.Field(ge=0)
    mean: float = rpa.Field(gt=0)
    low: float = rpa.Field(gt=0)
    high: float = rpa.Field(gt=0)

    class Config:
        name = "its_paths"
        unique = ["model", "scenario", "period"]


class BreaksBreaks(_ResultModel):
    series: str
    unit: str
    n: int = rpa.Field(gt=0)
    first_period: str
    last_period: str
    breaks_selected: int = rpa.Field(ge=1)
    breaks_lwz: int = rpa.Field(ge=0)
    breaks_sequential: int = rpa.Field(ge=0)
    brk: int = rpa.Field(alias="break", ge=1)
    break_period: str
    last_period_before: str
    band_low: str
    band_high: str
    ratio_after_to_before: float = rpa.Field(**RATIO)
    nearest_event_id: str
    nearest_event_date: str
    days_from_event_to_break: int
    events_in_band: Optional[str] = rpa.Field(nullable=True)
    n_events_in_band: int = rpa.Field(ge=0)
    chance_random_band_has_event: float = rpa.Field(**PROB)
    caveat: str

    class Config:
        name = "breaks_breaks"
        unique = ["series", "break"]


class BreaksBic(_ResultModel):
    series: str
    breaks: int = rpa.Field(ge=0)
    ssr: float = rpa.Field(ge=0)
    bic: float
    lwz: float
    sup_f_next: float = rpa.Field(ge=0)
    sup_f_critical_05: float = rpa.Field(nullable=True, gt=0)
    selected: bool
    selected_lwz: bool
    selected_sequential: bool
    break_periods: Optional[str] = rpa.Field(nullable=True)

    class Config:
        name = "breaks_bic"
        unique = ["series", "breaks"]


class BreaksSegments(_ResultModel):
    series: str
    period: str
    period_start: str
    observed: float = rpa.Field(gt=0)
    segment_mean: float = rpa.Field(gt=0)

    class Config:
        name = "breaks_segments"
        unique = ["series", "period"]


class TradeMonthlyEffects(_ResultModel):
    series: str
    term: str
    event_id: str
    label: str
    coef: float
    pct_change: float = rpa.Field(ge=-100)
    ci_low_pct: float = rpa.Field(ge=-100)
    ci_high_pct: float = rpa.Field(ge=-100)
    p_value: float = rpa.Field(**PROB)
    ar1: float
    sigma: float = rpa.Field(gt=0)
    n_months_observed: int = rpa.Field(gt=0)
    n_months_span: int = rpa.Field(gt=0)
    first_month: str
    last_month: str
    caveat: str

    class Config:
        name = "trade_monthly_effects"
        unique = ["series", "term"]


class TradeMonthlyFitted(_ResultModel):
    series: str
    month: str
    observed: float = rpa.Field(nullable=True, gt=0)
    fitted: float = rpa.Field(gt=0)
    low: float = rpa.Field(gt=0)
    high: float = rpa.Field(gt=0)

    class Config:
        name = "trade_monthly_fitted"
        unique = ["series", "month"]


class TradeMonthlyStl(_ResultModel):
    series: str
    month: str = rpa.Field(unique=True)
    observed: float = rpa.Field(nullable=True, gt=0)
    interpolated: bool
    log_value: float
    trend: float
    seasonal: float
    remainder: float

    class Config:
        name = "trade_monthly_stl"


class Forecasts(_ResultModel):
    series: str
    unit: str
    period: str
    horizon: int = rpa.Field(ge=1)
    median: float = rpa.Field(ge=0)
    low80: float = rpa.Field(ge=0)
    high80: float = rpa.Field(ge=0)
    low95: float = rpa.Field(ge=0)
    high95: float = rpa.Field(ge=0)
    changes_used: Optional[str] = rpa.Field(nullable=True)

    class Config:
        name = "forecasts"
        unique = ["series", "horizon"]


class ForecastHistory(_ResultModel):
    series: str
    period: str
    observed: float = rpa.Field(nullable=True, ge=0)

    class Config:
        name = "forecast_history"
        unique = ["series", "period"]


class ForecastBacktest(_ResultModel):
    series: str
    origin: str
    target: str
    horizon: int = rpa.Field(ge=1)
    actual: float
    model: float
    naive: float
    scale: float = rpa.Field(gt=0)
    model_scaled_error: float = rpa.Field(ge=0)
    naive_scaled_error: float = rpa.Field(ge=0)
    low80: float = rpa.Field(nullable=True)
    high80: float = rpa.Field(nullable=True)
    low95: float = rpa.Field(nullable=True)
    high95: float = rpa.Field(nullable=True)

    class Config:
        name = "forecast_backtest"
        unique = ["series", "origin", "horizon"]


class ForecastAccuracy(_ResultModel):
    series: str
    horizon: int = rpa.Field(ge=1)
    origins: int = rpa.Field(ge=1)
    mase_model: float = rpa.Field(ge=0)
    mase_naive: float = rpa.Field(ge=0)
    dm_stat: float = rpa.Field(nullable=True)
    dm_p_value: float = rpa.Field(nullable=True, **PROB)
    verdict: str = rpa.Field(isin=["model better", "naive better", "tie"])
    model_beats_naive: bool
    coverage80: float = rpa.Field(nullable=True, **PROB)
    coverage95: float = rpa.Field(nullable=True, **PROB)
    caveat: str

    class Config:
        name = "forecast_accuracy"
        unique = ["series", "horizon"]


class RelationshipsCcf(_ResultModel):
    x: str
    y: str
    lag: int
    n: int = rpa.Field(ge=0)
    correlation: float = rpa.Field(nullable=True, ge=-1, le=1)
    band: float = rpa.Field(nullable=True, gt=0)
    permutation_p: float = rpa.Field(nullable=True, **PROB)
    n_without_shock: int = rpa.Field(ge=0)
    correlation_without_shock: float = rpa.Field(nullable=True, ge=-1, le=1)
    outside_band: bool
    caveat: Optional[str] = rpa.Field(nullable=True)
    q_value: float = rpa.Field(nullable=True, **PROB)
    tests_in_family: int = rpa.Field(ge=1)

    class Config:
        name = "relationships_ccf"
        unique = ["x", "y", "lag"]


class RelationshipsGranger(_ResultModel):
    cause: str
    effect: str
    lags: int = rpa.Field(ge=1)
    n: int = rpa.Field(ge=0)
    f_stat: float = rpa.Field(nullable=True, ge=0)
    p_value: float = rpa.Field(nullable=True, **PROB)
    df_num: int
    df_denom: int
    first_year: float = rpa.Field(nullable=True)
    last_year: float = rpa.Field(nullable=True)
    note: Optional[str] = rpa.Field(nullable=True)
    caveat: str
    q_value: float = rpa.Field(nullable=True, **PROB)
    tests_in_family: int = rpa.Field(ge=1)

    class Config:
        name = "relationships_granger"
        unique = ["cause", "effect", "lags"]


class RelationshipsSkipped(_ResultModel):
    x: str
    y: str
    n_years_overlap: int = rpa.Field(ge=0)
    reason: str

    class Config:
        name = "relationships_skipped"


class AnnualPanel(_ResultModel):
    """The annual series the relationships use, one column each (which worker series exist depends on the data)."""

    year: int = rpa.Field(unique=True)
    defector_arrivals: float = rpa.Field(nullable=True, ge=0)

    class Config:
        name = "annual_panel"
        strict = False


def _str_columns(name: str) -> list[str]:
    schema = RESULT_MODELS[name].to_schema()
    return [c for c, col in schema.columns.items() if str(col.dtype) in ("str", "string", "object")]


def validate_result(name: str, frame: _pd.DataFrame) -> _pd.DataFrame:
    """Check a result table against its model; an error names the table, the column and the rule."""
    model = RESULT_MODELS.get(name)
    if model is None:
        return frame
    frame = frame.copy()
    for col in _str_columns(name):
        if col in frame.columns:
            frame[col] = frame[col].astype("str").where(frame[col].notna(), None) if frame[col].dtype == object else frame[col]
    try:
        return model.validate(frame, lazy=True)
    except rpa.errors.SchemaErrors as exc:
        where = f"reports/tables/{name}.csv"
        issues = []
        for _, c in exc.failure_cases.head(20).iterrows():
            line = int(c["index"]) + 2 if isinstance(c["index"], (int, float)) and c["index"] == c["index"] else None
            column = c["column"] if isinstance(c["column"], str) else None
            issues.append(_Issue(where, line, column, f"{c['check']} (result model analysis.schemas.{model.__name__})",
                                 None if c["failure_case"] is None else str(c["failure_case"])))
        raise _DataError(issues) from None


def read_result(name: str, path: _Path) -> _pd.DataFrame:
    """Read a result table written by `nkflows fit`, text columns as text, and check it against its model."""
    frame = _pd.read_csv(path, dtype={c: "str" for c in _str_columns(name)})
    return validate_result(name, frame)


def coerce_result(name: str, data: bytes) -> _pd.DataFrame:
    """A result table's CSV bytes as :func:`read_result` returns them (its model's dtypes), without checking its values
    again: for a file whose bytes are those `nkflows fit` validated (:mod:`analysis.models.results`)."""
    import io

    frame = _pd.read_csv(io.BytesIO(data), dtype={c: "str" for c in _str_columns(name)})
    return RESULT_MODELS[name].to_schema().coerce_dtype(frame)



# ================================================================ labour and trade-off results
# Result tables of the labour revenue model and the trade-off analysis (reports/tables/):
# models on the same base as the others, in the same registry.

VARIANTS = ["weighted_rho0", "weighted_rho1", "uniform_pooled"]
_NONNEG = {"ge": 0}


class LaborRevenueInputsResult(_ResultModel):
    """Every input of the revenue model by host and year: the distribution drawn and the published figures behind it."""

    variant: str = rpa.Field(isin=["weighted", "uniform_pooled"], description="weighted (the model) or uniform_pooled (the model of earlier releases).")
    host: str
    year: int
    input: str = rpa.Field(isin=REVENUE_INPUTS)
    distribution: str = rpa.Field(isin=list(REVENUE_DISTRIBUTIONS))
    centre_rule: str = rpa.Field(isin=list(REVENUE_CENTRES))
    low: float = rpa.Field(**_NONNEG)
    centre: float = rpa.Field(**_NONNEG)
    high: float = rpa.Field(**_NONNEG)
    year_rule: str = rpa.Field(description="How the figures were matched to the year: covers_year, nearest_dated_<k>y, undated, panel:<basis>, calibrated_on_<n>_years, any_year_any_scope.")
    n_sources: int = rpa.Field(ge=1)
    source_ids: str

    class Config:
        name = "labor_revenue_inputs"

    @rpa.dataframe_check
    def ordered_bounds(cls, df: _pd.DataFrame) -> _pd.Series:
        return (df["low"] <= df["centre"] + 1e-9) & (df["centre"] <= df["high"] + 1e-9)


class LaborRevenueHostYear(_ResultModel):
    """The state's revenue by host and year under each variant (US dollars a year), and per worker."""

    variant: str = rpa.Field(isin=VARIANTS)
    host: str
    year: int
    median_usd: float = rpa.Field(**_NONNEG)
    p05_usd: float = rpa.Field(**_NONNEG)
    p95_usd: float = rpa.Field(**_NONNEG)
    workers_median: float = rpa.Field(**_NONNEG)
    per_worker_median_usd: float = rpa.Field(**_NONNEG)
    per_worker_p05_usd: float = rpa.Field(**_NONNEG)
    per_worker_p95_usd: float = rpa.Field(**_NONNEG)
    draws: int = rpa.Field(gt=0)

    class Config:
        name = "labor_revenue_host_year"
        unique = ["variant", "host", "year"]


class LaborRevenueWorld(_ResultModel):
    """The sum over the hosts covered in each year, under each variant."""

    variant: str = rpa.Field(isin=VARIANTS)
    year: int
    median_usd: float = rpa.Field(**_NONNEG)
    p05_usd: float = rpa.Field(**_NONNEG)
    p95_usd: float = rpa.Field(**_NONNEG)
    workers_median: float = rpa.Field(**_NONNEG)
    hosts_covered: str
    n_hosts: int = rpa.Field(ge=1)
    caveat: str

    class Config:
        name = "labor_revenue_world"
        unique = ["variant", "year"]


class LaborRevenueVariants(_ResultModel):
    """The variants of the revenue model: correlation of wage and share across hosts, and what each is."""

    variant: str = rpa.Field(isin=VARIANTS, unique=True)
    correlation: float = rpa.Field(ge=0, le=1)
    description: str

    class Config:
        name = "labor_revenue_variants"


class LaborRevenueSensitivity(_ResultModel):
    """One at a time: the share of each host-year's 5-95% width that goes when an input is fixed at its centre."""

    host: str
    year: int
    input: str = rpa.Field(isin=REVENUE_INPUTS)
    interval_width_usd: float = rpa.Field(**_NONNEG)
    width_with_input_fixed_usd: float = rpa.Field(**_NONNEG)
    share_of_width_from_input: float

    class Config:
        name = "labor_revenue_sensitivity"
        unique = ["host", "year", "input"]


class LaborRevenueComparison(_ResultModel):
    """Every published revenue estimate beside the model for the same host (or the covered world) and year, with why they differ."""

    year: Optional[float] = rpa.Field(nullable=True)
    host: str
    estimator: str
    coverage: str
    scope: str = rpa.Field(isin=list(LABOR_SCOPES))
    value: Optional[float] = rpa.Field(nullable=True)
    value_low: Optional[float] = rpa.Field(nullable=True)
    value_high: Optional[float] = rpa.Field(nullable=True)
    currency: str
    source_id: str
    model_median_usd: Optional[float] = rpa.Field(nullable=True)
    model_p05_usd: Optional[float] = rpa.Field(nullable=True)
    model_p95_usd: Optional[float] = rpa.Field(nullable=True)
    model_rho1_p05_usd: Optional[float] = rpa.Field(nullable=True)
    model_rho1_p95_usd: Optional[float] = rpa.Field(nullable=True)
    model_workers_median: Optional[float] = rpa.Field(nullable=True)
    reasons_they_differ: str = rpa.Field(str_length={"min_value": 5})

    class Config:
        name = "labor_revenue_comparison"


_RATE_COLUMNS = [f"{w}_per_10k{s}" for w in ("incidents", "people") for s in ("", "_low", "_high", "_low_wide", "_high_wide")]


class TradeoffRates(_ResultModel):
    """Defection incidents and people per 10,000 worker-years present, by host and period, with exact Poisson (Garwood) 95% intervals."""

    host: str = rpa.Field(description="Host, or ALL for every host with a head count.")
    period: str
    incidents: int = rpa.Field(ge=0, description="Incidents in the period (all years).")
    incidents_in_rate: int = rpa.Field(ge=0, description="Incidents in years with a national head count: the rate's numerator (N).")
    people_in_rate: int = rpa.Field(ge=0)
    incidents_people_unknown: int = rpa.Field(ge=0)
    years_with_headcount: int = rpa.Field(ge=0)
    worker_years: float = rpa.Field(**_NONNEG)
    worker_years_low: float = rpa.Field(**_NONNEG)
    worker_years_high: float = rpa.Field(**_NONNEG)
    incidents_per_10k: Optional[float] = rpa.Field(nullable=True, ge=0)
    incidents_per_10k_low: Optional[float] = rpa.Field(nullable=True, ge=0)
    incidents_per_10k_high: Optional[float] = rpa.Field(nullable=True, ge=0)
    incidents_per_10k_low_wide: Optional[float] = rpa.Field(nullable=True, ge=0)
    incidents_per_10k_high_wide: Optional[float] = rpa.Field(nullable=True, ge=0)
    people_per_10k: Optional[float] = rpa.Field(nullable=True, ge=0)
    people_per_10k_low: Optional[float] = rpa.Field(nullable=True, ge=0)
    people_per_10k_high: Optional[float] = rpa.Field(nullable=True, ge=0)
    people_per_10k_low_wide: Optional[float] = rpa.Field(nullable=True, ge=0)
    people_per_10k_high_wide: Optional[float] = rpa.Field(nullable=True, ge=0)
    status: str
    note: str

    class Config:
        name = "tradeoff_rates"
        unique = ["host", "period"]


class TradeoffRevenuePerWorker(_ResultModel):
    """The state's take per worker a year (wage x 12 x state share), by host and period: pooled draws of the revenue model."""

    host: str
    period: str
    n_years: int = rpa.Field(ge=1)
    median_usd: float = rpa.Field(**_NONNEG)
    p05_usd: float = rpa.Field(**_NONNEG)
    p95_usd: float = rpa.Field(**_NONNEG)
    draws: int = rpa.Field(gt=0)

    class Config:
        name = "tradeoff_revenue_per_worker"
        unique = ["host", "period"]


class TradeoffRiskReturn(_ResultModel):
    """Each host over all years: revenue per worker (median, 90% interval) against incidents per 10,000 worker-years (Garwood 95%)."""

    host: str = rpa.Field(unique=True)
    worker_years: float = rpa.Field(**_NONNEG)
    incidents_in_rate: int = rpa.Field(ge=0)
    incidents_per_10k: Optional[float] = rpa.Field(nullable=True, ge=0)
    incidents_per_10k_low: Optional[float] = rpa.Field(nullable=True, ge=0)
    incidents_per_10k_high: Optional[float] = rpa.Field(nullable=True, ge=0)
    per_worker_median_usd: Optional[float] = rpa.Field(nullable=True, ge=0)
    per_worker_p05_usd: Optional[float] = rpa.Field(nullable=True, ge=0)
    per_worker_p95_usd: Optional[float] = rpa.Field(nullable=True, ge=0)
    years_with_headcount: int = rpa.Field(ge=1)

    class Config:
        name = "tradeoff_risk_return"


class TradeoffEvents(_ResultModel):
    """Deployment before and after high-profile defections and host enforcement dates (event dates from the events table)."""

    event_id: Optional[str] = rpa.Field(nullable=True, description="Event id in the events table; empty for a host with no dated event.")
    role: str
    event_year: Optional[float] = rpa.Field(nullable=True)
    host: str
    years_before: Optional[float] = rpa.Field(nullable=True, ge=0)
    years_after: Optional[float] = rpa.Field(nullable=True, ge=0)
    headcount_before: Optional[float] = rpa.Field(nullable=True, ge=0)
    headcount_after: Optional[float] = rpa.Field(nullable=True, ge=0)
    incidents_before: Optional[float] = rpa.Field(nullable=True, ge=0)
    incidents_after: Optional[float] = rpa.Field(nullable=True, ge=0)
    log_change: Optional[float] = rpa.Field(nullable=True)
    log_change_low: Optional[float] = rpa.Field(nullable=True)
    log_change_high: Optional[float] = rpa.Field(nullable=True)
    status: str
    identifies: str

    class Config:
        name = "tradeoff_events"


class TradeoffTests(_ResultModel):
    """What would count against the trade-off hypothesis, and what the data show, with N."""

    test: str = rpa.Field(unique=True)
    against_hypothesis_if: str
    statistic: Optional[float] = rpa.Field(nullable=True)
    p_value: Optional[float] = rpa.Field(nullable=True, ge=0, le=1, description="Two-sided p-value where the test has one.")
    ci_low: Optional[float] = rpa.Field(nullable=True, description="Low end of the statistic's interval: the 95% interval of a rate ratio; for deployment, the change implied by the head counts' low and high.")
    ci_high: Optional[float] = rpa.Field(nullable=True, description="High end of the same interval.")
    n: int = rpa.Field(ge=0)
    result: str
    verdict: str = rpa.Field(isin=["supports", "against", "inconclusive", "not_estimable"],
                             description="What the test says about the trade-off (rule: analysis.models.tradeoff.verdict).")

    class Config:
        name = "tradeoff_tests"


#: Every result table with its model (one registry, one base class: strict, ordered, coerced), headline_effects
#: first. `nkflows fit` checks each table against it on write and `nkflows report` on read.
RESULT_MODELS: dict[str, type[rpa.DataFrameModel]] = {m.Config.name: m for m in (
    HeadlineEffects, SpecificationCurve, DefectorCountModel, DefectorCountFitted, FemaleShareTrend, FemaleShareFitted,
    ItsTerms, ItsPaths, BreaksBreaks, BreaksBic, BreaksSegments, TradeMonthlyEffects, TradeMonthlyFitted, TradeMonthlyStl,
    Forecasts, ForecastHistory, ForecastBacktest, ForecastAccuracy, RelationshipsCcf, RelationshipsGranger,
    RelationshipsSkipped, AnnualPanel,
    LaborRevenueInputsResult, LaborRevenueHostYear, LaborRevenueWorld, LaborRevenueVariants, LaborRevenueSensitivity,
    LaborRevenueComparison, TradeoffRates, TradeoffRevenuePerWorker, TradeoffRiskReturn, TradeoffEvents, TradeoffTests)}
