"""Sentences on the time-series models, generated from their result tables (no typed numbers)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .text import n, p_value, pct_change, ratio, usd


def _event(events: pd.DataFrame, event_id: str) -> tuple[str, str]:
    row = events.loc[events["event_id"] == event_id].iloc[0]
    return row["title"], pd.Timestamp(row["date"]).strftime("%d %B %Y").lstrip("0")


def its_reading(terms: pd.DataFrame, paths: pd.DataFrame, events: pd.DataFrame) -> dict[str, str]:
    out = {}
    for model, key in (("its_annual", "annual"), ("its_quarterly", "quarterly")):
        t = terms.loc[terms["model"] == model]
        if t.empty:
            continue
        per = "year" if key == "annual" else "quarter"
        parts = []
        for event_id in t["event_id"].dropna().unique():
            level = t.loc[(t["event_id"] == event_id) & (t["change"] == "level")].iloc[0]
            slope = t.loc[(t["event_id"] == event_id) & (t["change"] == "slope")].iloc[0]
            title, date = _event(events, event_id)
            parts.append(f"at {title.split(' (')[0]} ({date}) the level ran {pct_change(level['rate_ratio'])} ({ratio(level)}) and the growth "
                         f"ratio per {per} changed by a factor of {slope['rate_ratio']:.2f} ({slope['ci_low']:.2f} to {slope['ci_high']:.2f})")
        first = t.iloc[0]
        out[key] = (f"{key.capitalize()} model, N = {int(first['n'])} {per}s ({first['first_period']} to {first['last_period']}): "
                    + "; ".join(parts) + ".")
    a = paths.loc[paths["model"] == "its_annual"]
    last = a["period"].iloc[-1]
    cf = a.loc[(a["period"] == last) & (a["scenario"] == "without border-closure-2020")]
    obs = a.loc[(a["period"] == last) & (a["scenario"] == "fitted")]
    if not cf.empty:
        c, o = cf.iloc[0], obs.iloc[0]
        out["counterfactual"] = (f"Without the closure's level and slope change, the annual model expects {n(c['mean'])} arrivals in {last} "
                                 f"(95% CI {n(c['low'])} to {n(c['high'])}); {n(o['observed'])} arrived.")
    out["title"] = ("Arrivals fell at the succession and collapsed at the 2020 closure; dashed lines show the paths "
                    "the model implies without each change")
    q = terms.loc[(terms["model"] == "its_quarterly") & (terms["change"] == "level")]
    if not q.empty:
        out["title_quarterly"] = (f"Quarterly arrivals ran {pct_change(q.iloc[0]['rate_ratio'])} after the closure "
                                  f"(95% CI {q.iloc[0]['ci_low']:.2f}-{q.iloc[0]['ci_high']:.2f} as a rate ratio)")
    out["caveat"] = terms["caveat"].iloc[0]
    return out


SERIES_NAMES = {"defector_arrivals_annual": "annual arrivals", "china_prk_trade_monthly_total": "monthly China-DPRK trade (total)",
                "china_exports_to_prk_monthly": "monthly Chinese exports to the DPRK", "china_imports_from_prk_monthly": "monthly Chinese imports from the DPRK"}


def breaks_reading(found: pd.DataFrame, bic: pd.DataFrame, events: pd.DataFrame) -> dict[str, str]:
    out = {}
    for series, name in SERIES_NAMES.items():
        b = found.loc[found["series"] == series]
        sel = bic.loc[(bic["series"] == series) & bic["selected"]]
        if sel.empty:
            continue
        if b.empty:
            out[series] = f"In {name} the information criterion selects no break."
            continue
        parts = []
        for _, r in b.iterrows():
            title, date = _event(events, r["nearest_event_id"])
            band = r["break_period"] if r["band_low"] == r["band_high"] else f"{r['band_low']} to {r['band_high']}"
            when = "before" if r["days_from_event_to_break"] >= 0 else "after"
            parts.append(f"{r['break_period']} (95% band {band}; level x{r['ratio_after_to_before']:.2f}; nearest event: {title.split(' (')[0]}, "
                         f"{date}, {abs(int(r['days_from_event_to_break']))} days {when} the first observation of the new regime)")
        out[series] = (f"In {name} (N = {int(b['n'].iloc[0])}, {b['first_period'].iloc[0]} to {b['last_period'].iloc[0]}) the BIC selects "
                       f"{int(b['breaks_selected'].iloc[0])} break(s): " + "; ".join(parts) + ".")
    return out


def trade_model_reading(effects: pd.DataFrame, stl: pd.DataFrame) -> dict[str, str]:
    out = {}
    names = {"exports_usd": "China's exports to the DPRK", "imports_usd": "China's imports from the DPRK"}
    for series, name in names.items():
        e = effects.loc[effects["series"] == series]
        parts = [f"{r['label'].split(':')[0]}: {r['pct_change']:+.0f}% (95% CI {r['ci_low_pct']:+.0f}% to {r['ci_high_pct']:+.0f}%, {p_value(r['p_value'])})"
                 for _, r in e.iterrows()]
        out[series] = (f"{name} ({int(e['n_months_observed'].iloc[0])} of {int(e['n_months_span'].iloc[0])} months published, "
                       f"{e['first_month'].iloc[0]} to {e['last_month'].iloc[0]}; AR(1) coefficient {e['ar1'].iloc[0]:.2f}): " + "; ".join(parts) + ".")
    closure = effects.loc[effects["event_id"] == "border-closure-2020"].set_index("series")
    if not closure.empty:
        out["title"] = (f"After the 2020 closure, China's monthly exports to the DPRK ran {abs(closure.loc['exports_usd', 'pct_change']):.0f}% lower "
                        f"and imports {abs(closure.loc['imports_usd', 'pct_change']):.0f}% lower, other things equal")
    filled = int(stl["interpolated"].sum())
    amp = float(np.exp(stl["seasonal"].max() - stl["seasonal"].min()) - 1)
    out["stl"] = (f"The STL decomposition covers {len(stl)} months, {filled} of them interpolated because no figure was found; the seasonal "
                  f"component's peak month runs {amp * 100:.0f}% above its trough month, but with so many filled months the seasonal "
                  f"pattern is indicative only.")
    out["stl_title"] = (f"Trend, seasonal and remainder of monthly China-DPRK trade: {len(stl) - filled} published months, "
                        f"{filled} interpolated")
    return out


def forecast_reading(forecasts: pd.DataFrame, accuracy: pd.DataFrame) -> dict[str, str]:
    out = {}
    fmt = {"defector_arrivals": lambda v: n(v), "china_prk_trade_total": usd}
    names = {"defector_arrivals": "defector arrivals", "china_prk_trade_total": "China-DPRK trade (China's customs)"}
    for series, name in names.items():
        f = forecasts.loc[forecasts["series"] == series]
        parts = [f"{r['period']}: {fmt[series](r['median'])} (80% {fmt[series](r['low80'])} to {fmt[series](r['high80'])}; "
                 f"95% {fmt[series](r['low95'])} to {fmt[series](r['high95'])})" for _, r in f.iterrows()]
        a = accuracy.loc[accuracy["series"] == series]
        acc = [f"at {int(r['horizon'])} year(s) ahead the model's MASE is {r['mase_model']:.2f} against the naive forecast's {r['mase_naive']:.2f} "
               f"({int(r['origins'])} origins: {'the model is better' if r['model_beats_naive'] else 'naive is as good or better'})"
               for _, r in a.iterrows()]
        out[series] = f"Forecasts of {name}: " + "; ".join(parts) + ". In the rolling-origin backtest " + "; ".join(acc) + "."
    beats = accuracy["model_beats_naive"]
    out["title"] = (f"Forecasts with 80% and 95% intervals; the models beat the naive forecast at {int(beats.sum())} of {len(beats)} "
                    "series-horizons in the backtest")
    out["verdict"] = ("Use the intervals, not the medians: " if beats.sum() < len(beats) / 2 else "") + (
        f"in the backtest the models beat the naive last-value forecast at {int(beats.sum())} of {len(beats)} series-horizon combinations.")
    return out


def relationships_reading(ccf: pd.DataFrame, granger: pd.DataFrame, skipped: pd.DataFrame) -> dict[str, str]:
    out = {}
    names = {"china_prk_trade_total": "China-DPRK trade", "defector_arrivals": "defector arrivals", "china_imports_from_prk": "China's imports",
             "china_exports_to_prk": "China's exports", "rus_entries_for_work": "Russia's entries of North Koreans for work",
             "chn_entries_for_work": "China's entries of North Koreans for work", "rus_entries_total": "all entries to Russia"}
    parts = []
    for (x, y), d in ccf.groupby(["x", "y"], sort=False):
        top = d.loc[d["correlation"].abs().idxmax()]
        parts.append(f"growth in {names.get(x, x)} and in {names.get(y, y)} correlate most at lag {int(top['lag'])} "
                     f"(r = {top['correlation']:.2f}, N = {int(top['n'])}, 95% band for zero {top['band']:.2f})")
    out["ccf"] = ("; ".join(parts) + ".") if parts else "No pair of series overlaps long enough for a cross-correlation."
    g = granger.loc[granger["n"] > 0]
    parts = [f"{names.get(r['cause'], r['cause'])} -> {names.get(r['effect'], r['effect'])}, {int(r['lags'])} lag(s): F = {r['f_stat']:.2f}, "
             f"{p_value(r['p_value'])}, N = {int(r['n'])}" for _, r in g.iterrows()]
    out["granger"] = ("Granger tests on growth rates: " + "; ".join(parts) + ". With fewer than 20 years each test has little power, and "
                      "a rejection would mean predictive precedence, not causation.") if parts else ""
    if not skipped.empty:
        out["skipped"] = ("Not tested, for lack of overlapping years: " + "; ".join(
            f"{names.get(r['x'], r['x'])} with {names.get(r['y'], r['y'])} ({r['reason']})" for _, r in skipped.iterrows()) + ".")
    else:
        out["skipped"] = ""
    if ccf.empty:
        out["title"] = "No pair of annual series overlaps long enough for a cross-correlation"
    else:
        x, y = ccf["x"].iloc[0], ccf["y"].iloc[0]
        first = ccf.loc[(ccf["x"] == x) & (ccf["y"] == y)]
        lags = [str(int(k)) for k in first.loc[first["outside_band"], "lag"]]
        out["title"] = (f"Growth in {names.get(x, x)} and in {names.get(y, y)} correlates beyond the noise band at lag "
                        + (", ".join(lags) if lags else "none") + " (years; positive: trade leads)")
    return out
