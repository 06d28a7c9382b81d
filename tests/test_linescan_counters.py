"""The compiled counter of ingest-bulk (analysis/ingest/_linescan.c) against the numpy one it replaces.

Both return, for whole lines of text, the number of line breaks and tabs and every place the
token stands as a whole number in its cell, with the line breaks before it. The numpy
counter is the reference (it is what runs where the module is not built); any text, any
start, must give the same answer. The texts are drawn from the bytes that matter (digits of
the token, separators, signs, CR) so that hits, near misses and cell edges are common, and
long enough to cross the compiled loop's 16-byte steps and the numpy counter's blocks.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.ingest import linescan

pytestmark = pytest.mark.skipif(linescan.scanner_name() != "compiled",
                                reason="analysis.ingest._linescan is not built (no C compiler at install)")

ALPHABET = b"4084080\t\n\r +-.19a"


def whole_lines(body: bytes) -> bytes:
    return body + b"\n"


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=600).map(lambda b: bytes(ALPHABET[c % len(ALPHABET)] for c in b)),
       token=st.sampled_from([b"408", b"4", b"40", b"4084"]), skip=st.integers(0, 40))
def test_compiled_and_numpy_counters_agree(body, token, skip):
    text = whole_lines(body)
    start = text.find(b"\n", min(skip, len(text) - 1)) + 1  # a piece starts after a line break
    start = 0 if start == len(text) else start
    compiled = linescan._CompiledCounter(token)(text, start, len(text))
    reference = linescan._NumpyCounter(token)(text, start, len(text))
    assert compiled == reference


def test_counts_and_hits_on_a_known_text():
    text = b"x\t408\t1408\n408\t0408\t+408\r\n4080\t408.5\t 408 \n"
    lines, tabs, hits = linescan._CompiledCounter(b"408")(text, 0, len(text))
    assert (lines, tabs) == (3, 6)
    # 408 after a tab, at a line's start, after a leading zero, after a sign (before CR), between spaces;
    # not 1408, 4080 or 408.5
    assert hits == [(2, 0), (11, 1), (16, 1), (21, 1), (38, 2)]
    assert linescan._NumpyCounter(b"408")(text, 0, len(text)) == (lines, tabs, hits)


def test_long_text_crosses_the_numpy_blocks_and_the_vector_steps():
    row = b"2021\t156\t408\t0.5\t" + b"9" * 37 + b"\n"  # 55 bytes: the hits fall at every offset mod 16
    text = row * (3 * linescan._BLOCK // len(row) + 7)
    compiled = linescan._CompiledCounter(b"408")(text, 0, len(text))
    assert compiled == linescan._NumpyCounter(b"408")(text, 0, len(text))
    n = text.count(b"\n")
    assert compiled[0] == n and compiled[1] == 4 * n and len(compiled[2]) == n
    assert compiled[2][-1] == (len(text) - len(row) + 9, n - 1)


def test_the_compiled_scan_refuses_bad_arguments():
    from analysis.ingest import _linescan

    table = bytes(256)
    with pytest.raises(ValueError, match="outside the buffer"):
        _linescan.scan(b"abc\n", 0, 9, b"4", table, table)
    with pytest.raises(ValueError, match="empty token"):
        _linescan.scan(b"abc\n", 0, 4, b"", table, table)
    with pytest.raises(ValueError, match="256 bytes"):
        _linescan.scan(b"abc\n", 0, 4, b"4", b"", table)


def test_ingest_bulk_on_a_tab_separated_file_imports_no_dataframe_library(tmp_path):
    # the command's start-up is part of its speed: numpy, pyarrow, polars or pandas would each
    # cost it more than reading a million-row file takes
    import subprocess
    import sys

    from .test_comtrade import BULK

    code = ("import sys; from analysis.ingest.comtrade_bulk import ingest_bulk; "
            f"ingest_bulk([{str(BULK)!r}], {str(tmp_path / 'x.parquet')!r}, progress=False); "
            "print(sorted(m for m in ('numpy', 'pyarrow', 'polars', 'pandas', 'dataclasses') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
