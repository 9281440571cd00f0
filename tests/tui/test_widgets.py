"""Small pure pieces of the dashboard's widgets."""

from __future__ import annotations

import pytest

from provreg.model import Diagnostic, Severity
from provreg.tui.widgets.problems import WHERE_WIDTH, where_text


def diagnostic(file: str, line: int = 11, column: int = 15) -> Diagnostic:
    return Diagnostic(
        file=file,
        line=line,
        column=column,
        severity=Severity.ERROR,
        code="E001",
        message="while parsing a flow sequence",
    )


@pytest.mark.parametrize(
    ("file", "shown"),
    [
        ("cfg/providers/local.yaml", "cfg/providers/local.yaml:11:15"),
        # the README's `provreg sample_configs`: the line and column must survive
        ("sample_configs/providers/local.yaml", "…figs/providers/local.yaml:11:15"),
    ],
)
def test_problem_location_keeps_line_and_column(file: str, shown: str) -> None:
    text = where_text(diagnostic(file))
    assert text == shown
    assert len(text) <= WHERE_WIDTH
