"""The Frictionless data package descriptor, generated from the pandera models.

Field types, required-ness, enums, ranges, patterns and keys all come from
:mod:`analysis.schemas`, so the descriptor and the validation rules cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import json

import pandera.polars as pa

from . import __version__
from .schemas import (
    Conflicts, DefectionsAbroad, DefectorArrivals, DefectorArrivalsAnnual, DefectorCumulative, Events, EventSources, LaborMeasures, LaborModelInputs, LaborPanel, LaborPanelGaps, LaborRevenueAssumptions, LaborRevenueEstimates, LaborWorkers, Sources, TradeAnnual, TradeFlows, TradeMonthly, TradeProducts,
)

#: Published tables, in the order the package lists them.
PUBLISHED: dict[str, type[pa.DataFrameModel]] = {
    "sources": Sources,
    "defector_arrivals": DefectorArrivals,
    "defector_arrivals_annual": DefectorArrivalsAnnual,
    "defector_cumulative": DefectorCumulative,
    "trade_flows": TradeFlows,
    "trade_annual": TradeAnnual,
    "trade_monthly": TradeMonthly,
    "trade_products": TradeProducts,
    "labor_workers": LaborWorkers,
    "labor_measures": LaborMeasures,
    "labor_revenue_estimates": LaborRevenueEstimates,
    "labor_model_inputs": LaborModelInputs,
    "labor_revenue_assumptions": LaborRevenueAssumptions,
    "labor_panel": LaborPanel,
    "labor_panel_gaps": LaborPanelGaps,
    "defections_abroad": DefectionsAbroad,
    "events": Events,
    "event_sources": EventSources,
    "conflicts": Conflicts,
}

#: Units and conventions of the whole package, stated once (the descriptor and data/processed/README.md use it).
CONVENTIONS = (
    "Counts are persons (or, in labor_workers, the unit its measure names: permits, entries, visas). "
    "Money: the *_usd columns of trade_annual and trade_monthly are nominal US dollars; every other money "
    "column (trade_flows.value, labor_revenue_estimates.value, labor_model_inputs.value) is in the currency "
    "named in the row's currency column (USD, CNY, RUB, KRW, EUR or JPY), as printed, never converted. "
    "Countries are ISO 3166 alpha-3 (WLD the world; a few regions in labor tables); dates are ISO 8601."
)

#: What a user must know before using each table, in a sentence or two.
CAVEATS: dict[str, str] = {
    "sources": "Titles are as published, in the page's language; cite the source of every figure you use.",
    "defector_arrivals": "Several sources per period: filter preferred == true for one figure per period and sex. Periods of different freq overlap (a year and its quarters); never add across freq.",
    "defector_arrivals_annual": "Before 2002 a year is present only where a source gives it on its own (the others are pooled rows of defector_arrivals, freq P); male and female are empty where no source splits the year.",
    "defector_cumulative": "Running totals as reported; difference shows how far each is from the preferred series.",
    "trade_flows": "Values are in the currency printed (see currency), never converted; filter preferred == true; agencies are separate series.",
    "trade_annual": "One series per agency: never add or compare GACC and KOTRA rows as one series (KOTRA adds unreported crude oil).",
    "trade_monthly": "Months derived from year-to-date figures are marked in basis; many months are missing.",
    "labor_workers": "Measures count different things (people, permits, trips, visas) and must never be added together; see labor_measures.",
    "labor_measures": "The definitions behind labor_workers.measure.",
    "labor_revenue_estimates": "Estimates differ in scope (gross earnings, the state's share, remittances) and currency; never converted.",
    "labor_model_inputs": "Wages and shares as printed, in their currency and unit; the revenue model draws between the lowest and highest.",
    "labor_revenue_assumptions": "Choices of the revenue model, with their rationale; not observations.",
    "events": "date is when it happened; public_date when it became known, where that differs; date_precision says how exact it is.",
    "event_sources": "Alternate dates are kept (role alternate_disagreeing) so disagreements stay visible.",
    "conflicts": "Lists where sources disagree and documented check misses; the published series already chose one value.",
}

_TYPES = {"String": "string", "Int64": "integer", "Float64": "number", "Date": "date", "Boolean": "boolean"}


def _json_value(v):
    return v.isoformat() if isinstance(v, dt.date) else v


def field_descriptor(name: str, column) -> dict:
    field: dict = {"name": name, "type": _TYPES[str(column.dtype)]}
    if column.description:
        field["description"] = column.description
    constraints: dict = {}
    if not column.nullable:
        constraints["required"] = True
    if column.unique:
        constraints["unique"] = True
    for check in column.checks:
        stats = check.statistics
        if check.name == "isin":
            constraints["enum"] = list(stats["allowed_values"])
        elif check.name == "greater_than_or_equal_to":
            constraints["minimum"] = _json_value(stats["min_value"])
        elif check.name == "less_than_or_equal_to":
            constraints["maximum"] = _json_value(stats["max_value"])
        elif check.name == "str_matches":
            constraints["pattern"] = stats["pattern"].lstrip("^").rstrip("$")
        elif check.name == "str_length":
            if stats.get("min_value") is not None:
                constraints["minLength"] = stats["min_value"]
            if stats.get("max_value") is not None:
                constraints["maxLength"] = stats["max_value"]
    if constraints:
        field["constraints"] = constraints
    return field


def resource_descriptor(name: str, model: type[pa.DataFrameModel]) -> dict:
    schema = model.to_schema()
    fields = [field_descriptor(n, c) for n, c in schema.columns.items()]
    table_schema: dict = {"fields": fields, "missingValues": [""]}
    key = list(schema.unique or [])
    if key and all(not schema.columns[k].nullable for k in key):
        table_schema["primaryKey"] = key
    return {
        "name": name,
        "path": f"{name}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "description": " ".join((model.__doc__ or "").split()) + (f" Caveat: {CAVEATS[name]}" if name in CAVEATS else ""),
        "schema": table_schema,
    }


def descriptor(names: list[str]) -> dict:
    return {
        "profile": "tabular-data-package",
        "name": "nkflows",
        "title": "nkflows: North Korea's cross-border flows, sourced",
        "version": __version__,
        "description": (
            "Defectors reaching South Korea, North Korean workers abroad, North Korea's trade, and the events "
            "that shape them: every figure with the source it was read from, the figure as printed, the "
            "preferred series chosen by a written rule, and the conflicts between sources. " + CONVENTIONS
        ),
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
                      "title": "Creative Commons Attribution 4.0 (the compilation; source figures remain their publishers')"}],
        "resources": [resource_descriptor(n, PUBLISHED[n]) for n in names],
    }


def render(names: list[str]) -> bytes:
    return (json.dumps(descriptor(names), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _md(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def render_readme(names: list[str]) -> bytes:
    """``data/processed/README.md``: the data package's descriptions as text, so a table copied on its own keeps them."""
    d = descriptor(names)
    lines = [
        f"# {d['title']} (data version {d['version']})", "",
        "Generated from the schemas by `nkflows build`; do not edit. Machine-readable: `datapackage.json`.", "",
        d["description"], "",
        "Licence: CC BY 4.0 for the compilation (`LICENSE-DATA`); the figures remain their publishers', "
        "and each row names the source to cite (`source_id`, see `sources.csv`).", "",
        "CSV: UTF-8, comma-separated, header row, `\\n` line ends, empty cell = missing.", "",
        "## Tables", "",
    ]
    lines += [f"- [`{r['name']}.csv`](#{r['name'].replace('_', '_')}): {_md(r['description'].split(' Caveat: ')[0])}" for r in d["resources"]]
    for r in d["resources"]:
        schema = r["schema"]
        key = schema.get("primaryKey") or list(PUBLISHED[r["name"]].to_schema().unique or [])
        lines += ["", f"## {r['name']}", "", _md(r["description"]), "", f"Key: {', '.join(f'`{k}`' for k in key)}", "",
                  "| column | type | required | description | allowed values |", "|---|---|---|---|---|"]
        for f in schema["fields"]:
            c = f.get("constraints", {})
            allowed = ", ".join(map(str, c["enum"])) if "enum" in c and len(c["enum"]) <= 20 else (
                f"ISO 3166 alpha-3 codes ({len(c['enum'])} values)" if "enum" in c else "")
            rng = " ".join(x for x in (f"min {c['minimum']}" if "minimum" in c else "", f"max {c['maximum']}" if "maximum" in c else "") if x)
            lines.append(f"| `{f['name']}` | {f['type']} | {'yes' if c.get('required') else ''} | {_md(f.get('description', ''))} | {_md(', '.join(x for x in (allowed, rng) if x))} |")
    return ("\n".join(lines) + "\n").encode("utf-8")
