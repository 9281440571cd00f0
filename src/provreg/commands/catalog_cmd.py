"""`provreg catalog`: the provider types that instances can use."""

from __future__ import annotations

import json
from typing import TextIO

import anyio

from provreg.commands.common import open_registry
from provreg.exit_codes import ExitCode
from provreg.model import ProviderDefinition
from provreg.terminal_text import Palette, fit_table, output_width, table_fits, wrap


def cmd_catalog(paths: list[str], as_json: bool, out: TextIO, *, use_config: bool) -> int:
    """Built-in definitions, plus user ones from the config when it exists."""

    async def definitions() -> list[ProviderDefinition]:
        if not use_config:
            from provreg.catalog import builtin_definitions

            return list(builtin_definitions())
        registry = await open_registry(paths, audit=False)
        return registry.definitions()

    found = anyio.run(definitions)
    if as_json:
        out.write(json.dumps([d.model_dump(mode="json") for d in found], indent=2) + "\n")
        return ExitCode.OK
    width = output_width(out)
    palette = Palette.for_stream(out)
    rows = [("ID", "NAME", "FIELDS", "DESCRIPTION")]
    for definition in found:
        fields = ", ".join(
            spec.id + ("*" if spec.required and spec.default is None else "")
            for spec in definition.fields
        )
        origin = "" if definition.builtin else " (custom)"
        rows.append((definition.id, definition.name + origin, fields, definition.description or ""))
    if width is not None and not _table_fits(rows, width):
        _write_blocks(out, rows[1:], width, palette)
    else:
        # Descriptions and field lists wrap; ids and names, which are typed, stay whole.
        out.write(fit_table(rows, width, wrap_columns=(2, 3), header_style=palette.bold))
    out.write("\n* required. `provreg catalog --json` has every field spec.\n")
    return ExitCode.OK


_MIN_WRAPPED = 24
"""The narrowest a wrapped column may get before the table reads worse than blocks."""


def _table_fits(rows: list[tuple[str, str, str, str]], width: int) -> bool:
    """Whether ids and names stay whole and fields and descriptions keep `_MIN_WRAPPED`."""
    whole = {column: max(len(row[column]) for row in rows) for column in (0, 1)}
    return table_fits(rows, width, {**whole, 2: _MIN_WRAPPED, 3: _MIN_WRAPPED})


def _write_blocks(
    out: TextIO, rows: list[tuple[str, str, str, str]], width: int, palette: Palette
) -> None:
    """One block per type, for a terminal too narrow for the table:

    openai  OpenAI
        fields: base_url, api_key*, ...
        OpenAI's hosted API for GPT and o-series models.
    """
    indent = "    "
    for index, (type_id, name, fields, description) in enumerate(rows):
        if index:
            out.write("\n")
        out.write(f"{palette.bold(type_id)}  {name}\n")
        label = "fields: "
        for number, line in enumerate(wrap(fields, width - len(indent) - len(label))):
            out.write(f"{indent}{label if number == 0 else ' ' * len(label)}{line}\n")
        for line in wrap(description, width - len(indent)) if description else []:
            out.write(f"{indent}{line}\n")
