"""``nkflows report``: published tables + result tables -> figures with their data -> three documents.

The documents, all written to ``reports/``:

- ``report.html`` / ``report.pdf``: for readers; one section per question, each with one
  finding, one figure (interactive in the HTML, a static image in the PDF) and a short
  paragraph with the uncertainty in words.
- ``methods.html`` / ``methods.pdf``: the technical annex, with the model tables, the
  diagnostics and the model figures.
- ``appendix.html`` with ``appendix/*.csv``: sources, gaps and conflicts (one line per value
  and source).

:func:`write_documents` takes the published tables and the result tables as dicts
(name -> DataFrame) and does not care how the result tables were obtained. Every number is
read from those tables; the sentences come from :mod:`.text`, :mod:`.text_timeseries` and
:mod:`.findings`. Each figure is drawn once (PNG) and skipped when neither its plotted data
nor the figure code changed since the last build.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Callable

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape

from .. import __version__
from ..figures import interactive, points
from ..figures.registry import FIGURES, Context, data_csv, plotted
from ..files import check_target, staged_set
from ..models.results import load_results, plain_csv
from ..publish import write_atomic
from ..tables import load
from ..timing import stopwatch
from . import findings, text, text_timeseries

TEMPLATES = Path(__file__).parent / "templates"
FIGURE_CODE = Path(__file__).parent.parent / "figures"
#: Every figure of the documents, by stem (reports/figures/<stem>.png and <stem>.csv).
FIGURE_STEMS = tuple(FIGURES)
DOCUMENTS = ("report", "methods", "appendix")


def load_tables(processed: Path) -> dict[str, pd.DataFrame]:
    return load(processed)


def read_results(out: Path) -> dict[str, pd.DataFrame]:
    """The result tables ``nkflows fit`` wrote to ``out``/tables, checked against their models."""
    return load_results(out)


def readings(tables: dict[str, pd.DataFrame], results: dict[str, pd.DataFrame]) -> dict[str, dict[str, str]]:
    """Every generated sentence, computed once for the figures' titles and the documents' text."""
    annual = tables["defector_arrivals_annual"]
    return {
        "summary": text.arrivals_summary(annual),
        "counts": text.count_model_reading(results["headline_effects"], results["defector_count_model"], tables["events"]),
        "share": text.share_reading(annual, results["female_share_trend"]),
        "trade": text.trade_reading(tables["trade_annual"]),
        "trade_monthly_title": text.monthly_title(tables["trade_monthly"]),
        "workers_title": text.workers_title(tables["labor_panel"]),
        "trade_model_events": list(dict.fromkeys(results["trade_monthly_effects"]["event_id"])),
        "labor": text.labor_reading(results["labor_revenue_world"], results["labor_revenue_comparison"], results["labor_revenue_sensitivity"]),
        "tradeoff": text.tradeoff_reading(results["tradeoff_risk_return"], results["tradeoff_rates"], results["tradeoff_tests"], tables["labor_panel"]),
        "its": text_timeseries.its_reading(results["its_terms"], results["its_paths"], tables["events"]),
        "breaks": text_timeseries.breaks_reading(results["breaks_breaks"], results["breaks_bic"], tables["events"]),
        "trade_model": text_timeseries.trade_model_reading(results["trade_monthly_effects"], results["trade_monthly_stl"], results["headline_effects"]),
        "forecast": text_timeseries.forecast_reading(results["forecasts"], results["forecast_accuracy"]),
        "relations": text_timeseries.relationships_reading(results["relationships_ccf"], results["relationships_granger"], results["relationships_skipped"]),
    }


def _code_key() -> str:
    """A hash of the figure code (registry, style, topic modules): a change to it redraws every figure."""
    h = hashlib.sha256()
    for path in sorted(FIGURE_CODE.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def draw_figures(ctx: Context, out: Path, progress: Callable[[str], None] = lambda _: None) -> dict[str, dict]:
    """Each figure's plotted data (CSV), its PNG (drawn only when its data or the figure code changed) and its description."""
    directory = out / "figures"
    registry_path = directory / "figures.json"
    previous = json.loads(registry_path.read_text(encoding="utf-8")) if registry_path.exists() else {}
    code = _code_key()
    frames, keys, metas = {}, {}, {}
    for stem, spec in FIGURES.items():
        frames[stem] = plotted(spec, ctx)
        csv = data_csv(frames[stem])
        write_atomic(directory / f"{stem}.csv", csv)
        keys[stem] = hashlib.sha256(code.encode() + csv + json.dumps(ctx.read, sort_keys=True, default=str).encode()).hexdigest()
        old = previous.get(stem, {})
        if old.get("key") == keys[stem] and (directory / f"{stem}.png").exists():
            metas[stem] = {k: old[k] for k in ("title", "alt", "source", "panels")}
    todo = [stem for stem in FIGURES if stem not in metas]
    metas.update(_draw(todo, ctx, frames, directory))
    figs: dict[str, dict] = {}
    for stem, spec in FIGURES.items():
        figs[stem] = {**metas[stem], "key": keys[stem], "png": f"{stem}.png", "csv": f"{stem}.csv", "caption": spec.title,
                      "citation": spec.citation, "document": spec.document, "frame": frames[stem], "spec": spec}
    write_atomic(registry_path, figure_registry(figs))
    return figs


_JOB: dict = {}


def _draw_one(stem: str) -> dict:
    from ..figures import style

    ctx, frames, directory = _JOB["ctx"], _JOB["frames"], _JOB["directory"]
    fig = FIGURES[stem].draw(ctx, frames[stem])
    meta = style.describe(fig)  # what the figure shows does not depend on where its panels sit
    style.save(fig, directory, stem)  # lays the figure out (style.fit) once, checks it, writes it once
    return meta


def _draw(stems: list[str], ctx: Context, frames: dict[str, pd.DataFrame], directory: Path) -> dict[str, dict]:
    """Draw and save the given figures; in two processes where there are two cores (each figure is independent)."""
    _JOB.update(ctx=ctx, frames=frames, directory=directory)
    try:
        from ..files import worker_pool

        pool = worker_pool(2) if len(stems) >= 4 else None
        if pool is None:
            return {stem: _draw_one(stem) for stem in stems}
        with pool:
            return dict(zip(stems, pool.map(_draw_one, stems)))
    finally:
        _JOB.clear()


def figure_registry(figs: dict[str, dict]) -> bytes:
    """The figures' descriptions (title, alt text, axes with units, series, events, source, files) as JSON."""
    keep = ("title", "alt", "source", "panels", "png", "csv", "key")
    registry = {stem: {k: f[k] for k in keep} for stem, f in sorted(figs.items())}
    return (json.dumps(registry, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _number(value, fmt: str = "{:,.0f}") -> str:
    """A number for the documents' tables; empty for a missing value."""
    return "" if value is None or pd.isna(value) else fmt.format(value)


def conflict_lines(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The conflicts as the appendix shows them: one line per conflict x value x source (who printed what, when)."""
    return points.conflict_lines(tables["conflicts"], tables["sources"])


def used_sources(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    used = set().union(*(set(t["source_id"]) for name, t in tables.items() if name != "sources" and "source_id" in t.columns))
    return tables["sources"].loc[tables["sources"]["source_id"].isin(used)].sort_values("source_id")


def gaps(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Plain statements of what the data do not have, computed from the tables."""
    annual = tables["defector_arrivals_annual"]
    out = []
    years = set(annual["year"])
    missing = [y for y in range(int(annual["year"].min()), int(annual["year"].max()) + 1) if y not in years]
    if missing:
        out.append(f"No single-year total of defector arrivals for {', '.join(map(str, missing))} (the MOU pools these years).")
    no_split = annual.loc[annual["male"].isna(), "year"].tolist()
    if no_split:
        out.append(f"No sex split of arrivals for {', '.join(map(str, no_split))}.")
    arr = tables["defector_arrivals"]
    q = arr.loc[(arr["freq"] == "Q") & (arr["sex"] == "all")]
    qset = {(pd.Timestamp(d).year, (pd.Timestamp(d).month - 1) // 3 + 1) for d in q["period_start"]}
    first = int(min(y for y, _ in qset)) if qset else None
    if first:
        last_year = int(annual["year"].max())
        missing_q = [f"{y} Q{k}" for y in range(max(first, 2019), last_year + 1) for k in range(1, 5) if (y, k) not in qset]
        if missing_q:
            out.append(f"No quarterly total of arrivals found for {', '.join(missing_q)} (from August 2025 the MOU reports half-years).")
    t = tables["trade_annual"]
    g = t.loc[(t["agency"] == "GACC") & (t["reporter"] == "CHN") & (t["partner"] == "PRK") & t["total_usd"].notna(), "year"].astype(int)
    if not g.empty:
        miss = [y for y in range(g.min(), g.max() + 1) if y not in set(g)]
        if miss:
            out.append(f"No China-customs annual total of China-DPRK trade for {', '.join(map(str, miss))}.")
    return out


def data_version(processed: Path | None) -> str:
    """The package version and a short hash of the published tables the documents were built from."""
    if processed is None or not processed.is_dir():
        return __version__
    h = hashlib.sha256()
    for path in sorted(processed.glob("*.csv")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{__version__} (data {h.hexdigest()[:12]})"


def build_date() -> str:
    """Today's date (UTC), or the date of ``SOURCE_DATE_EPOCH`` for a reproducible build."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch and epoch.isdigit() else dt.datetime.now(dt.timezone.utc)
    return when.strftime("%Y-%m-%d")


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["number"] = _number
    env.filters["money"] = findings.money
    env.globals["money_range"] = findings.money_range
    return env


def _png(out: Path, fig: dict) -> str:
    return "data:image/png;base64," + base64.b64encode((out / "figures" / fig["png"]).read_bytes()).decode("ascii")


def _event_marks(events: pd.DataFrame, ids: tuple[str, ...]) -> list[tuple[float, str]]:
    """(decimal year, 'short title (Mon YYYY)') for the events an interactive chart marks."""
    from ..figures import style

    out = []
    for event_id in ids:
        found = style.event_label(events, event_id)
        if found:
            name, date = found
            out.append((round(date.year + (date.day_of_year - 1) / 365.25, 3), f"{name} ({date:%b %Y})"))
    return out


def appendix_tables(tables: dict[str, pd.DataFrame]) -> dict:
    """What the data appendix shows, computed once for its HTML and its CSVs: sources used, conflict lines, gaps."""
    return {"sources": used_sources(tables), "conflicts": conflict_lines(tables), "gaps": gaps(tables)}


def render_documents(tables: dict[str, pd.DataFrame], results: dict[str, pd.DataFrame], figs: dict[str, dict],
                     read: dict[str, dict[str, str]] | None = None, *, out: Path | None = None, version: str = __version__,
                     date: str | None = None, interactive_charts: bool = True, appendix: dict | None = None) -> dict[str, str]:
    """The HTML of each document (``report``, ``report_print``, ``methods``, ``appendix``), from the tables handed in."""
    env = _environment()
    read = read if read is not None else readings(tables, results)
    appendix = appendix if appendix is not None else appendix_tables(tables)
    images = {stem: (_png(out, f) if out is not None and (out / "figures" / f["png"]).exists() else "data:,") for stem, f in figs.items()}
    charts = {}
    if interactive_charts:
        for stem, f in figs.items():
            spec = f.get("spec")
            if spec is not None and spec.interactive and f.get("frame") is not None:
                marks = _event_marks(tables["events"], spec.events)
                charts[stem] = interactive.chart(stem, interactive.figure_json(stem, f["frame"], f["title"], events=marks, **spec.interactive))
    common = {"version": version, "data_version": version, "date": date or build_date(), "figs": figs, "images": images}
    sections = findings.sections(tables, results, read)
    lines = appendix["conflicts"]
    docs = {
        "report": env.get_template("report.html").render(**common, sections=sections, charts=charts,
                                                          plotly=interactive.script() if charts else "", read=read),
        "methods": env.get_template("methods.html").render(
            **common, **read, read=read, model_terms=results["defector_count_model"], its_terms=results["its_terms"],
            breaks_found=results["breaks_breaks"], trade_effects=results["trade_monthly_effects"], comparison=results["labor_revenue_comparison"],
            accuracy=results["forecast_accuracy"], granger_table=results["relationships_granger"], methods=methods_constants()),
        "appendix": env.get_template("appendix.html").render(
            **common, provenance=text.provenance_summary(tables), gaps=appendix["gaps"], conflict_lines=lines, annual=tables["defector_arrivals_annual"],
            n_conflicts=int(lines["conflict"].nunique()) if not lines.empty else 0, sources=appendix["sources"]),
    }
    docs["report_print"] = for_print(docs["report"])
    return docs


def for_print(html: str) -> str:
    """The page without its scripts (plotly.js and the charts' data): what WeasyPrint lays out. The print stylesheet hides
    the empty chart containers and shows each chart's static image instead."""
    import re

    return re.sub(r"(?s)<script>.*?</script>\n?", "", html)


def _constant(module: str, name: str):
    """A literal constant of a model module, read from its source (the report does not import the model code)."""
    import ast

    tree = ast.parse((Path(__file__).parent.parent / "models" / f"{module}.py").read_text(encoding="utf-8"))
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return ast.literal_eval(node.value)
    raise KeyError(f"analysis/models/{module}.py defines no constant {name}")


def methods_constants() -> dict[str, str]:
    """Constants of the methods the annex names (trim, critical value, harmonics), read from the model modules' source."""
    return {"trim": f"{_constant('breaks', 'TRIM'):.0%}", "lr_critical": f"{_constant('breaks', 'LR_CRITICAL_95'):g}",
            "harmonics": str(_constant("trade_monthly", "HARMONICS"))}


def write_appendix_tables(tables: dict[str, pd.DataFrame], out: Path, appendix: dict | None = None) -> None:
    """The data appendix's CSVs: sources used, conflicts one line per value and source, gaps."""
    appendix = appendix if appendix is not None else appendix_tables(tables)
    d = out / "appendix"
    write_atomic(d / "sources.csv", plain_csv(appendix["sources"]))
    write_atomic(d / "conflicts.csv", plain_csv(appendix["conflicts"]))
    write_atomic(d / "gaps.csv", plain_csv(pd.DataFrame({"gap": appendix["gaps"]})))


def write_documents(tables: dict[str, pd.DataFrame], results: dict[str, pd.DataFrame], out: Path, *, processed: Path | None = None,
                    pdf: bool = True, progress: Callable[[str], None] = lambda _: None,
                    timings: dict[str, float] | None = None) -> dict[str, Path]:
    """Figures with their data, the three documents and (unless ``pdf`` is false) the two PDFs; return the written paths."""
    timings = timings if timings is not None else {}
    lap = stopwatch(timings)

    read = readings(tables, results)
    lap("sentences")
    ctx = Context(tables, results, read)
    figs = draw_figures(ctx, out, progress)
    lap("figures")
    progress(f"      drew {len(figs)} figures with their data in {out / 'figures'} ({timings['figures']:.1f}s)")
    appendix = appendix_tables(tables)
    docs = render_documents(tables, results, figs, read, out=out, version=data_version(processed), appendix=appendix)
    write_appendix_tables(tables, out, appendix)
    paths = {}
    for name in DOCUMENTS:
        paths[name] = out / f"{name}.html"
        write_atomic(paths[name], docs[name].encode("utf-8"))
    lap("html")
    progress(f"      wrote {', '.join(str(p) for p in paths.values())} ({timings['html']:.1f}s)")
    if pdf:
        from . import pdf as pdf_output

        for script in pdf_output.missing_scripts():
            progress(f"      note: no installed font covers {script}; {script} source titles in the PDF will show as boxes "
                     "(Debian: `make system-packages` installs the fonts)")
        written = pdf_output.write_pdfs([(docs["report_print"], out / "report.pdf"), (docs["methods"], out / "methods.pdf")])
        paths["report_pdf"], paths["methods_pdf"] = written
        lap("pdf")
        progress(f"      wrote {out / 'report.pdf'} and {out / 'methods.pdf'} ({timings['pdf']:.1f}s)")
    return paths


def build_report(processed: Path, out: Path, progress: Callable[[str], None] = lambda _: None, *, pdf: bool = True,
                 timings: dict[str, float] | None = None) -> Path:
    """Read the result tables ``nkflows fit`` wrote, draw the figures and write the documents; return report.html's path.

    Everything is written beside ``out`` and switched in as one set (:func:`analysis.files.staged_set`):
    an error or a signal leaves ``out`` as it was."""
    out = Path(out)
    check_target(out, writable=False)
    with staged_set(out) as stage:
        path = write_report(processed, stage, lambda t: progress(t.replace(str(stage), str(out))), pdf=pdf, timings=timings)
    return out / path.relative_to(stage)


def write_report(processed: Path, out: Path, progress: Callable[[str], None], *, pdf: bool,
                 timings: dict[str, float] | None = None, tables: dict[str, pd.DataFrame] | None = None) -> Path:
    """The documents in ``out`` (no staging: the caller switches it in), from the published tables (read from
    ``processed`` unless handed in) and the result tables in ``out``/tables; return report.html's path."""
    timings = timings if timings is not None else {}
    t0 = time.perf_counter()
    lap = stopwatch(timings)
    if tables is None:
        tables = load_tables(processed)
        lap("load")
        progress(f"[1/3] loaded {len(tables)} published tables ({timings['load']:.1f}s)")
    results = read_results(out)  # as written (six significant digits): the same documents whether fitted now or before
    lap("results")
    progress(f"[2/3] read {len(results)} result tables from {out / 'tables'} ({time.perf_counter() - t0:.1f}s)")
    paths = write_documents(tables, results, out, processed=processed, pdf=pdf, progress=progress, timings=timings)
    progress(f"[3/3] documents written ({time.perf_counter() - t0:.1f}s)")
    return paths["report"]
