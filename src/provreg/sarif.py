"""`provreg --check --format sarif`: diagnostics as one SARIF 2.1.0 log, for code-scanning UIs.

Owns: the SARIF shape (docs/diagnostics.md, "SARIF"): one run whose tool
driver lists every diagnostic code as a rule, and one result per diagnostic.
Kept apart from `provreg.report` because it needs the table of codes, which
the report's plain formats do not.
May import: `provreg.model`, `provreg.severity`, `provreg.config.codes` (and the
package's `__version__`) and the standard library.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from provreg import __version__
from provreg.config.codes import ALL_CODES, Code
from provreg.model import Diagnostic
from provreg.severity import Severity

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SARIF_VERSION = "2.1.0"

DIAGNOSTICS_DOC = "docs/diagnostics.md"
"""Where every code is explained. provreg has no published docs site, so each
rule's help URI is this path in provreg's source tree plus the heading's anchor."""

SOURCE_ROOT = "%SRCROOT%"
"""The base id result locations are relative to: the working directory of the check."""

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def doc_anchor(code: Code) -> str:
    """The anchor GitHub gives the code's heading, `### E201 — unknown provider`."""
    heading = f"{code.code} — {code.title}"
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def _rule(code: Code) -> dict[str, Any]:
    return {
        "id": code.code,
        "name": code.title,
        "shortDescription": {"text": code.title},
        "helpUri": f"{DIAGNOSTICS_DOC}#{doc_anchor(code)}",
        "defaultConfiguration": {"level": _LEVEL[code.severity]},
    }


def artifact_uri(display: str, cwd: str) -> tuple[str, bool]:
    """The file as a URI, and whether it is relative to `cwd`.

    Code-scanning UIs match a result to a file of the repository by a path
    relative to the checkout, so a file under the working directory is given
    that way (percent-encoded, `/`-separated); one outside it keeps its
    absolute `file:` URI rather than a `../` path that would match nothing.
    """
    path = Path(os.path.normpath(os.path.join(cwd, display)))
    try:
        relative = path.relative_to(cwd)
    except ValueError:
        return path.as_uri(), False
    return quote(relative.as_posix()), True


def _directory_uri(directory: str) -> str:
    # A base URI must end in `/`, or the relative URIs resolve beside it, not in it.
    uri = Path(directory).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _message(diagnostic: Diagnostic) -> str:
    if diagnostic.hint:
        return f"{diagnostic.message}\nhint: {diagnostic.hint}"
    return diagnostic.message


def _result(diagnostic: Diagnostic, rule_index: dict[str, int], cwd: str) -> dict[str, Any]:
    uri, relative = artifact_uri(diagnostic.file, cwd)
    artifact: dict[str, Any] = {"uri": uri}
    if relative:
        artifact["uriBaseId"] = SOURCE_ROOT
    result: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "level": _LEVEL[diagnostic.severity],
        "message": {"text": _message(diagnostic)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact,
                    "region": {
                        # SARIF lines and columns start at 1, as ours do; a
                        # diagnostic about a whole path still points at 1:1.
                        "startLine": max(diagnostic.line, 1),
                        "startColumn": max(diagnostic.column, 1),
                    },
                }
            }
        ],
    }
    if diagnostic.code in rule_index:
        result["ruleIndex"] = rule_index[diagnostic.code]
    if diagnostic.instance_id is not None:
        result["properties"] = {"instanceId": diagnostic.instance_id}
    return result


def to_sarif(diagnostics: Iterable[Diagnostic], *, cwd: str | None = None) -> str:
    """One SARIF log with one run: the rules (every code) and a result per diagnostic."""
    cwd = os.path.abspath(cwd if cwd is not None else os.getcwd())
    rule_index = {code.code: index for index, code in enumerate(ALL_CODES)}
    log = {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "provreg",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule(code) for code in ALL_CODES],
                    }
                },
                "originalUriBaseIds": {SOURCE_ROOT: {"uri": _directory_uri(cwd)}},
                "results": [_result(d, rule_index, cwd) for d in diagnostics],
            }
        ],
    }
    return json.dumps(log, indent=2)
