"""The figure registry: every figure of the documents, by stem, once.

Each entry names the figure's stem (the file names ``reports/figures/<stem>.png`` and
``<stem>.csv``), a short title for captions, the document it belongs to (``report`` for
readers, ``methods`` for the technical annex), the function that returns its *plotted data*
(one tidy frame: what is drawn, with source ids) and the function that draws it. Figures
of the reader's report also have an interactive version, drawn from the same data.

Every figure with a time axis marks the events that shaped its flows (the style test checks it);
a figure whose axes are not time (the specification curve: ratios by effect) says so with
``time_axis=False`` and marks none.

Drawing functions get a :class:`Context`: the published tables, the result tables (however
they were obtained: fitted or read from ``reports/tables``) and the generated sentences.
Nothing here fits a model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from . import breaks as breaks_figures
from . import defectors, forecasts, its, labor, relationships, trade, trade_model
from . import points
from . import specification_curve as specification_curve_figures


@dataclass(frozen=True)
class Context:
    tables: dict[str, pd.DataFrame]
    results: dict[str, pd.DataFrame]
    read: dict[str, dict[str, str]]


@dataclass(frozen=True)
class Figure:
    stem: str
    title: str
    document: str  # "report" or "methods"
    data: Callable[[Context], pd.DataFrame]
    draw: Callable[[Context, pd.DataFrame], object]
    citation: str
    interactive: dict = field(default_factory=dict)  # keyword arguments of interactive.figure_json; empty: no interactive chart
    events: tuple[str, ...] = ()  # events the interactive chart marks (the static figure marks its own)
    time_axis: bool = True  # False: no axis is time (years, quarters, months), so no event can be marked on it


def _result(name: str, *, keep: list[str] | None = None) -> Callable[[Context], pd.DataFrame]:
    """Plotted data of a model figure: the rows of the result table it draws, with the table as their source."""
    def data(ctx: Context) -> pd.DataFrame:
        frame = ctx.results[name]
        frame = frame[keep] if keep else frame
        return frame.assign(source_id=f"model: reports/tables/{name}.csv")
    return data


def _arrivals_title(ctx: Context) -> str:
    s = ctx.read["summary"]
    return f"Arrivals peaked in {s['peak_year']} and have been far fewer since the succession and the 2020 border closure"


def _share_title(ctx: Context) -> str:
    share = ctx.results["female_share_fitted"]
    return f"Women were most arrivals in every year but {', '.join(str(y) for y in share.loc[share['female_share'] < 0.5, 'year'])}"


MONTHLY_PANELS = [("defector_arrivals_annual", "Defector arrivals (annual)", "persons"),
                  ("china_prk_trade_monthly_total", "China-DPRK trade (monthly, China's customs)", "USD per month")]

FIGURES: dict[str, Figure] = {f.stem: f for f in [
    Figure("defector_arrivals_by_sex", "Defectors arriving in South Korea, by sex", "report",
           lambda c: defectors.arrivals_data(c.tables, c.results["defector_count_fitted"]),
           lambda c, d: defectors.arrivals_by_sex(d, c.tables["events"], _arrivals_title(c)),
           "ROK Ministry of Unification figures as published and reported (nkflows defector_arrivals_annual)",
           {"y_title": "Persons per year", "barmode": "stack"}, tuple(defectors.EVENTS)),
    Figure("trade_annual_china", "China-DPRK trade, China's customs and KOTRA", "report",
           lambda c: trade.annual_data(c.tables),
           lambda c, d: trade.annual_china(d, c.tables["events"], c.read["trade"]["title"]),
           "China's customs (GACC) and KOTRA figures as published and reported (nkflows trade_annual, trade_flows)",
           {"y_title": "US dollars (log scale)", "log_y": True}, tuple(trade.EVENTS)),
    Figure("trade_products", "China's imports of North Korean product lines", "report",
           lambda c: trade.products_data(c.tables),
           lambda c, d: trade.product_lines(d, c.tables["events"], "Sanctioned product lines: China's imports from the DPRK by HS line"),
           "China's customs figures by HS line as reported (nkflows trade_flows)",
           {"y_title": "US dollars (log scale)", "log_y": True}, ("unsc-2371", "unsc-2375")),
    Figure("labor_workers", "North Korean workers abroad, by host", "report",
           lambda c: labor.workers_data(c.tables),
           lambda c, d: labor.workers(d, c.tables["events"], "North Koreans working abroad, by host: official counts, estimates and the 2397 reports"),
           "host-government counts, UN 2397 implementation reports and published estimates (nkflows labor_workers)",
           {"y_title": "People", "log_y": True}, ("repatriation-deadline-2019",)),
    Figure("labor_revenue", "Revenue from workers abroad: model and published estimates", "report",
           lambda c: c.results["labor_revenue_world"].assign(source_id="model: reports/tables/labor_revenue_world.csv"),
           lambda c, d: labor.revenue(c.results["labor_revenue_world"], c.results["labor_revenue_comparison"], c.tables["events"], c.read["labor"]["title"]),
           "nkflows labor revenue model (reports/tables/labor_revenue_*.csv) and published estimates (labor_revenue_estimates)"),
    Figure("tradeoff_risk_return", "Revenue per worker against defection risk, by host", "report",
           _result("tradeoff_risk_return"),
           lambda c, d: labor.risk_return(d, c.results["tradeoff_rates"], c.tables["events"], c.read["tradeoff"]["title"]),
           "nkflows trade-off tables (reports/tables/tradeoff_risk_return.csv, tradeoff_rates.csv) from labor_panel, defections_abroad and the revenue model"),
    Figure("labor_panel", "People present by host (labour panel)", "methods",
           lambda c: c.tables["labor_panel"].assign(source_id=c.tables["labor_panel"]["source_ids"]),
           lambda c, d: labor.people_present(c.tables["labor_panel"], c.tables["events"], c.read["tradeoff"]["panel_title"]),
           "nkflows labor_panel (national head counts by a written rule from labor_workers)"),
    Figure("specification_curve", "Headline effects and their specification curves", "methods",
           lambda c: specification_curve_figures.curve_data(c.results["headline_effects"], c.results["specification_curve"]),
           lambda c, d: specification_curve_figures.plot(d, specification_curve_figures.finding(d)),
           "nkflows headline_effects and specification_curve (reports/tables/)", time_axis=False),
    Figure("defector_female_share", "Women as a share of arrivals", "methods",
           _result("female_share_fitted"),
           lambda c, d: defectors.female_share(c.tables["defector_arrivals_annual"], d, c.tables["events"], _share_title(c)),
           "nkflows female_share_fitted (defector_arrivals_annual)"),
    Figure("trade_monthly_china", "China-DPRK trade by month", "methods",
           lambda c: c.tables["trade_monthly"].loc[lambda t: (t["agency"] == "GACC") & (t["reporter"] == "CHN") & (t["partner"] == "PRK")],
           lambda c, d: trade.monthly_china(c.tables["trade_monthly"], c.tables["events"], c.read["trade_monthly_title"]),
           "China's customs (GACC) monthly figures (nkflows trade_monthly)"),
    Figure("its_annual", "Interrupted time series, annual arrivals", "methods",
           lambda c: c.results["its_paths"].loc[lambda t: t["model"] == "its_annual"].assign(source_id="model: reports/tables/its_paths.csv"),
           lambda c, d: its.paths(c.results["its_paths"], c.tables["events"], "its_annual", c.read["its"]["title"], "Arrivals per year (log scale)"),
           "nkflows its_paths (defector_arrivals_annual)"),
    Figure("its_quarterly", "Interrupted time series, quarterly arrivals", "methods",
           lambda c: c.results["its_paths"].loc[lambda t: t["model"] == "its_quarterly"].assign(source_id="model: reports/tables/its_paths.csv"),
           lambda c, d: its.paths(c.results["its_paths"], c.tables["events"], "its_quarterly", c.read["its"].get("title_quarterly", "Quarterly arrivals"),
                                  "Arrivals per quarter (log scale)"),
           "nkflows its_paths (defector_arrivals quarterly)"),
    Figure("breaks", "Breaks at unknown dates", "methods",
           _result("breaks_segments"),
           lambda c, d: breaks_figures.breaks(d, c.results["breaks_breaks"], c.tables["events"], MONTHLY_PANELS,
                                              "Breaks found without being told the dates: arrivals and China-DPRK trade, with 95% bands"),
           "nkflows breaks_segments and breaks_breaks"),
    Figure("trade_monthly_model", "Monthly trade model", "methods",
           _result("trade_monthly_fitted"),
           lambda c, d: trade_model.fitted(d, c.tables["events"], c.read["trade_model_events"], c.read["trade_model"]["title"]),
           "nkflows trade_monthly_fitted (trade_monthly, China's customs)"),
    Figure("trade_stl", "Seasonal decomposition of monthly trade", "methods",
           _result("trade_monthly_stl"),
           lambda c, d: trade_model.stl(d, c.tables["events"], ["border-closure-2020", "freight-train-resumption-2022-09"], c.read["trade_model"]["stl_title"]),
           "nkflows trade_monthly_stl (trade_monthly, China's customs)"),
    Figure("forecasts", "Forecasts and their backtest", "methods",
           _result("forecasts"),
           lambda c, d: forecasts.fan(d, c.results["forecast_history"], c.results["forecast_accuracy"], c.tables["events"], c.read["forecast"]["title"]),
           "nkflows forecasts, forecast_history, forecast_accuracy"),
    Figure("relationships_ccf", "Cross-correlations between the flows", "methods",
           _result("relationships_ccf"),
           lambda c, d: relationships.ccf(d, c.results["annual_panel"], c.tables["events"], ["border-closure-2020"], c.read["relations"]["title"]),
           "nkflows relationships_ccf and annual_panel"),
]}


def plotted(fig: Figure, ctx: Context) -> pd.DataFrame:
    """The figure's plotted data, sorted for a stable CSV."""
    return fig.data(ctx).reset_index(drop=True)


def data_csv(frame: pd.DataFrame) -> bytes:
    """Plotted data as CSV with plain decimal numbers (1200000000, never 1.2e+09)."""
    if list(frame.columns) == points.COLUMNS:
        return points.csv_bytes(frame)
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = [points.plain(v) for v in out[col]]
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8")
