"""The specification file: event ids live there only, and bad specifications stop with a message naming the entry."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from analysis import cli
from analysis.models import arrivals, sarimax, spec
from analysis.models.nb2 import ModelError
from analysis.paths import ROOT
from analysis.tables import load_table


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return load_table("events")


def test_every_event_id_in_the_specification_is_in_the_events_table(events):
    spec.check_events(events)  # no error
    assert set(spec.every_event_id()) <= set(events["event_id"])
    # every effect the report states has exactly one headline and a non-trivial curve
    assert len({e.key for e in spec.EFFECTS}) == len(spec.EFFECTS) == 9
    assert sum(s.name == spec.ARRIVALS_HEADLINE.name for s in spec.arrivals_curve()) == 1
    assert sum(s.name == spec.TRADE_HEADLINE.name for s in spec.trade_curve()) == 1


def test_an_unknown_event_id_stops_with_the_entry_named(events):
    without = events.loc[events["event_id"] != spec.SANCTIONS_2016]
    with pytest.raises(ModelError, match=r"analysis/models/spec\.py, effect arrivals_sanctions_2016: event id 'unsc-2270' is not in the events table"):
        spec.check_events(without)


def test_fit_command_stops_on_an_unknown_event_with_a_message(processed_copy, tmp_path, capsys):
    ev = processed_copy / "events.csv"
    lines = ev.read_text(encoding="utf-8").splitlines(keepends=True)
    ev.write_text("".join(line for line in lines if not line.startswith(spec.REOPENING + ",")), encoding="utf-8")
    code = cli.main(["fit", "--processed", str(processed_copy), "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert "analysis/models/spec.py" in err and f"'{spec.REOPENING}'" in err and "Traceback" not in err
    assert not (tmp_path / "tables").exists()  # nothing written


def test_a_model_that_does_not_converge_names_its_specification(events):
    """Arrivals that drop to zero after the closure: the level change runs off to minus infinity."""
    years = pd.period_range("2002", "2025", freq="Y")
    counts = pd.Series(np.where(years.year < 2020, 1000.0, 0.0), index=years)
    bad = replace(spec.ARRIVALS_HEADLINE, name="toy_spec_that_cannot_converge")
    with pytest.raises(ModelError, match="arrivals specification toy_spec_that_cannot_converge: the nb2 fit did not converge"):
        arrivals.fit(counts, events, bad)


def test_sarimax_fit_refuses_a_fit_that_did_not_converge(monkeypatch):
    class Stuck:
        def __init__(self, *args, **kwargs):
            pass

        def fit(self, **kwargs):
            return type("Result", (), {"mle_retvals": {"converged": False}, "bse": np.ones(3), "params": np.full(3, np.nan)})()

    monkeypatch.setattr(sarimax, "SARIMAX", Stuck)
    with pytest.raises(ModelError, match="trade specification toy: the SARIMAX fit did not converge"):
        sarimax.fit(np.ones(10), np.ones((10, 1)), "trade specification toy")


def test_no_literal_event_id_outside_the_specification_file(events):
    """Event ids appear in model and sentence code only through spec.py (the events table holds the dates and titles)."""
    ids = set(events["event_id"])
    files = [p for p in (ROOT / "analysis" / "models").glob("*.py") if p.name != "spec.py"]
    files += [ROOT / "analysis" / "report" / name for name in ("text.py", "text_timeseries.py", "build.py")]
    found = []
    for path in files:
        for literal in re.findall(r"['\"]([a-z0-9][a-z0-9-]+)['\"]", path.read_text(encoding="utf-8")):
            if literal in ids:
                found.append(f"{path.name}: {literal}")
    assert found == []
    # and the check itself would see one
    assert re.findall(r"['\"]([a-z0-9][a-z0-9-]+)['\"]", f'x = "{spec.CLOSURE}"') == [spec.CLOSURE]
