"""A plain-text view of a loaded registry: what `provreg PATH` prints when
stdout is not a terminal (a pipe, CI), and `provreg show-registry`.
"""

from __future__ import annotations

from typing import TextIO

from provreg.config.read.discovery import ConfigPathError
from provreg.config.read.load_set import load_paths
from provreg.exit_codes import ExitCode
from provreg.model import Severity
from provreg.report import format_text, plural, table


def print_registry(paths: list[str], out: TextIO, err: TextIO) -> int:
    try:
        result = load_paths(paths)
    except ConfigPathError as exc:
        err.write(f"provreg: {exc}\n")
        return ExitCode.USAGE
    rows = [("ID", "NAME", "PROVIDER", "DEFAULT MODEL", "FILE:LINE")]
    for instance in result.instances:
        definition = result.catalog.get(instance.provider)
        model = instance.value(definition, "default_model") if definition else None
        rows.append(
            (
                instance.id,
                instance.name,
                instance.provider,
                str(model or "-"),
                f"{instance.file}:{instance.line}",
            )
        )
    out.write(f"provreg registry: {', '.join(paths)}\n\n")
    out.write(table(rows))
    problems = [d for d in result.diagnostics if d.severity is not Severity.INFO]
    out.write(
        f"\n{plural(len(result.instances), 'instance')} in {plural(len(result.files), 'file')}; "
        f"{plural(len(problems), 'problem')}\n"
    )
    for diagnostic in problems:
        out.write(format_text(diagnostic) + "\n")
    return ExitCode.OK
