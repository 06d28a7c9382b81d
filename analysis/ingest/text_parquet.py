"""A Parquet writer for tables of text columns and whole numbers, in the standard library alone.

``nkflows ingest-bulk`` writes the few rows it keeps from a bulk file of millions. With
pyarrow, importing the writer took longer than reading a million-row file, so the extract
is written here instead: the Parquet format (``PAR1``; the footer in Thrift's compact
protocol), one data page per column per row group, values PLAIN-encoded, pages
compressed with gzip (ISA-L's zlib, which ingest-bulk has loaded to inflate the file).

What it writes, and nothing more:

- ``text`` columns: UTF-8 ``BYTE_ARRAY`` with the ``STRING`` logical type, optional; an
  empty value (``b""``) is written as null, as the extract's rule says.
- ``int64`` columns: required ``INT64``.

Any Parquet reader reads the file (the tests read it with pyarrow and polars and compare
it cell by cell with what pyarrow writes). The format's own definitions are in
``parquet.thrift`` of the Apache Parquet format; the field numbers below are theirs.
"""

from __future__ import annotations

import io
import itertools
import re
import struct
import sys
from array import array
from pathlib import Path
from collections.abc import Sequence

MAGIC = b"PAR1"
CREATED_BY = "nkflows text_parquet"

# parquet.thrift enums
_BYTE_ARRAY, _INT64 = 6, 2  # Type
_REQUIRED, _OPTIONAL = 0, 1  # FieldRepetitionType
_UTF8 = 0  # ConvertedType
_PLAIN, _RLE = 0, 3  # Encoding
_GZIP = 2  # CompressionCodec
_DATA_PAGE = 0  # PageType

# Thrift compact protocol types
_I32, _I64, _BINARY, _LIST, _STRUCT = 5, 6, 8, 9, 12

_LENGTH = struct.Struct("<I").pack


# ---------------------------------------------------------------------------- Thrift compact protocol
def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _zigzag(n: int) -> bytes:
    return _varint((n << 1) ^ (n >> 63))


class _Struct:
    """A Thrift struct in the compact protocol, field by field in increasing field id."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.last = 0

    def _head(self, fid: int, ttype: int) -> None:
        delta = fid - self.last
        if not 0 < delta <= 15:
            raise ValueError(f"thrift fields must be written in increasing order (field {fid} after {self.last})")
        self.out.append(delta << 4 | ttype)
        self.last = fid

    def i32(self, fid: int, v: int) -> _Struct:
        self._head(fid, _I32)
        self.out += _zigzag(v)
        return self

    def i64(self, fid: int, v: int) -> _Struct:
        self._head(fid, _I64)
        self.out += _zigzag(v)
        return self

    def binary(self, fid: int, v: bytes) -> _Struct:
        self._head(fid, _BINARY)
        self.out += _varint(len(v)) + v
        return self

    def struct(self, fid: int, v: _Struct) -> _Struct:
        self._head(fid, _STRUCT)
        self.out += v.end()
        return self

    def list(self, fid: int, etype: int, items: Sequence) -> _Struct:
        """A list of i32 (``items`` ints), binary (bytes) or struct (:class:`_Struct`) elements."""
        self._head(fid, _LIST)
        n = len(items)
        self.out += bytes([n << 4 | etype]) if n < 15 else bytes([0xF0 | etype]) + _varint(n)
        for item in items:
            if etype == _I32:
                self.out += _zigzag(item)
            elif etype == _BINARY:
                self.out += _varint(len(item)) + item
            else:
                self.out += item.end()
        return self

    def end(self) -> bytes:
        return bytes(self.out) + b"\x00"


# ---------------------------------------------------------------------------- pages
_RUN = re.compile(rb"\x01+|\x00+")


def _levels(values: Sequence[bytes]) -> bytes:
    """The definition levels of an optional column (1 = present, 0 = null: an empty value),
    RLE-encoded run by run and prefixed by their length, as data page v1 stores them."""
    flags = bytes(map(bool, values))  # one byte per value, 1 where it is present
    runs = b"".join(_varint((m.end() - m.start()) << 1) + m.group()[:1] for m in _RUN.finditer(flags))
    return _LENGTH(len(runs)) + runs


def _text_page(values: Sequence[bytes]) -> tuple[bytes, int]:
    """(page body, number of values) of a text column: levels, then each present value as length + bytes."""
    present = [v for v in values if v] if not all(values) else values
    body = b"".join(itertools.chain.from_iterable(zip(map(_LENGTH, map(len, present)), present)))
    return _levels(values) + body, len(values)


def _int64_page(values: array) -> tuple[bytes, int]:
    if values.itemsize != 8:
        raise ValueError("int64 columns take array('q')")
    if sys.byteorder == "big":  # Parquet is little-endian
        values = array("q", values)
        values.byteswap()
    return values.tobytes(), len(values)


class TextParquetWriter:
    """Write row groups of ``columns`` (``(name, "text" | "int64")``) to ``path``; :meth:`close` writes the footer."""

    def __init__(self, path: Path | str, columns: Sequence[tuple[str, str]], level: int = 1) -> None:
        for name, kind in columns:
            if kind not in ("text", "int64"):
                raise ValueError(f"column {name!r}: kind must be 'text' or 'int64', not {kind!r}")
        from isal import isal_zlib  # ingest-bulk has it loaded already; the same zlib interface as the standard library's

        self._compress = isal_zlib.compress
        self.columns = list(columns)
        self.level = level
        self.path = Path(path)
        self._fh: io.BufferedIOBase | None = open(self.path, "wb")
        self._fh.write(MAGIC)
        self._offset = len(MAGIC)
        self._row_groups: list[_Struct] = []
        self.rows = 0

    def write_row_group(self, data: Sequence[Sequence[bytes] | array]) -> None:
        """One row group: one sequence per column, in the order of ``columns``, all of one length
        (``bytes`` for a text column, ``array('q')`` for an int64 column)."""
        if len(data) != len(self.columns):
            raise ValueError(f"a row group needs {len(self.columns)} columns, not {len(data)}")
        n = len(data[0])
        if any(len(values) != n for values in data):
            raise ValueError("every column of a row group must have the same number of rows")
        if n == 0:
            return
        chunks, total = [], 0  # (offset, ColumnMetaData) of each column chunk; bytes before compression
        for (name, kind), values in zip(self.columns, data):
            body, count = _text_page(values) if kind == "text" else _int64_page(values)
            packed = self._compress(body, self.level, 31)  # wbits 31: gzip framing, as the GZIP codec specifies
            header = _Struct().i32(1, _DATA_PAGE).i32(2, len(body)).i32(3, len(packed)).struct(
                5, _Struct().i32(1, count).i32(2, _PLAIN).i32(3, _RLE).i32(4, _RLE)).end()
            start = self._offset
            self._fh.write(header)
            self._fh.write(packed)
            size, unpacked = len(header) + len(packed), len(header) + len(body)
            self._offset += size
            total += unpacked
            meta = (_Struct().i32(1, _BYTE_ARRAY if kind == "text" else _INT64)
                    .list(2, _I32, [_PLAIN, _RLE]).list(3, _BINARY, [name.encode("utf-8")]).i32(4, _GZIP)
                    .i64(5, count).i64(6, unpacked).i64(7, size).i64(9, start))
            chunks.append((start, meta))
        first = chunks[0][0]
        group = (_Struct().list(1, _STRUCT, [_Struct().i64(2, start).struct(3, meta) for start, meta in chunks])
                 .i64(2, total).i64(3, n).i64(5, first).i64(6, self._offset - first))
        self._row_groups.append(group)
        self.rows += n

    def close(self) -> None:
        """Write the footer (schema, row groups) and close the file."""
        if self._fh is None:
            return
        schema = [_Struct().binary(4, b"schema").i32(5, len(self.columns))]
        for name, kind in self.columns:
            if kind == "text":  # STRING logical type (field 10, union member 1: an empty struct)
                schema.append(_Struct().i32(1, _BYTE_ARRAY).i32(3, _OPTIONAL).binary(4, name.encode("utf-8"))
                              .i32(6, _UTF8).struct(10, _Struct().struct(1, _Struct())))
            else:
                schema.append(_Struct().i32(1, _INT64).i32(3, _REQUIRED).binary(4, name.encode("utf-8")))
        footer = (_Struct().i32(1, 1).list(2, _STRUCT, schema).i64(3, self.rows)
                  .list(4, _STRUCT, self._row_groups).binary(6, CREATED_BY.encode()).end())
        self._fh.write(footer + _LENGTH(len(footer)) + MAGIC)
        self._fh.close()
        self._fh = None

    def abort(self) -> None:
        """Close the file without a footer (the caller removes it)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
