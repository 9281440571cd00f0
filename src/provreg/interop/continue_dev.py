"""Continue's `config.yaml` (`~/.continue/config.yaml`): its `models:` list, one item per model.

Format, as continuedev/continue reads it: the zod schema
`packages/config-yaml/src/schemas/models.ts` (`modelSchema`: `name`, `provider`,
`model`, `apiBase`, `apiKey`, `defaultCompletionOptions.contextLength` /
`maxTokens`, `requestOptions.headers`, `env`) and `schemas/index.ts` (a file needs
`name` and `version`), documented in `docs/reference.mdx`; provider names are
the `providerName`s of `core/llm/llms/*.ts`; Azure's `deployment`/`apiVersion`/
`apiType` go under the model's `env` (`core/config/yaml/models.ts`,
`ENV_STRING_KEYS`).

Keys: `apiKey: ${{ secrets.NAME }}`. A local Continue resolves NAME from
`~/.continue/.env`, then the workspace's `.continue/.env` and `.env`, then the
editor's own environment (`core/config/yaml/LocalPlatformClient.ts`). So an
`{env: X}` reference becomes `${{ secrets.X }}`; Continue has no file or command
syntax, so any other reference becomes `${{ secrets.VAR }}` with VAR the
definition's conventional variable (or `ID_API_KEY` when two exported instances
would share it), and a hint to start the editor with it set.

Which items are provreg's: each carries `env: {provreg_instance: ID}` (and
`provreg_key: ID` when its secret is one provreg fills). Continue reads only its
listed `env` keys (`applyEnvOptions`), so the marks are inert; they let `--merge`
replace exactly an instance's items and an import recover the id and the key.
`name` (Continue's unique, displayed key) is `INSTANCE NAME: MODEL`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

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
)
from provreg.interop.key_handoff import (
    INSTANCE_MARK as MARK,
)
from provreg.interop.key_handoff import (
    KEY_MARK,
    exec_env_hint,
    exec_env_names,
    instance_key,
    key_field,
    key_handoff_or_none,
    other_secrets_lost,
)
from provreg.interop.yaml_edit import (
    list_under,
    load_round_trip,
    mapping_child,
    mapping_member,
    new_document,
    position,
    replace_items,
    replace_scalar,
)
from provreg.model import ModelSpec, ProviderInstance, SecretRef

EDITOR_COMMAND = "code"
"""The editor the hints start (Continue runs inside it)."""

_SECRET = re.compile(r"^\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")

_PROVIDER_BY_TYPE = {
    "openai": "openai",
    "openai-compatible": "openai",
    "anthropic": "anthropic",
    "google-gemini": "gemini",
    "azure-openai": "azure",
    "mistral": "mistral",
    "groq": "groq",
    "deepseek": "deepseek",
    "openrouter": "openrouter",
    "ollama": "ollama",
}

_PROVIDER_BY_API = {
    "openai": "openai",
    "anthropic": "anthropic",
    "gemini": "gemini",
    "azure-openai": "azure",
    "ollama": "ollama",
}

_TYPE_BY_PROVIDER = {
    "openai": "openai",
    "anthropic": "anthropic",
    "gemini": "google-gemini",
    "azure": "azure-openai",
    "mistral": "mistral",
    "groq": "groq",
    "deepseek": "deepseek",
    "openrouter": "openrouter",
    "ollama": "ollama",
    "vllm": "openai-compatible",
    "lmstudio": "openai-compatible",
}

_HEADERS = {
    "openai": {"organization": "OpenAI-Organization", "project": "OpenAI-Project"},
    "openrouter": {"http_referer": "HTTP-Referer", "app_title": "X-Title"},
}
"""provreg fields Continue can send only as request headers, by catalog type."""

_ENV_FIELDS = {"deployment": "deployment", "api_version": "apiVersion"}
"""Azure fields that go under the model's `env`."""

_NOT_FIELDS = frozenset({"models", "helpers", "allow_http", "default_model", "base_url", "api_key"})


class ContinueAdapter:
    """`provreg export --to continue` and `provreg import --from continue`."""

    name = "continue"
    title = "Continue"
    syntax = "yaml"
    default_paths = ("~/.continue/config.yaml",)

    def export(self, items: Sequence[ExportItem], context: ExportContext) -> ExportOutcome:
        entries: list[ExportedEntry] = []
        skipped: list[ToolNote] = []
        keyed = [(item, "api_key") for item in items if _needs_exec_env(item, context)]
        env_names = exec_env_names(keyed)
        for item in items:
            provider = _provider_of(item)
            models = _models_of(item)
            if provider is None:
                skipped.append(ToolNote(item.instance.id, "its type says no `api:`"))
            elif not models:
                skipped.append(ToolNote(item.instance.id, "no `models:` and no `default_model`"))
            else:
                entries.append(_entry(item, provider, models, env_names, context))
        return ExportOutcome(tool=self.name, entries=tuple(entries), skipped=tuple(skipped))

    def render(self, outcome: ExportOutcome) -> str:
        models = [item for entry in outcome.entries for item in (entry.value, *entry.extra)]
        return new_document(
            {"name": "provreg", "version": "1.0.0", "schema": "v1", "models": models}
        )

    def merge(self, existing: str, outcome: ExportOutcome, path: str) -> str:
        document = load_round_trip(existing, path)
        if document.data is None:
            return self.render(outcome)
        models = list_under(document, "models", path)
        groups = [
            (
                _owned_by(
                    entry.instance_id, {item["name"] for item in (entry.value, *entry.extra)}
                ),
                [entry.value, *entry.extra],
            )
            for entry in outcome.entries
        ]
        replace_items(models, groups)
        return document.dump()

    def read(self, text: str, path: str) -> ImportRead:
        document = load_round_trip(text, path)
        models = list_under(document, "models", path, create=False)
        skipped: list[ToolNote] = []
        groups = _groups(models, path, skipped)
        return ImportRead(tuple(_imported(group) for group in groups), tuple(skipped))

    def scrub(
        self,
        text: str,
        path: str,
        stored: Mapping[tuple[str, str], ScrubTarget],
        context: ExportContext,
    ) -> str:
        document = load_round_trip(text, path)
        models = list_under(document, "models", path, create=False)
        env_names = exec_env_names([_as_item(target) for target in stored.values()])
        for group in _groups(models, path, []):
            target = stored.get((group.label, "api_key"))
            if target is None:
                continue
            ref = target.ref
            name = ref.name if ref.kind == "env" and ref.name else env_names[target.instance_id]
            for item in group.items:
                replace_scalar(item, "apiKey", secret_reference(name))
                env = mapping_child(item, "env")
                env[MARK] = target.instance_id
                if not (ref.kind == "env" and ref.name):
                    env[KEY_MARK] = target.instance_id
        return document.dump()


ADAPTER = ContinueAdapter()


def secret_reference(name: str) -> str:
    """Continue's reference to a secret: `${{ secrets.NAME }}`."""
    return "${{ secrets." + name + " }}"


# --- export -----------------------------------------------------------------


def _provider_of(item: ExportItem) -> str | None:
    definition = item.definition
    found = definition.tools.get("continue") or _PROVIDER_BY_TYPE.get(definition.id)
    if found is None and definition.api is not None:
        found = _PROVIDER_BY_API[definition.api]
    return found


def _models_of(item: ExportItem) -> tuple[ModelSpec, ...]:
    if item.instance.models:
        return item.instance.models
    default_model = item.instance.value(item.definition, "default_model")
    return (ModelSpec(id=str(default_model)),) if default_model else ()


def _needs_exec_env(item: ExportItem, context: ExportContext) -> bool:
    if key_field(item, context) is None:
        return False
    return item.instance.secret_ref("api_key").kind != "env"


def _api_base(item: ExportItem, provider: str) -> str | None:
    """The `apiBase` to write: the instance's stated URL (and the default URL of
    a type Continue does not know by name); Anthropic's gets Continue's `/v1/`."""
    instance, definition = item.instance, item.definition
    stated = instance.values.get("base_url")
    if stated is None and definition.id not in _PROVIDER_BY_TYPE:
        stated = instance.value(definition, "base_url")
    if not stated:
        return None
    url = str(stated)
    if provider == "anthropic":
        url = url.rstrip("/") + "/v1/"
    return url


def _entry(
    item: ExportItem,
    provider: str,
    models: tuple[ModelSpec, ...],
    env_names: Mapping[str, str],
    context: ExportContext,
) -> ExportedEntry:
    instance, definition = item.instance, item.definition
    common: dict[str, Any] = {}
    handled = set(_NOT_FIELDS)
    api_base = _api_base(item, provider)
    if api_base:
        common["apiBase"] = api_base
    handoffs: list[SecretHandoff] = []
    handled.update(spec.id for spec in definition.secret_fields)
    if key_field(item, context) is not None:
        handoff = _handoff(item, env_names, context)
        common["apiKey"] = handoff.written
        handoffs.append(handoff)
    no_key = key_handoff_or_none(item, context)
    if no_key is not None:
        handoffs.append(no_key)
    headers: dict[str, str] = {}
    for field_id, header in _HEADERS.get(definition.id, {}).items():
        if field_id in instance.values:
            headers[header] = str(instance.values[field_id])
            handled.add(field_id)
    env: dict[str, Any] = {}
    if provider == "azure":
        env["apiType"] = "azure-openai"
        for field_id, key in _ENV_FIELDS.items():
            value = instance.value(definition, field_id)
            if value:
                env[key] = str(value)
                handled.add(field_id)
    env[MARK] = instance.id
    if any(handoff.choice == "exec-env" for handoff in handoffs):
        env[KEY_MARK] = instance.id
    api_style = instance.values.get("api_style")
    if api_style in ("chat_completions", "responses"):
        handled.add("api_style")
        if api_style == "responses":
            common["useResponsesApi"] = True
    lost = (
        *(field_id for field_id in instance.values if field_id not in handled),
        *other_secrets_lost(item, context),
    )
    items: list[dict[str, Any]] = []
    for model in models:
        entry: dict[str, Any] = {
            "name": f"{instance.name}: {model.id}",
            "provider": provider,
            "model": model.id,
            **common,
        }
        options: dict[str, int] = {}
        if model.context_window is not None:
            options["contextLength"] = model.context_window
        if model.max_output_tokens is not None:
            options["maxTokens"] = model.max_output_tokens
        if options:
            entry["defaultCompletionOptions"] = options
        if headers:
            entry["requestOptions"] = {"headers": dict(headers)}
        entry["env"] = dict(env)
        items.append(entry)
    return ExportedEntry(
        instance_id=instance.id,
        key=items[0]["name"],
        value=items[0],
        secrets=tuple(handoffs),
        lost=lost,
        extra=tuple(items[1:]),
    )


def _handoff(
    item: ExportItem, env_names: Mapping[str, str], context: ExportContext
) -> SecretHandoff:
    ref = item.instance.secret_ref("api_key")
    if ref.kind == "env" and ref.name:
        hint = (
            f"Continue looks {ref.name} up in ~/.continue/.env, the workspace's "
            ".continue/.env and .env, then in the editor's environment"
        )
        return SecretHandoff("api_key", "env", secret_reference(ref.name), hint)
    variable = env_names[item.instance.id]
    hint = exec_env_hint(item, "api_key", variable, context, EDITOR_COMMAND)
    hint = f"Continue reads {variable} from the editor's environment: {hint}"
    return SecretHandoff("api_key", "exec-env", secret_reference(variable), hint)


def _owned_by(instance_id: str, names: set[str]) -> Any:
    def owns(item: Any) -> bool:
        if not isinstance(item, Mapping):
            return False
        env = item.get("env")
        if isinstance(env, Mapping) and MARK in env:
            return bool(env[MARK] == instance_id)
        # An unmarked item of the same name is replaced too: Continue needs names unique.
        return item.get("name") in names

    return owns


def _as_item(target: ScrubTarget) -> tuple[ExportItem, str]:
    instance = ProviderInstance(
        id=target.instance_id,
        name=target.instance_id,
        provider=target.definition.id,
        values={target.field: target.ref},
    )
    return ExportItem(instance, target.definition), target.field


# --- import -----------------------------------------------------------------


@dataclass
class _Group:
    label: str
    provider: str
    items: list[Any]


def _groups(models: Any, path: str, skipped: list[ToolNote]) -> list[_Group]:
    groups: dict[tuple[Any, ...], _Group] = {}
    for index, item in enumerate(models):
        label = f"models[{index}]"
        if not isinstance(item, Mapping):
            line, column = position(models, index)
            raise ToolFileError(path, line, column, f"{label} is not a mapping")
        if "uses" in item:
            skipped.append(ToolNote(label, "a `uses:` block from the hub, not a model"))
            continue
        provider = _TYPE_BY_PROVIDER.get(str(item.get("provider")))
        if provider is None or not isinstance(item.get("model"), str):
            skipped.append(ToolNote(label, "not a provider provreg has a type for"))
            continue
        api_base = item.get("apiBase")
        if provider == "openai" and isinstance(api_base, str):
            if (urlsplit(api_base).hostname or "") != "api.openai.com":
                provider = "openai-compatible"
        env = mapping_member(item, "env")
        key = (
            env.get(MARK),
            env.get(KEY_MARK),
            provider,
            api_base,
            str(item.get("apiKey")),
            env.get("deployment"),
            env.get("apiVersion"),
            str(item.get("requestOptions")),
        )
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(label, provider, [])
        group.items.append(item)
    return list(groups.values())


def _imported(group: _Group) -> ImportedEntry:
    first = group.items[0]
    values: dict[str, Any] = {}
    lost: list[str] = []
    api_base = first.get("apiBase")
    if isinstance(api_base, str):
        if group.provider == "anthropic":
            api_base = re.sub(r"/v1/?$", "", api_base)
        values["base_url"] = api_base
    env = mapping_member(first, "env")
    if group.provider == "azure-openai":
        for field_id, key in _ENV_FIELDS.items():
            if key in env:
                values[field_id] = env[key]
    headers = mapping_member(mapping_member(first, "requestOptions"), "headers")
    for field_id, header in _HEADERS.get(group.provider, {}).items():
        if header in headers:
            values[field_id] = headers[header]
    models = []
    for item in group.items:
        options = mapping_member(item, "defaultCompletionOptions")
        models.append(
            ModelSpec(
                id=item["model"],
                context_window=_whole(options.get("contextLength")),
                max_output_tokens=_whole(options.get("maxTokens")),
            )
        )
        lost.extend(
            f"{item['name']}: {key}"
            for key in item
            if key not in {"name", "provider", "model", "apiBase", "apiKey", "env"}
            and key not in {"defaultCompletionOptions", "requestOptions", "useResponsesApi"}
        )
    values["default_model"] = models[0].id
    if first.get("useResponsesApi") is True and group.provider == "openai":
        values["api_style"] = "responses"
    secrets: dict[str, ImportedSecret] = {}
    api_key = first.get("apiKey")
    key_owner = env.get(KEY_MARK)
    if isinstance(api_key, str) and api_key:
        line = position(first, "apiKey")[0]
        found = _SECRET.match(api_key)
        if found and isinstance(key_owner, str) and key_owner:
            secrets["api_key"] = ImportedSecret("api_key", ref=instance_key(key_owner), line=line)
        elif found:
            ref = SecretRef(kind="env", name=found.group(1))
            secrets["api_key"] = ImportedSecret("api_key", ref=ref, line=line)
        elif "${{" in api_key:
            lost.append(f"{group.label}: apiKey (a hub secret provreg cannot read)")
        else:
            secrets["api_key"] = ImportedSecret("api_key", plaintext=SecretStr(api_key), line=line)
    mark = env.get(MARK)
    name = str(mark) if mark else _suggested_name(first, len(group.items))
    return ImportedEntry(
        label=group.label,
        name=name,
        id=str(mark) if mark else None,
        provider=group.provider,
        values=values,
        secrets=secrets,
        models=tuple(dict.fromkeys(models)),
        line=position(first)[0],
        lost=tuple(lost),
    )


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _suggested_name(item: Mapping[str, Any], count: int) -> str:
    name = str(item.get("name", ""))
    # `Work: gpt-4.1` (provreg's own naming) or a model's display name.
    prefix, sep, _ = name.rpartition(": ")
    if sep and prefix:
        return prefix
    if count == 1 and name:
        return name
    return f"{item.get('provider')} (Continue)"
