"""Errors a user can act on: each problem names the file, the row, the column and the rule."""

from __future__ import annotations

import re
import signal
from collections import Counter, namedtuple

#: How many problems of one kind a message lists before it gives only their count.
SHOW_PER_KIND = 20


class Issue(namedtuple("Issue", ["file", "line", "column", "rule", "value"], defaults=[None])):
    """One problem in one place: ``file`` (str), ``line`` (int or None), ``column`` (str or None),
    ``rule`` (str) and the ``value`` found (str or None).

    ``line`` is the 1-based line in the file (the header is line 1). Issues are immutable,
    compare equal field by field and can be put in a set. (A named tuple rather than a
    dataclass: importing ``dataclasses`` costs every command about 10 ms at start.)
    """

    __slots__ = ()

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column:
            where += f", column '{self.column}'"
        got = f" (found: {self.value!r})" if self.value is not None else ""
        return f"{where}: {self.rule}{got}"


class DataError(Exception):
    """Raised when input data break one or more rules. Carries every problem found, not just the first."""

    def __init__(self, issues: list[Issue]):
        self.issues = sorted(set(issues), key=lambda i: (i.file, i.line or 0, i.column or "", i.rule))
        super().__init__(self.render())

    def __reduce__(self):  # rebuilt from its issues (an error raised in a worker process reaches the caller whole)
        return (DataError, (self.issues,))

    def render(self, per_kind: int = SHOW_PER_KIND) -> str:
        """Every problem, except that past ``per_kind`` problems of one kind (same file and rule,
        numbers aside) only their count is given."""
        n = len(self.issues)
        head = f"{n} problem{'s' if n != 1 else ''} in the input data:"
        shown: Counter = Counter()
        lines, hidden = [head], Counter()
        for issue in self.issues:
            kind = (issue.file, _kind(issue.rule))
            shown[kind] += 1
            if shown[kind] <= per_kind:
                lines.append(f"  - {issue}")
            else:
                hidden[kind] += 1
        for (file, rule), k in sorted(hidden.items()):
            lines.append(f"  ... and {k} more problem{'s' if k != 1 else ''} of the kind '{rule}' in {file}")
        return "\n".join(lines)


def _kind(rule: str) -> str:
    """A rule with its numbers blanked and cut short: problems of one kind share it."""
    text = re.sub(r"\d+", "N", rule)
    return text if len(text) <= 80 else text[:77] + "..."


class ModelError(RuntimeError):
    """A model could not be fitted to the data it was given; the message says why."""


class OutputError(Exception):
    """An output could not be written (a full disk, a read-only folder, a file where a folder should be).
    The message names the path and the reason, and says what was left."""


class Interrupted(BaseException):
    """SIGTERM or SIGINT arrived. A BaseException, like KeyboardInterrupt, so that no ``except Exception``
    swallows it; cleanup in ``finally`` blocks runs. ``switched``: the new set was already in place."""

    def __init__(self, signum: int, switched: bool = False):
        self.signum = signum
        self.switched = switched
        super().__init__(signum)

    @property
    def name(self) -> str:
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return f"signal {self.signum}"


class IssueLog:
    """Collects issues while a stage runs; ``raise_if_any`` ends the stage with all of them."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def add(self, file: str, line: int | None, column: str | None, rule: str, value: object = None) -> None:
        self.issues.append(Issue(file, line, column, rule, None if value is None else str(value)))

    def extend(self, issues: list[Issue]) -> None:
        self.issues.extend(issues)

    def __bool__(self) -> bool:
        return bool(self.issues)

    def raise_if_any(self) -> None:
        if self.issues:
            raise DataError(self.issues)
