"""Stream a large tab-separated text file (plain or gzip) and pick out the lines that hold a token.

A UN Comtrade bulk file holds millions of records of which a few thousand concern North
Korea. Parsing every field of every record (what a CSV reader does) costs far more than
decompressing the file, so :func:`candidate_lines` does the cheap part first and parses
only the few lines that may matter.

How a file is read
------------------
- **Two threads, both busy.** A reading thread (:class:`_Prefetch`) inflates the file
  with ISA-L's gzip reader (:mod:`isal.igzip`, in pieces of :data:`CHUNK` bytes of text)
  and hands the pieces over through a queue of at most :data:`_QUEUED` pieces; the
  calling thread checks and searches them. The reader inflates straight into each piece
  with the interpreter released and needs it back only between two reads of compressed
  data, and the search is compiled code that releases it too, so on two cores the
  threads run side by side. While a file is read, a thread that holds the interpreter is
  asked to hand it over after :data:`_SWITCH` seconds rather than Python's default 5 ms.
  Memory is a few pieces, whatever the size of the file.
- **One pass of compiled code per piece** (:class:`_CompiledCounter`, the C module
  :mod:`analysis.ingest._linescan`): it counts line breaks and tabs and finds every place
  the token stands as a whole number in its cell (16 places at a time where the
  processor has SSE2). Where the module was not built (no C compiler when the package
  was installed) :class:`_NumpyCounter` does the same with numpy, block by block
  (:data:`_BLOCK` bytes), about twice as slowly and after numpy's import; the tests run
  both and check that they agree.
- **Whole lines only.** A piece is cut after its last line break; the rest is carried
  over to the next piece (a line that straddles two pieces is checked and searched as
  one small buffer). A last line without a line break gets one.
- **Every line is checked, in bulk.** Per piece, from the counts: the number of
  line breaks (for line numbers and progress) and the number of tabs; a total other than
  (fields - 1) x lines means a ragged line, and only then is the piece split into lines to
  name it (blank lines are allowed and skipped). A line longer than ``max_line`` bytes is
  an error: every window of ``max_line // 2`` bytes of a piece must hold a line break
  (``bytes.find``, which stops at the first one), and only when one does not are the line
  lengths measured. A carried-over partial line longer than ``max_line`` stops the read,
  so a file without line breaks fails after ``max_line`` bytes.
- **Only candidate lines are parsed.** A hit of the token (``408``) counts only where it
  is a whole number in its cell (:data:`_BEFORE`, :data:`_AFTER`), so a value such as ``1408.5``
  costs nothing. Each remaining line is split into cells, its number of fields checked
  exactly, and kept when one of the given columns contains the token; the caller applies
  the exact rule to those few lines.

A chunk whose tab total is right although one line has a tab too many and another one too
few passes the bulk check; it is caught when either line is a candidate. Line numbers are
1-based physical lines (the header is line 1). A gzip file may have several members (as
``pigz`` or ``bgzip`` write them); a truncated one, or bytes after the last one that are
not gzip, is an error (NUL bytes after the last member are padding and are skipped, as
``gzip -d`` does). Measured speeds, against inflating alone, are kept in
``docs/performance.md`` (``make bench``), not here.
"""

from __future__ import annotations

import gzip
import io
import queue
import sys
import threading
from collections import namedtuple
from pathlib import Path
from collections.abc import Iterator

from ..errors import DataError, Issue
from ..paths import display

#: Bytes of text inflated and searched at a time (the last partial line is carried over).
CHUNK = 4 << 20
_READ = 1 << 20  # at most this many compressed bytes per read (ISA-L's reader asks for 512 KiB)
_QUEUED = 4  # inflated pieces that may wait for the searching thread (it imports numpy while the first ones come)
#: How long the searching thread may hold the interpreter while the reading thread waits for it (seconds).
_SWITCH = 0.0001
#: A cell that reads as the token, spaces stripped, has one of these just before the token
#: (a tab, a space, a sign, a leading zero, or the start of the line) and one of these just after it.
_BEFORE = b"\t\n +0"
_AFTER = b"\t \r\n"
_NL, _TAB = ord("\n"), ord("\t")


class Candidates(namedtuple("Candidates", ["text", "lines", "lines_scanned", "bytes_read"])):
    """The candidate lines of one chunk: ``text`` (bytes, each line ending in a newline) and their
    1-based line numbers (``lines``); ``lines_scanned``, the lines of the file read so far,
    header included; ``bytes_read``, the bytes of the file as stored (compressed or not) read so far."""

    __slots__ = ()


class _Limited(io.RawIOBase):
    """A binary file read at most ``limit`` bytes per call (tests use this to cut gzip data anywhere)."""

    def __init__(self, fh: io.BufferedIOBase, limit: int) -> None:
        self.fh, self.limit = fh, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        with memoryview(buffer) as view:
            return self.fh.readinto(view[: self.limit])


def _text_chunks(path: Path, chunk: int, read: int) -> Iterator[tuple[bytes, int]]:
    """The text of ``path`` (inflated if it ends in ``.gz``) in pieces of at most ``chunk`` bytes,
    each with the bytes of the file (as stored) read so far."""
    name = display(path)
    if not path.exists():
        raise DataError([Issue(name, None, None, "file does not exist")])
    with open(path, "rb") as fh:
        if not path.name.endswith(".gz"):
            while data := fh.read(chunk):
                yield data, fh.tell()
            return
        yield from _inflated(name, fh, chunk, read)


def _inflated(name: str, fh: io.BufferedIOBase, chunk: int, read: int) -> Iterator[tuple[bytes, int]]:
    """The text of the gzip file ``fh`` (every member), in pieces of at most ``chunk`` bytes.

    ISA-L's gzip reader inflates straight into each piece and holds the interpreter only
    between two reads of compressed data, so the searching thread keeps it meanwhile.
    """
    from isal import igzip, isal_zlib

    with igzip.IGzipFile(fileobj=_Limited(fh, read), mode="rb") as gz:
        while True:
            try:
                out = gz.read(chunk)
            except EOFError:
                raise DataError([Issue(name, None, None, "the gzip file ends early (truncated download?)")]) from None
            except (gzip.BadGzipFile, isal_zlib.error) as exc:
                raise DataError([Issue(name, None, None, f"not a readable gzip file ({exc})")]) from None
            if not out:
                return
            yield out, fh.tell()


_END = object()


class _Prefetch:
    """The items of ``pieces``, produced by another thread (started at once) at most ``depth`` items ahead.

    Iterate to get the items; an exception in the producer is raised there, in the
    consumer. :meth:`close` (the consumer stopped early: an error, a closed generator, or
    simply done) stops the producer and waits for its thread to end.
    """

    def __init__(self, pieces: Iterator, depth: int) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._produce, args=(pieces,), name="inflate bulk file", daemon=True)
        self._worker.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self, pieces: Iterator) -> None:
        try:
            for item in pieces:
                if not self._put((item, None)):
                    return
            self._put((_END, None))
        except BaseException as exc:  # handed to the consumer, which raises it
            self._put((_END, exc))
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:  # a generator stopped early closes its file now, in this thread
                close()

    def __iter__(self) -> Iterator:
        while True:
            item, exc = self._queue.get()
            if item is _END:
                if exc is not None:
                    raise exc
                return
            yield item

    def close(self) -> None:
        self._stop.set()
        while self._worker.is_alive():
            try:
                self._queue.get(timeout=0.1)
            except queue.Empty:
                pass
        self._worker.join()


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


_BLOCK = 1 << 18  # bytes the numpy counter checks at a time: its work arrays stay in the processor's cache


def _table(allowed: bytes) -> bytes:
    """A 256-byte table: byte ``c`` is 1 when ``c`` is in ``allowed``."""
    return bytes(1 if c in allowed else 0 for c in range(256))


class _CompiledCounter:
    """Line breaks, tabs and token hits in one pass of compiled code (:mod:`analysis.ingest._linescan`).

    The loop runs with the interpreter released, so the reading thread inflates meanwhile.
    """

    name = "compiled"

    def __init__(self, token: bytes) -> None:
        from . import _linescan

        self._scan = _linescan.scan
        self.token, self.before, self.after = token, _table(_BEFORE), _table(_AFTER)

    def __call__(self, buf: bytes, start: int, end: int) -> tuple[int, int, list[tuple[int, int]]]:
        return self._scan(buf, start, end, self.token, self.before, self.after)


class _NumpyCounter:
    """The same counts and hits as :class:`_CompiledCounter`, with numpy (used when the compiled module is not built).

    Block by block (:data:`_BLOCK` bytes, so the three work arrays stay in cache): the
    line breaks and tabs are counted, and the token's hits are the positions where its
    bytes follow one another with an allowed byte on either side.
    """

    name = "numpy"

    def __init__(self, token: bytes) -> None:
        import numpy as np

        self.np, self.token = np, token
        size = _BLOCK + len(token)
        self.is_nl, self.work, self.hit = (np.empty(size, bool) for _ in range(3))
        self.before, self.after = np.zeros(256, bool), np.zeros(256, bool)  # bytes allowed around the token
        self.before[list(_BEFORE)] = True
        self.after[list(_AFTER)] = True

    def __call__(self, buf: bytes, start: int, end: int) -> tuple[int, int, list[tuple[int, int]]]:
        np = self.np
        n = end - start
        text = np.frombuffer(buf, np.uint8, n, start)
        k = len(self.token)
        n_lines = n_tabs = 0
        found: list[tuple[int, int]] = []
        for b in range(0, n, _BLOCK):
            e = min(b + _BLOCK, n)
            is_nl = self.is_nl[:e - b]
            np.equal(text[b:e], _NL, out=is_nl)
            before_block = n_lines
            n_lines += int(np.count_nonzero(is_nl))
            work = self.work[:e - b]
            np.equal(text[b:e], _TAB, out=work)
            n_tabs += int(np.count_nonzero(work))
            counted, lines = 0, before_block  # line breaks in is_nl[:counted] and earlier blocks
            for at in self._hits(text, b, min(e + k - 1, n)):  # position in the block
                lines += int(np.count_nonzero(is_nl[counted:at]))
                counted = at
                found.append((start + b + at, lines))
        return n_lines, n_tabs, found

    def _hits(self, text, b: int, e: int) -> list[int]:
        """Where the token starts in ``text[b:e]`` as a whole number in its cell, as positions from ``b``."""
        np = self.np
        token = self.token
        k = len(token)
        m = e - b - k + 1
        if m <= 0:
            return []
        hit, work = self.hit[:m], self.work[:m]
        np.equal(text[b:b + m], token[0], out=hit)
        for j in range(1, k):
            np.equal(text[b + j:b + j + m], token[j], out=work)
            np.logical_and(hit, work, out=hit)
        pos = np.flatnonzero(hit)
        if not len(pos):
            return []
        pos += b
        # a whole number in its cell: the token's neighbours are separators, spaces, a sign or a
        # leading zero (the text starts a line; a whole line ends in a line break, so the byte
        # after a token is always there)
        before = text[pos - 1] if pos[0] > 0 else np.concatenate(([_NL], text[pos[1:] - 1]))
        pos = pos[self.before[before] & self.after[text[pos + k]]]
        return (pos - b).tolist()


def _counter_class() -> type[_CompiledCounter] | type[_NumpyCounter]:
    """The compiled counter when :mod:`analysis.ingest._linescan` was built, else the numpy one."""
    try:
        from . import _linescan  # noqa: F401
    except ImportError:
        return _NumpyCounter
    return _CompiledCounter


def _counter(token: bytes) -> _CompiledCounter | _NumpyCounter:
    return _counter_class()(token)


def scanner_name() -> str:
    """Which counter this installation uses: ``compiled`` or ``numpy`` (``make bench`` prints it)."""
    return _counter_class().name


class _Scanner:
    """Checks and searches whole lines of text: counts and hits from ``counter``, the rules here."""

    def __init__(self, name: str, token: bytes, fields: int, columns: tuple[int, ...] | None, max_line: int) -> None:
        self.name, self.token, self.tabs, self.columns, self.max_line = name, token, fields - 1, columns, max_line
        self.window = max(1, max_line // 2)
        self.count = _counter(token)

    def scan(self, buf: bytes, start: int, end: int, first: int, bytes_read: int) -> Candidates:
        """Check the whole lines ``buf[start:end]`` (the first is line ``first``; ``buf[end - 1]`` is a
        line break) and pick the candidate lines."""
        if end - start <= 0:
            return Candidates(b"", [], first - 1, bytes_read)
        n_lines, n_tabs, hits = self.count(buf, start, end)
        if n_tabs != self.tabs * n_lines:  # a ragged row, or a blank line (allowed)
            issues = _ragged(self.name, buf[start:end], first, self.tabs)
            if issues:
                raise DataError(issues)
        if end - start > self.window:  # a line longer than max_line leaves a window without a line break
            for w in range(start, end, self.window):
                if buf.find(b"\n", w, min(w + self.window, end)) == -1:
                    for i, line in enumerate(buf[start:end].split(b"\n")):
                        if len(line) + 1 > self.max_line:
                            raise _too_long(self.name, first + i, self.max_line)
                    break
        pieces: list[bytes] = []
        lines_kept: list[int] = []
        next_line = start  # hits before this position are in a line already taken
        for i, lines_before in hits:
            if i < next_line:
                continue
            lo = buf.rfind(b"\n", start, i) + 1 or start
            hi = buf.find(b"\n", i, end)
            next_line = hi + 1
            line = buf[lo:hi + 1]
            cells = line.split(b"\t")
            line_no = first + lines_before
            if len(cells) != self.tabs + 1:  # exact for every candidate, whatever the chunk's total said
                raise DataError([_ragged_issue(self.name, line_no, len(cells), self.tabs)])
            if self.columns is None or any(self.token in cells[c] for c in self.columns):
                pieces.append(line)
                lines_kept.append(line_no)
        return Candidates(b"".join(pieces), lines_kept, first - 1 + n_lines, bytes_read)


def candidate_lines(path: Path | str, token: bytes, fields: int, columns: tuple[int, ...] | None = None,
                    max_line: int = 1 << 20, chunk: int | None = None, read: int | None = None) -> Iterator[Candidates]:
    """The lines after the header that contain ``token``, chunk by chunk, from a tab-separated file.

    With ``columns`` (0-based field positions), only lines where one of those fields
    contains ``token`` (as a whole number in its cell somewhere on the line). ``fields``
    is the header's number of fields; a line with another number of fields, or longer
    than ``max_line`` bytes, raises :class:`DataError` naming the line. ``chunk`` and
    ``read`` (default :data:`CHUNK`, :data:`_READ`) are the bytes of text searched and of
    file read at a time; tests make them tiny. Yields one :class:`Candidates` per piece
    (possibly with no lines, so that a caller can show progress).
    """
    path = Path(path)
    name = display(path)
    chunk = chunk or CHUNK
    read = read or _READ
    interval = sys.getswitchinterval()
    # the reading thread needs the interpreter only for a moment between two pieces; let it
    # have it soon rather than after the default 5 ms
    sys.setswitchinterval(min(interval, _SWITCH))
    try:
        yield from _candidate_lines(path, name, token, fields, columns, max_line, chunk, read)
    finally:
        sys.setswitchinterval(interval)


def _candidate_lines(path: Path, name: str, token: bytes, fields: int, columns: tuple[int, ...] | None,
                     max_line: int, chunk: int, read: int) -> Iterator[Candidates]:
    pieces = _Prefetch(_text_chunks(path, chunk, read), _QUEUED)  # inflating starts now, while numpy is imported
    carry: list[bytes] = []  # a line begun in earlier pieces
    carried = 0
    line_no = 0  # physical lines completed so far
    header_done = False
    bytes_read = 0
    try:
        scanner = _Scanner(name, token, fields, columns, max_line)
        for data, bytes_read in pieces:
            nl = data.find(b"\n")
            if nl == -1:
                carry.append(data)
                carried += len(data)
                if carried > max_line:
                    raise _too_long(name, line_no + 1, max_line)
                continue
            if carried + nl + 1 > max_line:
                raise _too_long(name, line_no + 1, max_line)
            if not header_done:  # the header: checked by the caller, never a candidate
                line_no, header_done = 1, True
            else:
                head = b"".join(carry) + data[: nl + 1] if carry else data[: nl + 1]
                found = scanner.scan(head, 0, len(head), line_no + 1, bytes_read)
                line_no = found.lines_scanned
                if found.lines:
                    yield found
            end = data.rfind(b"\n") + 1
            carry, carried = ([data[end:]], len(data) - end) if end < len(data) else ([], 0)
            if carried > max_line:
                raise _too_long(name, line_no + 1 + data.count(b"\n", nl + 1, end), max_line)
            found = scanner.scan(data, nl + 1, end, line_no + 1, bytes_read)
            line_no = found.lines_scanned
            yield found
        if carry and header_done:  # a last line without a line break
            last = b"".join(carry) + b"\n"
            yield scanner.scan(last, 0, len(last), line_no + 1, bytes_read)
    finally:
        pieces.close()
