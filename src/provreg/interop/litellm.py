"""The LiteLLM proxy's `config.yaml`: its `model_list`, one item per (instance, model).

Format, as LiteLLM 1.x reads it (BerriAI/litellm, `docs/my-website/docs/proxy/
configs.md` and `litellm/types/router.py` `GenericLiteLLMParams`; the Router
resolves `os.environ/VAR` strings through `litellm/secret_managers/main.py`
`get_secret`):

    model_list:
      - model_name: gpt-4.1                 # what clients of the proxy ask for
        litellm_params:
          model: openai/gpt-4.1             # provider prefix / the provider's model id
          api_base: https://llm.example/v1
          api_key: os.environ/WORK_KEY
        model_info:
          provreg_instance: work            # provreg's mark (see below)
          max_input_tokens: 1047576

Choices made here:
- `model_name` is the model id, so clients ask the proxy for `gpt-4.1`; when
  two exported instances serve the same model id, both use `INSTANCE/MODEL`
  (the same `model_name` would make LiteLLM load-balance between them).
- `model_info.provreg_instance` names the instance an item came from: LiteLLM
  keeps unknown `model_info` keys as they are (the Router only adds its `id`),
  so `--merge` replaces exactly provreg's items and an import gets the id back.
  An unmarked item is never touched, even with the same `model_name`: several
  items of one name are LiteLLM's way to load-balance, so it may be the user's.
- Keys: `{env: X}` becomes `os.environ/X`. LiteLLM has no file or command
  syntax, so any other reference becomes `os.environ/VAR`, VAR being the
  definition's conventional variable (OPENAI_API_KEY, ...), or `ID_API_KEY`
  when several exported instances would need the same one, with a hint saying
  how to start the proxy with it set (`provreg exec`, or `provreg secret get`).
- Context windows go to `model_info.max_input_tokens` (LiteLLM's own cost map
  gives each model's context there) and output limits to `max_output_tokens`.
"""

from __future__ import annotations

import re
from collections import Counter
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

ENV_PREFIX = "os.environ/"

TOOL_COMMAND = "litellm --config config.yaml"

_PREFIX_BY_API = {
    "openai": "openai",
    "anthropic": "anthropic",
    "gemini": "gemini",
    "azure-openai": "azure",
    "ollama": "ollama_chat",
}
"""LiteLLM's provider prefix for each wire protocol of the catalog."""

_PREFIX_BY_TYPE = {
    "mistral": "mistral",
    "groq": "groq",
    "deepseek": "deepseek",
    "openrouter": "openrouter",
    "google-gemini": "gemini",
    "azure-openai": "azure",
    "ollama": "ollama_chat",
    "anthropic": "anthropic",
    "openai": "openai",
    "openai-compatible": "openai",
}
"""Built-in types LiteLLM knows by their own prefix."""

_TYPE_BY_PREFIX = {
    "openai": "openai",
    "anthropic": "anthropic",
    "gemini": "google-gemini",
    "azure": "azure-openai",
    "ollama": "ollama",
    "ollama_chat": "ollama",
    "mistral": "mistral",
    "groq": "groq",
    "deepseek": "deepseek",
    "openrouter": "openrouter",
    "hosted_vllm": "openai-compatible",
    "lm_studio": "openai-compatible",
    "openai_like": "openai-compatible",
}
"""Import: LiteLLM prefix -> provreg catalog id."""

_KNOWN_OPENAI_HOSTS = {
    "api.openai.com": "openai",
    "api.mistral.ai": "mistral",
    "api.groq.com": "groq",
    "api.deepseek.com": "deepseek",
    "openrouter.ai": "openrouter",
}
"""Import: an `openai/` item whose `api_base` is one of these is that service."""

_PARAMS_WRITTEN = {
    "base_url": "api_base",
    "api_version": "api_version",
    "organization": "organization",
    "timeout_seconds": "timeout",
    "max_retries": "max_retries",
}
"""provreg field -> the `litellm_params` key that carries it (same meaning)."""

_IMPORTED_FIELDS = {
    "openai": frozenset({"organization", "timeout_seconds", "max_retries"}),
    "azure-openai": frozenset({"api_version"}),
}
"""Import: which catalog types have the fields `_PARAMS_WRITTEN` carries (all
types have `base_url`)."""

_NOT_FIELDS = frozenset({"models", "helpers", "allow_http", "default_model", "deployment"})


class LiteLLMAdapter:
    """`provreg export --to litellm` and `provreg import --from litellm`."""

    name = "litellm"
    title = "LiteLLM proxy"
    syntax = "yaml"
    default_paths = ("config.yaml",)

    def export(self, items: Sequence[ExportItem], context: ExportContext) -> ExportOutcome:
        plans: list[_Plan] = []
        skipped: list[ToolNote] = []
        for item in items:
            plan = _plan(item)
            if isinstance(plan, ToolNote):
                skipped.append(plan)
            else:
                plans.append(plan)
        model_uses = Counter(spec.id for plan in plans for spec in plan.models)
        env_names = exec_env_names(
            [(plan.item, "api_key") for plan in plans if _needs_exec_env(plan.item, context)]
        )
        entries = tuple(_entry(plan, model_uses, env_names, context) for plan in plans)
        return ExportOutcome(tool=self.name, entries=entries, skipped=tuple(skipped))

    def render(self, outcome: ExportOutcome) -> str:
        model_list = [item for entry in outcome.entries for item in (entry.value, *entry.extra)]
        return new_document({"model_list": model_list})

    def merge(self, existing: str, outcome: ExportOutcome, path: str) -> str:
        document = load_round_trip(existing, path)
        model_list = list_under(document, "model_list", path)
        groups = [
            (_owned_by(entry.instance_id), [entry.value, *entry.extra]) for entry in outcome.entries
        ]
        replace_items(model_list, groups)
        return document.dump()

    def read(self, text: str, path: str) -> ImportRead:
        document = load_round_trip(text, path)
        model_list = list_under(document, "model_list", path, create=False)
        entries: list[ImportedEntry] = []
        skipped: list[ToolNote] = []
        for group in _groups(model_list, path, skipped):
            entries.append(_imported(group))
        return ImportRead(entries=tuple(entries), skipped=tuple(skipped))

    def scrub(
        self,
        text: str,
        path: str,
        stored: Mapping[tuple[str, str], ScrubTarget],
        context: ExportContext,
    ) -> str:
        document = load_round_trip(text, path)
        model_list = list_under(document, "model_list", path, create=False)
        env_names = exec_env_names([_as_item(target) for target in stored.values()])
        for group in _groups(model_list, path, []):
            target = stored.get((group.label, "api_key"))
            if target is None:
                continue
            reference = _env_reference(target.ref, target.instance_id, env_names)
            for item in group.items:
                replace_scalar(item["litellm_params"], "api_key", reference)
                info = mapping_child(item, "model_info")
                info[MARK] = target.instance_id
                if not (target.ref.kind == "env" and target.ref.name):
                    info[KEY_MARK] = target.instance_id
        return document.dump()


ADAPTER = LiteLLMAdapter()


# --- export -----------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    item: ExportItem
    prefix: str
    models: tuple[ModelSpec, ...]


def _plan(item: ExportItem) -> _Plan | ToolNote:
    instance, definition = item.instance, item.definition
    prefix = definition.tools.get("litellm") or _PREFIX_BY_TYPE.get(definition.id)
    if prefix is None and definition.api is not None:
        prefix = _PREFIX_BY_API[definition.api]
    if prefix is None:
        return ToolNote(instance.id, "its provider type says no `api:`, so LiteLLM has no prefix")
    if prefix == "azure":
        deployment = instance.value(definition, "deployment")
        if not deployment:
            return ToolNote(instance.id, "no `deployment`: LiteLLM routes Azure by deployment")
    models = instance.models
    if not models:
        default_model = instance.value(definition, "default_model")
        if not default_model and prefix == "azure":
            default_model = instance.value(definition, "deployment")
        if not default_model:
            return ToolNote(instance.id, "no `models:` and no `default_model`: nothing to serve")
        models = (ModelSpec(id=str(default_model)),)
    return _Plan(item, prefix, models)


def _needs_exec_env(item: ExportItem, context: ExportContext) -> bool:
    if key_field(item, context) is None:
        return False
    return item.instance.secret_ref("api_key").kind != "env"


def _entry(
    plan: _Plan, model_uses: Counter[str], env_names: Mapping[str, str], context: ExportContext
) -> ExportedEntry:
    instance, definition = plan.item.instance, plan.item.definition
    params: dict[str, Any] = {}
    handled = set(_NOT_FIELDS)
    for field_id, param in _PARAMS_WRITTEN.items():
        if field_id in instance.values and definition.field(field_id) is not None:
            params[param] = instance.values[field_id]
            handled.add(field_id)
    if plan.prefix == "openai" and definition.id != "openai" and "api_base" not in params:
        # An OpenAI-compatible type with its URL as a default: LiteLLM needs it.
        base_url = instance.value(definition, "base_url")
        if base_url:
            params["api_base"] = base_url
    handoffs: list[SecretHandoff] = []
    handled.update(spec.id for spec in definition.secret_fields)
    if key_field(plan.item, context) is not None:
        handoff = _handoff(plan.item, env_names, context)
        params["api_key"] = handoff.written
        handoffs.append(handoff)
    no_key = key_handoff_or_none(plan.item, context)
    if no_key is not None:
        handoffs.append(no_key)
    if instance.values.get("api_style") == "chat_completions":
        handled.add("api_style")  # what LiteLLM calls anyway
    lost = [field_id for field_id in instance.values if field_id not in handled]
    lost.extend(other_secrets_lost(plan.item, context))
    if "api_style" in lost:
        lost = [phrase for phrase in lost if phrase != "api_style"] + ["api_style: responses"]
    items: list[dict[str, Any]] = []
    if plan.prefix == "azure":
        deployment = str(instance.value(definition, "deployment"))
        api_version = instance.value(definition, "api_version")
        if api_version:
            params.setdefault("api_version", api_version)
        lost.extend(f"model {spec.id} (one deployment per instance)" for spec in plan.models[1:])
        targets = [(plan.models[0], f"azure/{deployment}")]
    else:
        targets = [(spec, f"{plan.prefix}/{spec.id}") for spec in plan.models]
    for model, litellm_model in targets:
        shared = model_uses[model.id] > 1
        model_name = f"{instance.id}/{model.id}" if shared else model.id
        item_params = {"model": litellm_model, **params}
        info: dict[str, Any] = {MARK: instance.id}
        if any(handoff.choice == "exec-env" for handoff in handoffs):
            info[KEY_MARK] = instance.id
        if plan.prefix == "azure":
            info["base_model"] = f"azure/{model.id}"
        if model.context_window is not None:
            info["max_input_tokens"] = model.context_window
        if model.max_output_tokens is not None:
            info["max_output_tokens"] = model.max_output_tokens
        items.append({"model_name": model_name, "litellm_params": item_params, "model_info": info})
    return ExportedEntry(
        instance_id=instance.id,
        key=items[0]["model_name"],
        value=items[0],
        secrets=tuple(handoffs),
        lost=tuple(lost),
        extra=tuple(items[1:]),
    )


def _handoff(
    item: ExportItem, env_names: Mapping[str, str], context: ExportContext
) -> SecretHandoff:
    ref = item.instance.secret_ref("api_key")
    if ref.kind == "env" and ref.name:
        return SecretHandoff("api_key", "env", ENV_PREFIX + ref.name)
    variable = env_names[item.instance.id]
    hint = exec_env_hint(item, "api_key", variable, context, TOOL_COMMAND)
    return SecretHandoff("api_key", "exec-env", ENV_PREFIX + variable, hint)


def _owned_by(instance_id: str) -> Any:
    def owns(item: Any) -> bool:
        return bool(mapping_member(item, "model_info").get(MARK) == instance_id)

    return owns


def _as_item(target: ScrubTarget) -> tuple[ExportItem, str]:
    instance = ProviderInstance(
        id=target.instance_id,
        name=target.instance_id,
        provider=target.definition.id,
        values={target.field: target.ref},
    )
    return ExportItem(instance, target.definition), target.field


def _env_reference(ref: SecretRef, instance_id: str, env_names: Mapping[str, str]) -> str:
    if ref.kind == "env" and ref.name:
        return ENV_PREFIX + ref.name
    return ENV_PREFIX + env_names[instance_id]


# --- import -----------------------------------------------------------------


@dataclass
class _Group:
    """The `model_list` items of one endpoint and key: one provreg instance."""

    label: str
    provider: str
    items: list[Any]
    indices: list[int]


def _groups(model_list: Any, path: str, skipped: list[ToolNote]) -> list[_Group]:
    groups: dict[tuple[Any, ...], _Group] = {}
    for index, item in enumerate(model_list):
        label = f"model_list[{index}]"
        line, column = position(model_list, index)
        if not isinstance(item, Mapping):
            raise ToolFileError(path, line, column, f"{label} is not a mapping")
        params = item.get("litellm_params")
        if not isinstance(params, Mapping) or not isinstance(params.get("model"), str):
            skipped.append(ToolNote(label, "no `litellm_params.model`"))
            continue
        prefix, _, model = params["model"].partition("/")
        if not model:
            skipped.append(ToolNote(label, "the model has no provider prefix (`openai/...`)"))
            continue
        provider = _TYPE_BY_PREFIX.get(prefix)
        api_base = params.get("api_base")
        if provider == "openai" and isinstance(api_base, str):
            host = urlsplit(api_base).hostname or ""
            provider = _KNOWN_OPENAI_HOSTS.get(host, "openai-compatible")
        if provider is None:
            skipped.append(ToolNote(label, f"provider prefix `{_printable(prefix)}` not supported"))
            continue
        info = mapping_member(item, "model_info")
        key = (
            info.get(MARK),
            info.get(KEY_MARK),
            provider,
            api_base,
            str(params.get("api_key")),
            params.get("api_version"),
            model if prefix == "azure" else None,
        )
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(label, provider, [], [])
        group.items.append(item)
        group.indices.append(index)
    return list(groups.values())


def _printable(text: str) -> str:
    """A provider prefix fit for a note: LiteLLM's are short words; anything
    else might be a pasted value and is not repeated."""
    return text if re.fullmatch(r"[a-z0-9_]{1,30}", text) else "…"


def _imported(group: _Group) -> ImportedEntry:
    first = group.items[0]
    params = first["litellm_params"]
    mark = mapping_member(first, "model_info").get(MARK)
    values: dict[str, Any] = {}
    lost: list[str] = []
    if isinstance(params.get("api_base"), str):
        values["base_url"] = params["api_base"]
    fields = _IMPORTED_FIELDS.get(group.provider, frozenset())
    for field_id, param in _PARAMS_WRITTEN.items():
        if field_id != "base_url" and param in params:
            if field_id in fields:
                values[field_id] = params[param]
            else:
                lost.append(f"{group.label}.litellm_params.{param}")
    models: list[ModelSpec] = []
    for index, item in zip(group.indices, group.items, strict=True):
        item_params = item["litellm_params"]
        prefix, _, model = str(item_params["model"]).partition("/")
        item_info = mapping_member(item, "model_info")
        if prefix == "azure":
            values["deployment"] = model
            base_model = str(item_info.get("base_model", ""))
            model = base_model.partition("/")[2] or base_model or model
        models.append(
            ModelSpec(
                id=model,
                context_window=_whole(item_info.get("max_input_tokens")),
                max_output_tokens=_whole(item_info.get("max_output_tokens")),
            )
        )
        known = {"model", "api_key", *(_PARAMS_WRITTEN.values())}
        lost.extend(
            f"model_list[{index}].litellm_params.{key}" for key in item_params if key not in known
        )
    values["default_model"] = models[0].id
    secrets: dict[str, ImportedSecret] = {}
    api_key = params.get("api_key")
    key_owner = mapping_member(first, "model_info").get(KEY_MARK)
    if isinstance(api_key, str) and isinstance(key_owner, str) and key_owner:
        line = position(params, "api_key")[0]
        secrets["api_key"] = ImportedSecret("api_key", ref=instance_key(key_owner), line=line)
    elif isinstance(api_key, str) and api_key and group.provider == "ollama":
        lost.append(f"{group.label}.litellm_params.api_key")
    elif isinstance(api_key, str) and api_key:
        line = position(params, "api_key")[0]
        if api_key.startswith(ENV_PREFIX):
            ref = SecretRef(kind="env", name=api_key[len(ENV_PREFIX) :])
            secrets["api_key"] = ImportedSecret("api_key", ref=ref, line=line)
        else:
            secrets["api_key"] = ImportedSecret("api_key", plaintext=SecretStr(api_key), line=line)
    name = str(mark) if mark else _suggested_name(group)
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


def _suggested_name(group: _Group) -> str:
    api_base = group.items[0]["litellm_params"].get("api_base")
    host = urlsplit(api_base).hostname if isinstance(api_base, str) else None
    return f"{group.provider} ({host})" if host else f"{group.provider} (LiteLLM)"
