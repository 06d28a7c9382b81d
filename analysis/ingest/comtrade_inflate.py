"""The first stage of ``nkflows ingest-bulk``, run as its own process: inflate, cut and count.

``python -m analysis.ingest.comtrade_inflate FILE MAX_LINE [CHUNK READ]`` reads a bulk file (gzip or
plain text), drops its header line (the reader has checked it already) and writes the
rest to standard output as frames of whole lines, each with what the searching process
would otherwise have to compute itself: the position of every newline in the frame and
the number of tabs. So the file is inflated and counted on one core while the other
searches the previous frame (:func:`analysis.ingest.linescan.candidate_lines`).

A frame is a header of five little-endian unsigned 64-bit numbers (bytes of text,
number of lines, number of tabs, number of the frame's first line in the file, bytes of
the file read so far), the newline positions (unsigned 32-bit, from the frame's start),
then the text. A last line without a line break gets one.

Problems end the process with exit status 2 and one line on standard error,
``LINE<tab>N<tab>message`` or ``FILE<tab>message``: a file that is not gzip or ends
inside a gzip member (a truncated download), or a line longer than ``MAX_LINE`` bytes.
Several gzip members (as ``pigz`` and ``bgzip`` write them) are read in turn.
"""

from __future__ import annotations

import struct
import sys
from typing import Iterator

_READ = 1 << 20  # compressed bytes read at a time
CHUNK = 8 << 20  # text inflated at a time
HEADER = struct.Struct("<5Q")


class Problem(Exception):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def pieces(path: str, chunk: int = CHUNK, read: int = _READ) -> Iterator[tuple[bytes, int]]:
    """The file's text in pieces of at most ``chunk`` bytes, with the bytes of the file read so far."""
    with open(path, "rb") as fh:
        if not path.endswith(".gz"):
            while data := fh.read(chunk):
                yield data, fh.tell()
            return
        from isal import isal_zlib

        d = isal_zlib.decompressobj(31)  # 31: a gzip member
        fed = False  # the current member has received input
        while data := fh.read(read):
            while data:
                fed = True
                try:
                    out = d.decompress(data, chunk)
                except isal_zlib.error as exc:
                    raise Problem(f"not a readable gzip file ({exc})") from None
                if out:
                    yield out, fh.tell() - len(d.unconsumed_tail)
                if d.eof:  # the end of a member: another may follow
                    data, d, fed = d.unused_data, isal_zlib.decompressobj(31), False
                else:
                    data = d.unconsumed_tail
        if fed:
            raise Problem("the gzip file ends early (truncated download?)")


def _too_long(line: int, max_line: int) -> Problem:
    return Problem(f"line is longer than {max_line:,} bytes (damaged file, or not a line-based text file); "
                   "reading stopped here so memory stays bounded", line)


def frames(path: str, max_line: int, out, chunk: int = CHUNK, read_size: int = _READ) -> None:
    import numpy as np

    carry = b""
    first = 1  # number of the next line to be sent
    header = True
    read = 0

    def send(block: bytes) -> None:
        nonlocal first
        arr = np.frombuffer(block, np.uint8)
        pos = np.flatnonzero(arr == 10)
        lengths = np.diff(pos, prepend=-1)
        if len(lengths) and int(lengths.max()) > max_line:
            raise _too_long(first + int(np.argmax(lengths > max_line)), max_line)
        tabs = int(np.count_nonzero(arr == 9))
        out.write(HEADER.pack(len(block), len(pos), tabs, first, read))
        out.write(pos.astype("<u4").tobytes())
        out.write(block)
        first += len(pos)

    for piece, read in pieces(path, chunk, read_size):
        data = carry + piece if carry else piece
        if header:
            nl = data.find(b"\n")
            if nl == -1:
                carry = data
                if len(carry) > max_line:
                    raise _too_long(1, max_line)
                continue
            data, header, first = data[nl + 1:], False, 2
        end = data.rfind(b"\n") + 1
        carry = data[end:]
        if len(carry) > max_line:
            raise _too_long(first + data.count(b"\n", 0, end), max_line)
        if end:
            send(data[:end] if end < len(data) else data)
    if carry and not header:
        send(carry + b"\n")


def main(argv: list[str] | None = None) -> int:
    args = argv or sys.argv[1:]
    path, max_line = args[:2]
    sizes = [int(a) for a in args[2:4]]  # optional: text and compressed bytes per piece (tests use small ones)
    try:
        frames(path, int(max_line), sys.stdout.buffer, *sizes)
        sys.stdout.buffer.flush()
    except BrokenPipeError:  # the reader stopped (it found a problem and says so)
        return 1
    except Problem as exc:
        print(f"LINE\t{exc.line}\t{exc}" if exc.line else f"FILE\t{exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"FILE\t{exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
