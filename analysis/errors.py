"""Errors a user can act on: each problem names the file, the row, the column and the rule."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in one place. ``line`` is the 1-based line in the file (the header is line 1)."""

    file: str
    line: int | None
    column: str | None
    rule: str
    value: str | None = None

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

    def render(self) -> str:
        n = len(self.issues)
        head = f"{n} problem{'s' if n != 1 else ''} in the input data:"
        return "\n".join([head, *(f"  - {issue}" for issue in self.issues)])


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
