"""The ``nkflows`` command line: build | validate | fit | report | sources | series | diff | fetch | ingest-bulk | sidecar.

Exit codes: 0 done; 1 a data error (input that breaks a rule, a table or row that does
not exist, no source matching a search); 2 a usage error (a bad argument, a missing
option or key, a fetch the API refused). No command ends in a Python traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .errors import DataError, Interrupted, OutputError
from .paths import PROCESSED, RAW, REPORTS


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _read(processed: str, name: str):
    """One published table (polars), or a DataError that names the file and says what to do."""
    from .errors import Issue
    from .paths import display
    from .validate import read_published

    path = Path(processed) / f"{name}.csv"
    if not path.is_file():
        raise DataError([Issue(display(path), None, None, "published table is missing; run `make data` or give --processed FOLDER")])
    try:
        return read_published(Path(processed), name)
    except Exception as exc:  # polars raises several exception types for a malformed CSV
        raise DataError([Issue(display(path), None, None, f"cannot be read with its schema's dtypes ({exc.__class__.__name__}: {exc}); run `make data`")]) from None


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build

    result = build(Path(args.raw), Path(args.out), progress=_progress)
    for name, frame in result.tables.items():
        _progress(f"  {name}: {frame.height} rows")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .validate import validate_processed

    report = validate_processed(Path(args.processed), progress=_progress)
    print(report)
    return 0


def cmd_fit(args: argparse.Namespace) -> int:
    from .models.nb2 import ModelError
    from .models.run import fit

    try:
        paths = fit(Path(args.processed), Path(args.out), progress=_progress)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(paths[0].parent)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .errors import ModelError  # not from the model modules: a report from the result tables imports no statsmodels
    from .pipeline import StageFailed, run
    from .report.pdf import LayoutError

    try:
        if args.validate and not args.build:  # in this process (libraries imported once); a build validates what it writes
            cmd_validate(args)
        path = run(Path(args.processed), Path(args.out), raw=Path(args.raw) if args.build else None, fit=not args.no_fit,
                   pdf=not args.no_pdf, progress=_progress)
    except StageFailed as exc:  # the stage has said why
        return exc.exit_code
    except (ModelError, LayoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for name in ("report", "methods", "appendix"):
        print(path.parent / f"{name}.html")
    if not args.no_pdf:
        print(path.with_suffix(".pdf"))
        print(path.parent / "methods.pdf")
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    import shutil

    import polars as pl

    from . import sources_search

    sources = _read(args.processed, "sources")
    if args.kind:
        sources = sources.filter(pl.col("kind") == args.kind)
    if args.search is not None:
        if not args.search.strip():
            return _usage("sources", "--search needs some text to look for")
        sources = sources_search.search(sources, args.search)
    if sources.is_empty():
        what = " and ".join(x for x in (f"--search {args.search!r}" if args.search else "", f"--kind {args.kind}" if args.kind else "") if x)
        print(f"no sources match {what or 'the table'}", file=sys.stderr)
        return 1
    width = args.width or shutil.get_terminal_size((100, 24)).columns
    sys.stdout.write(sources_search.render(sources.sort("source_id"), args.format, width))
    return 0


def cmd_series(args: argparse.Namespace) -> int:
    from .series_view import SERIES, describe

    names = ("sources", args.name, SERIES[args.name]["figures"])
    tables = {n: _read(args.processed, n) for n in names}
    sys.stdout.write(describe(args.name, tables, args.year))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from .diff import DiffError, diff_against, render_markdown, render_text

    try:
        result = diff_against(args.ref, Path(args.processed), tables=args.table or None)
    except DiffError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    sys.stdout.write(render_markdown(result, args.ref) if args.format == "markdown" else render_text(result, args.ref))
    return 0


def cmd_sidecar(args: argparse.Namespace) -> int:
    from .provenance import new_sidecar

    print(new_sidecar(Path(args.file), args.title, args.description, args.origin, args.collected), end="")
    return 0


def _usage(command: str, message: str) -> int:
    print(f"nkflows {command}: error: {message}", file=sys.stderr)
    return 2


def area_code(text: str) -> int:
    """An M49 number from an ISO 3166 code (alpha-3 ``JPN``, alpha-2 ``JP``), an M49 number, or WLD / 0 for the world."""
    import iso3166

    t = text.strip().upper()
    if t in ("WLD", "0"):
        return 0
    country = iso3166.countries.get(t, None) if t else None
    if country is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 3166 country code (alpha-3 such as JPN, alpha-2 such as JP, or an M49 number such as 392), nor WLD for the world")
    return int(country.numeric)


def cmd_fetch(args: argparse.Namespace) -> int:
    # every argument is checked here, before the fetcher looks for its key
    this_year = time.localtime().tm_year
    bad = [y for y in args.years if not 1962 <= y <= this_year]
    if bad:
        return _usage("fetch comtrade", f"--years: {', '.join(map(str, bad))} outside 1962-{this_year}, the years UN Comtrade can hold")
    if args.reporter == args.partner:
        return _usage("fetch comtrade", "--reporter and --partner are the same country")
    from .fetch.comtrade import ComtradeFetchError, fetch
    from .ingest.comtrade import COUNTRIES

    for option, code in (("--reporter", args.reporter), ("--partner", args.partner)):
        if code not in COUNTRIES:
            known = ", ".join(f"{v[0]} ({c})" for c, v in sorted(COUNTRIES.items()))
            return _usage("fetch comtrade", f"{option}: M49 {code} is a valid ISO 3166 country, but the Comtrade reader "
                                            f"(analysis/ingest/comtrade.py, COUNTRIES) maps only {known}")
    try:
        path = fetch(args.reporter, args.partner, args.years, Path(args.out), freq=args.freq, cmd=args.cmd, progress=_progress)
    except ComtradeFetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        return _usage("fetch comtrade", str(exc))
    print(path)
    return 0


def cmd_ingest_bulk(args: argparse.Namespace) -> int:
    from .ingest.comtrade_bulk import ingest_bulk

    counts = ingest_bulk([Path(f) for f in args.files], Path(args.out), progress=not args.quiet)
    print(", ".join(f"{k}: {v:,}" for k, v in counts.items()))
    return 0


def parser() -> argparse.ArgumentParser:
    from . import __version__

    p = argparse.ArgumentParser(prog="nkflows", description="Build, validate and report the nkflows dataset.",
                                epilog="Exit codes: 0 done, 1 data error (or nothing matched), 2 usage error.")
    p.add_argument("--version", action="version", version=f"nkflows {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build data/processed from data/raw (all checks; writes nothing on any error)")
    b.add_argument("--raw", default=str(RAW), help="raw data folder (default: data/raw)")
    b.add_argument("--out", default=str(PROCESSED), help="output folder (default: data/processed)")
    b.set_defaults(func=cmd_build)

    v = sub.add_parser("validate", help="validate published tables (pandera schemas, frictionless data package)")
    v.add_argument("--processed", default=str(PROCESSED))
    v.set_defaults(func=cmd_validate)

    ft = sub.add_parser("fit", help="fit every model from the published tables; write validated result tables to reports/tables")
    ft.add_argument("--processed", default=str(PROCESSED))
    ft.add_argument("--out", default=str(REPORTS))
    ft.set_defaults(func=cmd_fit)

    r = sub.add_parser("report", help="run `nkflows build` (with --build) and `nkflows fit` (unless --no-fit) in one process, draw the figures and write the report, methods annex and data appendix (reports/*.html, *.pdf) from the result tables")
    r.add_argument("--processed", default=str(PROCESSED))
    r.add_argument("--out", default=str(REPORTS))
    r.add_argument("--build", action="store_true", help="first build the published tables from RAW, as `nkflows build` does, "
                                                       "beside this process's imports (what `make report` runs when data/raw changed)")
    r.add_argument("--raw", default=str(RAW), help="raw data folder for --build (default: data/raw)")
    r.add_argument("--validate", action="store_true", help="first validate the published tables, as `nkflows validate` does (one process instead of two); with --build, the build validates what it writes")
    r.add_argument("--no-pdf", action="store_true", help="write the HTML only (the PDF takes a few seconds more)")
    r.add_argument("--no-fit", action="store_true", help="use the result tables already in OUT/tables (as `make report` does after `make results`) instead of running `nkflows fit` first")
    r.set_defaults(func=cmd_report)

    s = sub.add_parser("sources", help="list the sources behind the dataset: title and full URL",
                       description="List the sources behind the dataset. Exits 1 with 'no sources match' when nothing matches.")
    s.add_argument("--processed", default=str(PROCESSED))
    s.add_argument("--kind", choices=["official", "news", "research", "secondary"])
    s.add_argument("--search", help="text to look for in id, publisher, title or URL (case-insensitive); a publisher's name "
                                    "also finds its Korean, Chinese, Japanese and Russian forms (unification finds 통일부)")
    s.add_argument("--format", choices=["table", "csv", "json"], default="table", help="table (wrapped to the terminal), csv or json")
    s.add_argument("--width", type=int, help="line width of the table format (default: the terminal's)")
    s.set_defaults(func=cmd_sources)

    from .series_view import SERIES

    se = sub.add_parser("series", help="one published series, with each figure's source and any disagreement",
                        description="Print a published series (the preferred figures) and, with --year, every source's figure behind it.")
    se.add_argument("name", choices=sorted(SERIES), help="the series table")
    se.add_argument("--year", type=int, help="show the figures of this year, one line per source")
    se.add_argument("--processed", default=str(PROCESSED))
    se.set_defaults(func=cmd_series)

    d = sub.add_parser("diff", help="what changed in data/processed since a git ref: figures added, removed, changed",
                       description="Compare the published tables at a git ref (a tag, branch or commit) with the work tree.")
    d.add_argument("ref", help="git ref to compare with (for example 67ca78c or v0.1.0)")
    d.add_argument("--format", choices=["text", "markdown"], default="text", help="text (default) or markdown (for the CHANGELOG)")
    d.add_argument("--table", action="append", help="only this table (repeatable)")
    d.add_argument("--processed", default=str(PROCESSED))
    d.set_defaults(func=cmd_diff)

    f = sub.add_parser("fetch", help="fetch a live source into a new raw snapshot (needs an API key)")
    fsub = f.add_subparsers(dest="source", required=True)
    fc = fsub.add_parser("comtrade", help="UN Comtrade final data from its data API; reads COMTRADE_API_KEY (and COMTRADE_API_BASE, default https://comtradeapi.un.org) from the environment")
    fc.add_argument("--reporter", required=True, type=area_code, help="reporter: ISO 3166 code (CHN, JPN, RU...) or M49 number")
    fc.add_argument("--partner", default="PRK", type=area_code, help="partner: ISO 3166 code or M49 number, WLD for the world (default PRK)")
    fc.add_argument("--years", required=True, nargs="+", type=int, help="years to fetch")
    fc.add_argument("--freq", default="A", choices=["A", "M"])
    fc.add_argument("--cmd", default="TOTAL", help="HS code(s), comma-separated, or TOTAL")
    fc.add_argument("--out", default=str(RAW / "comtrade"), help="folder for the new snapshot (default data/raw/comtrade)")
    fc.set_defaults(func=cmd_fetch)

    ib = sub.add_parser("ingest-bulk", help="stream UN Comtrade bulk files (plain or .gz) and keep the North Korea rows, in bounded memory")
    ib.add_argument("files", nargs="+")
    ib.add_argument("--out", required=True, help="output Parquet file")
    ib.add_argument("--quiet", action="store_true", help="no progress display")
    ib.set_defaults(func=cmd_ingest_bulk)

    c = sub.add_parser("sidecar", help="print a provenance sidecar (JSON) for a new raw file; redirect it to FILE.meta.json")
    c.add_argument("file")
    c.add_argument("--title", required=True)
    c.add_argument("--description", required=True)
    c.add_argument("--origin", required=True, help="where the figures come from (e.g. 'transcribed from the pages listed in sources.csv')")
    c.add_argument("--collected", default=time.strftime("%Y-%m-%d"))  # today (datetime is not imported: a few ms at every start)
    c.set_defaults(func=cmd_sidecar)
    return p


#: One thread per process for the linear-algebra and OpenMP libraries (unless the caller set
#: them): the matrices here are small, and the stages that use two cores do so with worker
#: processes, so extra threads only compete for the same cores (about a third more CPU time
#: for ``nkflows fit`` on two cores, for no gain in wall time). OpenBLAS's threads also spin
#: for a while after numpy's import, taking a core from ``ingest-bulk``'s inflating thread where it searches with numpy.
SINGLE_THREADED = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def main(argv: list[str] | None = None) -> int:
    from .files import install_signal_handlers, received_signal, restore_signal_handlers

    for name in SINGLE_THREADED:  # before numpy is imported (the command's own imports come later)
        os.environ.setdefault(name, "1")
    previous = install_signal_handlers()
    try:
        args = parser().parse_args(argv)
        return args.func(args)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a file that cannot be read or written: say which and why, without a traceback
        where = f" {exc.filename}" if exc.filename else ""
        print(f"error: cannot use{where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except Interrupted as exc:
        return _interrupted(exc)
    except Exception as exc:
        if isinstance(exc.__cause__, Interrupted):  # a signal during an import arrives wrapped (e.g. by a class's __set_name__)
            return _interrupted(exc.__cause__)
        if received_signal() is not None:  # a signal a library swallowed, failing with an error of its own
            return _interrupted(Interrupted(received_signal()))
        raise
    finally:
        # called from code (tests, notebooks): give the caller its handlers back; as the program
        # itself (argv from the command line), a signal after the work is done just ends the process
        restore_signal_handlers(previous if argv is not None else {sig: _quiet_exit for sig in previous})


def _interrupted(exc: Interrupted) -> int:
    outcome = ("the new outputs were already switched in" if exc.switched
               else "outputs being written were removed; every output folder was left as it was")
    print(f"interrupted by {exc.name}: {outcome}", file=sys.stderr)
    return 128 + exc.signum


def _quiet_exit(signum, frame) -> None:  # noqa: ARG001
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())
