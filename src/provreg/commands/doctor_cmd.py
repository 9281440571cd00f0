"""`provreg doctor`: the checks of `doctor_checks` as one report, or JSON for a
bug report. Exit 0 when nothing failed, 1 otherwise (warnings do not fail)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TextIO

from provreg.commands.doctor_checks import run_checks
from provreg.commands.doctor_finding import Finding
from provreg.exit_codes import ExitCode
from provreg.one_line import printable
from provreg.paths import default_config_paths

REPORT_FORMAT = 1
"""The `--json` shape's version, bumped when a key changes meaning."""


def cmd_doctor(paths: list[str], as_json: bool, out: TextIO) -> int:
    findings = run_checks(paths or default_config_paths())
    failed = any(finding.status == "fail" for finding in findings)
    if as_json:
        out.write(json.dumps(_as_json(findings), indent=2) + "\n")
    else:
        out.write(_as_text(findings))
    return ExitCode.FINDINGS if failed else ExitCode.OK


def _counts(findings: list[Finding]) -> dict[str, int]:
    return {
        status: sum(1 for finding in findings if finding.status == status)
        for status in ("ok", "warn", "fail")
    }


def _as_json(findings: list[Finding]) -> dict[str, object]:
    return {
        "format": REPORT_FORMAT,
        "checks": [asdict(finding) for finding in findings],
        "counts": _counts(findings),
    }


def _as_text(findings: list[Finding]) -> str:
    area_width = max(len(finding.area) for finding in findings)
    lines = []
    for finding in findings:
        lines.append(
            f"{finding.status:<4}  {finding.area:<{area_width}}  {printable(finding.summary)}"
        )
        if finding.fix:
            lines.append(f"{'':<4}  {'':<{area_width}}  fix: {printable(finding.fix)}")
    counts = _counts(findings)
    lines.append("")
    lines.append(f"{counts['ok']} ok, {counts['warn']} warning(s), {counts['fail']} failed")
    return "\n".join(lines) + "\n"
