"""A small tool adapter for the export/import command tests, until the real ones land.

Its format is JSON, `{"providers": {KEY: {...}}}`, each entry with `type` (a
provreg provider id), `name`, `base_url`, `default_model`, `models` (ids, or
`{id, context_window, max_output_tokens}`) and `api_key`, which is a pasted key,
`$VAR` (an environment variable) or `$(COMMAND ...)` (a command, such as
`provreg secret get ID`), as crush writes them. Any other key of an entry is
reported as lost; `"explode": true` at the top makes `read` fail as a buggy
parser would, quoting the file. Tests register it with
`monkeypatch.setitem(tools.ADAPTER_MODULES, "fake", "interop.fake_tool")`.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import SecretStr

from provreg.config.read.validation import parse_secret_ref
from provreg.interop.base import (
    ExportContext,
    ExportedEntry,
    ExportItem,
    ExportOutcome,
    ImportedEntry,
    ImportedSecret,
    ImportRead,
    ScrubTarget,
    SecretHandoff,
    Syntax,
    ToolFileError,
    ToolNote,
)
from provreg.model import ModelSpec, SecretRef

KNOWN = {"type", "name", "base_url", "default_model", "models", "api_key"}


def _load(text: str, path: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ToolFileError(path, exc.lineno, exc.colno, "not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("providers"), dict):
        raise ToolFileError(path, 1, 1, "expected an object with a `providers` object")
    return data


def _line_of(text: str, key: str) -> int:
    needle = json.dumps(key) + ":"
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return 0


def _secret_text(ref: SecretRef, instance_id: str, field: str, context: ExportContext) -> str:
    if ref.kind == "env":
        return f"${ref.name}"
    return "$(" + shlex.join(context.secret_get_argv(instance_id, field)) + ")"


def _parse_secret(value: str, line: int) -> ImportedSecret:
    if value.startswith("$(") and value.endswith(")"):
        ref = parse_secret_ref({"command": shlex.split(value[2:-1])})
        return ImportedSecret("api_key", ref=ref, line=line)
    if value.startswith("$") and value[1:].replace("_", "").isalnum():
        return ImportedSecret("api_key", ref=parse_secret_ref({"env": value[1:]}), line=line)
    return ImportedSecret("api_key", plaintext=SecretStr(value), line=line)


class FakeAdapter:
    name = "fake"
    title = "Fake tool"
    syntax: Syntax = "json"
    default_paths: tuple[str, ...] = ("~/.config/fake-tool/fake.json",)

    def export(self, items: Sequence[ExportItem], context: ExportContext) -> ExportOutcome:
        entries = []
        skipped = []
        for item in items:
            instance, definition = item.instance, item.definition
            if definition.api is None:
                skipped.append(ToolNote(instance.id, "the fake tool speaks no such API"))
                continue
            value: dict[str, Any] = {"type": instance.provider, "name": instance.name}
            for field in ("base_url", "default_model"):
                if instance.value(definition, field) is not None:
                    value[field] = instance.value(definition, field)
            if instance.models:
                value["models"] = [m.to_yaml() for m in instance.models]
            secrets = []
            if definition.field("api_key") is not None:
                ref = instance.secret_ref("api_key")
                written = _secret_text(ref, instance.id, "api_key", context)
                value["api_key"] = written
                choice = "env" if ref.kind == "env" else "command"
                secrets.append(SecretHandoff("api_key", choice, written))
            lost = tuple(f for f in instance.values if f not in KNOWN and f != "api_key")
            entries.append(ExportedEntry(instance.id, instance.id, value, tuple(secrets), lost))
        return ExportOutcome(self.name, tuple(entries), tuple(skipped))

    def render(self, outcome: ExportOutcome) -> str:
        providers = {entry.key: entry.value for entry in outcome.entries}
        return json.dumps({"providers": providers}, indent=2) + "\n"

    def merge(self, existing: str, outcome: ExportOutcome, path: str) -> str:
        data = _load(existing, path)
        for entry in outcome.entries:
            data["providers"][entry.key] = entry.value
        return json.dumps(data, indent=2) + "\n"

    def read(self, text: str, path: str) -> ImportRead:
        data = _load(text, path)
        if data.get("explode"):
            # A parser bug whose message quotes the file, as some do.
            raise ValueError(f"cannot handle {text!r}")
        entries = []
        skipped = []
        for key, raw in data["providers"].items():
            label = f"providers.{key}"
            line = _line_of(text, key)
            if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
                skipped.append(ToolNote(label, "not a provider entry (no `type`)"))
                continue
            values = {f: raw[f] for f in ("base_url", "default_model") if f in raw}
            secrets = {}
            if isinstance(raw.get("api_key"), str):
                secrets["api_key"] = _parse_secret(raw["api_key"], line)
            models = tuple(
                ModelSpec(id=m) if isinstance(m, str) else ModelSpec(**m)
                for m in raw.get("models", [])
            )
            lost = tuple(f"{f} (a fake-tool setting)" for f in raw if f not in KNOWN)
            entries.append(
                ImportedEntry(
                    label=label,
                    name=str(raw.get("name", key)),
                    provider=raw["type"],
                    values=values,
                    secrets=secrets,
                    models=models,
                    line=line,
                    lost=lost,
                )
            )
        return ImportRead(tuple(entries), tuple(skipped))

    def scrub(
        self,
        text: str,
        path: str,
        stored: Mapping[tuple[str, str], ScrubTarget],
        context: ExportContext,
    ) -> str:
        data = _load(text, path)
        for (label, field), target in stored.items():
            key = label.removeprefix("providers.")
            data["providers"][key][field] = _secret_text(
                target.ref, target.instance_id, field, context
            )
        return json.dumps(data, indent=2) + "\n"


ADAPTER = FakeAdapter()
