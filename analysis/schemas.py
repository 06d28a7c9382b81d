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
    "labor_policy", "repatriation", "leadership", "diplomacy", "weapons_program", "military", "other",
]
DATE_PRECISIONS = ["day", "month", "year"]
EVENT_SOURCE_ROLES = ["primary", "public_date", "corroborating", "alternate_disagreeing"]
CONFLICT_TYPES = ["sources_disagree", "sum_mismatch", "cumulative_mismatch"]


#: Dates the dataset can hold: nothing before 1950, nothing after the last year covered.
FIRST_DAY, LAST_DAY = dt.date(1950, 1, 1), dt.date(2026, 12, 31)
IN_RANGE = {"ge": FIRST_DAY, "le": LAST_DAY}


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

    computed: Optional[int] = pa.Field(nullable=True, ge=0, description="Running total of the preferred series up to as_of; empty where the series has a gap.")
    difference: Optional[int] = pa.Field(nullable=True, description="cumulative minus computed (persons).")

    class Config(_Strict):
        name = "defector_cumulative"
        unique = ["source_id", "as_of", "sex"]


class DefectorArrivalsAnnual(pa.DataFrameModel):
    """Published: the preferred annual series, one row per single calendar year."""

    year: int = pa.Field(ge=1950, le=2026, unique=True, description="Calendar year of arrival.")
    male: Optional[int] = pa.Field(nullable=True, ge=0, description="Male arrivals (persons); empty where no source splits the year by sex.")
    female: Optional[int] = pa.Field(nullable=True, ge=0, description="Female arrivals (persons).")
    total: int = pa.Field(ge=0, description="All arrivals (persons).")
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
    value: float = pa.Field(ge=0, description="Value in units of currency (not thousands or millions).")
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
    exports_usd: Optional[float] = pa.Field(nullable=True, ge=0, description="Reporter's exports to the partner (US dollars).")
    imports_usd: Optional[float] = pa.Field(nullable=True, ge=0, description="Reporter's imports from the partner (US dollars).")
    total_usd: Optional[float] = pa.Field(nullable=True, ge=0, description="Total trade (US dollars).")
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
    exports_usd: Optional[float] = pa.Field(nullable=True, description="Reporter's exports to the partner in the month (US dollars).")
    imports_usd: Optional[float] = pa.Field(nullable=True, description="Reporter's imports from the partner in the month (US dollars).")
    total_usd: Optional[float] = pa.Field(nullable=True, description="Total trade in the month (US dollars).")
    basis: str = pa.Field(str_matches=r"^(reported|derived_from_ytd)(;(reported|derived_from_ytd))?$", description="reported (a monthly figure as published), derived_from_ytd (difference of consecutive year-to-date figures), or both where flows differ.")
    source_id: str = pa.Field(description="Source(s) of the month's figures, separated by ';'.")

    class Config(_Strict):
        name = "trade_monthly"
        unique = ["year", "month", "reporter", "partner", "agency"]


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
MONEY = CURRENCIES + ["JPY"]


class LaborWorkerObservations(pa.DataFrameModel):
    """Raw table: one row per published figure of North Korean workers abroad, per source and measure."""

    source_id: str = pa.Field(str_matches=SOURCE_ID, description="Source the figure was read from.")
    period_start: Optional[dt.date] = pa.Field(nullable=True, **IN_RANGE, description="First day covered (for a stock at a date, that date); empty where the source prints no date.")
    period_end: Optional[dt.date] = pa.Field(nullable=True, **IN_RANGE, description="Last day covered.")
    host: str = pa.Field(isin=HOSTS, description="Host country, ISO 3166 alpha-3; or a region: WLD world, AFR Africa, MEA Middle East, SEA South-East Asia, EEU Eastern Europe, EUR Europe.")
    measure: str = pa.Field(isin=list(LABOR_MEASURES), description="What is counted (see labor_measures); measures are never added together.")
    value: Optional[float] = pa.Field(nullable=True, ge=0, description="The figure, in the measure's unit; empty where only a range is given.")
    value_low: Optional[float] = pa.Field(nullable=True, ge=0, description="Lower bound of a range, or 'at least'.")
    value_high: Optional[float] = pa.Field(nullable=True, ge=0, description="Upper bound of a range, or 'at most'.")
    estimator: str = pa.Field(str_length={"min_value": 1}, description="Who produced the figure (agency, government, researcher).")
    reported_as: str = pa.Field(str_length={"min_value": 1}, description="The figure exactly as printed in the source.")
    note: Optional[str] = pa.Field(nullable=True, description="Remarks: the declared purpose within entries_for_other, the visa type, the region covered, how the period was fixed.")

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
    scope: str = pa.Field(str_length={"min_value": 1}, description="What the estimate covers, in a few words (annual state revenue, gross earnings, remittances...).")
    value: Optional[float] = pa.Field(nullable=True, ge=0, description="The estimate, in currency (not converted).")
    value_low: Optional[float] = pa.Field(nullable=True, ge=0, description="Lower bound of a range.")
    value_high: Optional[float] = pa.Field(nullable=True, ge=0, description="Upper bound of a range.")
    currency: str = pa.Field(isin=MONEY, description="ISO 4217 currency of the values; estimates are never converted.")
    estimator: str = pa.Field(str_length={"min_value": 1}, description="Who made the estimate.")
    reported_as: str = pa.Field(str_length={"min_value": 1}, description="The estimate exactly as printed.")
    note: Optional[str] = pa.Field(nullable=True, description="Remarks.")

    class Config(_Strict):
        name = "labor_revenue_estimates"
        unique = ["source_id", "period_start", "period_end", "host", "scope", "value", "value_low", "value_high", "estimator"]


class LaborModelInputs(pa.DataFrameModel):
    """Published: wages, the state's share and payments per worker, in the units and currency printed."""

    source_id: str = pa.Field(str_matches=SOURCE_ID, description="Source the figure was read from.")
    parameter: str = pa.Field(isin=LABOR_PARAMETERS, description="What the figure is (monthly wage, share taken by the state, fixed payment...).")
    host: str = pa.Field(isin=HOSTS, description="Host country or region the figure applies to.")
    period_start: Optional[dt.date] = pa.Field(nullable=True, **IN_RANGE, description="First day of the period the figure applies to.")
    period_end: Optional[dt.date] = pa.Field(nullable=True, **IN_RANGE, description="Last day of that period.")
    value: Optional[float] = pa.Field(nullable=True, ge=0, description="The figure.")
    value_low: Optional[float] = pa.Field(nullable=True, ge=0, description="Lower bound of a range, or 'at least'.")
    value_high: Optional[float] = pa.Field(nullable=True, ge=0, description="Upper bound of a range, or 'at most'.")
    unit: str = pa.Field(isin=LABOR_UNITS, description="per_month, per_year (money per worker) or percent.")
    currency: Optional[str] = pa.Field(nullable=True, isin=MONEY, description="Currency of money figures; empty for percentages.")
    reported_as: str = pa.Field(str_length={"min_value": 1}, description="The figure exactly as printed.")
    note: Optional[str] = pa.Field(nullable=True, description="Remarks.")

    class Config(_Strict):
        name = "labor_model_inputs"
        unique = ["source_id", "parameter", "host", "period_start", "period_end", "value", "value_low", "value_high", "unit"]


class LaborRevenueAssumptions(pa.DataFrameModel):
    """Published: for each host in the revenue model, whose head counts and whose published wage and state-share figures apply, and the distribution drawn. Ranges are computed from the published figures, never typed."""

    host: str = pa.Field(isin=HOSTS, unique=True, description="Host modelled.")
    workers_from: str = pa.Field(isin=HOSTS, description="Host whose people-present figures (stock_official, stock_estimate, remaining_2397) give the head-count range.")
    inputs_from: str = pa.Field(isin=HOSTS, description="Host or region whose published wage and state-share figures apply (pooled with the host's own and the worldwide ones).")
    exclude_source_ids: Optional[str] = pa.Field(nullable=True, description="Sources whose input figures are left out for this host (separated by ';'), with the reason in rationale.")
    distribution: str = pa.Field(isin=["uniform"], description="Distribution drawn between the lowest and highest published figure.")
    rationale: str = pa.Field(str_length={"min_value": 10}, description="Why these figures apply.")

    class Config(_Strict):
        name = "labor_revenue_assumptions"
        unique = ["host"]


# ------------------------------------------------------------------------------ events
class Events(pa.DataFrameModel):
    """Published: dated events that shape the flows (sanctions, border controls, defections...)."""

    event_id: str = pa.Field(str_matches=SOURCE_ID, unique=True, description="Stable identifier; models refer to events by this id, never by date.")
    date: dt.date = pa.Field(ge=dt.date(1990, 1, 1), le=dt.date(2026, 12, 31), description="Date the event happened (first day of the month or year at lower precision).")
    date_precision: str = pa.Field(isin=DATE_PRECISIONS, description="day, month or year.")
    public_date: Optional[dt.date] = pa.Field(nullable=True, **IN_RANGE, description="Date the event became public, where it differs from date (later for a defection revealed afterwards, earlier for a measure announced before it takes effect).")
    category: str = pa.Field(isin=EVENT_CATEGORIES, description="Kind of event.")
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
    """Published: every figure that sources report differently, and every documented check miss."""

    table: str = pa.Field(description="Published table the figure belongs to.")
    key: str = pa.Field(description="The figure's key within that table, as name=value pairs separated by ';'.")
    conflict_type: str = pa.Field(isin=CONFLICT_TYPES, description="sources_disagree, sum_mismatch (parts do not add up to the whole) or cumulative_mismatch.")
    values: str = pa.Field(description="The differing values, separated by ';', in the order of source_ids.")
    source_ids: str = pa.Field(description="Sources of the values, separated by ';'.")
    chosen: Optional[str] = pa.Field(nullable=True, description="The value the published series uses.")
    chosen_source_id: Optional[str] = pa.Field(nullable=True, description="Source of the chosen value.")
    rule: str = pa.Field(description="The written rule that chose it, or the documented explanation of the miss.")

    class Config(_Strict):
        name = "conflicts"
        unique = ["table", "key", "conflict_type"]
