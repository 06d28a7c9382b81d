"""Synthetic UN Comtrade bulk files in the real layout, for benchmarks and memory tests.

``generate(path, rows, seed)`` writes a gzip-compressed, tab-separated final-data bulk
file (``.txt.gz``) in the layout of the files UN Comtrade's bulk endpoint serves: the 34
columns of :data:`analysis.ingest.comtrade_layout.BULK_COLUMNS` (``datasetCode`` first,
no descriptive columns, ``CIFValue``/``FOBValue``), booleans as ``0``/``1``, CRLF line
ends, as in the recorded file ``C_A_32_196201_S1_O.txt.gz`` (see
:mod:`analysis.ingest.comtrade_layout`). ``layout="api"`` writes the 47-column API layout
instead (LF, ``true``/``false``), for comparison. ``rows`` records are drawn
deterministically from ``seed``: the same arguments give the same bytes. **Every value is invented**; the files are for measuring speed and
memory, never for statistics.

What the rows look like: one annual period (2019, HS 2017 ``H5``); reporters and partners
drawn from the ISO 3166 numeric codes (the M49 codes of countries), with North Korea
(408) as partner about as often as any other country and, rarely, as reporter; flows
M, X, RM, RX; commodity TOTAL or an HS chapter, heading or subheading with a made-up
description; quantities, weights and values as Comtrade prints them. Some rows carry
408 in other columns (partner2Code, a quantity unit, a value) so that a reader that
matches the text "408" anywhere on a line keeps rows it should not.

``expected_dprk_lines(rows, seed)`` gives the 1-based line numbers (header = line 1) of
the rows whose reporterCode or partnerCode is 408, computed from the same draws, so a
test can check an extract row by row.

Run ``python -m bench.generate_bulk OUT.txt.gz --rows 1000000 [--seed 408]`` (reuses
OUT when its sidecar ``OUT.json`` says it was drawn with the same rows, seed and generator
version).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import zlib
from pathlib import Path

import numpy as np
import polars as pl

from analysis.ingest.comtrade import COUNTRIES, DPRK, FINAL_COLUMNS
from analysis.ingest.comtrade_layout import BULK_COLUMNS

#: Bumped whenever the bytes written for a (rows, seed) change, so cached files are redrawn.
GENERATOR_VERSION = 2
BLOCK = 200_000  # rows drawn and written at a time
#: gzip level of the files. Comtrade does not document its level; 6 is gzip's default.
GZIP_LEVEL = 6
_WORDS = (
    "live animals meat fish dairy produce vegetables fruit cereals oils sugar beverages "
    "tobacco salt ores fuels chemicals plastics rubber hides wood paper textiles cotton "
    "wool apparel footwear stone glass pearls iron steel copper nickel aluminium lead zinc "
    "tools machinery electrical vehicles aircraft ships optical clocks instruments arms "
    "furniture toys works of art parts accessories other than n.e.c. whether or not "
    "prepared preserved frozen fresh chilled dried"
).split()


def _countries() -> tuple[list[int], list[str], list[str]]:
    """M49 code, ISO code as Comtrade prints it, and name, for every ISO 3166 country."""
    import iso3166

    codes, isos, names = [], [], []
    for c in sorted(iso3166.countries, key=lambda c: int(c.numeric)):
        code = int(c.numeric)
        iso, name = c.alpha3, c.name
        if code in COUNTRIES:
            _, iso, name = COUNTRIES[code]
        codes.append(code)
        isos.append(iso)
        names.append(name)
    return codes, isos, names


def _commodities(rng: np.random.Generator) -> tuple[list[str], list[str], list[int]]:
    """TOTAL, 97 HS chapters, and made-up headings and subheadings under them."""
    codes, descs, levels = ["TOTAL"], ["All Commodities"], [0]
    for ch in range(1, 98):
        if ch == 77:
            continue
        codes.append(f"{ch:02d}")
        levels.append(2)
        descs.append(" ".join(rng.choice(_WORDS, size=int(rng.integers(2, 8)))).capitalize())
        for hd in rng.choice(np.arange(1, 100), size=12, replace=False):
            codes.append(f"{ch:02d}{hd:02d}")
            levels.append(4)
            descs.append(" ".join(rng.choice(_WORDS, size=int(rng.integers(4, 16)))).capitalize())
            for sub in rng.choice(np.arange(10, 100), size=4, replace=False):
                codes.append(f"{ch:02d}{hd:02d}{sub:02d}")
                levels.append(6)
                descs.append(" ".join(rng.choice(_WORDS, size=int(rng.integers(6, 30)))).capitalize())
    return codes, descs, levels


class _Tables:
    """Reference lists every block draws from (the same for a given seed)."""

    def __init__(self, seed: int) -> None:
        rng = np.random.default_rng([seed, 0])
        self.codes, self.isos, self.names = _countries()
        n = len(self.codes)
        dprk = self.codes.index(DPRK)
        # reporters: 40 countries that report, plus DPRK with a small weight
        rep = rng.choice(np.delete(np.arange(n), dprk), size=40, replace=False)
        self.reporters = np.append(rep, dprk)
        w = rng.uniform(0.5, 2.0, size=41)
        w[-1] = 0.02
        self.reporter_p = w / w.sum()
        self.cmd, self.cmd_desc, self.cmd_level = _commodities(rng)


def _parties(t: _Tables, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Reporter and partner of ``n`` records, as indices into ``t.codes`` (the first draws of a block)."""
    nc = len(t.codes)
    rep = t.reporters[rng.choice(len(t.reporters), size=n, p=t.reporter_p)]
    par = rng.integers(0, nc, size=n)
    par = np.where(par == rep, (par + 1) % nc, par)  # a country does not trade with itself
    return rep, par


def _block(t: _Tables, rng: np.random.Generator, n: int) -> pl.DataFrame:
    """``n`` records as text columns in the 47-column layout."""
    rep, par = _parties(t, rng, n)
    flow = rng.choice(4, size=n, p=[0.45, 0.45, 0.05, 0.05])
    cmd = rng.integers(0, len(t.cmd), size=n)
    kg = rng.random(n) < 0.8
    qty = np.round(rng.lognormal(8, 3, size=n), 3)
    wgt = np.round(qty * rng.uniform(0.5, 2.0, size=n), 3)
    value = np.round(rng.lognormal(10, 3, size=n), 2)
    bait = rng.random(n)
    partner2 = np.where(bait < 0.002, DPRK, 0)  # 408 outside reporter/partner
    value = np.where((bait >= 0.002) & (bait < 0.003), 408.0, value)
    qty_unit = np.where(kg, 8, np.where(bait > 0.999, 408, -1))

    codes = pl.Series(t.codes, dtype=pl.Int64).cast(pl.String)
    isos = pl.Series(t.isos, dtype=pl.String)
    names = pl.Series(t.names, dtype=pl.String)
    rep_i = pl.Series(rep)
    par_i = pl.Series(par)
    flow_code = pl.Series(["M", "X", "RM", "RX"])[flow]
    flow_desc = pl.Series(["Import", "Export", "Re-import", "Re-export"])[flow]
    cmd_i = pl.Series(cmd)
    level = pl.Series(t.cmd_level, dtype=pl.Int64)[cmd_i]
    is_imp = pl.Series(flow % 2 == 0)
    val = pl.Series(value)
    qty_s = pl.Series(qty)
    num = lambda s: s.cast(pl.String)  # noqa: E731 - polars prints floats as Comtrade's CSV does (1234.5)
    frame = pl.DataFrame({
        "typeCode": pl.repeat("C", n, eager=True),
        "freqCode": pl.repeat("A", n, eager=True),
        "refPeriodId": pl.repeat("20190101", n, eager=True),
        "refYear": pl.repeat("2019", n, eager=True),
        "refMonth": pl.repeat("52", n, eager=True),
        "period": pl.repeat("2019", n, eager=True),
        "reporterCode": codes[rep_i],
        "reporterISO": isos[rep_i],
        "reporterDesc": names[rep_i],
        "flowCode": flow_code,
        "flowDesc": flow_desc,
        "partnerCode": codes[par_i],
        "partnerISO": isos[par_i],
        "partnerDesc": names[par_i],
        "partner2Code": pl.Series(partner2).cast(pl.String),
        "partner2ISO": pl.Series(np.where(partner2 == DPRK, "PRK", "W00")),
        "partner2Desc": pl.Series(np.where(partner2 == DPRK, COUNTRIES[DPRK][2], "World")),
        "classificationCode": pl.repeat("H5", n, eager=True),
        "classificationSearchCode": pl.repeat("HS", n, eager=True),
        "isOriginalClassification": pl.repeat("true", n, eager=True),
        "cmdCode": pl.Series(t.cmd, dtype=pl.String)[cmd_i],
        "cmdDesc": pl.Series(t.cmd_desc, dtype=pl.String)[cmd_i],
        "aggrLevel": level.cast(pl.String),
        "isLeaf": (level == 6).cast(pl.String).str.to_lowercase(),
        "customsCode": pl.repeat("C00", n, eager=True),
        "customsDesc": pl.repeat("TOTAL CPC", n, eager=True),
        "mosCode": pl.repeat("0", n, eager=True),
        "motCode": pl.repeat("0", n, eager=True),
        "motDesc": pl.repeat("TOTAL MOT", n, eager=True),
        "qtyUnitCode": pl.Series(qty_unit).cast(pl.String),
        "qtyUnitAbbr": pl.Series(np.where(kg, "kg", "N/A")),
        "qty": num(qty_s),
        "isQtyEstimated": pl.repeat("false", n, eager=True),
        "altQtyUnitCode": pl.Series(np.where(kg, 8, -1)).cast(pl.String),
        "altQtyUnitAbbr": pl.Series(np.where(kg, "kg", "N/A")),
        "altQty": num(qty_s),
        "isAltQtyEstimated": pl.repeat("false", n, eager=True),
        "netWgt": num(pl.Series(wgt)),
        "isNetWgtEstimated": pl.repeat("false", n, eager=True),
        "grossWgt": num(pl.Series(wgt)),
        "isGrossWgtEstimated": pl.repeat("false", n, eager=True),
        "cifvalue": pl.select(pl.when(is_imp).then(num(val))).to_series(),
        "fobvalue": pl.select(pl.when(~is_imp).then(num(val))).to_series(),
        "primaryValue": num(val),
        "legacyEstimationFlag": pl.repeat("0", n, eager=True),
        "isReported": pl.repeat("true", n, eager=True),
        "isAggregate": pl.repeat("false", n, eager=True),
    })
    return frame.select(FINAL_COLUMNS)


_BOOL_COLUMNS = [c for c in FINAL_COLUMNS if c.startswith("is")]


def _bulk_layout(frame: pl.DataFrame) -> pl.DataFrame:
    """The same records in the bulk endpoint's 34 columns (booleans 0/1; a made-up numeric dataset code)."""
    return frame.with_columns(
        pl.concat_str(pl.lit("2"), pl.col("reporterCode").str.zfill(3), pl.lit("201901102100")).alias("datasetCode"),
        *(pl.col(c).replace_strict({"true": "1", "false": "0"}) for c in _BOOL_COLUMNS),
        pl.col("cifvalue").alias("CIFValue"), pl.col("fobvalue").alias("FOBValue"),
    ).select(BULK_COLUMNS)


def _blocks(rows: int) -> list[tuple[int, int]]:
    """(index, size) of each block of a file of ``rows`` records."""
    return [(i, min(BLOCK, rows - start)) for i, start in enumerate(range(0, rows, BLOCK))]


def _rng(seed: int, block: int) -> np.random.Generator:
    return np.random.default_rng([seed, 1, block])


def expected_dprk_lines(rows: int, seed: int) -> np.ndarray:
    """1-based line numbers (header = 1) of the records with reporterCode or partnerCode 408."""
    t = _Tables(seed)
    dprk = t.codes.index(DPRK)
    out = []
    for i, n in _blocks(rows):
        rep, par = _parties(t, _rng(seed, i), n)
        out.append(np.flatnonzero((rep == dprk) | (par == dprk)) + 2 + i * BLOCK)
    return np.concatenate(out) if out else np.array([], dtype=np.int64)


def generate(path: Path | str, rows: int, seed: int = 408, progress: bool = False, level: int = GZIP_LEVEL,
             layout: str = "bulk") -> int:
    """Write ``rows`` synthetic records to ``path`` (gzip, tab-separated); same arguments, same bytes.

    The file is written under a temporary name and renamed into place. Compression of
    one block runs in a second thread while the next block is drawn. Returns the size of
    the text (decompressed) in bytes. ``level`` (gzip 1-9) changes the bytes, not the text.
    """
    from concurrent.futures import ThreadPoolExecutor

    path = Path(path)
    if not path.name.endswith(".txt.gz"):
        raise ValueError(f"{path}: a bulk file is named *.txt.gz")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    t = _Tables(seed)
    z = zlib.compressobj(level, zlib.DEFLATED, 31)  # 31: gzip wrapper, mtime 0
    if layout not in ("bulk", "api"):
        raise ValueError("layout is 'bulk' (34 columns, as the bulk endpoint serves) or 'api' (47 columns)")
    columns, eol = (BULK_COLUMNS, "\r\n") if layout == "bulk" else (FINAL_COLUMNS, "\n")
    header = ("\t".join(columns) + eol).encode()
    text_bytes = len(header)
    with open(tmp, "wb") as fh, ThreadPoolExecutor(1) as pool:
        pending = pool.submit(lambda data: fh.write(z.compress(data)), header)
        for i, n in _blocks(rows):
            buf = io.BytesIO()
            block = _block(t, _rng(seed, i), n)
            (_bulk_layout(block) if layout == "bulk" else block).write_csv(
                buf, include_header=False, separator="\t", quote_style="never", line_terminator=eol,
            )
            text = buf.getvalue()
            text_bytes += len(text)
            pending.result()
            pending = pool.submit(lambda data: fh.write(z.compress(data)), text)
            if progress:
                print(f"generate {path.name}: {(i * BLOCK) + n:,}/{rows:,} rows", file=sys.stderr, flush=True)
        pending.result()
        fh.write(z.flush())
    os.replace(tmp, path)
    return text_bytes


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def ensure(path: Path | str, rows: int, seed: int = 408, progress: bool = False) -> dict:
    """``path`` as :func:`generate` writes it, reusing the file when its sidecar says it is that file.

    The sidecar ``<path>.json`` records rows, seed, :data:`GENERATOR_VERSION`, the file's
    size (``bytes``) and its text size (``text_bytes``); any difference (or a missing
    sidecar) redraws the file. Returns the sidecar's contents.
    """
    path = Path(path)
    want = {"rows": rows, "seed": seed, "generator": GENERATOR_VERSION}
    side = _sidecar(path)
    if path.exists() and side.exists():
        try:
            have = json.loads(side.read_text())
        except ValueError:
            have = {}
        if {k: have.get(k) for k in want} == want and have.get("bytes") == path.stat().st_size and "text_bytes" in have:
            return have
    side.unlink(missing_ok=True)
    text_bytes = generate(path, rows, seed, progress=progress)
    info = {**want, "bytes": path.stat().st_size, "text_bytes": text_bytes}
    side.write_text(json.dumps(info, sort_keys=True) + "\n")
    return info


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Write a synthetic UN Comtrade bulk file (gzip, tab-separated, invented values).")
    p.add_argument("out", help="output file, *.txt.gz")
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--seed", type=int, default=408)
    a = p.parse_args(argv)
    ensure(a.out, a.rows, a.seed, progress=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
