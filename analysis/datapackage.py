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
    Conflicts, DefectionsAbroad, DefectorArrivals, DefectorArrivalsAnnual, DefectorCumulative, Events, EventSources, LaborMeasures, LaborModelInputs, LaborPanel, LaborPanelGaps, LaborRevenueAssumptions, LaborRevenueEstimates, LaborWorkers, Sources, TradeAnnual, TradeFlows, TradeMonthly,
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
        "description": " ".join((model.__doc__ or "").split()),
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
            "preferred series chosen by a written rule, and the conflicts between sources. Counts are persons; "
            "money is nominal US dollars; countries are ISO 3166 alpha-3; dates are ISO 8601."
        ),
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
                      "title": "Creative Commons Attribution 4.0 (the compilation; source figures remain their publishers')"}],
        "resources": [resource_descriptor(n, PUBLISHED[n]) for n in names],
    }


def render(names: list[str]) -> bytes:
    return (json.dumps(descriptor(names), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
