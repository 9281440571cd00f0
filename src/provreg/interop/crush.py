"""crush (Charm's coding agent): `crush.json`'s `providers` map.

Format, from the crush repository (github.com/charmbracelet/crush, read at
commit 37f36e93, 2026-08-21): `schema.json` (`ProviderConfig`: `name`,
`type` in openai / openai-compat / anthropic / google / azure / ollama /
openrouter ..., `base_url`, `api_key`, `models`; `Model`: `id`, `name`,
`context_window`, `default_max_tokens`, costs, `can_reason`,
`supports_attachments`), `internal/config/resolve.go` (every value goes
through shell expansion: `$VAR`, `${VAR}`, `$(command)`), the README
("Custom providers": `openai` for OpenAI itself, `openai-compat` for other
OpenAI-compatible APIs; Ollama at `http://localhost:11434/v1/`) and
`internal/config/load.go` (`~/.config/crush/crush.json`, project
`crush.json`/`.crush.json`, and the data directory's `crush.json`,
`~/.local/share/crush/crush.json`, where keys pasted into crush's UI land in
plaintext).

Secrets: an `{env: X}` reference is written `$X`; keyring, file and command
references become `$(provreg secret get ID)`, which crush runs through its
shell. An instance with `helpers: false` gets `$VAR` and a `provreg exec` hint.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from provreg.interop import jsonc
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
    ToolFileError,
    ToolNote,
    imported_model_list,
)
from provreg.interop.key_handoff import exec_variable
from provreg.model import FieldSpec, ModelSpec, ProviderDefinition, SecretRef

SCHEMA_URL = "https://charm.land/crush.json"

_TYPE_BY_API = {
    "openai": "openai-compat",
    "anthropic": "anthropic",
    "gemini": "google",
    "azure-openai": "azure",
    "ollama": "ollama",
}
_TYPE_BY_PROVIDER = {"openai": "openai", "openrouter": "openrouter"}

_PROVIDER_BY_TYPE = {
    "openai": "openai",
    "openai-compat": "openai-compatible",
    "openrouter": "openrouter",
    "anthropic": "anthropic",
    "google": "google-gemini",
    "gemini": "google-gemini",
    "azure": "azure-openai",
    "ollama": "ollama",
}
_PROVIDER_BY_HOST = {
    "api.mistral.ai": "mistral",
    "api.groq.com": "groq",
    "api.deepseek.com": "deepseek",
    "openrouter.ai": "openrouter",
}
"""OpenAI-compatible hosts whose catalog type is more precise than openai-compatible."""

_KNOWN_KEYS = {
    "openai": "openai",
    "anthropic": "anthropic",
    "gemini": "google-gemini",
    "azure": "azure-openai",
    "openrouter": "openrouter",
    "groq": "groq",
    "deepseek": "deepseek",
}
"""crush's own provider ids (its catwalk catalog) -> provreg's: an entry under
one of them with no `type` overrides that provider's settings."""

_SECRET_FIELDS = {"api_key"}
_ENTRY_FIELDS = {"name", "type", "base_url", "api_key", "models", "id"}

_ENV_RE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_SUBSHELL_RE = re.compile(r"\$\((.*)\)", re.DOTALL)
_IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _crush_type(definition: ProviderDefinition) -> str | None:
    if "crush" in definition.tools:
        return definition.tools["crush"]
    if definition.id in _TYPE_BY_PROVIDER:
        return _TYPE_BY_PROVIDER[definition.id]
    return _TYPE_BY_API.get(definition.api or "")


def secret_reference(
    instance_id: str,
    definition: ProviderDefinition,
    spec: FieldSpec,
    ref: SecretRef,
    context: ExportContext,
    helpers_allowed: bool = True,
) -> SecretHandoff:
    """What crush's file says for one secret field (shared by export and scrub)."""
    if ref.kind == "env" and ref.name and _IDENTIFIER_RE.fullmatch(ref.name):
        return SecretHandoff(spec.id, "env", f"${ref.name}")
    if helpers_allowed:
        argv = context.secret_get_argv(instance_id, spec.id)
        written = "$(" + " ".join(shlex.quote(arg) for arg in argv) + ")"
        return SecretHandoff(spec.id, "command", written)
    variable = exec_variable(instance_id, definition, spec)
    if variable == spec.env:
        run = " ".join(
            shlex.quote(arg)
            for arg in (context.provreg_command, "exec", instance_id, *context.config_args)
        )
        hint = f"`helpers: false`: run crush as `{run} -- crush`"
    else:
        hint = f"`helpers: false`: set {variable} in crush's environment yourself"
    return SecretHandoff(spec.id, "exec-env", f"${variable}", hint=hint)


def _model_entry(model: ModelSpec) -> dict[str, Any]:
    # crush's schema requires every field; 0 and false are what crush reads
    # when a field is absent, so writing them adds no claim.
    return {
        "id": model.id,
        "name": model.id,
        "cost_per_1m_in": 0,
        "cost_per_1m_out": 0,
        "cost_per_1m_in_cached": 0,
        "cost_per_1m_out_cached": 0,
        "context_window": model.context_window or 0,
        "default_max_tokens": model.max_output_tokens or 0,
        "can_reason": False,
        "supports_attachments": False,
    }


def _export_one(item: ExportItem, context: ExportContext) -> ExportedEntry | ToolNote:
    instance, definition = item.instance, item.definition
    crush_type = _crush_type(definition)
    if crush_type is None:
        return ToolNote(instance.id, "crush has no provider type for this API")
    value: dict[str, Any] = {"name": instance.name, "type": crush_type}
    handoffs: list[SecretHandoff] = []
    lost: list[str] = []
    # An entry under an id crush does not know is a custom provider, which
    # crush skips without a base_url (internal/config/load.go): always write it.
    base_url = instance.value(definition, "base_url")
    if isinstance(base_url, str) and base_url:
        if crush_type == "ollama":
            base_url = base_url.rstrip("/") + "/v1"  # crush speaks Ollama's OpenAI API
        elif crush_type == "google":
            # Google's Go SDK adds the API version to its base URL itself.
            base_url = re.sub(r"/v1(beta)?/?$", "", base_url)
        value["base_url"] = base_url
    for spec in definition.secret_fields:
        if spec.id not in _SECRET_FIELDS:
            lost.append(spec.id)
            continue
        if not context.has_key(instance, spec):
            handoffs.append(SecretHandoff(spec.id, "none", "", hint="no key stated or stored"))
            continue
        handoff = secret_reference(
            instance.id,
            definition,
            spec,
            instance.secret_ref(spec.id),
            context,
            instance.helpers_allowed,
        )
        value["api_key"] = handoff.written
        handoffs.append(handoff)
    models = list(instance.models)
    # The stated default; with no models listed, the definition's default stands
    # for the one model (crush skips a provider that offers none).
    default_model = (
        instance.values.get("default_model")
        if instance.models
        else instance.value(definition, "default_model")
    )
    # crush has no per-provider default: the default goes first in the list.
    # Azure names deployments where the others name models.
    leading = instance.values.get("deployment") if crush_type == "azure" else default_model
    if isinstance(leading, str):
        models = [m for m in models if m.id == leading] or [ModelSpec(id=leading)]
        models += [m for m in instance.models if m.id != leading]
    if "default_model" in instance.values and definition.id != "openai-compatible":
        lost.append("default_model (crush chooses models in its own `models` setting)")
    if models:
        value["models"] = [_model_entry(model) for model in models]
    elif crush_type != "openai-compat":
        # crush skips a custom provider without models unless it discovers them.
        lost.append("models (none listed: crush may skip a provider without any)")
    for field_id in instance.values:
        if field_id in {"base_url", "default_model", "models", "helpers", "allow_http"} or (
            field_id == "deployment" and crush_type == "azure"
        ):
            continue
        field_spec = definition.field(field_id)
        if field_spec is None or field_spec.is_secret:
            continue
        lost.append(field_id)
    return ExportedEntry(instance.id, instance.id, value, tuple(handoffs), tuple(lost))


class CrushAdapter:
    """crush's `crush.json`, both directions."""

    name = "crush"
    title = "Crush"
    syntax = "json"
    default_paths = (
        "~/.config/crush/crush.json",
        "crush.json",
        ".crush.json",
        "~/.local/share/crush/crush.json",
    )

    def export(self, items: Sequence[ExportItem], context: ExportContext) -> ExportOutcome:
        entries: list[ExportedEntry] = []
        skipped: list[ToolNote] = []
        for item in items:
            result = _export_one(item, context)
            if isinstance(result, ExportedEntry):
                entries.append(result)
            else:
                skipped.append(result)
        return ExportOutcome(self.name, tuple(entries), tuple(skipped))

    def render(self, outcome: ExportOutcome) -> str:
        document = {
            "$schema": SCHEMA_URL,
            "providers": {entry.key: entry.value for entry in outcome.entries},
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    def merge(self, existing: str, outcome: ExportOutcome, path: str) -> str:
        if not existing.strip():
            return self.render(outcome)
        text = existing
        for entry in outcome.entries:
            text = jsonc.set_member(text, ["providers", entry.key], entry.value, path)
        return text

    def read(self, text: str, path: str) -> ImportRead:
        root = jsonc.parse(text, path)
        jsonc.refuse_repeated_keys(root, text, path)
        if not isinstance(root, jsonc.ObjectNode):
            line, column = jsonc.line_column(text, root.start)
            raise ToolFileError(path, line, column, "a crush.json file is a JSON object")
        providers = root.member("providers")
        if providers is None:
            return ImportRead(())
        if not isinstance(providers.value, jsonc.ObjectNode):
            line, column = jsonc.line_column(text, providers.value.start)
            raise ToolFileError(path, line, column, "'providers' is not an object")
        entries: list[ImportedEntry] = []
        skipped: list[ToolNote] = []
        for member in providers.value.members:
            result = _read_entry(text, member)
            if isinstance(result, ImportedEntry):
                entries.append(result)
            else:
                skipped.append(result)
        return ImportRead(tuple(entries), tuple(skipped))

    def scrub(
        self,
        text: str,
        path: str,
        stored: Mapping[tuple[str, str], ScrubTarget],
        context: ExportContext,
    ) -> str:
        for (label, field_id), target in stored.items():
            if not label.startswith("providers.") or field_id not in _SECRET_FIELDS:
                continue
            key = label[len("providers.") :]
            node = jsonc.find(jsonc.parse(text, path), ["providers", key, field_id])
            spec = target.definition.field(field_id)
            if not isinstance(node, jsonc.ScalarNode) or spec is None:
                continue
            handoff = secret_reference(
                target.instance_id, target.definition, spec, target.ref, context
            )
            text = jsonc.replace_string_at(text, node, handoff.written)
        return text


def _provider_of(key: str, config: Mapping[str, Any]) -> str | None:
    crush_type = config.get("type")
    if not isinstance(crush_type, str):
        if key in _KNOWN_KEYS:
            return _KNOWN_KEYS[key]  # an override of crush's own provider
        crush_type = "openai-compat"  # crush's default for a custom provider
    provider = _PROVIDER_BY_TYPE.get(crush_type)
    if provider == "openai-compatible":
        try:
            host = urlsplit(str(config.get("base_url") or "")).hostname or ""
        except ValueError:  # not a URL: the registry refuses it with its own reason
            host = ""
        provider = _PROVIDER_BY_HOST.get(host, provider)
    return provider


def _line(text: str, node: jsonc.Node) -> int:
    return jsonc.line_column(text, node.start)[0]


def parse_secret(value: str, entry_key: str, field_id: str, line: int) -> ImportedSecret | None:
    """crush's value of a secret field as a reference or a pasted key (None: unusable)."""
    env = _ENV_RE.fullmatch(value)
    if env:
        return ImportedSecret(
            field_id, ref=SecretRef(kind="env", name=env.group(1) or env.group(2)), line=line
        )
    subshell = _SUBSHELL_RE.fullmatch(value.strip())
    if subshell:
        try:
            argv = shlex.split(subshell.group(1))
        except ValueError:
            return None
        if not argv:
            return None
        return ImportedSecret(field_id, ref=command_ref(argv), line=line)
    if "$" in value:
        return None  # other shell syntax: crush expands it, provreg cannot map it
    return ImportedSecret(field_id, plaintext=SecretStr(value), line=line)


def command_ref(argv: Sequence[str]) -> SecretRef:
    """A `$(...)` helper as a command reference; `provreg secret get ID` stays
    one too, which an import matches back to instance ID (`helper_target`)."""
    return SecretRef(kind="command", name=argv[0], argv=tuple(argv))


def _read_entry(text: str, member: jsonc.Member) -> ImportedEntry | ToolNote:
    label = f"providers.{member.key}"
    if not isinstance(member.value, jsonc.ObjectNode):
        return ToolNote(label, "not an object")
    config = jsonc.to_python(member.value)
    provider = _provider_of(member.key, config)
    if provider is None:
        return ToolNote(label, "a crush provider type provreg has no catalog type for")
    values: dict[str, Any] = {}
    base_url = config.get("base_url")
    if isinstance(base_url, str) and base_url:
        if provider == "ollama":
            base_url = re.sub(r"/v1/?$", "", base_url)
        elif provider == "google-gemini" and not re.search(r"/v1(beta)?/?$", base_url):
            base_url = base_url.rstrip("/") + "/v1beta"
        values["base_url"] = base_url
    secrets: dict[str, ImportedSecret] = {}
    lost: list[str] = []
    key_node = jsonc.find(member.value, ["api_key"])
    if (
        isinstance(key_node, jsonc.ScalarNode)
        and isinstance(key_node.value, str)
        and key_node.value
    ):
        secret = parse_secret(key_node.value, member.key, "api_key", _line(text, key_node))
        if secret is None:
            lost.append("api_key (shell syntax provreg cannot map)")
        else:
            secrets["api_key"] = secret
    models = imported_model_list(
        config.get("models"), "models", ("id", "context_window", "default_max_tokens"), lost
    )
    if models and provider == "openai-compatible":
        values["default_model"] = models[0].id  # required there; crush has no per-provider default
    if provider == "azure-openai":
        # crush reads the API version from AZURE_OPENAI_API_VERSION and names
        # deployments as models.
        lost.append("api_version (crush reads AZURE_OPENAI_API_VERSION)")
        if models:
            values["deployment"] = models[0].id
    lost.extend(sorted(key for key in config if key not in _ENTRY_FIELDS))
    name = config.get("name") if isinstance(config.get("name"), str) else member.key
    return ImportedEntry(
        label=label,
        name=name,
        id=member.key,
        provider=provider,
        values=values,
        secrets=secrets,
        models=tuple(models),
        line=jsonc.line_column(text, member.key_start)[0],
        lost=tuple(lost),
    )


ADAPTER = CrushAdapter()
