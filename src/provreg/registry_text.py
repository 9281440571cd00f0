"""A plain-text view of a loaded registry: what `provreg PATH` prints until the
Textual dashboard exists (issue #6). Honest about being a listing, not a UI.
"""

from __future__ import annotations

from typing import TextIO

from provreg.config.discovery import ConfigPathError
from provreg.config.loader import load_paths
from provreg.exit_codes import ExitCode
from provreg.model import Severity
from provreg.report import format_text


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
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out.write(f"provreg registry: {', '.join(paths)}\n\n")
    for row in rows:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        out.write("\n")
    problems = [d for d in result.diagnostics if d.severity is not Severity.INFO]
    out.write(f"\n{len(result.instances)} instances in {len(result.files)} files; ")
    out.write(f"{len(problems)} problems\n")
    for diagnostic in problems:
        out.write(format_text(diagnostic) + "\n")
    out.write(
        "\nThe live dashboard is not built yet; this is a text listing. "
        "`provreg --check PATH` validates for CI.\n"
    )
    return ExitCode.OK
