"""Sentences on the time-series models, generated from their result tables (no typed numbers)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..models import series, spec
from .text import effect_phrase, effect_words, headline, n, p_value, usd


def _event(events: pd.DataFrame, event_id: str) -> tuple[str, str]:
    return series.event_title(events, event_id), series.event_date(events, event_id).strftime("%d %B %Y").lstrip("0")


def its_reading(terms: pd.DataFrame, paths: pd.DataFrame, events: pd.DataFrame) -> dict[str, str]:
    """The segmented-trend (ITS) model: what it adds (slope changes, counterfactual paths to a stated horizon).

    Its level changes are alternatives on the specification curve, not headline effects, so no sentence here
    restates them: the effects are stated once, from ``headline_effects``."""
    out = {}
    for model, key in (("its_annual", "annual"), ("its_quarterly", "quarterly")):
        t = terms.loc[terms["model"] == model]
        if t.empty:
            continue
        per = "year" if key == "annual" else "quarter"
        first = t.iloc[0]
        names = [spec.EVENT_NAMES.get(e, e) for e in t["event_id"].dropna().unique()]
        out[key] = (f"The {key} segmented-trend model (N = {int(first['n'])} {per}s, {first['first_period']} to {first['last_period']}) "
                    f"lets the trend change slope as well as level at {', '.join(names)}; its level changes are on the specification "
                    "curve beside the headline effects above (reports/tables/specification_curve.csv).")
    a = paths.loc[(paths["model"] == "its_annual") & (paths["scenario"] == f"without {spec.CLOSURE}")]
    if not a.empty:
        c = a.iloc[-1]
        horizon = spec.COUNTERFACTUAL_HORIZON["Y"]
        out["counterfactual"] = (f"Without the closure's level and slope change, the annual segmented-trend model expects {n(c['mean'])} arrivals "
                                 f"in {c['period']} (95% CI {n(c['low'])} to {n(c['high'])}); {n(c['observed'])} arrived. Counterfactual paths "
                                 f"stop {horizon} years after their event: further out they extrapolate a trend the data cannot check.")
    out["title"] = ("Arrivals with the segmented-trend fit; dashed lines show the paths without each change, "
                    f"drawn for at most {spec.COUNTERFACTUAL_HORIZON['Y']} years after it")
    out["title_quarterly"] = (f"Quarterly arrivals around the 2020 closure, with the path without it for "
                              f"{spec.COUNTERFACTUAL_HORIZON['Q']} quarters")
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
            inside = r["events_in_band"] if isinstance(r["events_in_band"], str) and r["events_in_band"] else ""
            parts.append(f"{r['break_period']} (95% band {band}; level x{r['ratio_after_to_before']:.2f}; "
                         f"{int(r['n_events_in_band'])} dated event(s) in the band{': ' + inside.replace(';', ', ') if inside else ''}; "
                         f"a band this wide placed at random holds an event {r['chance_random_band_has_event']:.0%} of the time, so the "
                         f"nearest event ({title.split(' (')[0]}, {date}, {abs(int(r['days_from_event_to_break']))} days {when}) is no evidence by itself)")
        first = b.iloc[0]
        agree = (f"LWZ selects {int(first['breaks_lwz'])} and the sequential supF test {int(first['breaks_sequential'])}"
                 if (int(first["breaks_lwz"]), int(first["breaks_sequential"])) != (int(first["breaks_selected"]),) * 2 else "LWZ and the sequential supF test agree")
        out[series] = (f"In {name} (N = {int(first['n'])}, {first['first_period']} to {first['last_period']}) the BIC selects "
                       f"{int(first['breaks_selected'])} break(s) ({agree}): " + "; ".join(parts) + ".")
    return out


def trade_model_reading(effects: pd.DataFrame, stl: pd.DataFrame, headline_effects: pd.DataFrame) -> dict[str, str]:
    out = {}
    for column, flow in (("exports_usd", spec.EXPORTS), ("imports_usd", spec.IMPORTS)):
        e = effects.loc[effects["series"] == column]
        parts = [f"after {spec.EFFECT_BY_KEY[f'{flow}_{k}'].label}: {effect_phrase(headline(headline_effects, f'{flow}_{k}'))}"
                 for k in ("sanctions_2017", "closure", "reopening")]
        out[column] = (f"{spec.FLOW_NAMES[flow]} ({int(e['n_months_observed'].iloc[0])} of {int(e['n_months_span'].iloc[0])} months published, "
                       f"{e['first_month'].iloc[0]} to {e['last_month'].iloc[0]}; AR(1) coefficient {e['ar1'].iloc[0]:.2f}), as a ratio of the "
                       "monthly level without the event: " + "; ".join(parts) + ". UNSC 2371 and 2397 came 4.5 months apart and are "
                       "not separately identified, so their combined change is stated.")
    ex, im = headline(headline_effects, f"{spec.EXPORTS}_closure"), headline(headline_effects, f"{spec.IMPORTS}_closure")
    if bool(ex["estimable"]) and bool(im["estimable"]):
        out["title"] = (f"After the 2020 closure, China's monthly exports to the DPRK ran {effect_words(ex).change} "
                        f"and imports {effect_words(im).change}, other things equal")
    else:
        out["title"] = "China's monthly trade with the DPRK, with the fitted path of the headline model"
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
               f"({int(r['origins'])} origins; Diebold-Mariano p = {r['dm_p_value']:.2f}: "
               f"{'a tie' if r['verdict'] == 'tie' else 'the model is better' if r['verdict'] == 'model better' else 'naive is better'}; "
               f"the 80% and 95% intervals covered {r['coverage80']:.0%} and {r['coverage95']:.0%} of outcomes)"
               for _, r in a.iterrows()]
        out[series] = f"Forecasts of {name}: " + "; ".join(parts) + ". In the rolling-origin backtest " + "; ".join(acc) + "."
    beats = accuracy["verdict"] == "model better"
    ties = accuracy["verdict"] == "tie"
    out["title"] = (f"Forecasts with 80% and 95% intervals; in the backtest the models beat the naive forecast at {int(beats.sum())} of "
                    f"{len(beats)} series-horizons ({int(ties.sum())} ties)")
    out["verdict"] = (f"In the backtest the models beat the naive last-value forecast at {int(beats.sum())} of {len(beats)} series-horizon "
                      f"combinations; {int(ties.sum())} are ties (Diebold-Mariano p >= 0.05), and the 95% intervals covered "
                      f"{accuracy['coverage95'].mean():.0%} of outcomes on average, so the intervals are too narrow for surprises such as 2020.")
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
                     f"(r = {top['correlation']:.2f}, N = {int(top['n'])}, permutation p = {top['permutation_p']:.3f}, "
                     f"q = {top['q_value']:.3f} across the {int(top['tests_in_family'])} tests printed; without the growth years "
                     f"{spec.SHOCK_YEARS[0]}-{str(spec.SHOCK_YEARS[-1])[2:]} r = {top['correlation_without_shock']:.2f}, N = {int(top['n_without_shock'])})")
    out["ccf"] = ("; ".join(parts) + ".") if parts else "No pair of series overlaps long enough for a cross-correlation."
    g = granger.loc[granger["n"] > 0]
    parts = [f"{names.get(r['cause'], r['cause'])} -> {names.get(r['effect'], r['effect'])}, {int(r['lags'])} lag(s): F = {r['f_stat']:.2f}, "
             f"{p_value(r['p_value'])}, q = {r['q_value']:.3f}, N = {int(r['n'])}" for _, r in g.iterrows()]
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
