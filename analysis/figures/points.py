"""Per-point provenance for the figures: who printed each plotted value, as what, where, and who disagrees.

A figure's *plotted data* is one tidy frame (:data:`COLUMNS`), written beside the figure as
a CSV and used by the interactive chart's hover. The conflicts table is expanded to one
line per value and source (:func:`conflict_lines`), the shape the data appendix shows.
"""

from __future__ import annotations

import pandas as pd

#: The plotted-data contract: one row per plotted point.
COLUMNS = ["panel", "series", "mark", "x", "value", "value_low", "value_high", "unit", "source_id", "reported_as", "url", "publisher",
           "sources_disagree"]


def parse_key(key: str) -> dict[str, str]:
    """A conflicts key (``freq=A;period_start=2002-01-01;...``) as a dict."""
    return dict(part.split("=", 1) for part in str(key).split(";") if "=" in part)


def _same(a, b) -> bool:
    """Two printed values are the same figure (numerically where both are numbers)."""
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)


def conflict_lines(conflicts: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """One row per conflict x value x source (the published ``conflicts`` is already this shape), with
    who printed the value and when, and whether the series uses it."""
    pub = sources.set_index("source_id")
    numbers = {cid: n for n, cid in enumerate(dict.fromkeys(conflicts["conflict_id"]), 1)}
    rows = []
    for c in conflicts.itertuples(index=False):
        source_id = c.source_id if isinstance(c.source_id, str) else ""
        known = source_id in pub.index
        rows.append({
            "conflict": numbers[c.conflict_id], "table": c.table, "key": c.key, "conflict_type": c.conflict_type,
            "value": "" if pd.isna(c.value) else str(c.value), "source_id": source_id,
            "derived": "" if str(c.basis) == "reported" else str(c.basis),
            "publisher": pub.at[source_id, "publisher"] if known else "",
            "published": str(pub.at[source_id, "published"]) if known and pd.notna(pub.at[source_id, "published"]) else "",
            "url": pub.at[source_id, "url"] if known else "",
            "chosen": bool(c.chosen) if not pd.isna(c.chosen) else False,
            "decided_by": "" if pd.isna(c.decided_by) else str(c.decided_by),
        })
    return pd.DataFrame(rows, columns=["conflict", "table", "key", "conflict_type", "value", "source_id", "derived", "publisher", "published",
                                       "url", "chosen", "decided_by"])


class Disagreements:
    """Who printed what, by table and figure key, for the hovers: built once from :func:`conflict_lines`."""

    def __init__(self, lines: pd.DataFrame):
        self.by_table: dict[str, list[tuple[dict[str, str], str]]] = {}
        for r in lines.itertuples():
            text = f"{r.value} ({r.publisher or r.source_id}{', ' + r.published if r.published else ''})"
            self.by_table.setdefault(r.table, []).append((parse_key(r.key), text))

    def say(self, table: str, **key) -> str:
        """A sentence listing who printed what for the figure ``key`` of ``table`` (empty when the sources agree)."""
        want = {k: str(v) for k, v in key.items()}
        parts = [text for parsed, text in self.by_table.get(table, []) if all(parsed.get(f) == v for f, v in want.items())]
        return f"Sources disagree: {'; '.join(dict.fromkeys(parts))}" if parts else ""


def with_sources(frame: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Add each row's source URL and publisher (model rows, whose source_id starts with 'model:', get none)."""
    s = sources.set_index("source_id")
    frame = frame.copy()
    frame["url"] = frame["source_id"].map(s["url"]).fillna("")
    frame["publisher"] = frame["source_id"].map(s["publisher"]).fillna("")
    for col in COLUMNS:
        if col not in frame.columns:
            frame[col] = "" if col in ("panel", "reported_as", "sources_disagree", "mark") else float("nan")
    return frame[COLUMNS]


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The plotted data as CSV, numbers in plain decimal notation (never 1.2e+09)."""
    out = frame.copy()
    for col in ("x", "value", "value_low", "value_high"):
        out[col] = [plain(v) for v in out[col]]
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8")


def plain(value) -> str:
    """A number in plain decimal notation, without trailing zeros; empty for a missing value."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, str):
        return value
    text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
