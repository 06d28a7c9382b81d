"""The trade-off analysis on small tables with known answers, and on the real tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.models import tradeoff


def _events(**dates):
    base = {"unsc-2371": "2017-08-05", "border-closure-2020": "2020-01-22", "nationals-return-2023": "2023-08-27",
            "repatriation-deadline-2019": "2019-12-22", "kuwait-downgrade-visas-2017": "2017-09-17"}
    base.update(dates)
    cats = {"kuwait-downgrade-visas-2017": ("labor_policy", "KWT;PRK"), "repatriation-deadline-2019": ("labor_policy", "PRK")}
    return pd.DataFrame([{"event_id": k, "date": pd.Timestamp(v), "category": cats.get(k, ("other", "PRK"))[0],
                          "countries": cats.get(k, ("other", "PRK"))[1], "title": k} for k, v in base.items()])


def _panel(rows):
    return pd.DataFrame([{"host": h, "year": y, "low": lo, "central": c, "high": hi, "basis": "stock_official", "n_sources": 1, "source_ids": "s"}
                         for h, y, lo, c, hi in rows])


def _defections(rows):
    return pd.DataFrame([{"incident_id": i, "date": pd.Timestamp(d), "date_precision": "day", "host": h, "people": p, "group": "worker",
                          "outcome": "reached_rok", "source_id": s, "reported_as": "x", "note": None} for i, d, h, p, s in rows])


def test_garwood_known_values():
    assert tradeoff.garwood(0) == (0.0, pytest.approx(3.6889, abs=1e-4))
    lo, hi = tradeoff.garwood(1)
    assert lo == pytest.approx(0.0253, abs=1e-4) and hi == pytest.approx(5.5716, abs=1e-4)
    lo, hi = tradeoff.garwood(10)
    assert lo == pytest.approx(4.7954, abs=1e-4) and hi == pytest.approx(18.3904, abs=1e-4)


def test_periods_follow_the_events_table():
    assert [p[0] for p in tradeoff.periods(_events(), 2025)] == ["2000-2016", "2017-2019", "2020-2022", "2023-2025"]
    moved = _events(**{"unsc-2371": "2016-03-02"})
    assert tradeoff.periods(moved, 2025)[0] == ("2000-2015", 2000, 2015)


def test_rates_count_only_incidents_in_years_with_a_head_count():
    panel = _panel([("RUS", 2017, 9_000, 10_000, 12_000), ("RUS", 2018, 9_000, 10_000, 12_000)])
    d = _defections([("a", "2017-05-01", "RUS", 3, "s1"), ("a", "2017-05-01", "RUS", 4, "s2"),  # two sources, one incident
                     ("b", "2018-02-01", "RUS", None, "s3"),
                     ("c", "2019-02-01", "RUS", 9, "s4")])  # 2019 has no head count: counted, not in the rate
    r = tradeoff.rates(panel, d, _events()).set_index(["host", "period"]).loc[("RUS", "2017-2019")]
    assert (r["incidents"], r["incidents_in_rate"], r["people_in_rate"], r["incidents_people_unknown"]) == (3, 2, 3, 1)
    assert r["worker_years"] == 20_000 and r["incidents_per_10k"] == pytest.approx(1.0)
    lo, hi = tradeoff.garwood(2)
    assert r["incidents_per_10k_low"] == pytest.approx(lo / 2) and r["incidents_per_10k_high"] == pytest.approx(hi / 2)
    assert r["incidents_per_10k_high_wide"] == pytest.approx(hi / 18_000 * 10_000)  # the head count's low end
    assert r["status"] == "estimated"


def test_host_without_head_count_is_not_estimable():
    d = _defections([("a", "2016-08-01", "GBR", 1, "s")])
    r = tradeoff.rates(_panel([("RUS", 2016, 1, 1, 1)]), d, _events()).set_index(["host", "period"]).loc[("GBR", "2000-2016")]
    assert np.isnan(r["incidents_per_10k"]) and r["status"].startswith("not estimable")


def test_event_study_change_and_missing_hosts():
    panel = _panel([("KWT", 2015, 4_000, 5_000, 6_000), ("KWT", 2016, 4_000, 5_000, 6_000), ("KWT", 2018, 400, 500, 600)])
    ev = tradeoff.event_study(panel, _defections([("a", "2018-03-01", "KWT", 2, "s")]), _events())
    kwt = ev.loc[(ev["event_id"] == "kuwait-downgrade-visas-2017") & (ev["host"] == "KWT")].iloc[0]
    assert kwt["log_change"] == pytest.approx(np.log(0.1)) and (kwt["years_before"], kwt["years_after"]) == (2, 1)
    assert kwt["log_change_low"] == pytest.approx(np.log(400 / 6000)) and kwt["incidents_after"] == 1
    missing = ev.loc[(ev["host"] == "MLT")].iloc[0]
    assert missing["status"].startswith("not estimable") and missing["event_id"] == ""
    # an event the table lacks is said, not skipped
    assert (ev.loc[ev["event_id"] == "ningbo-restaurant-defection-2016", "status"] == "not estimable: event not in the events table").all()


def test_real_tables(built):
    tables = {k: v.to_pandas() for k, v in built[0].tables.items()}
    out = tradeoff.run(tables)
    rates = out["tradeoff_rates"]
    assert {"ALL"} < set(rates["host"]) and (rates["incidents_per_10k_low"].dropna() <= rates["incidents_per_10k_high"].dropna()).all()
    assert set(out["tradeoff_events"]["event_id"]) >= {"repatriation-deadline-2019", "kuwait-downgrade-visas-2017"}
    rr = out["tradeoff_risk_return"]
    priced = rr.dropna(subset=["per_worker_median_usd"])
    assert len(priced) >= 8 and (priced["per_worker_p05_usd"] <= priced["per_worker_median_usd"]).all() and (priced["per_worker_median_usd"] <= priced["per_worker_p95_usd"]).all()
    assert set(out["tradeoff_tests"]["test"]) == {"hosts_risk_return", "defection_rate_after_sanctions", "deployment_after_defections"}


def test_result_tables_match_their_models(built):
    from analysis.models import labor_revenue
    from analysis.schemas import RESULT_MODELS

    tables = {k: v.to_pandas() for k, v in built[0].tables.items()}
    out = {**labor_revenue.run(tables), **tradeoff.run(tables)}
    assert set(out) == {name for name in RESULT_MODELS if name.startswith(("labor_revenue_", "tradeoff_"))}
    for name, frame in out.items():
        RESULT_MODELS[name].validate(frame, lazy=True)


def test_missing_period_event_is_a_data_error():
    from analysis.errors import DataError

    events = _events().query("event_id != 'border-closure-2020'")
    with pytest.raises(DataError, match="border-closure-2020"):
        tradeoff.periods(events, 2025)


@pytest.mark.parametrize("test,stat,p,lo,hi,n,expected", [
    ("hosts_risk_return", 0.70, 0.01, np.nan, np.nan, 12, "supports"),      # more pay, more defections: what a trade-off predicts
    ("hosts_risk_return", -0.70, 0.01, np.nan, np.nan, 12, "against"),
    ("hosts_risk_return", -0.39, 0.21, np.nan, np.nan, 12, "inconclusive"),  # the sign alone is not evidence
    ("hosts_risk_return", np.nan, np.nan, np.nan, np.nan, 2, "not_estimable"),
    ("defection_rate_after_sanctions", 2.0, 0.01, 1.2, 3.0, 30, "supports"),
    ("defection_rate_after_sanctions", 0.3, 0.01, 0.1, 0.9, 30, "against"),
    ("defection_rate_after_sanctions", 0.23, 0.07, 0.02, 1.12, 11, "inconclusive"),  # interval spans 1
    ("deployment_after_defections", -1.0, np.nan, -2.0, -0.5, 1, "inconclusive"),  # one host-event is too few
    ("deployment_after_defections", -1.0, np.nan, -2.0, -0.5, 3, "supports"),
    ("deployment_after_defections", 1.0, np.nan, 0.5, 2.0, 3, "against"),
])
def test_verdict_reads_each_test_the_way_the_hypothesis_predicts(test, stat, p, lo, hi, n, expected):
    assert tradeoff.verdict(test, stat, p, lo, hi, n) == expected


def test_risk_title_follows_the_verdicts_in_plain_words():
    from analysis.report import text

    rr = pd.DataFrame({"per_worker_median_usd": [3000.0, 6000.0], "incidents_in_rate": [1, 0], "worker_years": [1000.0, 500.0],
                       "host": ["CHN", "RUS"]})
    rates = pd.DataFrame({"host": ["ALL"], "period": ["2000-2016"], "incidents_in_rate": [1], "worker_years": [1500.0],
                          "incidents_per_10k": [6.67], "incidents_per_10k_low": [0.17], "incidents_per_10k_high": [37.1]})
    panel = pd.DataFrame({"host": ["CHN"], "year": [2015], "central": [1000.0]})
    tests = pd.DataFrame({"test": ["hosts_risk_return", "defection_rate_after_sanctions", "deployment_after_defections"],
                          "statistic": [-0.39, 0.23, 1.76], "p_value": [0.21, 0.07, np.nan], "ci_low": [np.nan, 0.02, 0.97],
                          "ci_high": [np.nan, 1.12, 1.84], "n": [12, 11, 1], "verdict": ["inconclusive"] * 3})
    out = text.tradeoff_reading(rr, rates, tests, panel)
    assert out["title"].startswith("Too few defections from abroad are on record to show a trade-off either way: 1 incident in 1,500 worker-years with a head count, across 2 hosts")
    assert "cannot be told apart" in out["tests"] and "0.23 times the earlier one (95% interval 0.02 to 1.12; 11 incidents in all)" in out["tests"]
    assert "(s)" not in out["title"] + out["rates"] + out["tests"]
    supports = tests.assign(verdict=["supports", "inconclusive", "inconclusive"], statistic=[0.8, 0.23, 1.76], p_value=[0.01, 0.07, np.nan])
    out = text.tradeoff_reading(rr, rates, supports, panel)
    assert out["title"].startswith("Part of the record fits a trade-off")
    assert "have had more defections per worker (rank correlation 0.80, p = 0.01, 12 hosts)" in out["tests"]


def test_a_head_count_falling_to_zero_has_no_log_change_and_no_infinity():
    """Malta: 47 workers before its 2016 visa refusal, none after. log(0) is -inf; the row says why it has no ratio."""
    panel = _panel([("MLT", 2014, 47, 47, 47), ("MLT", 2015, 47, 47, 47), ("MLT", 2017, 0, 0, 0)])
    ev = pd.Series({"event_id": "malta-visa-refusal-2016", "date": pd.Timestamp("2016-06-01")})
    row = tradeoff._event_row(ev, "host enforcement", "MLT", panel, pd.DataFrame({"host": [], "year": []}))
    assert np.isnan(row["log_change"]) and np.isnan(row["log_change_low"]) and np.isnan(row["log_change_high"])
    assert row["status"].startswith("not estimable on the log scale") and row["headcount_after"] == 0


def test_result_tables_refuse_an_infinite_number():
    from pandera.errors import SchemaError

    from analysis.schemas import RESULT_MODELS

    ok = pd.DataFrame({"test": ["hosts_risk_return"], "against_hypothesis_if": ["x"], "statistic": [0.5], "p_value": [0.2],
                       "ci_low": [np.nan], "ci_high": [np.nan], "n": [12], "result": ["r"], "verdict": ["inconclusive"]})
    RESULT_MODELS["tradeoff_tests"].validate(ok)
    with pytest.raises(SchemaError, match="infinite"):
        RESULT_MODELS["tradeoff_tests"].validate(ok.assign(ci_high=[np.inf]))
