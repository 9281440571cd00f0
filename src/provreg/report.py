"""Render diagnostics for people and machines: compiler-style text, JSON, GitHub annotations.

Owns: the output formats of `provreg --check` (docs/diagnostics.md, "Output formats").
May import: `provreg.model`, `provreg.severity`, `provreg.one_line`, `provreg.terminal_text`
and the standard library.

Every piece of a line that comes from the user (the file name, the message
and hint, which quote keys and values) goes through `printable`, so nothing
in a file or its name can start a line of its own or drive the terminal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, TextIO

from provreg.one_line import printable
from provreg.severity import Severity
from provreg.terminal_text import Palette

if TYPE_CHECKING:  # the dashboard's header uses `plural` before the models are imported
    from provreg.model import Diagnostic


_PLAIN = Palette(enabled=False)


def format_text(diagnostic: Diagnostic, palette: Palette = _PLAIN) -> str:
    """`file:line:col: error[E201]: message`, then an indented hint line if any.

    With colour on, the position is dim and the severity red (error) or
    yellow (warning); the characters are the same either way."""
    level = f"{diagnostic.severity.value}[{diagnostic.code}]"
    if diagnostic.severity is Severity.ERROR:
        level = palette.red(level)
    elif diagnostic.severity is Severity.WARNING:
        level = palette.yellow(level)
    position = f"{printable(diagnostic.file)}:{diagnostic.line}:{diagnostic.column}:"
    head = f"{palette.dim(position)} {level}: {printable(diagnostic.message)}"
    if diagnostic.hint:
        return f"{head}\n    = hint: {printable(diagnostic.hint)}"
    return head


def plural(count: int, word: str) -> str:
    """`1 file`, `2 files`."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def table(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns two spaces apart, no trailing spaces; the first row is the header."""
    if not rows:
        return ""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines) + "\n"


def summary_line(files: int, instances: int, errors: int, warnings: int, infos: int) -> str:
    return (
        f"checked {plural(files, 'file')}, {plural(instances, 'instance')}: "
        f"{plural(errors, 'error')}, {plural(warnings, 'warning')}, {infos} info"
    )


def write_text(
    out: TextIO,
    diagnostics: Iterable[Diagnostic],
    *,
    files: int,
    instances: int,
    show_info: bool = True,
    palette: Palette = _PLAIN,
) -> None:
    counts = {severity: 0 for severity in Severity}
    for diagnostic in diagnostics:
        counts[diagnostic.severity] += 1
        if show_info or diagnostic.severity is not Severity.INFO:
            out.write(format_text(diagnostic, palette) + "\n")
    out.write(
        summary_line(
            files,
            instances,
            counts[Severity.ERROR],
            counts[Severity.WARNING],
            counts[Severity.INFO],
        )
        + "\n"
    )


def to_json(diagnostics: Iterable[Diagnostic], *, files: int, instances: int) -> str:
    """Exactly the shape of docs/diagnostics.md, "JSON": counts and a list of diagnostics."""
    items = list(diagnostics)
    return json.dumps(
        {
            "files": files,
            "instances": instances,
            "errors": sum(1 for d in items if d.severity is Severity.ERROR),
            "warnings": sum(1 for d in items if d.severity is Severity.WARNING),
            "diagnostics": [
                {
                    "file": d.file,
                    "line": d.line,
                    "column": d.column,
                    "severity": d.severity.value,
                    "code": d.code,
                    "message": d.message,
                    "instance_id": d.instance_id,
                }
                for d in items
            ],
        },
        indent=2,
    )


_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    # Line breaks are GitHub's own escapes; other control characters (a
    # terminal escape, NEL, U+2028) are shown as Python writes them.
    escaped = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return printable(escaped)


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(diagnostic: Diagnostic) -> str:
    """A GitHub Actions workflow command that annotates the file and line."""
    message = printable(diagnostic.message)
    if diagnostic.hint:
        message += f"\nhint: {printable(diagnostic.hint)}"
    return (
        f"::{_GITHUB_LEVEL[diagnostic.severity]} "
        f"file={_escape_property(diagnostic.file)},line={diagnostic.line},"
        f"col={diagnostic.column},title={_escape_property(diagnostic.code)}"
        f"::{_escape_data(message)}"
    )
