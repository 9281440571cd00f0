"""`provreg catalog`: the provider types that instances can use."""

from __future__ import annotations

import json
from typing import TextIO

import anyio

from provreg.commands.common import open_registry, table
from provreg.exit_codes import ExitCode
from provreg.model import ProviderDefinition


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
    rows = [("ID", "NAME", "FIELDS", "DESCRIPTION")]
    for definition in found:
        fields = ", ".join(
            spec.id + ("*" if spec.required and spec.default is None else "")
            for spec in definition.fields
        )
        origin = "" if definition.builtin else " (custom)"
        rows.append((definition.id, definition.name + origin, fields, definition.description or ""))
    out.write(table(rows))
    out.write("\n* required. `provreg catalog --json` has every field spec.\n")
    return ExitCode.OK
