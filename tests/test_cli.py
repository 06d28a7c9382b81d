"""The command line explains itself: every subcommand, given bad arguments, exits 2 (usage) or
1 (data) with a message and never a traceback; --version; sources, series and fetch's checks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from analysis import __version__, cli
from analysis.paths import PROCESSED, ROOT


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    """cli.main in this process; argparse's exits are caught and returned as codes."""
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


USAGE = [  # exit 2: the arguments are wrong
    [],
    ["nosuchcommand"],
    ["build", "--bogus"],
    ["validate", "--processed"],
    ["report", "--no-such-option"],
    ["sources", "--kind", "blog"],
    ["sources", "--format", "xml"],
    ["sources", "--search", "  "],
    ["series"],
    ["series", "defectors"],
    ["series", "defector_arrivals_annual", "--year", "twenty"],
    ["diff"],
    ["diff", "no-such-ref-anywhere"],
    ["diff", "HEAD", "--table", "defectors"],
    ["fetch"],
    ["fetch", "comtrade", "--years", "2019"],
    ["fetch", "comtrade", "--reporter", "XXX", "--years", "2019"],
    ["fetch", "comtrade", "--reporter", "CHN", "--partner", "Narnia", "--years", "2019"],
    ["fetch", "comtrade", "--reporter", "CHN", "--years", "1800"],
    ["fetch", "comtrade", "--reporter", "CHN", "--years", "twenty"],
    ["fetch", "comtrade", "--reporter", "PRK", "--years", "2019"],
    ["ingest-bulk"],
    ["sidecar", "file.csv"],
]


@pytest.mark.parametrize("argv", USAGE, ids=lambda a: " ".join(a) or "(nothing)")
def test_usage_errors_exit_2_with_a_message(argv, capsys, monkeypatch):
    monkeypatch.delenv("COMTRADE_API_KEY", raising=False)
    code, out, err = run(argv, capsys)
    assert code == 2, (code, err)
    assert "Traceback" not in err + out and "error" in err
    assert "COMTRADE_API_KEY" not in err  # argument errors come before the key check


def test_data_errors_exit_1_with_a_message(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        (["build", "--raw", str(empty), "--out", str(tmp_path / "out")], "file is missing"),
        (["validate", "--processed", str(empty)], "published table is missing"),
        (["report", "--processed", str(empty), "--out", str(tmp_path / "r"), "--no-pdf"], "published table is missing"),
        (["sources", "--processed", str(empty)], "published table is missing"),
        (["sources", "--search", "no-source-says-this-xq"], "no sources match --search 'no-source-says-this-xq'"),
        (["sources", "--search", "no-source-says-this-xq", "--format", "json"], "no sources match"),
        (["series", "defector_arrivals_annual", "--year", "1800"], "no row for 1800; the series covers"),
        (["series", "trade_annual", "--processed", str(empty)], "published table is missing"),
        (["diff", "HEAD", "--processed", str(empty)], "is not inside a git repository"),
        (["ingest-bulk", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "x.parquet"), "--quiet"], "missing.txt"),
        (["sidecar", str(tmp_path / "missing.csv"), "--title", "t", "--description", "d", "--origin", "o"], "missing.csv"),
    ]
    for argv, message in cases:
        code, out, err = run(argv, capsys)
        assert code == 1, (argv, code, err)
        assert message in err and "Traceback" not in err + out, (argv, err)
    assert list(empty.iterdir()) == []


def test_version_is_the_package_version(capsys):
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.strip() == f"nkflows {__version__}"


def test_no_traceback_from_a_real_process():
    done = subprocess.run([sys.executable, "-m", "analysis.cli", "fetch", "comtrade", "--reporter", "ZZZ", "--years", "2019"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "Traceback" not in done.stderr and "'ZZZ' is not an ISO 3166 country code" in done.stderr


def test_fetch_accepts_any_iso_code_and_checks_it_before_the_key(capsys, monkeypatch):
    monkeypatch.delenv("COMTRADE_API_KEY", raising=False)
    assert cli.area_code("JPN") == 392 and cli.area_code("jp") == 392 and cli.area_code("392") == 392
    assert cli.area_code("WLD") == 0 and cli.area_code("CHN") == 156
    # a valid code the Comtrade reader does not map yet: a usage error naming the code, not the key
    code, _, err = run(["fetch", "comtrade", "--reporter", "JPN", "--years", "2019"], capsys)
    from analysis.ingest.comtrade import COUNTRIES
    if 392 in COUNTRIES:  # once the reader maps Japan, the next check is the key
        assert code == 2 and "COMTRADE_API_KEY" in err
    else:
        assert code == 2 and "M49 392" in err and "COMTRADE_API_KEY" not in err
    # valid arguments: only then the key
    code, _, err = run(["fetch", "comtrade", "--reporter", "CHN", "--years", "2019", "--out", "/nonexistent-i"], capsys)
    assert code == 2 and "COMTRADE_API_KEY" in err


def test_sources_shows_title_and_whole_url_wrapped_to_the_width(capsys):
    code, out, _ = run(["sources", "--search", "mou-cn-defectors-stats-2020", "--width", "60"], capsys)
    assert code == 0
    assert "https://www.unikorea.go.kr/cn_unikorea/news/statistics1/defectors/" in out.replace("\n  ", "")
    assert max(len(line) for line in out.splitlines()) <= 60
    assert "shape:" not in out and "Ministry of Unification" in out


def test_sources_search_crosses_languages_and_scripts(capsys):
    def ids(term: str) -> set[str]:
        code, out, _ = run(["sources", "--search", term, "--format", "json"], capsys)
        assert code == 0
        return {r["source_id"] for r in json.loads(out)}

    english, korean, japanese = ids("unification"), ids("통일부"), ids("統一部")
    assert english == korean == japanese  # one body, one answer, whatever the script
    assert len(english) > 24  # more than any one spelling finds on its own
    assert "mou-cn-defectors-stats-2020" in english
    assert ids("Ministry of Unification") == english  # a phrase holding a name finds the others too
    assert ids("Министерство объединения") == ids("统一部") == english  # Russian, simplified Chinese
    assert ids("yonhap") >= ids("연합뉴스") | ids("聯合ニュース")


def test_sources_csv_is_the_table(capsys):
    import csv
    import io

    code, out, _ = run(["sources", "--kind", "official", "--format", "csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    committed = [r for r in csv.DictReader((PROCESSED / "sources.csv").open(encoding="utf-8")) if r["kind"] == "official"]
    assert code == 0 and len(rows) == len(committed) > 10 and {r["source_id"] for r in rows} == {r["source_id"] for r in committed}


def test_series_lists_every_source_and_the_disagreement(capsys):
    code, out, _ = run(["series", "defector_arrivals_annual", "--year", "2011"], capsys)
    assert code == 0
    assert "2011   795   1,911  2,706" in out  # the preferred row
    assert "sex=all (persons): sources disagree: 2,706, 2,737" in out
    assert "*           2,706  mou-cn-defectors-stats-2020" in out  # the chosen source is marked
    assert "mou-en-2012-01-11-refugees-2011  (as printed: 2,737)" in out
    code, out, _ = run(["series", "trade_annual"], capsys)
    assert code == 0 and "rows have figures that sources report differently" in out
