"""aichat's `config.yaml` (`~/.config/aichat/config.yaml`): its `clients:` list.

Format, as sigoden/aichat reads it: `config.example.yaml` (the `clients:`
section) and `src/client/*.rs`: client types `openai`, `openai-compatible`,
`claude`, `gemini`, `azure-openai` (also cohere, vertexai, bedrock, which
provreg has no type for), each with `name`, `api_base`, `api_key` and `models`
(`name`, `real_name`, `max_input_tokens`, `max_output_tokens`,
`src/client/model.rs` `ModelData`); `openai` also takes `organization_id`.
Default API roots: `https://api.openai.com/v1`, `https://api.anthropic.com/v1`
(provreg's Anthropic URL has no `/v1`), Gemini's `.../v1beta`. Azure's
api-version is fixed inside aichat, and its model `real_name` is the deployment.
Ollama is reached through its OpenAI-compatible API (`BASE/v1`).

Each instance is one client named by its id (aichat's models are `ID:MODEL`),
so the id survives a round trip and `--merge` replaces the client of that name.

Keys: aichat has no reference syntax in its config, but before `api_key` it
reads the variable `<NAME>_API_KEY`, NAME being the client name upper-cased as is
(`src/client/macros.rs` `config_get_fn!`): `work` -> `WORK_API_KEY`,
`work-openai` -> `WORK-OPENAI_API_KEY`. An export never writes `api_key`; it
names that variable and says how to set it (from the `{env:}` variable, with
`provreg exec` when the instance's conventional variable is that one, else with
`provreg secret get`), and marks the client `provreg_key: ID` when the variable
is to hold the instance's own key (`provreg_no_key: true` when it hands over
none). An import maps a pasted `api_key` to a plaintext key for the keyring, a
`provreg_key` mark to `provreg secret get ID` (so it matches the instance), and
any other client to `{env: NAME_API_KEY}` (when that is a valid variable name).
`--scrub` removes the pasted key and adds the mark.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping, Sequence
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
    KEY_MARK,
    exec_env_hint,
    instance_key,
    key_field,
    key_handoff_or_none,
    other_secrets_lost,
)
from provreg.interop.yaml_edit import (
    list_under,
    load_round_trip,
    new_document,
    position,
    remove_member,
    replace_items,
)
from provreg.model import ModelSpec, SecretRef

TOOL_COMMAND = "aichat"

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

_TYPE_BY_CATALOG = {
    "openai": "openai",
    "anthropic": "claude",
    "google-gemini": "gemini",
    "azure-openai": "azure-openai",
    "mistral": "openai-compatible",
    "groq": "openai-compatible",
    "deepseek": "openai-compatible",
    "openrouter": "openai-compatible",
    "ollama": "openai-compatible",
    "openai-compatible": "openai-compatible",
}

_TYPE_BY_API = {
    "openai": "openai-compatible",
    "anthropic": "claude",
    "gemini": "gemini",
    "azure-openai": "azure-openai",
    "ollama": "openai-compatible",
}

_CATALOG_BY_TYPE = {
    "openai": "openai",
    "claude": "anthropic",
    "gemini": "google-gemini",
    "azure-openai": "azure-openai",
}

_KNOWN_HOSTS = {
    "api.openai.com": "openai",
    "api.mistral.ai": "mistral",
    "api.groq.com": "groq",
    "api.deepseek.com": "deepseek",
    "openrouter.ai": "openrouter",
}
"""Import: an `openai-compatible` client at one of these hosts is that service."""

_OLLAMA_PORT = 11434

# KEY_MARK (key_handoff) goes on a client as it is: aichat's client structs do
# not refuse unknown keys (no `deny_unknown_fields`), so it is inert there.
NO_KEY_MARK = "provreg_no_key"
"""A client key saying the instance hands over no key (a local server's): without
it, a client with no `api_key` reads as one whose key is in NAME_API_KEY."""

_CLIENT_KEYS = frozenset(
    {"type", "name", "api_base", "api_key", "models", "organization_id", KEY_MARK, NO_KEY_MARK}
)
_MODEL_KEYS = frozenset({"name", "real_name", "max_input_tokens", "max_output_tokens", "type"})
_HANDLED = frozenset(
    {"models", "helpers", "allow_http", "default_model", "base_url", "api_key", "deployment"}
)


class AichatAdapter:
    """`provreg export --to aichat` and `provreg import --from aichat`."""

    name = "aichat"
    title = "aichat"
    syntax = "yaml"
    default_paths = ("~/.config/aichat/config.yaml",)

    def export(self, items: Sequence[ExportItem], context: ExportContext) -> ExportOutcome:
        entries: list[ExportedEntry] = []
        skipped: list[ToolNote] = []
        for item in items:
            outcome = _entry(item, context)
            if isinstance(outcome, ToolNote):
                skipped.append(outcome)
            else:
                entries.append(outcome)
        return ExportOutcome(tool=self.name, entries=tuple(entries), skipped=tuple(skipped))

    def render(self, outcome: ExportOutcome) -> str:
        return new_document({"clients": [entry.value for entry in outcome.entries]})

    def merge(self, existing: str, outcome: ExportOutcome, path: str) -> str:
        document = load_round_trip(existing, path)
        clients = list_under(document, "clients", path)
        replace_items(clients, [(_named(entry.key), [entry.value]) for entry in outcome.entries])
        return document.dump()

    def read(self, text: str, path: str) -> ImportRead:
        document = load_round_trip(text, path)
        clients = list_under(document, "clients", path, create=False)
        entries: list[ImportedEntry] = []
        skipped: list[ToolNote] = []
        for index, client in enumerate(clients):
            found = _imported(clients, index, client, path)
            if isinstance(found, ToolNote):
                skipped.append(found)
            else:
                entries.append(found)
        return ImportRead(tuple(entries), tuple(skipped))

    def scrub(
        self,
        text: str,
        path: str,
        stored: Mapping[tuple[str, str], ScrubTarget],
        context: ExportContext,
    ) -> str:
        # aichat cannot hold a reference: the pasted key goes, and aichat reads
        # NAME_API_KEY instead (the hint an export gives says how to set it).
        document = load_round_trip(text, path)
        clients = list_under(document, "clients", path, create=False)
        for index, client in enumerate(clients):
            target = stored.get((f"clients[{index}]", "api_key"))
            if target is None or not isinstance(client, MutableMapping):
                continue
            remove_member(client, "api_key")
            name = str(client.get("name") or client.get("type"))
            if not (target.ref.kind == "env" and target.ref.name == key_variable(name)):
                client[KEY_MARK] = target.instance_id
        return document.dump()


ADAPTER = AichatAdapter()


def key_variable(client_name: str) -> str:
    """The variable aichat reads a client's key from: `<NAME>_API_KEY`."""
    return f"{client_name}_api_key".upper()


# --- export -----------------------------------------------------------------


def _client_type(item: ExportItem) -> str | None:
    definition = item.definition
    found = definition.tools.get("aichat") or _TYPE_BY_CATALOG.get(definition.id)
    if found is None and definition.api is not None:
        found = _TYPE_BY_API[definition.api]
    return found


def _api_base(item: ExportItem, client_type: str) -> str | None:
    """The instance's stated URL; for an openai-compatible client its default
    too (aichat has no default for those); Anthropic and Ollama get `/v1`."""
    instance, definition = item.instance, item.definition
    stated = instance.values.get("base_url")
    if stated is None and client_type == "openai-compatible":
        stated = instance.value(definition, "base_url")
    if not stated:
        return None
    url = str(stated).rstrip("/")
    if client_type == "claude" or definition.id == "ollama" or definition.api == "ollama":
        return url + "/v1"
    return url


def _entry(item: ExportItem, context: ExportContext) -> ExportedEntry | ToolNote:
    instance, definition = item.instance, item.definition
    client_type = _client_type(item)
    if client_type is None:
        return ToolNote(instance.id, "its type says no `api:`, so aichat has no client type")
    models = instance.models
    default_model = instance.value(definition, "default_model")
    if not models and default_model:
        models = (ModelSpec(id=str(default_model)),)
    if not models:
        return ToolNote(instance.id, "no `models:` and no `default_model`")
    client: dict[str, Any] = {"type": client_type, "name": instance.id}
    api_base = _api_base(item, client_type)
    if api_base:
        client["api_base"] = api_base
    handled = set(_HANDLED)
    handled.update(spec.id for spec in definition.secret_fields)  # below
    if client_type == "openai" and "organization" in instance.values:
        client["organization_id"] = instance.values["organization"]
        handled.add("organization")
    if instance.values.get("api_style") == "chat_completions":
        handled.add("api_style")  # the only endpoint aichat calls
    lost = [field_id for field_id in instance.values if field_id not in handled]
    model_items: list[dict[str, Any]] = []
    if client_type == "azure-openai":
        deployment = instance.value(definition, "deployment")
        if not deployment:
            return ToolNote(instance.id, "no `deployment`: aichat calls Azure by deployment")
        lost.extend(f"model {spec.id} (one deployment per instance)" for spec in models[1:])
        models = models[:1]
    for spec in models:
        model: dict[str, Any] = {"name": spec.id}
        if client_type == "azure-openai":
            model["real_name"] = str(instance.value(definition, "deployment"))
        if spec.context_window is not None:
            model["max_input_tokens"] = spec.context_window
        if spec.max_output_tokens is not None:
            model["max_output_tokens"] = spec.max_output_tokens
        model_items.append(model)
    client["models"] = model_items
    secrets: tuple[SecretHandoff, ...] = ()
    if key_field(item, context) is not None:
        secrets = (_handoff(item, context),)
        if secrets[0].choice == "exec-env":
            client[KEY_MARK] = instance.id
    no_key = key_handoff_or_none(item, context)
    if no_key is not None:
        secrets = (no_key,)
        client[NO_KEY_MARK] = True
    lost.extend(other_secrets_lost(item, context))
    return ExportedEntry(
        instance_id=instance.id,
        key=instance.id,
        value=client,
        secrets=secrets,
        lost=tuple(lost),
    )


def _handoff(item: ExportItem, context: ExportContext) -> SecretHandoff:
    variable = key_variable(item.instance.id)
    ref = item.instance.secret_ref("api_key")
    if ref.kind == "env" and ref.name == variable:
        return SecretHandoff("api_key", "env", variable)
    if ref.kind == "env" and ref.name:
        assign = (
            f'{variable}="${ref.name}"'
            if _ENV_NAME.match(variable)
            else f'env "{variable}=${ref.name}"'
        )
        hint = f"aichat reads {variable}: run it as `{assign} {TOOL_COMMAND}`"
        return SecretHandoff("api_key", "exec-env", variable, hint)
    hint = exec_env_hint(item, "api_key", variable, context, TOOL_COMMAND)
    return SecretHandoff("api_key", "exec-env", variable, f"aichat reads {variable}: {hint}")


def _named(name: str) -> Any:
    def owns(client: Any) -> bool:
        # A client without `name` is named by its type (`openai`) in aichat.
        return isinstance(client, Mapping) and (client.get("name") or client.get("type")) == name

    return owns


# --- import -----------------------------------------------------------------


def _imported(clients: Any, index: int, client: Any, path: str) -> ImportedEntry | ToolNote:
    label = f"clients[{index}]"
    if not isinstance(client, Mapping):
        line, column = position(clients, index)
        raise ToolFileError(path, line, column, f"{label} is not a mapping")
    client_type = client.get("type")
    name = str(client.get("name") or client_type)
    api_base = client.get("api_base")
    provider = _CATALOG_BY_TYPE.get(str(client_type))
    values: dict[str, Any] = {}
    if client_type == "openai-compatible":
        if not isinstance(api_base, str):
            return ToolNote(label, "an openai-compatible client without `api_base`")
        parts = urlsplit(api_base)
        provider = _KNOWN_HOSTS.get(parts.hostname or "", "openai-compatible")
        if parts.port == _OLLAMA_PORT and parts.path.rstrip("/") == "/v1":
            provider = "ollama"
            api_base = api_base.rstrip("/").removesuffix("/v1")
    if provider is None:
        return ToolNote(label, "a client type provreg has no provider type for")
    if isinstance(api_base, str):
        values["base_url"] = api_base.removesuffix("/v1") if provider == "anthropic" else api_base
    if provider == "openai" and isinstance(client.get("organization_id"), str):
        values["organization"] = client["organization_id"]
    lost = [f"{label}.{key}" for key in client if key not in _CLIENT_KEYS]
    models: list[ModelSpec] = []
    listed = client.get("models")
    for model_index, model in enumerate(listed if isinstance(listed, list) else []):
        if not isinstance(model, Mapping) or not isinstance(model.get("name"), str):
            continue
        if model.get("type", "chat") != "chat":
            lost.append(f"{label}.models[{model_index}] ({model.get('type')} model)")
            continue
        if provider == "azure-openai":
            values.setdefault("deployment", model.get("real_name") or model["name"])
        lost.extend(
            f"{label}.models[{model_index}].{key}" for key in model if key not in _MODEL_KEYS
        )
        models.append(
            ModelSpec(
                id=model["name"],
                context_window=_whole(model.get("max_input_tokens")),
                max_output_tokens=_whole(model.get("max_output_tokens")),
            )
        )
    if models:
        values["default_model"] = models[0].id
    secrets: dict[str, ImportedSecret] = {}
    api_key = client.get("api_key")
    key_owner = client.get(KEY_MARK)
    if provider == "ollama" or client.get(NO_KEY_MARK) is True:
        pass
    elif isinstance(api_key, str) and api_key:
        line = position(client, "api_key")[0]
        secrets["api_key"] = ImportedSecret("api_key", plaintext=SecretStr(api_key), line=line)
    elif isinstance(key_owner, str) and key_owner:
        secrets["api_key"] = ImportedSecret("api_key", ref=instance_key(key_owner))
    elif _ENV_NAME.match(key_variable(name)):
        secrets["api_key"] = ImportedSecret(
            "api_key", ref=SecretRef(kind="env", name=key_variable(name))
        )
    else:
        lost.append(
            f"{label}: its key comes from {key_variable(name)}, not a variable name provreg takes"
        )
    return ImportedEntry(
        label=label,
        name=name,
        id=name,  # an export names each client by its instance id
        provider=provider,
        values=values,
        secrets=secrets,
        models=tuple(models),
        line=position(clients, index)[0],
        lost=tuple(lost),
    )


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
