"""Stream a large tab-separated text file (plain or gzip) and pick out the lines that hold a token.

A UN Comtrade bulk file holds millions of records of which a few thousand concern North
Korea. Parsing every field of every record (what a CSV reader does) costs far more than
decompressing the file, so :func:`candidate_lines` does the cheap part first: it reads
the text chunk by chunk and returns, per chunk, only the lines that contain a byte
string such as ``b"408"``. The caller then parses those few lines with a real CSV reader
and applies the exact rule; any line whose cell reads 408 contains the bytes ``408``, so
nothing is lost, and the false candidates (a value that happens to contain 408) are
dropped by the exact rule.

Memory is bounded by the chunk size (a few megabytes), whatever the size of the file.
While searching, every chunk's tabs are counted: a total other than (fields - 1) x lines
means a ragged line (one whose number of tabs differs from the header's), and the chunk
is split to name it, so a damaged file still fails. Every candidate line is checked on
its own; a chunk whose total is right although one line has a tab too many and another
one too few would pass this check, but not if either is a candidate. Blank lines are
allowed and skipped; line numbers are 1-based physical lines (the header is line 1). A
gzip file may have several members (as ``pigz`` or ``bgzip`` write them); a truncated
one is an error.

Gzip is inflated by ISA-L in a child process (:mod:`analysis.ingest.comtrade_inflate`,
:data:`INFLATE_PROCESS`), so that inflating the next piece (one core) overlaps with
searching this one (the other core); ISA-L inflates about twice as fast as zlib. The
child's exit status tells a whole file from a truncated one. Measured speeds, against
inflating alone, are kept in ``docs/performance.md`` (``make bench``), not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from isal import isal_zlib

from ..errors import DataError, Issue
from ..paths import display

#: Bytes of text searched at a time (the last partial line is carried over).
CHUNK = 8 << 20
_READ = 1 << 20  # compressed bytes read at a time
#: Inflate, cut and count in a child process (True, :mod:`analysis.ingest.comtrade_inflate`)
#: or in this one (False).
INFLATE_PROCESS = True
_NL, _TAB = ord("\n"), ord("\t")
#: A cell that reads as the token, spaces stripped, has one of these just before the token
#: (a tab, a space, a sign or a leading zero) and one of these just after it.
_BEFORE = frozenset(b"\t +0")
_AFTER = frozenset(b"\t \r\n")


@dataclass
class Candidates:
    """The candidate lines of one chunk: their text (each ending in a newline) and 1-based line numbers."""

    text: bytes
    lines: list[int]
    lines_scanned: int  # lines of the file read so far, header included
    bytes_read: int  # bytes of the file as stored (compressed or not) read so far


def _text_chunks(path: Path) -> Iterator[tuple[bytes, int]]:
    """The text of ``path`` (decompressed if it ends in ``.gz``) in pieces of at most :data:`CHUNK` bytes,
    each with the bytes of the file (as stored) read so far."""
    name = display(path)
    if not path.exists():
        raise DataError([Issue(name, None, None, "file does not exist")])
    with open(path, "rb") as fh:
        if not path.name.endswith(".gz"):
            while data := fh.read(CHUNK):
                yield data, fh.tell()
            return
    with open(path, "rb") as fh:
        d = isal_zlib.decompressobj(31)  # 31: a gzip member
        fed = False  # the current gzip member has received input
        while data := fh.read(_READ):
            while data:
                fed = True
                try:
                    out = d.decompress(data, CHUNK)
                except isal_zlib.error as exc:
                    raise DataError([Issue(name, None, None, f"not a readable gzip file ({exc})")]) from None
                if out:
                    yield out, fh.tell() - len(d.unconsumed_tail)
                if d.eof:  # the end of a member: another may follow
                    data = d.unused_data
                    d, fed = isal_zlib.decompressobj(31), False
                else:
                    data = d.unconsumed_tail
        if fed:
            raise DataError([Issue(name, None, None, "the gzip file ends early (truncated download?)")])


def _ragged_issue(name: str, line: int, fields: int, tabs: int) -> Issue:
    return Issue(name, line, None, f"row has {fields} fields; the header has {tabs + 1} (ragged or damaged row)")


def _ragged(name: str, block: bytes, first_line: int, tabs: int) -> list[Issue]:
    """The lines of ``block`` whose number of tabs is off (the slow path, taken only when the count is off)."""
    issues = []
    for i, line in enumerate(block.split(b"\n")[:-1]):
        if line.strip(b"\r") == b"":
            continue
        n = line.count(b"\t")
        if n != tabs:
            issues.append(_ragged_issue(name, first_line + i, n + 1, tabs))
            if len(issues) >= 20:
                break
    return issues


def _too_long(name: str, line: int, max_line: int) -> DataError:
    return DataError([Issue(name, line, None, f"line is longer than {max_line:,} bytes (damaged file, or not a line-based text file); reading stopped here so memory stays bounded")])


def candidate_lines(path: Path | str, token: bytes, fields: int, columns: tuple[int, ...] | None = None,
                    max_line: int = 1 << 20) -> Iterator[Candidates]:
    """The lines after the header that contain ``token``, chunk by chunk, from a tab-separated file.

    With ``columns`` (0-based field positions), only lines where one of those fields
    contains ``token``. ``fields`` is the header's number of fields; a line with another
    number of fields, or longer than ``max_line`` bytes, raises :class:`DataError` naming
    the line (so a file without line breaks fails after ``max_line`` bytes). Yields one
    :class:`Candidates` per chunk (possibly with no lines, so that a caller can show
    progress).
    """
    path = Path(path)
    name = display(path)
    tabs = fields - 1
    if INFLATE_PROCESS:
        if not path.exists():
            raise DataError([Issue(name, None, None, "file does not exist")])
        for block, newlines, n_tabs, first, bytes_read in _frames(path, name, max_line):
            yield _pick_frame(name, block, newlines, n_tabs, first, token, tabs, columns, bytes_read, max_line)
        return
    carry = b""  # a line begun in the previous chunk
    line_no = 0  # physical lines completed so far
    header_done = False
    bytes_read = 0
    for data, bytes_read in _text_chunks(path):
        nl = data.find(b"\n")
        if nl == -1:
            carry += data
            if len(carry) > max_line:
                raise _too_long(name, line_no + 1, max_line)
            continue
        head = carry + data[: nl + 1]  # the line that straddles the chunks, now whole
        if len(head) > max_line:
            raise _too_long(name, line_no + 1, max_line)
        if not header_done:  # the header: checked by the caller, never a candidate
            line_no += 1
            header_done = True
        else:
            found = _pick(name, head, 0, len(head), line_no + 1, token, tabs, columns, bytes_read, max_line)
            line_no = found.lines_scanned
            if found.lines:
                yield found
        end = data.rfind(b"\n") + 1
        carry = data[end:]
        if len(carry) > max_line:
            raise _too_long(name, line_no + 1, max_line)
        found = _pick(name, data, nl + 1, end, line_no + 1, token, tabs, columns, bytes_read, max_line)
        line_no = found.lines_scanned
        yield found
    if carry and header_done:  # a last line without a newline
        yield _pick(name, carry + b"\n", 0, len(carry) + 1, line_no + 1, token, tabs, columns, bytes_read, max_line)


def _frames(path: Path, name: str, max_line: int) -> Iterator[tuple[bytes, memoryview, int, int, int]]:
    """Frames of whole lines from the child process :mod:`analysis.ingest.comtrade_inflate`.

    Each: the text, its newline positions, its number of tabs, the number of its first
    line and the bytes of the file read so far. The child's problems (not gzip,
    truncated, a line too long) become :class:`DataError`.
    """
    import subprocess
    import sys

    from .comtrade_inflate import HEADER

    proc = subprocess.Popen([sys.executable, "-m", "analysis.ingest.comtrade_inflate", str(path), str(max_line), str(CHUNK), str(_READ)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    try:
        import fcntl

        fcntl.fcntl(proc.stdout.fileno(), 1031, 1 << 20)  # F_SETPIPE_SZ: fewer, larger hand-overs
    except (ImportError, OSError):
        pass
    try:
        while head := _read_exactly(proc.stdout, HEADER.size):
            if len(head) < HEADER.size:
                break
            size, n_lines, n_tabs, first, bytes_read = HEADER.unpack(head)
            newlines = memoryview(_read_exactly(proc.stdout, 4 * n_lines)).cast("I")
            block = _read_exactly(proc.stdout, size)
            if len(block) < size or len(newlines) < n_lines:
                break
            yield block, newlines, n_tabs, first, bytes_read
        err = proc.stderr.read().decode("utf-8", "replace").strip()
        if proc.wait() != 0:
            kind, _, rest = err.splitlines()[-1].partition("\t") if err else ("FILE", "", f"exit status {proc.returncode}")
            if kind == "LINE":
                line, _, message = rest.partition("\t")
                raise DataError([Issue(name, int(line), None, message)])
            raise DataError([Issue(name, None, None, rest or err)])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def _read_exactly(pipe, n: int) -> bytes:
    """``n`` bytes from ``pipe``, or fewer at its end."""
    parts, got = [], 0
    while got < n:
        part = pipe.read(n - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _pick_frame(name: str, block: bytes, newlines: memoryview, n_tabs: int, first: int, token: bytes, tabs: int,
                columns: tuple[int, ...] | None, bytes_read: int, max_line: int) -> Candidates:
    """:func:`_pick` for a frame whose newlines and tabs the child process has counted."""
    from bisect import bisect_left

    n_lines = len(newlines)
    if n_tabs != tabs * n_lines:  # a ragged row, or a blank line (allowed)
        issues = _ragged(name, block, first, tabs)
        if issues:
            raise DataError(issues)
    pieces: list[bytes] = []
    lines: list[int] = []
    n, end = len(token), len(block)
    i = block.find(token)
    while i != -1:
        if (i == 0 or block[i - 1] in _BEFORE) and block[i + n] in _AFTER:
            k = bisect_left(newlines, i)  # the line's 0-based index in this frame
            e = newlines[k]
            line = block[(newlines[k - 1] + 1 if k else 0):e + 1]
            cells = line.split(b"\t")
            if len(cells) != tabs + 1:  # exact for every candidate, whatever the frame's total said
                raise DataError([_ragged_issue(name, first + k, len(cells), tabs)])
            if columns is None or any(token in cells[c] for c in columns):
                pieces.append(line)
                lines.append(first + k)
            i = block.find(token, e + 1, end)
        else:  # part of a longer number (1408.5, 4082): not a cell that reads as the token
            i = block.find(token, i + 1, end)
    return Candidates(b"".join(pieces), lines, first - 1 + n_lines, bytes_read)


def _pick(name: str, buf: bytes, start: int, end: int, first: int, token: bytes, tabs: int,
          columns: tuple[int, ...] | None, bytes_read: int, max_line: int = 1 << 20) -> Candidates:
    """Check the whole lines ``buf[start:end]`` (the first is line ``first``) and pick those holding ``token``.

    Newlines and tabs are counted with numpy; ``token`` is found with ``bytes.find``, and
    a hit counts only where it is a whole number in its cell (:data:`_BEFORE`,
    :data:`_AFTER`), so a value such as ``1408.5`` costs no parsing; after a hit the
    search jumps to the end of its line.
    """
    import numpy as np

    if end <= start:
        return Candidates(b"", [], first - 1, bytes_read)
    text = np.frombuffer(buf, np.uint8, end - start, start)
    newlines = np.flatnonzero(text == _NL) + start  # positions in buf; the last is end - 1
    lengths = np.diff(newlines, prepend=start - 1)  # bytes of each line, newline included
    if len(lengths) and int(lengths.max()) > max_line:
        raise _too_long(name, first + int(np.argmax(lengths > max_line)), max_line)
    if np.count_nonzero(text == _TAB) != tabs * len(newlines):  # a ragged row, or a blank line (allowed)
        issues = _ragged(name, buf[start:end], first, tabs)
        if issues:
            raise DataError(issues)
    ends: list[int] = []  # position of the newline ending each line that holds token
    n = len(token)
    i = buf.find(token, start, end)
    while i != -1:
        if (i == start or buf[i - 1] in _BEFORE) and buf[i + n] in _AFTER:
            e = buf.find(b"\n", i, end)
            ends.append(e)
            i = buf.find(token, e + 1, end)
        else:  # part of a longer number (1408.5, 4082): not a cell that reads as the token
            i = buf.find(token, i + 1, end)
    pieces: list[bytes] = []
    lines: list[int] = []
    if ends:
        index = np.searchsorted(newlines, ends)  # the line's 0-based index in this block
        for k, e in zip(index.tolist(), ends):
            line = buf[(newlines[k - 1] + 1 if k else start):e + 1]
            cells = line.split(b"\t")
            if len(cells) != tabs + 1:  # exact for every candidate, whatever the block's total said
                raise DataError([_ragged_issue(name, first + k, len(cells), tabs)])
            if columns is None or any(token in cells[c] for c in columns):
                pieces.append(line)
                lines.append(first + k)
    return Candidates(b"".join(pieces), lines, first - 1 + len(newlines), bytes_read)
