"""The ``nkflows`` command line: build | validate | report | sources | fetch | ingest-bulk | sidecar."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from .errors import DataError
from .paths import PROCESSED, RAW, REPORTS


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


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


def cmd_report(args: argparse.Namespace) -> int:
    if args.validate:  # in this process: the libraries both steps need are imported once
        cmd_validate(args)
    from .report.build import build_report
    from .report.pdf import LayoutError

    try:
        path = build_report(Path(args.processed), Path(args.out), progress=_progress, pdf=not args.no_pdf)
    except LayoutError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for name in ("report", "methods", "appendix"):
        print(path.parent / f"{name}.html")
    if not args.no_pdf:
        print(path.with_suffix(".pdf"))
        print(path.parent / "methods.pdf")
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    import polars as pl

    from .validate import read_published

    sources = read_published(Path(args.processed), "sources")
    if args.kind:
        sources = sources.filter(pl.col("kind") == args.kind)
    if args.search:
        needle = args.search.lower()
        sources = sources.filter(
            pl.concat_str("source_id", "publisher", "title", "url", separator=" ").str.to_lowercase().str.contains(needle, literal=True)
        )
    with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=60, tbl_width_chars=200):
        print(sources.select("source_id", "publisher", "published", "kind", "language", "url"))
    return 0


def cmd_sidecar(args: argparse.Namespace) -> int:
    from .provenance import new_sidecar

    print(new_sidecar(Path(args.file), args.title, args.description, args.origin, args.collected), end="")
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from .fetch.comtrade import ComtradeFetchError, fetch

    try:
        path = fetch(args.reporter, args.partner, args.years, Path(args.out), freq=args.freq, cmd=args.cmd, progress=_progress)
    except ComtradeFetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


def cmd_ingest_bulk(args: argparse.Namespace) -> int:
    from .ingest.comtrade_bulk import ingest_bulk

    counts = ingest_bulk([Path(f) for f in args.files], Path(args.out), progress=not args.quiet)
    print(", ".join(f"{k}: {v:,}" for k, v in counts.items()))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nkflows", description="Build, validate and report the nkflows dataset.")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build data/processed from data/raw (all checks; writes nothing on any error)")
    b.add_argument("--raw", default=str(RAW), help="raw data folder (default: data/raw)")
    b.add_argument("--out", default=str(PROCESSED), help="output folder (default: data/processed)")
    b.set_defaults(func=cmd_build)

    v = sub.add_parser("validate", help="validate published tables (pandera schemas, frictionless data package)")
    v.add_argument("--processed", default=str(PROCESSED))
    v.set_defaults(func=cmd_validate)

    r = sub.add_parser("report", help="fit the models, draw the figures and write the report, methods annex and data appendix (reports/*.html, *.pdf)")
    r.add_argument("--processed", default=str(PROCESSED))
    r.add_argument("--out", default=str(REPORTS))
    r.add_argument("--validate", action="store_true", help="first validate the published tables, as `nkflows validate` does (one process instead of two)")
    r.add_argument("--no-pdf", action="store_true", help="write the HTML only (the PDFs take a few seconds more)")
    r.set_defaults(func=cmd_report)

    s = sub.add_parser("sources", help="list the sources behind the dataset")
    s.add_argument("--processed", default=str(PROCESSED))
    s.add_argument("--kind", choices=["official", "news", "research", "secondary"])
    s.add_argument("--search", help="case-insensitive text to look for in id, publisher, title or URL")
    s.set_defaults(func=cmd_sources)

    f = sub.add_parser("fetch", help="fetch a live source into a new raw snapshot (needs an API key)")
    fsub = f.add_subparsers(dest="source", required=True)
    fc = fsub.add_parser("comtrade", help="UN Comtrade final data from its data API; reads COMTRADE_API_KEY (and COMTRADE_API_BASE, default https://comtradeapi.un.org) from the environment")
    fc.add_argument("--reporter", required=True, help="reporter: ISO3 code (CHN, RUS, KOR, PRK) or M49 number")
    fc.add_argument("--partner", default="PRK", help="partner: ISO3 code or M49 number (default PRK)")
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
    c.add_argument("--collected", default=dt.date.today().isoformat())
    c.set_defaults(func=cmd_sidecar)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
