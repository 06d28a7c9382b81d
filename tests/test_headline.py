"""One headline per effect: headline_effects and the specification curve behind it, and a report that quotes only them."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from analysis.models import run, spec
from analysis.report import text
from analysis.report.build import readings
from analysis.schemas import RESULT_MODELS, validate_result


@pytest.fixture(scope="module")
def fitted(fitted):
    """The session's fit of every model on the published tables (conftest): (tables, results)."""
    return fitted["tables"], fitted["results"]


def test_one_headline_row_per_effect_with_its_curve(fitted):
    _, results = fitted
    head, curve = results["headline_effects"], results["specification_curve"]
    assert head["effect"].tolist() == [e.key for e in spec.EFFECTS]
    for _, h in head.iterrows():
        c = curve.loc[(curve["flow"] == h["flow"]) & (curve["event_ids"] == h["event_ids"]) & (curve["scale"] != "test")]
        top = c.loc[c["headline"]].iloc[0]
        assert (top["estimate"], top["ci_low"], top["ci_high"], top["specification"]) == (h["estimate"], h["ci_low"], h["ci_high"], h["specification"])
        assert (h["curve_low"], h["curve_high"], h["n_specifications"]) == (c["estimate"].min(), c["estimate"].max(), len(c))
    # the annual closure: headline NB2 with arithmetic steps; N = 24 years; the curve runs from segment trends to no trend
    closure = head.set_index("effect").loc["arrivals_closure"]
    assert closure["n"] == 24 and closure["specification"] == spec.ARRIVALS_HEADLINE.name
    assert 0.04 < closure["ci_low"] < closure["estimate"] < closure["ci_high"] < 0.15
    assert closure["curve_low"] < 0.05 and closure["curve_high"] > 0.12
    for name, table in results.items():
        if name in RESULT_MODELS:
            validate_result(name, table)


def test_the_curve_holds_every_stated_alternative(fitted):
    _, results = fitted
    c = results["specification_curve"].set_index(["flow", "event_ids", "specification", "scale"])
    closure = c.xs((spec.ARRIVALS, spec.CLOSURE), level=("flow", "event_ids"))["estimate"].droplevel("scale")
    # the figures the old models gave, recomputed under their own specifications
    assert closure["nb2_linear_trend_fractional_steps_without_unsc2270"] == pytest.approx(0.079, abs=0.002)
    assert closure["nb2_none_trend_fractional_steps_without_unsc2270"] == pytest.approx(0.126, abs=0.002)
    assert closure["nb2_linear_trend_whole_year_steps_without_unsc2270"] == pytest.approx(0.087, abs=0.002)
    for name in ("nb2_segments_trend_arithmetic_steps", "quasi_poisson_linear_trend_arithmetic_steps", "nb2_headline_hac_errors",
                 "nb2_headline_transit_lag", "nb2_quarterly_segment_trends"):
        assert name in closure.index
    # HAC changes the interval, not the estimate
    hac = c.loc[(spec.ARRIVALS, spec.CLOSURE, "nb2_headline_hac_errors", "rate_ratio")]
    head = c.loc[(spec.ARRIVALS, spec.CLOSURE, spec.ARRIVALS_HEADLINE.name, "rate_ratio")]
    assert hac["estimate"] == pytest.approx(head["estimate"]) and hac["ci_low"] != pytest.approx(head["ci_low"])
    joint = ";".join((spec.SANCTIONS_2017_EXPORTS, spec.SANCTIONS_2017_FUEL))
    for flow in (spec.EXPORTS, spec.IMPORTS):
        names = set(c.xs((flow, spec.CLOSURE), level=("flow", "event_ids")).index.get_level_values("specification"))
        assert {s.name for s in spec.trade_curve()} == names
        tests = c.xs((flow, joint, "test"), level=("flow", "event_ids", "scale"))
        assert len(tests) == len(spec.trade_curve()) and tests["p_value"].between(0, 1).all()
    # the outer-product covariance is the unstable one: its interval for the 2017 sanctions on exports is the widest
    ex = c.xs((spec.EXPORTS, joint, "ratio"), level=("flow", "event_ids", "scale"))
    assert (ex["ci_high"] / ex["ci_low"]).idxmax() == "ar1_all_months_opg"


def test_an_interval_over_two_orders_of_magnitude_is_not_estimable():
    curve = pd.DataFrame([{"flow": e.flow, "event_ids": ";".join(e.event_ids), "specification": "h", "description": "", "headline": True,
                           "scale": "ratio", "estimate": 1.5, "ci_low": 0.05 if e.key.endswith("reopening") else 0.5, "ci_high": 5.5,
                           "n": 10, "aic": np.nan, "test": "", "statistic": np.nan, "p_value": np.nan} for e in spec.EFFECTS])
    head = run.headline_effects(curve).set_index("effect")
    assert not head.loc[f"{spec.EXPORTS}_reopening", "estimable"] and head.loc[f"{spec.EXPORTS}_closure", "estimable"]
    phrase = text.effect_phrase(head.loc[f"{spec.EXPORTS}_reopening"])
    assert phrase.startswith("not estimable with these data") and not STATED.search(phrase) and "0.05 to 5.50" in phrase


STATED = re.compile(r"(\d+)% (lower|higher)|(\d+\.\d) times as high|(?<!\w)[+-]\d+%")
PHRASE = re.compile(r"(\d+% (?:lower|higher)|\d+\.\d times as high) \(ratio (\d+\.\d\d), 95% CI (\d+\.\d\d) to (\d+\.\d\d)")


def stated_effects(sentences: dict[str, str]) -> list[tuple[str, str]]:
    """Every effect size a sentence states, as (key, the words)."""
    return [(k, m.group(0)) for k, s in sentences.items() for m in STATED.finditer(s)]


def check_quotes_headline(sentences: dict[str, str], head: pd.DataFrame) -> list[str]:
    """Problems: an effect size not from headline_effects, or one effect stated with two sets of numbers."""
    allowed = {}
    for _, h in head.iterrows():
        words = text.pct_change(h["estimate"]) if h["estimate"] < 2 else f"{h['estimate']:.1f} times as high"
        allowed.setdefault(words, set()).add(h["effect"])
        pct = f"{abs(h['pct_change']):.0f}% {'lower' if h['pct_change'] < 0 else 'higher'}"
        allowed.setdefault(pct, set()).add(h["effect"])
    full = {(text.pct_change(h["estimate"]) if h["estimate"] < 2 else f"{h['estimate']:.1f} times as high",
             f"{h['estimate']:.2f}", f"{h['ci_low']:.2f}", f"{h['ci_high']:.2f}") for _, h in head.iterrows()}
    problems = [f"{k}: {w!r} is not a headline effect" for k, w in stated_effects(sentences) if w not in allowed]
    for k, s in sentences.items():
        for m in PHRASE.finditer(s):
            if m.groups() not in full:
                problems.append(f"{k}: {m.group(0)!r} does not match headline_effects")
    return problems


def test_the_report_states_only_headline_effects(fitted):
    tables, results = fitted
    read = readings(tables, results)
    sentences = {f"{section}.{key}": value for section, d in read.items() if isinstance(d, dict) for key, value in d.items() if isinstance(value, str)}
    assert check_quotes_headline(sentences, results["headline_effects"]) == []
    stated = stated_effects(sentences)
    assert len(stated) >= 8  # the arrivals and trade effects are stated
    # every headline effect is stated somewhere, with its interval
    body = " ".join(sentences.values())
    for _, h in results["headline_effects"].iterrows():
        assert f"95% CI {h['ci_low']:.2f} to {h['ci_high']:.2f}" in body, h["effect"]


def test_the_check_catches_an_effect_from_another_model(fitted):
    """A sentence quoting the interrupted time series' level change (not the headline) is caught, and so is a second number."""
    _, results = fitted
    its = results["its_terms"].set_index(["model", "term"]).loc[("its_annual", f"step:{spec.CLOSURE}")]
    other = {"its.annual": f"the level ran {text.pct_change(its['rate_ratio'])} ({text.ratio(its)})"}
    head = results["headline_effects"]
    assert text.pct_change(its["rate_ratio"]) != text.pct_change(head.set_index("effect").loc["arrivals_closure", "estimate"])
    assert check_quotes_headline(other, head) != []
    h = head.set_index("effect").loc["arrivals_closure"]
    twice = {"a": f"ran {text.pct_change(h['estimate'])} (ratio {h['estimate']:.2f}, 95% CI {h['ci_low']:.2f} to {h['ci_high'] + 0.05:.2f}"}
    assert check_quotes_headline(twice, head) != []


def test_the_specification_curve_figure_marks_one_headline_per_effect(fitted):
    import matplotlib

    matplotlib.use("Agg")
    from analysis.figures import specification_curve, style

    _, results = fitted
    fig = specification_curve.curve(results["headline_effects"], results["specification_curve"], "Every effect under every specification")
    ax = fig.axes[0]
    diamonds = [line for line in ax.get_lines() if line.get_marker() == "D"]
    assert len(diamonds) == len(spec.EFFECTS)
    assert sorted(float(line.get_xdata()[0]) for line in diamonds) == sorted(results["headline_effects"]["estimate"])
    assert style.describe(fig)["title"] == "Every effect under every specification"
