"""The catalogue of corruptions: every kind of bad input, applied to every raw file the build reads.

Each kind is one function taking a parsed raw table (:class:`RawCsv`) and yielding
:class:`Case` objects: the new bytes of the files it touches and the error the build
must report (:class:`Expect`: the file, the line, the column and words of the rule).
:func:`all_cases` applies every kind to every raw CSV where it applies.

What each kind must name (``line``/``column`` ``None`` means the message must not carry
one, because the problem is the whole file or the whole header):

- header problems (missing, renamed, unknown or repeated column): line 1 and the column;
- an empty file, a header without rows, a sidecar problem: the file only;
- a truncated file, a wrong encoding, NUL bytes, a row with the wrong number of fields, a
  duplicated row or key: the file and the line, no column (the row, not a cell, is wrong);
- every cell problem (missing, wrong type, negative, too large, unknown code, bad
  pattern, malformed or impossible date, a figure whose source is not listed): the
  file, the line and the column;
- a broken sum (male + female != all, exports + imports != total) or running total: the
  line of the total (or running total) and the value column.

A corrupted data file gets a re-recorded sidecar hash (as an editor who updates the
sidecar would), so that the rule under test fires rather than only the hash check; the
sidecar kinds leave the hash alone on purpose.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import pandera.polars as pa

from analysis.ingest.common import columns_of
from analysis.ingest.discrepancies import DiscrepancyRecords
from analysis.paths import RAW
from analysis.provenance import SIDECAR_SUFFIX
from analysis.schemas import (
    DefectionsAbroadObservations, DefectorArrivalObservations, DefectorCumulativeObservations, Events, EventSources, LaborModelInputs,
    LaborRevenueAssumptions, LaborRevenueEstimates, LaborWorkerObservations, Sources, TradeFlowObservations,
)

#: Every raw CSV the build reads, with the model it is parsed against.
from analysis.ingest.comtrade_snapshots import ComtradeRecordedValues  # noqa: E402

RAW_MODELS: dict[str, type[pa.DataFrameModel]] = {
    "comtrade/recorded_values.csv": ComtradeRecordedValues,
    "defectors/arrivals.csv": DefectorArrivalObservations,
    "defectors/cumulative.csv": DefectorCumulativeObservations,
    "defectors/discrepancies.csv": DiscrepancyRecords,
    "defectors/sources.csv": Sources,
    "events/events.csv": Events,
    "events/events_reported_as.csv": EventSources,
    "events/sources.csv": Sources,
    "labor/model_inputs.csv": LaborModelInputs,
    "labor/revenue_assumptions.csv": LaborRevenueAssumptions,
    "labor/revenue_estimates.csv": LaborRevenueEstimates,
    "labor/sources.csv": Sources,
    "labor/workers.csv": LaborWorkerObservations,
    "trade/discrepancies.csv": DiscrepancyRecords,
    "trade/flows.csv": TradeFlowObservations,
    "trade/sources.csv": Sources,
    "defections_abroad/incidents.csv": DefectionsAbroadObservations,
    "defections_abroad/sources.csv": Sources,
}

#: Columns that hold country codes checked against ISO 3166 (not just their shape).
COUNTRY_COLUMNS = {"reporter", "partner", "countries", "host", "workers_from", "inputs_from"}


@dataclass(frozen=True)
class Expect:
    """The error a case must produce. ``file`` is relative to the raw folder."""

    file: str
    line: int | None
    column: str | None
    rule: str

    def location(self) -> str:
        where = f"/{self.file}"
        if self.line is not None:
            where += f", line {self.line}"
        if self.column:
            where += f", column '{self.column}'"
        return where + ": "


@dataclass(frozen=True)
class Case:
    kind: str
    target: str
    detail: str
    make: Callable[[], dict[str, bytes | None]] = field(repr=False, compare=False)  # raw-relative path -> new bytes (None: delete)
    expect: Expect
    resign: bool = True  # re-record the sidecar hash of each changed data file
    column: str | None = None  # set for cell-level cases (see all_cases)

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.target}" + (f":{self.detail}" if self.detail else "")


@dataclass
class RawCsv:
    """A raw CSV as rows of text cells; ``line(i)`` is the file line of data row ``i``."""

    rel: str
    header: list[str]
    rows: list[list[str]]
    model: type[pa.DataFrameModel]

    @classmethod
    def load(cls, rel: str, raw: Path = RAW) -> "RawCsv":
        text = (raw / rel).read_text(encoding="utf-8")
        records = [r for r in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in r)]
        for r in records:
            if any("\n" in c or "\r" in c for c in r):
                raise ValueError(f"{rel}: a cell spans lines; line numbers below assume it does not")
        return cls(rel, records[0], records[1:], RAW_MODELS[rel])

    @staticmethod
    def line(i: int) -> int:
        return i + 2

    def render(self, header: list[str] | None = None, rows: list[list[str]] | None = None) -> bytes:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.header if header is None else header)
        w.writerows(self.rows if rows is None else rows)
        return buf.getvalue().encode("utf-8")

    def text(self) -> str:
        return self.render().decode("utf-8")

    def col(self, name: str) -> int:
        return self.header.index(name)

    def kinds(self) -> dict[str, tuple[str, bool]]:
        """column -> (kind: str/int/float/date, required)."""
        return {c.name: (c.kind, c.required) for c in columns_of(self.model)}

    def checks(self, column: str) -> dict[str, dict]:
        return {c.name: c.statistics for c in self.model.to_schema().columns[column].checks}

    def unique_key(self) -> list[str]:
        return list(self.model.to_schema().unique or [])

    def middle(self, column: str | None = None) -> int:
        """A row near the middle; with ``column``, the first from there whose cell is not empty."""
        n = len(self.rows)
        start = n // 2
        if column is None:
            return start
        j = self.col(column)
        for k in list(range(start, n)) + list(range(0, start)):
            if self.rows[k][j].strip():
                return k
        return start

    def with_cell(self, i: int, column: str, value: str) -> bytes:
        rows = [list(r) for r in self.rows]
        rows[i][self.col(column)] = value
        return self.render(rows=rows)


def _case(kind: str, t: RawCsv, detail: str, data: Callable[[], bytes | None], expect: Expect) -> Case:
    return Case(kind, t.rel, detail, lambda: {t.rel: data()}, expect)


def _cell(kind: str, t: RawCsv, column: str, value: str, rule: str, row: int | None = None) -> Case:
    i = t.middle(column) if row is None else row
    return Case(kind, t.rel, f"{column}={value!r}", lambda: {t.rel: t.with_cell(i, column, value)},
                Expect(t.rel, t.line(i), column, rule), column=column)


def _required(t: RawCsv) -> list[str]:
    return [c for c, (_, req) in t.kinds().items() if req]


def _pick_required(t: RawCsv) -> str:
    req = [c for c in _required(t) if c != "source_id"] or _required(t)
    return req[len(req) // 2]


# ------------------------------------------------------------------ header problems
def missing_column(t: RawCsv) -> Iterator[Case]:
    col = _pick_required(t)
    j = t.col(col)
    yield _case("missing_column", t, col,
                lambda: t.render([h for k, h in enumerate(t.header) if k != j], [[c for k, c in enumerate(r) if k != j] for r in t.rows]),
                Expect(t.rel, 1, col, "required column is missing"))


def renamed_column(t: RawCsv) -> Iterator[Case]:
    col = _required(t)[0]
    new = col.replace("_", " ").title()
    yield _case("renamed_column", t, f"{col}->{new}", lambda: t.render([new if h == col else h for h in t.header]),
                Expect(t.rel, 1, col, "required column is missing"))


def extra_column(t: RawCsv) -> Iterator[Case]:
    yield _case("extra_column", t, "comment", lambda: t.render(t.header + ["comment"], [r + ["checked"] for r in t.rows]),
                Expect(t.rel, 1, "comment", "unknown column"))


def repeated_column(t: RawCsv) -> Iterator[Case]:
    col = t.header[-1]
    yield _case("repeated_column", t, col, lambda: t.render(t.header + [col], [r + [r[-1]] for r in t.rows]),
                Expect(t.rel, 1, col, "column appears twice"))


# --------------------------------------------------------------- whole-file problems
def empty_file(t: RawCsv) -> Iterator[Case]:
    yield _case("empty_file", t, "", lambda: b"", Expect(t.rel, None, None, "file is empty"))


def header_only(t: RawCsv) -> Iterator[Case]:
    yield _case("header_only", t, "", lambda: t.render(rows=[]), Expect(t.rel, None, None, "no data rows"))


def truncated_file(t: RawCsv) -> Iterator[Case]:
    """The file ends part-way through a row (a copy or download that stopped)."""
    i = t.middle()
    head = t.render(rows=t.rows[:i])
    row = t.render(rows=[t.rows[i]]).split(b"\n", 1)[1].rstrip(b"\n")
    cut = row[: max(1, len(row) // 2)]
    yield _case("truncated_file", t, "mid-row", lambda: head + cut, Expect(t.rel, t.line(i), None, "truncated"))


def wrong_encoding_utf16(t: RawCsv) -> Iterator[Case]:
    yield _case("wrong_encoding", t, "utf-16", lambda: t.text().encode("utf-16"), Expect(t.rel, 1, None, "UTF-8"))


def wrong_encoding_legacy(t: RawCsv) -> Iterator[Case]:
    """Saved in a legacy 8-bit encoding (cp949 for Korean text, else Latin-1); applies where the file has non-ASCII text."""
    text = t.text()
    lines = text.split("\n")
    first = next((n for n, ln in enumerate(lines, start=1) if not ln.isascii()), None)
    if first is None:
        return
    for codec in ("cp949", "latin-1"):
        try:
            data = text.encode(codec)
        except UnicodeEncodeError:
            continue
        yield _case("wrong_encoding", t, codec, lambda data=data: data, Expect(t.rel, first, None, "UTF-8"))
        return


def nul_bytes(t: RawCsv) -> Iterator[Case]:
    """Binary bytes in a text file; every other file (UTF-16 shows the same rule on the rest)."""
    if list(RAW_MODELS).index(t.rel) % 2:
        return
    i = t.middle()
    head = t.render(rows=t.rows[:i])
    rest = t.render(rows=t.rows[i:]).split(b"\n", 1)[1]
    yield _case("binary_content", t, "NUL", lambda: head + b"\x00\x00" + rest, Expect(t.rel, t.line(i), None, "NUL bytes"))


# ------------------------------------------------------------------ row problems
def unquoted_comma(t: RawCsv) -> Iterator[Case]:
    """A comma typed into a cell without quotes: the row gets one field too many."""
    i = t.middle()
    lines = t.text().split("\n")
    lines[t.line(i) - 1] += ",stray"
    yield _case("wrong_field_count", t, "extra field", lambda: "\n".join(lines).encode("utf-8"),
                Expect(t.rel, t.line(i), None, "fields but the header has"))


def duplicated_row(t: RawCsv) -> Iterator[Case]:
    """A row pasted twice; the files in turn with :func:`duplicated_key_other_values`."""
    if list(RAW_MODELS).index(t.rel) % 2:
        return
    i = t.middle()
    rows = t.rows[: i + 1] + [t.rows[i]] + t.rows[i + 1:]
    yield _case("duplicated_key", t, "same row twice", lambda: t.render(rows=rows), Expect(t.rel, t.line(i + 1), None, "uniqueness"))


def duplicated_key_other_values(t: RawCsv) -> Iterator[Case]:
    """The same key again with a different non-key value (two versions of one record)."""
    key = t.unique_key()
    kinds = t.kinds()
    free = [c for c in t.header if c not in key and kinds[c][0] == "str" and kinds[c][1]]
    if not key or not free or not list(RAW_MODELS).index(t.rel) % 2:
        return
    col = free[0]
    i = t.middle()
    twin = list(t.rows[i])
    twin[t.col(col)] = twin[t.col(col)] + " (second version)"
    rows = t.rows[: i + 1] + [twin] + t.rows[i + 1:]
    yield _case("duplicated_key", t, f"key again, other {col}", lambda: t.render(rows=rows), Expect(t.rel, t.line(i + 1), None, "uniqueness"))


# ------------------------------------------------------------------ cell problems
def missing_value(t: RawCsv) -> Iterator[Case]:
    """A required cell left empty: the file's first and last required column."""
    req = _required(t)
    for col in dict.fromkeys([req[0], req[-1]]):
        yield _cell("missing_value", t, col, "", "value is required")


_WRONG_TYPE = {"int": ("n/a", "must be a whole number"), "float": ("about 5 million", "must be a number"),
               "date": ("unknown", "must be an ISO 8601 date")}


def wrong_type(t: RawCsv) -> Iterator[Case]:
    """Text in a number or date column, a fraction in a count: the first column of each type."""
    seen = set()
    for col, (kind, _) in t.kinds().items():
        if kind in _WRONG_TYPE and kind not in seen:
            seen.add(kind)
            value, rule = _WRONG_TYPE[kind]
            yield _cell("wrong_type", t, col, value, rule)
            if kind == "int":
                yield _cell("wrong_type", t, col, "12.5", "must be a whole number")


def negative_value(t: RawCsv) -> Iterator[Case]:
    for col, (kind, _) in t.kinds().items():
        if kind in ("int", "float"):
            yield _cell("negative_value", t, col, "-1", "greater_than_or_equal_to")


def impossible_value(t: RawCsv) -> Iterator[Case]:
    """Numbers above the schema's ceiling; a percentage above 100."""
    for col, (kind, _) in t.kinds().items():
        top = t.checks(col).get("less_than_or_equal_to")
        if kind in ("int", "float") and top:
            yield _cell("impossible_value", t, col, str(int(top["max_value"]) * 10 + 1), "less_than_or_equal_to")
    if "unit" in t.header:
        j = t.col("unit")
        pct = [k for k, r in enumerate(t.rows) if r[j] == "percent" and r[t.col("value")]]
        if pct:
            yield _cell("impossible_value", t, "value", "150", "a percentage must be at most 100", row=pct[len(pct) // 2])
    if "value_low" in t.header and "value_high" in t.header:
        lo, hi = t.col("value_low"), t.col("value_high")
        both = [k for k, r in enumerate(t.rows) if r[lo] and r[hi]]
        if both:
            k = both[len(both) // 2]
            rows = [list(r) for r in t.rows]
            rows[k][lo], rows[k][hi] = rows[k][hi], rows[k][lo]
            if rows[k][lo] != rows[k][hi]:
                yield _case("impossible_value", t, "value_low>value_high", lambda rows=rows: t.render(rows=rows),
                            Expect(t.rel, t.line(k), "value_low", "value_low must not exceed value_high"))


def unknown_code(t: RawCsv) -> Iterator[Case]:
    """A code outside its list: a category, a sex, a measure, a country."""
    for col in t.header:
        checks = t.checks(col)
        if col in COUNTRY_COLUMNS:
            yield _cell("unknown_code", t, col, "KRP" if col != "countries" else "PRK;KRP",
                        "isin" if "isin" in checks else "ISO 3166")
        elif "isin" in checks:  # a whole number outside the list where the column holds numbers
            yield _cell("unknown_code", t, col, "99999" if t.kinds()[col][0] == "int" else "not_listed", "isin")


def malformed_value(t: RawCsv) -> Iterator[Case]:
    """Text that breaks the column's written pattern (an id with spaces, a URL without scheme...)."""
    for col in t.header:
        if "str_matches" in t.checks(col) and col not in COUNTRY_COLUMNS:
            yield _cell("malformed_value", t, col, "Not Valid!", "str_matches")


def malformed_date(t: RawCsv) -> Iterator[Case]:
    for col, (kind, _) in t.kinds().items():
        if kind == "date":
            yield _cell("malformed_date", t, col, "31/12/2019", "must be an ISO 8601 date")
    if "published" in t.header:  # a partial date kept as text
        yield _cell("malformed_date", t, "published", "March 2019", "str_matches")


def impossible_date(t: RawCsv) -> Iterator[Case]:
    """A day that does not exist (first date column); a date outside the schema's range (every date column)."""
    dates = [col for col, (kind, _) in t.kinds().items() if kind == "date"]
    if dates:
        yield _cell("impossible_date", t, dates[0], "2019-02-30", "real calendar date")
    for col in dates:
        yield _cell("impossible_date", t, col, "2999-12-31", "less_than_or_equal_to")
    if "published" in t.header:
        yield _cell("impossible_date", t, "published", "2019-02-30", "real calendar date")


_ORDER_RULE = {"defectors/arrivals.csv": "not a whole calendar period", "trade/flows.csv": "does not fit freq"}


def end_before_start(t: RawCsv) -> Iterator[Case]:
    if "period_start" not in t.header or "period_end" not in t.header:
        return
    s, e = t.col("period_start"), t.col("period_end")
    k = next((k for k in range(t.middle(), len(t.rows)) if t.rows[k][s] and t.rows[k][e] and t.rows[k][s] < t.rows[k][e]), None)
    if k is None:
        return
    rows = [list(r) for r in t.rows]
    rows[k][s], rows[k][e] = rows[k][e], rows[k][s]
    yield _case("impossible_date", t, "period_end before period_start", lambda: t.render(rows=rows),
                Expect(t.rel, t.line(k), "period_end", _ORDER_RULE.get(t.rel, "period_end is before period_start")))


def figure_without_source(t: RawCsv) -> Iterator[Case]:
    if "source_id" not in t.header or t.model is Sources:
        return
    yield _cell("figure_without_source", t, "source_id", "page-never-listed", "not listed in any sources.csv")


# -------------------------------------------------------------- across-row rules
def _complete_groups(t: RawCsv, key: list[str], member: str, members: set[str]) -> list[dict[str, int]]:
    """Row indices by ``member`` value for each group of rows sharing ``key`` that has every one of ``members``."""
    groups: dict[tuple, dict[str, int]] = defaultdict(dict)
    for k, r in enumerate(t.rows):
        groups[tuple(r[t.col(c)] for c in key)][r[t.col(member)]] = k
    return [g for g in groups.values() if set(g) == members]


def broken_sex_sum(t: RawCsv) -> Iterator[Case]:
    """male + female != all within one source and period: change all, then male, then female."""
    if t.rel != "defectors/arrivals.csv":
        return
    full = _complete_groups(t, ["source_id", "period_start", "period_end", "freq"], "sex", {"male", "female", "all"})
    j = t.col("arrivals")
    for n, member in enumerate(("all", "male", "female")):
        g = full[(n + 1) * len(full) // 4]
        k = g[member]
        new = str(int(t.rows[k][j]) + 7)
        yield _case("broken_sum", t, f"male+female!=all ({member} changed)", lambda k=k, new=new: t.with_cell(k, "arrivals", new),
                    Expect(t.rel, t.line(g["all"]), "arrivals", "male + female must equal all"))


def broken_trade_sum(t: RawCsv) -> Iterator[Case]:
    """exports + imports != total within one source and period, beyond the source's rounding."""
    if t.rel != "trade/flows.csv":
        return
    key = ["source_id", "freq", "period_start", "period_end", "reporter", "partner", "commodity", "currency", "agency"]
    full = _complete_groups(t, key, "flow", {"export", "import", "total"})
    j = t.col("value")
    for n, member in enumerate(("total", "export", "import")):
        g = full[(n + 1) * len(full) // 4]
        k = g[member]
        total = float(t.rows[g["total"]][j])
        new = f"{float(t.rows[k][j]) + max(total * 0.2, 1e6):.0f}"
        yield _case("broken_sum", t, f"exports+imports!=total ({member} changed)", lambda k=k, new=new: t.with_cell(k, "value", new),
                    Expect(t.rel, t.line(g["total"]), "value", "exports + imports must equal total"))


def broken_running_total(t: RawCsv) -> Iterator[Case]:
    """A reported running total far from what the annual series adds up to."""
    if t.rel != "defectors/cumulative.csv":
        return
    rows = [k for k, r in enumerate(t.rows) if r[t.col("sex")] == "all" and r[t.col("as_of")].endswith("-12-31")
            and "2005" <= r[t.col("as_of")] <= "2024"]
    for k in (rows[len(rows) // 3], rows[2 * len(rows) // 3]):
        new = str(int(t.rows[k][t.col("cumulative")]) * 2)
        yield _case("broken_sum", t, f"running total doubled (line {t.line(k)})", lambda k=k, new=new: t.with_cell(k, "cumulative", new),
                    Expect(t.rel, t.line(k), "cumulative", "running total"))


def source_removed(t: RawCsv) -> Iterator[Case]:
    """A source row deleted while figures still cite it: those figures lose their source."""
    if t.model is not Sources:
        return
    listed_elsewhere = set()
    for rel, model in RAW_MODELS.items():
        if model is Sources and rel != t.rel:
            other = RawCsv.load(rel)
            listed_elsewhere |= {r[0] for r in other.rows}
    citing = [RawCsv.load(rel) for rel, m in RAW_MODELS.items() if m is not Sources and rel.split("/")[0] == t.rel.split("/")[0]]
    for k, r in enumerate(t.rows):
        sid = r[0]
        if sid in listed_elsewhere:
            continue
        hit = next(((c, i) for c in citing for i, row in enumerate(c.rows) if "source_id" in c.header and row[c.col("source_id")] == sid), None)
        if hit is None:
            continue
        c, i = hit
        rows = t.rows[:k] + t.rows[k + 1:]
        yield Case("figure_without_source", t.rel, f"source {sid} removed", lambda rows=rows: {t.rel: t.render(rows=rows)},
                   Expect(c.rel, c.line(i), "source_id", "not listed in any sources.csv"))
        return


# -------------------------------------------------------------------- provenance
def _sidecar(t: RawCsv) -> dict:
    return json.loads((RAW / (t.rel + SIDECAR_SUFFIX)).read_text(encoding="utf-8"))


def _side_case(detail: str, t: RawCsv, data: bytes | None, expect: Expect, *, change_file: bool = False) -> Case:
    side = t.rel + SIDECAR_SUFFIX

    def make() -> dict[str, bytes | None]:
        out: dict[str, bytes | None] = {side: data}
        if change_file:  # a changed figure, sidecar left as it was
            text = t.text()
            out[t.rel] = text.replace(",", ", ", 1).encode("utf-8")
        return out
    return Case("provenance", t.rel, detail, make, expect, resign=False)


def sidecar_problems(t: RawCsv) -> Iterator[Case]:
    """Every file: changed without a new hash; and, in turn, one of four sidecar problems."""
    meta = _sidecar(t)
    side = t.rel + SIDECAR_SUFFIX
    dump = lambda m: (json.dumps(m, indent=2, ensure_ascii=False) + "\n").encode("utf-8")  # noqa: E731
    yield _side_case("file changed, hash not re-recorded", t, dump(meta), Expect(t.rel, None, None, "SHA-256 does not match"), change_file=True)
    broken = [
        ("sidecar missing", None, Expect(t.rel, None, None, "no provenance sidecar")),
        ("sidecar not JSON", dump(meta)[:40], Expect(side, None, None, "not valid UTF-8 JSON")),
        ("sidecar of another file", dump({**meta, "file": "other.csv"}), Expect(side, None, "file", "describes another file")),
        ("sidecar without origin", dump({k: v for k, v in meta.items() if k != "origin"}), Expect(side, None, "origin", "sidecar key is required")),
    ]
    detail, data, expect = broken[list(RAW_MODELS).index(t.rel) % len(broken)]
    yield _side_case(detail, t, data, expect)


def tree_problems() -> Iterator[Case]:
    """Files beside the tables: a sidecar left without its file, a new figures file without provenance."""
    arrivals = RawCsv.load("defectors/arrivals.csv")
    yield Case("provenance", "defectors/", "orphan sidecar",
               lambda: {"defectors/arrivals_2019.csv.meta.json": (RAW / "defectors/arrivals.csv.meta.json").read_bytes()},
               Expect("defectors/arrivals_2019.csv.meta.json", None, None, "sidecar has no data file"), resign=False)
    yield Case("provenance", "trade/", "new figures file without sidecar",
               lambda: {"trade/flows_2026.csv": (RAW / "trade/flows.csv").read_bytes()},
               Expect("trade/flows_2026.csv", None, None, "no provenance sidecar"), resign=False)
    yield Case("duplicated_key", "defectors/", "the same rows in a second arrivals file",
               lambda: {"defectors/arrivals_copy.csv": arrivals.render(rows=arrivals.rows[:3]),
                        "defectors/arrivals_copy.csv.meta.json": (json.dumps({**_sidecar(arrivals), "file": "arrivals_copy.csv"}) + "\n").encode()},
               Expect("defectors/arrivals_copy.csv", 2, None, "duplicated key"))


#: The catalogue: one function per kind of corruption.
KINDS: list[Callable[[RawCsv], Iterator[Case]]] = [
    missing_column, renamed_column, extra_column, repeated_column,
    empty_file, header_only, truncated_file, wrong_encoding_utf16, wrong_encoding_legacy, nul_bytes,
    unquoted_comma, duplicated_row, duplicated_key_other_values,
    missing_value, wrong_type, negative_value, impossible_value, unknown_code, malformed_value,
    malformed_date, impossible_date, end_before_start, figure_without_source, source_removed,
    broken_sex_sum, broken_trade_sum, broken_running_total,
    sidecar_problems,
]


def all_cases() -> list[Case]:
    """Every kind on every file. Files read with the same model (the four sources.csv, the two
    discrepancies.csv) all get the file-level kinds; a cell-level case for one of their
    columns goes to one of them in turn, since the same rule checks the same column."""
    cases: list[Case] = []
    for rel, model in RAW_MODELS.items():
        t = RawCsv.load(rel)
        twins = [r for r, m in RAW_MODELS.items() if m is model]
        columns = list(model.to_schema().columns)
        for n, kind in enumerate(KINDS):
            for case in kind(t):
                if case.column is None or twins.index(rel) == (columns.index(case.column) + n) % len(twins):
                    cases.append(case)
    cases.extend(tree_problems())
    return cases


def raw_csvs() -> list[str]:
    """Every CSV under data/raw (the catalogue must cover each one)."""
    return sorted(str(p.relative_to(RAW)) for p in RAW.rglob("*.csv"))
