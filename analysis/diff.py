"""What changed in the published tables between a git ref and the work tree (``nkflows diff``).

Each table is compared by its key (the ``unique`` columns of its schema in
:mod:`analysis.schemas`): rows whose key is new are *added*, rows whose key is gone are
*removed*, rows whose key is in both but whose other cells differ are *changed*. Cells are
compared as the text the CSV holds, so ``2706`` and ``2706.0`` differ exactly when the
published file changed. Every change to a preferred series (``SERIES_TABLES``) is listed
row by row; for the other tables the counts are given with the changed columns.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from .datapackage import PUBLISHED

#: The preferred series: every change to them is listed.
SERIES_TABLES = ("defector_arrivals_annual", "trade_annual", "trade_monthly")


class DiffError(Exception):
    """A diff that cannot be made; ``exit_code`` 2 for a bad argument (an unknown ref or table), 1 otherwise."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class TableDiff:
    name: str
    key: list[str]
    rows_before: int | None  # None: the table did not exist at the ref
    rows_after: int | None
    added: pl.DataFrame
    removed: pl.DataFrame
    changed: list[tuple[dict, dict[str, tuple[str | None, str | None]]]]  # (key, {column: (before, after)})
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not (self.added.height or self.removed.height or self.changed or self.columns_added or self.columns_removed
                    or self.rows_before is None or self.rows_after is None)


def _git(repo: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise DiffError("git is not installed; nkflows diff reads the tables at the ref from git") from None
    if done.returncode != 0:
        raise DiffError(done.stderr.decode("utf-8", "replace").strip() or f"git {' '.join(args)} failed")
    return done.stdout


def _read(data: bytes, where: str) -> pl.DataFrame:
    try:
        return pl.read_csv(io.BytesIO(data), infer_schema=False)
    except Exception as exc:  # polars raises several exception types for a malformed CSV
        raise DiffError(f"{where}: cannot be read as CSV ({exc.__class__.__name__}: {exc})") from None


def _ordered(frame: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """Rows in key order, numbers as numbers (month 2 before month 10), text as text."""
    by = [e for k in key for e in (pl.col(k).cast(pl.Float64, strict=False), pl.col(k))]
    return frame.sort(by, nulls_last=False) if frame.height else frame


def compare(name: str, before: pl.DataFrame | None, after: pl.DataFrame | None, key: list[str]) -> TableDiff:
    """Compare two versions of one table (read as text) by ``key``."""
    empty = pl.DataFrame()
    if before is None or after is None:
        return TableDiff(name, key, None if before is None else before.height, None if after is None else after.height,
                         after if before is None and after is not None else empty,
                         before if after is None and before is not None else empty, [])
    cols_added = [c for c in after.columns if c not in before.columns]
    cols_removed = [c for c in before.columns if c not in after.columns]
    if not all(k in before.columns and k in after.columns for k in key):
        # the key itself changed: every row is new
        return TableDiff(name, key, before.height, after.height, after, before, [], cols_added, cols_removed)
    common = [c for c in after.columns if c in before.columns and c not in key]
    added = after.join(before.select(key), on=key, how="anti", nulls_equal=True)
    removed = before.join(after.select(key), on=key, how="anti", nulls_equal=True)
    both = before.select([*key, *common]).join(after.select([*key, *common]), on=key, how="inner", nulls_equal=True, suffix="__after")
    changed = []
    if common and both.height:
        differs = pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"{c}__after")) for c in common)
        for row in _ordered(both.filter(differs), key).iter_rows(named=True):
            cells = {c: (row[c], row[f"{c}__after"]) for c in common if row[c] != row[f"{c}__after"]}
            changed.append(({k: row[k] for k in key}, cells))
    return TableDiff(name, key, before.height, after.height, _ordered(added, key), _ordered(removed, key),
                     changed, cols_added, cols_removed)


def diff_against(ref: str, processed: Path, tables: list[str] | None = None) -> list[TableDiff]:
    """Every published table (or those named) at git ``ref`` compared with the files in ``processed``."""
    names = tables or list(PUBLISHED)
    unknown = [n for n in names if n not in PUBLISHED]
    if unknown:
        raise DiffError(f"no published table is called {', '.join(unknown)}; the tables are: {', '.join(PUBLISHED)}", 2)
    processed = Path(processed).resolve()
    if not processed.is_dir():
        raise DiffError(f"{processed} is not a folder")
    try:
        top = Path(_git(processed, "rev-parse", "--show-toplevel").decode().strip())
    except DiffError:
        raise DiffError(f"{processed} is not inside a git repository: nkflows diff compares it with the tables committed at a ref") from None
    try:
        commit = _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
    except DiffError:
        raise DiffError(f"{ref!r} is not a commit, branch or tag of {top}", 2) from None
    rel = processed.relative_to(top).as_posix()
    at_ref = set(_git(top, "ls-tree", "--name-only", commit, f"{rel}/").decode().split())
    out = []
    for name in names:
        path = f"{rel}/{name}.csv"
        before = _read(_git(top, "show", f"{commit}:{path}"), f"{ref}:{path}") if path in at_ref else None
        now = processed / f"{name}.csv"
        after = _read(now.read_bytes(), str(now)) if now.is_file() else None
        if before is None and after is None:
            continue
        key = list(PUBLISHED[name].to_schema().unique or [])
        out.append(compare(name, before, after, key))
    return out


def _key_text(key: dict) -> str:
    return ", ".join(f"{k}={'' if v is None else v}" for k, v in key.items())


def _cells(cells: dict) -> str:
    return "; ".join(f"{c}: {'(empty)' if a is None else a} -> {'(empty)' if b is None else b}" for c, (a, b) in cells.items())


def _values(row: dict, key: list[str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in row.items() if k not in key and v is not None)


def _row_text(row: dict, key: list[str]) -> str:
    rest = _values(row, key)
    return _key_text({k: row.get(k) for k in key}) + (f": {rest}" if rest else "")


def _summary(d: TableDiff) -> str:
    if d.rows_before is None:
        return f"new table ({d.rows_after} rows)"
    if d.rows_after is None:
        return f"table removed (had {d.rows_before} rows)"
    parts = [f"{d.rows_before} -> {d.rows_after} rows", f"{d.added.height} added", f"{d.removed.height} removed", f"{len(d.changed)} changed"]
    if d.columns_added:
        parts.append("new columns " + ", ".join(d.columns_added))
    if d.columns_removed:
        parts.append("columns removed " + ", ".join(d.columns_removed))
    return ", ".join(parts)


def _changed_columns(d: TableDiff) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, cells in d.changed:
        for c in cells:
            counts[c] = counts.get(c, 0) + 1
    return dict(sorted(counts.items()))


def render_text(diffs: list[TableDiff], ref: str) -> str:
    lines = [f"Published tables at {ref} -> work tree"]
    for d in diffs:
        lines += ["", f"{d.name}: {'unchanged' if d.unchanged else _summary(d)}"]
        if d.unchanged:
            continue
        if d.name in SERIES_TABLES:
            lines += [f"  + {_row_text(r, d.key)}" for r in d.added.iter_rows(named=True)]
            lines += [f"  - {_row_text(r, d.key)}" for r in d.removed.iter_rows(named=True)]
            lines += [f"  ~ {_key_text(k)}: {_cells(c)}" for k, c in d.changed]
        elif d.changed:
            lines.append("  changed columns: " + ", ".join(f"{c} ({n})" for c, n in _changed_columns(d).items()))
    return "\n".join(lines) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(diffs: list[TableDiff], ref: str) -> str:
    """A fragment for the CHANGELOG: one line per table, and a table of every change to a preferred series."""
    lines = [f"Data revisions against `{ref}` (`nkflows diff {ref}`):", ""]
    for d in diffs:
        summary = "unchanged" if d.unchanged else _summary(d)
        extra = ""
        if d.changed and d.name not in SERIES_TABLES:
            extra = " (columns: " + ", ".join(f"`{c}` {n}" for c, n in _changed_columns(d).items()) + ")"
        lines.append(f"- `{d.name}`: {summary}{extra}")
    for d in diffs:
        if d.name not in SERIES_TABLES or d.unchanged:
            continue
        lines += ["", f"Changes to `{d.name}`:", "", "| change | key | values |", "|---|---|---|"]
        lines += [f"| added | {_md_cell(_key_text({k: r.get(k) for k in d.key}))} | {_md_cell(_values(r, d.key))} |"
                  for r in d.added.iter_rows(named=True)]
        lines += [f"| removed | {_md_cell(_key_text({k: r.get(k) for k in d.key}))} | {_md_cell(_values(r, d.key))} |"
                  for r in d.removed.iter_rows(named=True)]
        lines += [f"| changed | {_md_cell(_key_text(k))} | {_md_cell(_cells(c))} |" for k, c in d.changed]
    return "\n".join(lines) + "\n"
