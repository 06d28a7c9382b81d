"""Inflate a gzip file to standard output with ISA-L: the first stage of ``nkflows ingest-bulk``.

Run as ``python -m analysis.ingest.comtrade_inflate FILE``, it lets
:func:`analysis.ingest.linescan.candidate_lines` search one piece of text on one core
while the next piece is being inflated on the other. Several gzip members (as ``pigz``
and ``bgzip`` write them) are read in turn. A file that is not gzip, or that ends inside
a member, is an error: a message on standard error and exit status 2, so that the reader
never takes a truncated text for a whole one.
"""

from __future__ import annotations

import sys

from isal import isal_zlib

_READ = 1 << 20  # compressed bytes read at a time
_OUT = 4 << 20  # inflated bytes written at a time


def inflate(path: str, out) -> None:
    d = isal_zlib.decompressobj(31)  # 31: a gzip member
    fed = False  # the current member has received input
    with open(path, "rb") as fh:
        while data := fh.read(_READ):
            while data:
                fed = True
                out.write(d.decompress(data, _OUT))
                if d.eof:  # the end of a member: another may follow
                    data, d, fed = d.unused_data, isal_zlib.decompressobj(31), False
                else:
                    data = d.unconsumed_tail
    if fed:
        raise EOFError("the gzip file ends early (truncated download?)")


def main(argv: list[str] | None = None) -> int:
    (path,) = argv or sys.argv[1:]
    try:
        inflate(path, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    except BrokenPipeError:  # the reader stopped (it found a problem and says so)
        return 1
    except (isal_zlib.error, EOFError, OSError) as exc:
        print(f"{exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
