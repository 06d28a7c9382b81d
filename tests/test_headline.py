"""One headline per effect: headline_effects and the specification curve behind it, and a report that quotes only them.

Two checks hold the report to the table. The sentences (``readings``, shared by the methods annex and the figures'
titles) are checked by :func:`check_quotes_headline`. The built reader's report (report.html: key findings and every
section) is checked by :func:`check_report_effects`: every effect it states sits in a mark naming the effect
(``<span class="effect" data-effect="...">``, written by ``findings.stated``); the words in each mark are parsed back
into numbers and compared with that effect's row of headline_effects, each effect must be stated with one set of
numbers, and no effect size may stand outside a mark."""

from __future__ import annotations

import html as htmllib
import re

import numpy as np
import pandas as pd
import pytest

from analysis.models import run, spec
from analysis.report import findings, text
from analysis.report.build import readings
from analysis.schemas import RESULT_MODELS, validate_result


@pytest.fixture(scope="module")
def fit_pair(fitted):
    """The session's fit of every model on the published tables (conftest): (tables, results)."""
    return fitted["tables"], fitted["results"]


def test_one_headline_row_per_effect_with_its_curve(fit_pair):
    _, results = fit_pair
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


def test_the_curve_holds_every_stated_alternative(fit_pair):
    _, results = fit_pair
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
        words = text.change(h["estimate"])
        allowed.setdefault(words, set()).add(h["effect"])
        pct = f"{abs(h['pct_change']):.0f}% {'lower' if h['pct_change'] < 0 else 'higher'}"
        allowed.setdefault(pct, set()).add(h["effect"])
    full = {(text.change(h["estimate"]),
             f"{h['estimate']:.2f}", f"{h['ci_low']:.2f}", f"{h['ci_high']:.2f}") for _, h in head.iterrows()}
    problems = [f"{k}: {w!r} is not a headline effect" for k, w in stated_effects(sentences) if w not in allowed]
    for k, s in sentences.items():
        for m in PHRASE.finditer(s):
            if m.groups() not in full:
                problems.append(f"{k}: {m.group(0)!r} does not match headline_effects")
    return problems


def test_the_report_states_only_headline_effects(fit_pair):
    tables, results = fit_pair
    read = readings(tables, results)
    sentences = {f"{section}.{key}": value for section, d in read.items() if isinstance(d, dict) for key, value in d.items() if isinstance(value, str)}
    assert check_quotes_headline(sentences, results["headline_effects"]) == []
    stated = stated_effects(sentences)
    assert len(stated) >= 8  # the arrivals and trade effects are stated
    # every headline effect is stated somewhere, with its interval
    body = " ".join(sentences.values())
    for _, h in results["headline_effects"].iterrows():
        assert f"95% CI {h['ci_low']:.2f} to {h['ci_high']:.2f}" in body, h["effect"]


def test_the_check_catches_an_effect_from_another_model(fit_pair):
    """A sentence quoting the interrupted time series' level change (not the headline) is caught, and so is a second number."""
    _, results = fit_pair
    its = results["its_terms"].set_index(["model", "term"]).loc[("its_annual", f"step:{spec.CLOSURE}")]
    other = {"its.annual": f"the level ran {text.change(its['rate_ratio'])} ({text.ratio(its)})"}
    head = results["headline_effects"]
    assert text.change(its["rate_ratio"]) != text.change(head.set_index("effect").loc["arrivals_closure", "estimate"])
    assert check_quotes_headline(other, head) != []
    h = head.set_index("effect").loc["arrivals_closure"]
    twice = {"a": f"ran {text.change(h['estimate'])} (ratio {h['estimate']:.2f}, 95% CI {h['ci_low']:.2f} to {h['ci_high'] + 0.05:.2f}"}
    assert check_quotes_headline(twice, head) != []


def test_the_specification_curve_figure_marks_one_headline_per_effect(fit_pair):
    import matplotlib

    matplotlib.use("Agg")
    from analysis.figures import specification_curve, style

    _, results = fit_pair
    fig = specification_curve.curve(results["headline_effects"], results["specification_curve"], "Every effect under every specification")
    ax = fig.axes[0]
    diamonds = [line for line in ax.get_lines() if line.get_marker() == "D"]
    assert len(diamonds) == len(spec.EFFECTS)
    assert sorted(float(line.get_xdata()[0]) for line in diamonds) == sorted(results["headline_effects"]["estimate"])
    assert style.describe(fig)["title"] == "Every effect under every specification"
    # the figure draws exactly its plotted data (the CSV beside it): one diamond per headline row, one dot per alternative
    plotted = specification_curve.curve_data(results["headline_effects"], results["specification_curve"])
    dots = sum(len(line.get_xdata()) for line in ax.get_lines() if line.get_marker() == "o")
    assert dots == (plotted["role"] == "alternative").sum() == int((results["headline_effects"]["n_specifications"] - 1).sum())
    head = results["headline_effects"]
    kept = int(((head["curve_high"] < 1) | (head["curve_low"] > 1)).sum())  # 8 of 9 on the committed data: UNSC 2270 flips
    assert specification_curve.finding(plotted).startswith(f"{kept} of {len(head)} stated effects keep their direction")


# ---------------------------------------------------------------------------------------------- the built report

MARK = re.compile(r'<span class="effect" data-effect="([^"]*)">(.*?)</span>', re.S)
CHANGE = r"(\d+)% (lower|higher)|(\d+\.\d) times as high"
#: What an effect size looks like in the report's words; none may stand outside a mark.
UNMARKED = re.compile(r"\d+% (?:lower|higher)|\d+(?:\.\d+)? times as (?:high|large|low)|not estimable|cannot estimate"
                      r"|\bratio \d+\.\d|95% CI")


def _ratio(match: re.Match, offset: int = 0) -> tuple[float, float]:
    """The ratio a change in words implies, with the rounding it was printed to: '62% lower' -> (0.38, 0.005)."""
    pct, way, times = match.group(1 + offset), match.group(2 + offset), match.group(3 + offset)
    if times:
        return float(times), 0.05
    return (1 - int(pct) / 100 if way == "lower" else 1 + int(pct) / 100), 0.005


def _near(printed: tuple[float, float], value: float) -> bool:
    return abs(printed[0] - value) <= printed[1] + 1e-9


def _mismatches(words: str, h: pd.Series) -> list[str]:
    """How the words in one mark disagree with the effect's headline row (empty: they agree)."""
    if words in (text.NOT_ESTIMABLE_CHANGE, text.NOT_ESTIMABLE):
        return [] if not bool(h["estimable"]) else ["says not estimable, but headline_effects estimates it"]
    if not bool(h["estimable"]):
        return ["states a size, but headline_effects has it not estimable"]
    if m := re.fullmatch(CHANGE, words):
        return [] if _near(_ratio(m), h["estimate"]) else [f"is not the headline estimate {h['estimate']:.3f}"]
    if m := re.fullmatch(rf"from ({CHANGE}) to ({CHANGE})", words):
        ends = sorted([_ratio(m, 1), _ratio(m, 5)])
        return [] if _near(ends[0], h["ci_low"]) and _near(ends[1], h["ci_high"]) else [
            f"is not the headline interval {h['ci_low']:.3f} to {h['ci_high']:.3f}"]
    if m := re.fullmatch(r"(\d+\.\d\d) to (\d+\.\d\d) across (\d+) specifications", words):
        ok = (_near((float(m[1]), 0.005), h["curve_low"]) and _near((float(m[2]), 0.005), h["curve_high"])
              and int(m[3]) == h["n_specifications"])
        return [] if ok else [f"is not the curve {h['curve_low']:.3f} to {h['curve_high']:.3f} over {h['n_specifications']}"]
    return ["is no form the report states an effect in"]


def _visible(page: str) -> str:
    """The page's text as a reader meets it: text outside scripts and styles, plus the images' alt texts."""
    page = re.sub(r"(?s)<script.*?</script>|<style.*?</style>", " ", page)
    alts = " ".join(re.findall(r'alt="([^"]*)"', page))
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page) + " " + alts))


def check_report_effects(page: str, head: pd.DataFrame) -> list[str]:
    """Problems with the effects a built page states: a marked statement that is not its headline row's numbers, an
    effect stated with two sets of numbers, an effect not in headline_effects, an effect size outside any mark."""
    rows = head.set_index("effect")
    problems, forms = [], {}
    for key, raw in MARK.findall(page):
        words = htmllib.unescape(raw)
        if key not in rows.index:
            problems.append(f"{key!r} ({words!r}) is not in headline_effects")
            continue
        h = rows.loc[key]
        problems += [f"{key}: {words!r} {p}" for p in _mismatches(words, h)]
        kind = "change" if re.fullmatch(CHANGE, words) else words.split(" ")[0]
        forms.setdefault((h["flow"], h["event_ids"], kind), set()).add(words)
    problems += [f"{flow} / {event}: stated as {sorted(w)}" for (flow, event, _), w in forms.items() if len(w) > 1]
    rest = _visible(MARK.sub(" ", page))
    problems += [f"outside any mark: {rest[max(m.start() - 60, 0):m.end() + 20]!r}" for m in UNMARKED.finditer(rest)]
    return problems


def test_the_built_report_states_only_headline_effects(report):
    """report.html as `nkflows report` writes it: key findings and every section."""
    path, out, _ = report
    page = path.read_text(encoding="utf-8")
    head = pd.read_csv(out / "tables" / "headline_effects.csv")
    assert check_report_effects(page, head) == []
    marks = MARK.findall(page)
    # the arrivals and trade effects are stated, the closure in the key findings too, the interval in words
    assert {k for k, _ in marks} >= {"arrivals_succession", "arrivals_closure", "china_exports_to_prk_closure",
                                     "china_imports_from_prk_closure", "china_exports_to_prk_sanctions_2017"}
    key_findings = page.split('<section class="findings"', 1)[1].split("</section>", 1)[0]
    assert {k for k, _ in MARK.findall(key_findings)} >= {"china_exports_to_prk_closure", "china_imports_from_prk_closure"}
    closure = head.set_index("effect").loc["arrivals_closure"]
    assert f"from {text.change(closure['ci_high'])} to {text.change(closure['ci_low'])}" in page


@pytest.fixture(scope="module")
def render(fit_pair):
    """The reader's report rendered in this process (no figures drawn) from the fitted tables."""
    from analysis.figures.registry import FIGURES
    from analysis.report.build import render_documents

    tables, results = fit_pair
    figs = {stem: {"alt": f.title, "caption": f.title, "citation": f.citation, "csv": f"{stem}.csv", "png": f"{stem}.png", "title": f.title}
            for stem, f in FIGURES.items()}
    return lambda: render_documents(tables, results, figs, interactive_charts=False, date="2026-01-01")["report"]


def test_the_report_check_passes_the_rendered_report(fit_pair, render):
    assert check_report_effects(render(), fit_pair[1]["headline_effects"]) == []


def _alternative(results, row: pd.Series) -> pd.Series:
    """An alternative specification of the same effect whose estimate reads differently from the headline's."""
    c = results["specification_curve"]
    c = c.loc[(c["flow"] == row["flow"]) & (c["event_ids"] == row["event_ids"]) & ~c["headline"] & (c["scale"] != "test")]
    return c.loc[c["estimate"].map(text.change) != text.change(row["estimate"])].iloc[0]


def test_the_report_check_catches_a_finding_from_another_specification(fit_pair, render, monkeypatch):
    """A finding that quotes a non-headline specification's estimate (marked as the effect it is about) fails."""
    _, results = fit_pair
    other = lambda row: findings.stated(row, text.change(_alternative(results, row)["estimate"]))  # noqa: E731
    monkeypatch.setattr(findings, "headline_change", other)
    problems = check_report_effects(render(), results["headline_effects"])
    assert any(p.startswith("arrivals_closure: ") and "is not the headline estimate" in p for p in problems), problems
    assert any(p.startswith("china_exports_to_prk_closure: ") for p in problems), problems  # the key finding too


def test_the_report_check_catches_one_effect_stated_twice(fit_pair, render):
    """The closure stated once from the headline and once more, elsewhere on the page, with another specification's number."""
    _, results = fit_pair
    head = results["headline_effects"]
    h = text.headline(head, "arrivals_closure")
    page = render()
    mark = f'<span class="effect" data-effect="arrivals_closure">{text.change(h["estimate"])}</span>'
    assert page.count(mark) == 1
    other = text.change(_alternative(results, h)["estimate"])
    twice = page.replace(mark, f'{mark} (elsewhere <span class="effect" data-effect="arrivals_closure">{other}</span>)')
    problems = check_report_effects(twice, head)
    assert f"{spec.ARRIVALS} / {spec.CLOSURE}: stated as {sorted([text.change(h['estimate']), other])}" in problems, problems
    assert f"arrivals_closure: {other!r} is not the headline estimate {h['estimate']:.3f}" in problems


def test_the_report_check_catches_an_unmarked_or_unknown_effect(fit_pair, render, monkeypatch):
    """An effect size typed outside the formatter (no mark), or marked with a key headline_effects does not have, fails."""
    _, results = fit_pair
    head = results["headline_effects"]
    monkeypatch.setattr(findings, "headline_change", lambda row: text.change(row["estimate"]))
    problems = check_report_effects(render(), head)
    assert any(p.startswith("outside any mark: ") and "lower" in p for p in problems), problems
    renamed = head.assign(effect=head["effect"].str.replace("arrivals_closure", "arrivals_closure_old"))
    monkeypatch.undo()
    assert any("'arrivals_closure' " in p and "is not in headline_effects" in p for p in check_report_effects(render(), renamed))


def test_a_not_estimable_effect_is_said_so_and_never_sized():
    """An interval over two orders of magnitude: the reader's words say 'not estimable', and a size stated for it fails."""
    row = pd.Series({"effect": "x", "flow": "f", "event_ids": "e", "estimate": 1.5, "ci_low": 0.05, "ci_high": 5.5, "estimable": False,
                     "n": 10, "n_specifications": 1, "curve_low": 1.5, "curve_high": 1.5})
    head = pd.DataFrame([row])
    page = f"<p>ran {findings.headline_change(row)}. {findings.uncertainty(row, 'months')}</p>"
    assert check_report_effects(page, head) == []
    assert text.NOT_ESTIMABLE in _visible(page) and not STATED.search(_visible(page))
    assert check_report_effects(str(findings.stated(row, "50% higher")), head) == [
        "x: '50% higher' states a size, but headline_effects has it not estimable"]


# ---------------------------------------------------------------------------------------------- the docs' table

DOC = __import__("pathlib").Path(__file__).resolve().parents[1] / "docs" / "results.md"
FLOW_WORDS = {"defector_arrivals": "arrivals", "china_exports_to_prk": "China's exports", "china_imports_from_prk": "China's imports"}


def _num(x: float) -> str:
    return f"{x:#.2g}" if x < 1 else f"{x:.1f}"


def headline_markdown(head: pd.DataFrame) -> str:
    """The headline table of docs/results.md, as the committed data give it (between its markers)."""
    unit = lambda flow: "years" if flow == "defector_arrivals" else "months"
    rows = ["| effect | headline | 95% interval | N | range over the curve (specifications) |", "|---|---|---|---|---|"]
    rows += [f"| {FLOW_WORDS[h.flow]}, {h.label} | {_num(h.estimate)} | {_num(h.ci_low)}-{_num(h.ci_high)} | {h.n} {unit(h.flow)} | "
             f"{_num(h.curve_low)}-{_num(h.curve_high)} ({h.n_specifications}) |" for h in head.itertuples(index=False)]
    keep = int(((head["curve_high"] < 1) | (head["curve_low"] > 1)).sum())
    widest = head.loc[head["interval_span"].idxmax()]
    rows += ["", f"{keep} of the {len(head)} effects keep their direction under every specification. "
             f"{int(head['estimable'].sum())} of {len(head)} are estimable by the rule; the widest headline interval "
             f"spans a factor of {widest.interval_span:.1f}: {FLOW_WORDS[widest.flow]}, {widest.label}."]
    return "\n".join(rows)


def test_the_docs_headline_table_is_the_committed_datas(fit_pair):
    """docs/results.md quotes the headline effects of the committed data: a data change that moves them fails here
    until the table is regenerated (``headline_markdown``)."""
    _, results = fit_pair
    doc = DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- headline-table: generated by tests/test_headline.py -->\n(.*?)\n<!-- /headline-table -->", doc, re.S)
    assert block, "docs/results.md: the headline table's markers are missing"
    assert block.group(1).strip() == headline_markdown(results["headline_effects"])
