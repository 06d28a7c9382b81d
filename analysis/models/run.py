"""``nkflows fit``: every model, from the published tables, to validated result tables.

Reads data/processed (never data/raw), checks the specification file against the events
table, runs each model family, assembles ``specification_curve`` (every effect the report
states under every specification) and ``headline_effects`` (one row per effect: the
headline specification's estimate and interval, N, and the lowest and highest estimate
over the curve), validates every table against its pandera model in
:mod:`analysis.schemas` and writes reports/tables/<name>.csv. The report reads these
files and fits nothing (:func:`analysis.models.results.load_results`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from . import arrivals, breaks, defector_counts, forecasts, its, labor_revenue, relationships, spec, trade_monthly, tradeoff
from .nb2 import ModelError
from .results import load_results, plain_csv, result_csv, write_results  # noqa: F401  (the result tables on disk)

CURVE_COLUMNS = ["flow", "event_ids", "specification", "description", "headline", "scale", "estimate", "ci_low", "ci_high",
                 "n", "aic", "test", "statistic", "p_value"]


def _female_share(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    share = defector_counts.fit_female_share(tables["defector_arrivals_annual"])
    return {"female_share_trend": share["terms"], "female_share_fitted": share["fitted"]}


def _labour(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The revenue model and the trade-off, sharing the revenue model's inputs and headline draws."""
    ranges = labor_revenue.input_table(tables)
    headline = labor_revenue.draws_by_host_year(ranges, 0.0)
    return {**labor_revenue.run(tables, ranges, headline), **tradeoff.run(tables, ranges, headline)}


#: The model families: (name, function of the published tables). Each is independent of the
#: others, so they may run in any order; the costliest come first, so that two processes
#: finish together (about 2.5, 2.5, 2 and 0.5 s of CPU for the first four).
FAMILIES: list[tuple[str, Callable[[dict[str, pd.DataFrame]], dict[str, pd.DataFrame]]]] = [
    ("labour revenue; workers abroad: revenue and risk", _labour),
    ("monthly trade (specification curve)", trade_monthly.run),
    ("forecasts and backtest", forecasts.run),
    ("annual arrivals (specification curve)", arrivals.run),
    ("relationships", relationships.run),
    ("breaks at unknown dates", breaks.run),
    ("interrupted time series", its.run),
    ("female share of arrivals", _female_share),
]


def quarterly_rows(its_terms: pd.DataFrame) -> pd.DataFrame:
    """The quarterly segmented-trend model's level changes, as alternatives on the specification curve."""
    q = its_terms.loc[(its_terms["model"] == "its_quarterly") & (its_terms["change"] == "level")]
    return pd.DataFrame({
        "flow": spec.ARRIVALS, "event_ids": q["event_id"].to_numpy(), "specification": "nb2_quarterly_segment_trends",
        "description": "quarterly arrivals, NB2, trend with a level and slope change at each event in the quarterly window",
        "headline": False, "scale": "rate_ratio", "estimate": q["rate_ratio"].to_numpy(), "ci_low": q["ci_low"].to_numpy(),
        "ci_high": q["ci_high"].to_numpy(), "n": q["n"].to_numpy(), "aic": np.nan, "test": "", "statistic": np.nan, "p_value": np.nan})


def specification_curve(parts: list[pd.DataFrame]) -> pd.DataFrame:
    curve = pd.concat([p[CURVE_COLUMNS] for p in parts if not p.empty], ignore_index=True)
    order = {e.flow: i for i, e in reversed(list(enumerate(spec.EFFECTS)))}
    curve["_flow"] = curve["flow"].map(order)
    curve = curve.sort_values(["_flow", "event_ids", "headline", "specification", "scale"], ascending=[True, True, False, True, True],
                              kind="stable").drop(columns="_flow")
    curve["n"] = curve["n"].astype(int)
    curve["headline"] = curve["headline"].astype(bool)
    return curve.reset_index(drop=True)


def headline_effects(curve: pd.DataFrame, effects=spec.EFFECTS) -> pd.DataFrame:
    """One row per effect (all of :data:`spec.EFFECTS` unless told): the headline estimate, its interval and the range over the curve."""
    rows = []
    for effect in effects:
        ids = ";".join(effect.event_ids)
        c = curve.loc[(curve["flow"] == effect.flow) & (curve["event_ids"] == ids) & (curve["scale"] != "test")]
        head = c.loc[c["headline"]]
        if len(head) != 1:
            raise ModelError(f"analysis/models/spec.py, effect {effect.key}: its headline specification produced {len(head)} estimates, not 1")
        h = head.iloc[0]
        span = float(h["ci_high"] / h["ci_low"]) if h["ci_low"] > 0 else np.inf
        rows.append({
            "effect": effect.key, "flow": effect.flow, "event_ids": ids, "label": effect.label, "question": effect.question,
            "specification": h["specification"], "estimate": float(h["estimate"]), "ci_low": float(h["ci_low"]),
            "ci_high": float(h["ci_high"]), "pct_change": 100 * (float(h["estimate"]) - 1), "n": int(h["n"]),
            "curve_low": float(c["estimate"].min()), "curve_high": float(c["estimate"].max()), "n_specifications": int(len(c)),
            "interval_span": span, "estimable": bool(span <= spec.NOT_ESTIMABLE_SPAN),
        })
    return pd.DataFrame(rows)


_JOB: dict = {}


def _fit_family(k: int) -> tuple[dict[str, pd.DataFrame], dict[str, bytes]]:
    """One family's tables, and those that are result tables validated and as CSV (in the process that fitted them)."""
    from ..schemas import RESULT_MODELS

    parts = FAMILIES[k][1](_JOB["tables"])
    return parts, {stem: result_csv(stem, frame) for stem, frame in parts.items() if stem in RESULT_MODELS}


def _families(tables: dict[str, pd.DataFrame], jobs: int, progress: Callable[[str], None],
              meanwhile: Callable[[], None] = lambda: None) -> tuple[dict[str, pd.DataFrame], dict[str, bytes]]:
    """Every family's result tables, and those already validated as CSV; in ``jobs`` processes where there are that
    many cores (each family is independent). ``meanwhile`` runs in this process while the workers fit."""
    t0 = time.perf_counter()
    done = 0

    def report(k: int) -> None:
        nonlocal done
        done += 1
        progress(f"  [{done}/{len(FAMILIES)}] {FAMILIES[k][0]} ({time.perf_counter() - t0:.1f}s)")

    parts: dict[int, tuple[dict[str, pd.DataFrame], dict[str, bytes]]] = {}
    _JOB["tables"] = tables
    try:
        from concurrent.futures import as_completed

        from ..files import worker_pool

        pool = worker_pool(jobs)
        if pool is None:
            meanwhile()
            for k in range(len(FAMILIES)):
                parts[k] = _fit_family(k)
                report(k)
        else:
            with pool:
                futures = {pool.submit(_fit_family, k): k for k in range(len(FAMILIES))}
                meanwhile()
                for future in as_completed(futures):
                    parts[futures[future]] = future.result()  # a family's error is raised here, as it was raised there
                    report(futures[future])
    finally:
        _JOB.clear()
    results: dict[str, pd.DataFrame] = {}
    validated: dict[str, bytes] = {}
    for k in range(len(FAMILIES)):  # the same tables whatever order the families finished in
        results.update(parts[k][0])
        validated.update(parts[k][1])
    return results, validated


def default_jobs() -> int:
    """Processes for the model families: one per core, at most two (the families' costs make a third idle)."""
    return max(1, min(2, os.cpu_count() or 1))


def fit_all(tables: dict[str, pd.DataFrame], progress: Callable[[str], None] = lambda _: None, jobs: int = 1) -> dict[str, pd.DataFrame]:
    """Every result table, keyed by the file stem it is written to (headline_effects first).

    ``jobs`` > 1 runs the model families in that many worker processes; the tables are the
    same either way (every family is seeded on its own)."""
    return _fit_all(tables, progress, jobs)[0]


def _fit_all(tables, progress, jobs, meanwhile=lambda: None) -> tuple[dict[str, pd.DataFrame], dict[str, bytes]]:
    spec.check_events(tables["events"])
    results, validated = _families(tables, jobs, progress, meanwhile)
    curve = specification_curve([results.pop("arrivals_curve"), quarterly_rows(results["its_terms"]), results.pop("trade_curve")])
    head = headline_effects(curve)
    return {"headline_effects": head, "specification_curve": curve, **dict(sorted(results.items()))}, validated


def fit_into(tables: dict[str, pd.DataFrame], folder: Path, progress: Callable[[str], None] = lambda _: None,
             jobs: int | None = None, meanwhile: Callable[[], None] = lambda: None) -> list[Path]:
    """Fit every model from the published tables and write the validated result tables to ``folder``/tables
    (no staging: the caller switches the folder in; ``jobs`` processes, default :func:`default_jobs`).
    ``meanwhile`` runs in this process while worker processes fit (the pipeline imports the report's libraries)."""
    t0 = time.perf_counter()
    results, validated = _fit_all(tables, progress, default_jobs() if jobs is None else jobs, meanwhile)
    progress(f"      fitted every model: {len(results)} result tables ({time.perf_counter() - t0:.1f}s)")
    paths = write_results(results, folder, validated)
    progress(f"      validated and wrote {len(paths)} tables to {folder / 'tables'} ({time.perf_counter() - t0:.1f}s)")
    return paths


def fit(processed: Path, out: Path, progress: Callable[[str], None] = lambda _: None, jobs: int | None = None) -> list[Path]:
    """Fit every model from the published tables in ``processed`` and write the result tables to ``out``/tables
    (``jobs`` processes; default :func:`default_jobs`)."""
    from ..files import check_target, staged_set
    from ..tables import load

    out = Path(out)
    check_target(out, writable=False)  # an --out that names a file is refused before any fitting
    t0 = time.perf_counter()
    tables = load(processed)
    progress(f"[1/2] loaded {len(tables)} published tables from {processed} ({time.perf_counter() - t0:.1f}s)")
    with staged_set(out) as stage:  # the result tables are switched in as one set, with the report's other outputs
        paths = [out / p.relative_to(stage) for p in fit_into(tables, stage, lambda t: progress(t.replace(str(stage), str(out))), jobs)]
    progress(f"[2/2] done ({time.perf_counter() - t0:.1f}s)")
    return paths
