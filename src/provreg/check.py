"""`provreg --check`: validate config files headless, for CI and pre-commit.

Owns: the check command's flow and exit code. Must stay importable without
textual (a test asserts it) and start fast.
May import: `provreg.config`, `provreg.report`, `provreg.sarif`, `provreg.model`,
`provreg.exit_codes`, `provreg.one_line`, `provreg.terminal_text`; `provreg.secrets` only
for `--check --secrets`.
"""

from __future__ import annotations

import os
import sys
from typing import Literal, TextIO

from provreg.config.read.discovery import ConfigPathError, Discovery, discover_all
from provreg.config.read.load_set import load_files
from provreg.config.read.path_checks import (
    command_ref_refusals,
    unreadable_diagnostics,
    writable_by_others,
)
from provreg.config.read.yaml_source import Limits
from provreg.exit_codes import ExitCode
from provreg.model import Diagnostic, Severity
from provreg.one_line import printable
from provreg.report import format_github, to_json, write_text
from provreg.terminal_text import Palette

OutputFormat = Literal["text", "json", "github", "sarif"]


def _discard(out: TextIO) -> None:
    """Send what is left for a closed pipe to /dev/null, so the interpreter's
    last flush does not print a BrokenPipeError."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # not a real file (io.UnsupportedOperation is both)
        pass


def _with_path_checks(
    diagnostics: tuple[Diagnostic, ...], found: Discovery, displays: list[str]
) -> tuple[Diagnostic, ...]:
    """The files' diagnostics with those about the paths themselves (E015, W016),
    each directory's placed before the files under it."""
    extra = [*unreadable_diagnostics(found), *writable_by_others(found)]
    if not extra:
        return diagnostics
    order = {display: index for index, display in enumerate(displays)}

    def position(display: str) -> tuple[int, int]:
        if display in order:
            return order[display], 1
        prefix = display.rstrip(os.sep) + os.sep
        under = [index for name, index in order.items() if name.startswith(prefix)]
        return (min(under) if under else len(order)), 0

    return tuple(
        sorted(
            [*diagnostics, *extra],
            key=lambda d: (*position(d.file), d.line, d.column, d.code),
        )
    )


def run_check(
    paths: list[str],
    *,
    output_format: OutputFormat = "text",
    strict: bool = False,
    limits: Limits = Limits(),
    quiet_info: bool = False,
    secrets: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> ExitCode:
    """Check the config files under `paths`; write the report; return the exit code."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        found = discover_all(paths)
    except ConfigPathError as exc:
        err.write(f"provreg: {printable(str(exc))}\n")
        return ExitCode.USAGE
    files = found.files
    if not files and not found.unreadable:
        shown = ", ".join(printable(path) for path in paths)
        err.write(f"provreg: no config files (*.yaml, *.yml) under {shown}\n")
        return ExitCode.USAGE
    result = load_files(files, limits)
    diagnostics = _with_path_checks(result.diagnostics, found, [f.display for f in result.files])
    refused = command_ref_refusals(result.instances)
    if refused:
        diagnostics = tuple(sorted([*diagnostics, *refused], key=lambda d: (d.file, d.line)))
    if secrets:
        from provreg.secrets.check import secret_diagnostics

        extra = secret_diagnostics(result.instances, result.catalog)
        diagnostics = tuple(
            sorted([*diagnostics, *extra], key=lambda d: (d.file, d.line, d.column))
        )
    n_files, n_instances = len(result.files), len(result.instances)
    try:
        if output_format == "json":
            out.write(to_json(diagnostics, files=n_files, instances=n_instances) + "\n")
        elif output_format == "sarif":
            # Only here: the plain formats never load the rules' table of codes.
            from provreg.sarif import to_sarif

            reported = [d for d in diagnostics if d.severity is not Severity.INFO or not quiet_info]
            out.write(to_sarif(reported) + "\n")
        elif output_format == "github":
            for diagnostic in diagnostics:
                if diagnostic.severity is not Severity.INFO or not quiet_info:
                    out.write(format_github(diagnostic) + "\n")
        else:
            write_text(
                out,
                diagnostics,
                files=n_files,
                instances=n_instances,
                show_info=not quiet_info,
                palette=Palette.for_stream(out),
            )
        out.flush()
    except BrokenPipeError:
        # The reader stopped early (`provreg --check | head`): the verdict stands.
        _discard(out)
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    warnings = sum(1 for d in diagnostics if d.severity is Severity.WARNING)
    if errors or (strict and warnings):
        return ExitCode.FINDINGS
    return ExitCode.OK
