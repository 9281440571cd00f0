"""At most 100 diagnostics per file: the rest of each code summed up in one.

Owns: `MAX_DIAGNOSTICS_PER_FILE`, `DiagnosticCap` (collects a file's
diagnostics, building only those it keeps) and `cap_per_file` (the same bound
over a finished set, for diagnostics made across files).
May import: PyYAML's nodes, `provreg.model`, `provreg.value_class`, `provreg.config.codes`.

Why: one list of 400,000 wrong items used to make 400,000 diagnostics, 500 MB
of them and 58 MB of output, for a file with one mistake repeated. A summary
keeps the code and severity of what it stands for, so exit codes and
`--strict` judge a file exactly as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from yaml.nodes import Node

from provreg.config.codes import BY_CODE, Code
from provreg.model import Diagnostic
from provreg.value_class import ValueClass

MAX_DIAGNOSTICS_PER_FILE = 100


class _Omitted(ValueClass, kw_only=False, frozen=False):
    count: int
    line: int
    column: int


class DiagnosticCap:
    """One file's diagnostics: the first `limit` kept, then per code a count and
    the position of the first one left out.

    `room()` says whether the next diagnostic is kept, so a caller can skip
    building one that would be thrown away (building is most of the cost of a
    diagnostic); `omit` then records it.
    """

    def __init__(
        self, file: str, kept: Iterable[Diagnostic] = (), limit: int = MAX_DIAGNOSTICS_PER_FILE
    ) -> None:
        self.file = file
        self.limit = limit
        self.kept: list[Diagnostic] = []
        self._omitted: dict[str, _Omitted] = {}
        self.extend(kept)

    def room(self) -> bool:
        return len(self.kept) < self.limit

    def omit(self, code: Code, line: int, column: int, count: int = 1) -> None:
        omitted = self._omitted.get(code.code)
        if omitted is None:
            self._omitted[code.code] = _Omitted(count, line, column)
            return
        omitted.count += count
        if (line, column) < (omitted.line, omitted.column):
            omitted.line, omitted.column = line, column

    def omit_at(self, code: Code, node: Node) -> None:
        """`omit`, taking the position from a node only for the first one left out of
        its code (callers go in document order; later positions are not shown)."""
        omitted = self._omitted.get(code.code)
        if omitted is not None:
            omitted.count += 1
            return
        mark = node.start_mark
        self._omitted[code.code] = _Omitted(1, mark.line + 1, mark.column + 1)

    def add(self, code: Code, line: int, column: int, build: Callable[[], Diagnostic]) -> None:
        """Keep `build()` if there is room, else only count it."""
        if self.room():
            self.kept.append(build())
        else:
            self.omit(code, line, column)

    def append(self, item: Diagnostic) -> None:
        summed = _summary_count(item)
        if summed is not None:
            # Capped once already (each load step caps what it makes): merged
            # into this cap's own summary of the code.
            self.omit(BY_CODE[item.code], item.line, item.column, summed)
        elif self.room():
            self.kept.append(item)
        else:
            self.omit(BY_CODE[item.code], item.line, item.column)

    def extend(self, items: Iterable[Diagnostic]) -> None:
        for item in items:
            self.append(item)

    @property
    def omitted(self) -> int:
        return sum(omitted.count for omitted in self._omitted.values())

    def result(self) -> list[Diagnostic]:
        """The kept diagnostics, then one summary per code left out."""
        return [*self.kept, *self._summaries()]

    def _summaries(self) -> list[Diagnostic]:
        return [
            Diagnostic(
                file=self.file,
                line=omitted.line,
                column=omitted.column,
                severity=BY_CODE[code].severity,
                code=code,
                message=f"{_SUMMARY_PREFIX}{omitted.count:,} more {code} in this file from "
                f"here on, not shown (at most {self.limit} diagnostics are shown per file)",
                hint="fix the ones shown and check again",
            )
            for code, omitted in self._omitted.items()
        ]


_SUMMARY_PREFIX = "and "
_SUMMARY = re.compile(r"^and ([\d,]+) more ([EWI]\d{3}) in this file from here on, not shown ")


def _summary_count(item: Diagnostic) -> int | None:
    """How many diagnostics a summary stands for; None for any other diagnostic.
    (No other message starts with "and ": they all start with what is wrong.)"""
    if not item.message.startswith(_SUMMARY_PREFIX):
        return None
    match = _SUMMARY.match(item.message)
    if match is None or match.group(2) != item.code:
        return None
    return int(match.group(1).replace(",", ""))


def cap_per_file(
    diagnostics: Sequence[Diagnostic], limit: int = MAX_DIAGNOSTICS_PER_FILE
) -> list[Diagnostic]:
    """`diagnostics` (in report order) with at most `limit` per file kept and the
    rest summed up per code, each summary where the first one left out was."""
    per_file: dict[str, int] = {}
    for item in diagnostics:
        per_file[item.file] = per_file.get(item.file, 0) + 1
    if all(count <= limit for count in per_file.values()):
        return list(diagnostics)
    caps: dict[str, DiagnosticCap] = {}
    for item in diagnostics:
        cap = caps.get(item.file)
        if cap is None:
            cap = caps[item.file] = DiagnosticCap(item.file, limit=limit)
        cap.append(item)
    return [item for cap in caps.values() for item in cap.result()]
