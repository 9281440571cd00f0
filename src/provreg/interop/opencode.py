"""opencode: the `provider` map of `opencode.json`, and the keys in `auth.json`.

Format, from opencode's published JSON Schema (https://opencode.ai/config.json,
`ProviderConfig`: `name`, `npm`, `options.baseURL`, `options.apiKey`, other
options passed to the AI SDK package, `models.<id>.limit` with both
`context` and `output`; an excerpt is vendored in
tests/fixtures/interop/opencode/) and opencode's docs
(https://opencode.ai/docs/providers/, https://opencode.ai/docs/config/:
`{env:VAR}` and `{file:PATH}` substitutions, `@ai-sdk/openai-compatible` for
any OpenAI-compatible endpoint, `~/.config/opencode/opencode.json` and a
project `opencode.json`, JSONC accepted; `/connect` stores keys in
`~/.local/share/opencode/auth.json` as `{"<provider id>": {"type": "api",
"key": "..."}}` in plaintext).

Secrets: `{env: X}` is written `{env:X}`, `{file: P}` is written `{file:P}`;
opencode has no command substitution, so a keyring or command reference
becomes `{env:VAR}` with a hint to start opencode under `provreg exec`.
"""

from __future__ import annotations

import json
import os
import re
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
    imported_model,
)
from provreg.interop.key_handoff import exec_variable, shell_words
from provreg.model import FieldSpec, ModelSpec, ProviderDefinition, SecretRef

SCHEMA_URL = "https://opencode.ai/config.json"
COMPATIBLE_PACKAGE = "@ai-sdk/openai-compatible"

_BUILTIN_ID = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google-gemini": "google",
    "azure-openai": "azure",
    "mistral": "mistral",
    "groq": "groq",
    "deepseek": "deepseek",
    "openrouter": "openrouter",
}
"""provreg catalog id -> the id opencode (models.dev) knows the provider by."""

_PACKAGE = {
    "openai": "@ai-sdk/openai",
    "anthropic": "@ai-sdk/anthropic",
    "google-gemini": "@ai-sdk/google",
    "azure-openai": "@ai-sdk/azure",
    "mistral": "@ai-sdk/mistral",
    "groq": "@ai-sdk/groq",
    "deepseek": "@ai-sdk/deepseek",
    "openrouter": "@openrouter/ai-sdk-provider",
}
_PACKAGE_BY_API = {
    "openai": COMPATIBLE_PACKAGE,
    "anthropic": "@ai-sdk/anthropic",
    "gemini": "@ai-sdk/google",
    "azure-openai": "@ai-sdk/azure",
    "ollama": COMPATIBLE_PACKAGE,
}
_PROVIDER_BY_PACKAGE = {package: provider for provider, package in _PACKAGE.items()}
_PROVIDER_BY_BUILTIN = {builtin: provider for provider, builtin in _BUILTIN_ID.items()}

_OPTION_FIELDS = {"organization": "organization", "project": "project"}
"""provreg fields the AI SDK package takes as options of the same meaning."""

_ENV_RE = re.compile(r"\{env:([^}]+)\}")
_AZURE_HOST_RE = re.compile(r"https://([a-z0-9][a-z0-9-]*)\.openai\.azure\.com")
_FILE_RE = re.compile(r"\{file:([^}]+)\}")


def secret_reference(
    instance_id: str,
    definition: ProviderDefinition,
    spec: FieldSpec,
    ref: SecretRef,
    context: ExportContext,
) -> SecretHandoff:
    """What opencode's file says for one secret field (shared by export and scrub)."""
    if ref.kind == "env" and ref.name:
        return SecretHandoff(spec.id, "env", f"{{env:{ref.name}}}")
    if ref.kind == "file" and ref.name:
        # provreg reads a relative path from its working directory, opencode from
        # the config file's: written absolute, both read the same file.
        name = ref.name if ref.name.startswith(("/", "~")) else os.path.abspath(ref.name)
        return SecretHandoff(spec.id, "file", f"{{file:{name}}}")
    variable = exec_variable(instance_id, definition, spec)
    if variable == spec.env:
        run = shell_words([context.provreg_command, "exec", instance_id, *context.config_args])
        hint = f"run opencode as `{run} -- opencode`"
    else:
        get = shell_words(context.secret_get_argv(instance_id, spec.id))
        hint = f'start opencode with {variable}="$({get})" set'
    return SecretHandoff(spec.id, "exec-env", f"{{env:{variable}}}", hint=hint)


def _models(models: Sequence[ModelSpec], lost: list[str]) -> dict[str, Any]:
    listed: dict[str, Any] = {}
    for model in models:
        entry: dict[str, Any] = {}
        if model.context_window is not None and model.max_output_tokens is not None:
            entry["limit"] = {"context": model.context_window, "output": model.max_output_tokens}
        elif model.context_window is not None or model.max_output_tokens is not None:
            lost.append(f"models[{model.id}] limits (opencode needs both context and output)")
        listed[model.id] = entry
    return listed


def _export_one(
    item: ExportItem, used_keys: set[str], context: ExportContext
) -> ExportedEntry | ToolNote:
    instance, definition = item.instance, item.definition
    builtin = _BUILTIN_ID.get(definition.id)
    package = _PACKAGE.get(definition.id) or _PACKAGE_BY_API.get(definition.api or "")
    if "opencode" in definition.tools:
        package = definition.tools["opencode"]
    if package is None:
        return ToolNote(instance.id, "opencode has no SDK package for this API")
    value: dict[str, Any] = {"name": instance.name}
    if builtin is not None and builtin not in used_keys:
        key = builtin  # opencode's own provider: only what differs is stated
    else:
        key = instance.id
        value["npm"] = package
    if key in used_keys:
        return ToolNote(instance.id, f"the opencode provider id '{key}' is taken in this export")
    used_keys.add(key)
    options: dict[str, Any] = {}
    lost: list[str] = []
    handoffs: list[SecretHandoff] = []
    base_url = instance.values.get("base_url")
    if "npm" in value or definition.id == "ollama":
        base_url = instance.value(definition, "base_url")
    if definition.id == "azure-openai":
        base_url = instance.value(definition, "base_url")
        resource = _AZURE_HOST_RE.fullmatch(str(base_url or "").rstrip("/"))
        if resource:
            # @ai-sdk/azure builds its URLs from the resource name; its
            # `baseURL` means something else (the prefix before /v1).
            options["resourceName"] = resource.group(1)
            base_url = None
    if isinstance(base_url, str) and base_url:
        if definition.id == "ollama" or definition.api == "ollama":
            base_url = base_url.rstrip("/") + "/v1"
        options["baseURL"] = base_url
    for field_id, option in _OPTION_FIELDS.items():
        if field_id in instance.values:
            options[option] = instance.values[field_id]
    if "timeout_seconds" in instance.values:
        options["timeout"] = int(float(instance.values["timeout_seconds"]) * 1000)
    if definition.id == "azure-openai":
        for field_id, option in (("api_version", "apiVersion"),):
            if instance.value(definition, field_id):
                options[option] = instance.value(definition, field_id)
    for spec in definition.secret_fields:
        if spec.id != "api_key":
            lost.append(spec.id)
            continue
        if not context.has_key(instance, spec):
            handoffs.append(SecretHandoff(spec.id, "none", "", hint="no key stated or stored"))
            continue
        handoff = secret_reference(
            instance.id, definition, spec, instance.secret_ref(spec.id), context
        )
        options["apiKey"] = handoff.written
        handoffs.append(handoff)
    if options:
        value["options"] = options
    models = list(instance.models)
    default_model = instance.values.get("default_model")
    if definition.id == "azure-openai":
        # opencode's Azure package names deployments where others name models.
        deployment = instance.values.get("deployment")
        if isinstance(deployment, str):
            models = [m for m in models if m.id == deployment] or [ModelSpec(id=deployment)]
            models += [m for m in instance.models if m.id != deployment]
    elif isinstance(default_model, str):
        models = [m for m in models if m.id == default_model] or [ModelSpec(id=default_model)]
        models += [m for m in instance.models if m.id != default_model]
        if definition.id != "openai-compatible":
            lost.append("default_model (opencode chooses one in its top-level `model`)")
    if models:
        value["models"] = _models(models, lost)
    handled = {
        "base_url",
        "default_model",
        "models",
        "helpers",
        "allow_http",
        "timeout_seconds",
        "api_version",
    }
    handled |= set(_OPTION_FIELDS)
    if definition.id == "azure-openai":
        handled.add("deployment")
    for field_id in instance.values:
        field_spec = definition.field(field_id)
        if field_id in handled or field_spec is None or field_spec.is_secret:
            continue
        lost.append(field_id)
    return ExportedEntry(instance.id, key, value, tuple(handoffs), tuple(lost))


class OpencodeAdapter:
    """opencode's `opencode.json` (and, for import, its `auth.json`)."""

    name = "opencode"
    title = "opencode"
    syntax = "jsonc"
    default_paths = (
        "~/.config/opencode/opencode.json",
        "opencode.json",
        "~/.local/share/opencode/auth.json",
    )

    def export(self, items: Sequence[ExportItem], context: ExportContext) -> ExportOutcome:
        entries: list[ExportedEntry] = []
        skipped: list[ToolNote] = []
        used: set[str] = set()
        for item in items:
            result = _export_one(item, used, context)
            if isinstance(result, ExportedEntry):
                entries.append(result)
            else:
                skipped.append(result)
        return ExportOutcome(self.name, tuple(entries), tuple(skipped))

    def render(self, outcome: ExportOutcome) -> str:
        document = {
            "$schema": SCHEMA_URL,
            "provider": {entry.key: entry.value for entry in outcome.entries},
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    def merge(self, existing: str, outcome: ExportOutcome, path: str) -> str:
        if not existing.strip():
            return self.render(outcome)
        text = existing
        for entry in outcome.entries:
            text = jsonc.set_member(text, ["provider", entry.key], entry.value, path)
        return text

    def read(self, text: str, path: str) -> ImportRead:
        root = jsonc.parse(text, path)
        jsonc.refuse_repeated_keys(root, text, path)
        if not isinstance(root, jsonc.ObjectNode):
            line, column = jsonc.line_column(text, root.start)
            raise ToolFileError(path, line, column, "an opencode file is a JSON object")
        if _is_auth_file(root):
            return _read_auth(text, root)
        providers = root.member("provider")
        if providers is None:
            if root.member("providers") is not None:
                # opencode's V2 format (`providers`, `package`, `settings`) is not read yet.
                note = ToolNote("providers", "opencode's V2 `providers` format is not read")
                return ImportRead((), (note,))
            return ImportRead(())
        if not isinstance(providers.value, jsonc.ObjectNode):
            line, column = jsonc.line_column(text, providers.value.start)
            raise ToolFileError(path, line, column, "'provider' is not an object")
        entries: list[ImportedEntry] = []
        skipped: list[ToolNote] = []
        for member in providers.value.members:
            result = _read_entry(text, member, os.path.dirname(os.path.abspath(path)))
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
        root = jsonc.parse(text, path)
        auth = _is_auth_file(root)
        for (label, field_id), target in stored.items():
            spec = target.definition.field(field_id)
            if spec is None or field_id != "api_key":
                continue
            handoff = secret_reference(
                target.instance_id, target.definition, spec, target.ref, context
            )
            if auth and label.startswith("auth."):
                # auth.json has no references: the pasted key is removed; the
                # provider's entry in opencode.json carries the reference.
                text = jsonc.delete_member(text, [label[len("auth.") :]], path)
                continue
            if not label.startswith("provider."):
                continue
            node = jsonc.find(jsonc.parse(text, path), [*label.split(".", 1), "options", "apiKey"])
            if isinstance(node, jsonc.ScalarNode):
                text = jsonc.replace_string_at(text, node, handoff.written)
        return text


def _is_auth_file(root: jsonc.Node) -> bool:
    """auth.json: every member an object with a `type` (api, oauth, wellknown)."""
    if not isinstance(root, jsonc.ObjectNode) or not root.members:
        return False
    for member in root.members:
        if not isinstance(member.value, jsonc.ObjectNode):
            return False
        kind = member.value.member("type")
        if kind is None or not isinstance(kind.value, jsonc.ScalarNode):
            return False
    return True


def _provider_for_id(key: str) -> str:
    return _PROVIDER_BY_BUILTIN.get(key, "openai-compatible")


def _read_auth(text: str, root: jsonc.ObjectNode) -> ImportRead:
    entries: list[ImportedEntry] = []
    skipped: list[ToolNote] = []
    for member in root.members:
        label = f"auth.{member.key}"
        assert isinstance(member.value, jsonc.ObjectNode)
        kind = jsonc.to_python(member.value).get("type")
        key_node = jsonc.find(member.value, ["key"])
        if kind != "api" or not isinstance(key_node, jsonc.ScalarNode) or not key_node.value:
            skipped.append(ToolNote(label, "not an API key (opencode signs in to it another way)"))
            continue
        if not isinstance(key_node.value, str):
            skipped.append(ToolNote(label, "its key is not a string"))
            continue
        line = jsonc.line_column(text, key_node.start)[0]
        provider = _provider_for_id(member.key)
        lost = () if provider != "openai-compatible" else ("base_url (in opencode.json)",)
        entries.append(
            ImportedEntry(
                label=label,
                name=member.key,
                provider=provider,
                secrets={
                    "api_key": ImportedSecret(
                        "api_key", plaintext=SecretStr(key_node.value), line=line
                    )
                },
                line=jsonc.line_column(text, member.key_start)[0],
                lost=lost,
            )
        )
    return ImportRead(tuple(entries), tuple(skipped))


def parse_secret(
    value: str, field_id: str, line: int, base_dir: str | None = None
) -> ImportedSecret | None:
    """opencode's value of a secret option as a reference or a pasted key.

    opencode reads a relative `{file:P}` from the config file's directory
    (`base_dir`); provreg from its working directory: the path is made absolute."""
    env = _ENV_RE.fullmatch(value.strip())
    if env:
        return ImportedSecret(
            field_id, ref=SecretRef(kind="env", name=env.group(1).strip()), line=line
        )
    found = _FILE_RE.fullmatch(value.strip())
    if found:
        name = found.group(1).strip()
        if base_dir is not None and not name.startswith(("/", "~")):
            name = os.path.normpath(os.path.join(base_dir, name))
        return ImportedSecret(field_id, ref=SecretRef(kind="file", name=name), line=line)
    if "{env:" in value or "{file:" in value:
        return None  # a substitution inside other text: not a reference provreg can hold
    return ImportedSecret(field_id, plaintext=SecretStr(value), line=line)


def _read_entry(
    text: str, member: jsonc.Member, base_dir: str | None = None
) -> ImportedEntry | ToolNote:
    label = f"provider.{member.key}"
    if not isinstance(member.value, jsonc.ObjectNode):
        return ToolNote(label, "not an object")
    config = jsonc.to_python(member.value)
    package = config.get("npm")
    options = config.get("options") if isinstance(config.get("options"), dict) else {}
    base_url = options.get("baseURL")
    if isinstance(package, str):
        provider = _PROVIDER_BY_PACKAGE.get(package)
        if package == COMPATIBLE_PACKAGE:
            port = urlsplit(str(base_url or "")).port
            provider = "ollama" if port == 11434 else "openai-compatible"
        if provider is None:
            return ToolNote(label, "an SDK package provreg has no catalog type for")
    elif member.key in _PROVIDER_BY_BUILTIN:
        provider = _PROVIDER_BY_BUILTIN[member.key]
    else:
        return ToolNote(label, "neither an `npm` package nor a provider opencode knows")
    values: dict[str, Any] = {}
    lost: list[str] = []
    if isinstance(base_url, str) and base_url:
        values["base_url"] = re.sub(r"/v1/?$", "", base_url) if provider == "ollama" else base_url
    for field_id, option in _OPTION_FIELDS.items():
        if isinstance(options.get(option), str):
            values[field_id] = options[option]
    if isinstance(options.get("timeout"), int) and not isinstance(options["timeout"], bool):
        values["timeout_seconds"] = options["timeout"] / 1000
    if provider == "azure-openai" and isinstance(options.get("apiVersion"), str):
        values["api_version"] = options["apiVersion"]
    if provider == "azure-openai" and isinstance(options.get("resourceName"), str):
        values["base_url"] = f"https://{options['resourceName']}.openai.azure.com"
    secrets: dict[str, ImportedSecret] = {}
    key_node = jsonc.find(member.value, ["options", "apiKey"])
    if (
        isinstance(key_node, jsonc.ScalarNode)
        and isinstance(key_node.value, str)
        and key_node.value
    ):
        line = jsonc.line_column(text, key_node.start)[0]
        secret = parse_secret(key_node.value, "api_key", line, base_dir)
        if secret is None:
            lost.append("apiKey (a substitution inside other text)")
        else:
            secrets["api_key"] = secret
    models: list[ModelSpec] = []
    listed = config.get("models")
    if listed is not None and not isinstance(listed, dict):
        lost.append("models (not an object)")
    for index, (model_id, model) in enumerate((listed if isinstance(listed, dict) else {}).items()):
        limit = model.get("limit") if isinstance(model, dict) else None
        spec = imported_model(
            model_id,
            limit.get("context") if isinstance(limit, dict) else None,
            limit.get("output") if isinstance(limit, dict) else None,
        )
        if spec is None:
            lost.append(f"models: entry {index + 1} (not a model id provreg can keep)")
            continue
        models.append(spec)
    if models and provider == "openai-compatible":
        values["default_model"] = models[0].id
    if models and provider == "azure-openai":
        values["deployment"] = models[0].id
    lost.extend(
        f"options.{option}"
        for option in options
        if option
        not in {
            "baseURL",
            "apiKey",
            "timeout",
            "apiVersion",
            "resourceName",
            *_OPTION_FIELDS.values(),
        }
    )
    lost.extend(key for key in config if key not in {"name", "npm", "options", "models", "id"})
    name = config["name"] if isinstance(config.get("name"), str) else member.key
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


ADAPTER = OpencodeAdapter()
