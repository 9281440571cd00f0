"""Zed: the `language_models` section of Zed's `settings.json` (JSONC).

Format, from Zed's docs (docs/src/ai/use-api-access.md and
docs/src/ai/use-a-local-model.md in github.com/zed-industries/zed, served at
https://zed.dev/docs/ai/use-api-access) and its settings types
(crates/settings_content/src/language_model.rs, read at commit 78ac19f4):
`language_models.openai`, `.anthropic`, `.google`, `.mistral`, `.deepseek`,
`.open_router`, `.ollama` take `api_url` and
`available_models` (`name`, `max_tokens` = the context window, required,
`max_output_tokens`); `language_models.openai_compatible.<provider id>` and
`.anthropic_compatible.<provider id>` take the same for any endpoint. The
docs give no fallback for `max_tokens` ("You must provide the model's context
window"), so a model without a context window is left out, and said so.

Keys never go in settings.json: Zed keeps them in the OS keychain or reads
an environment variable (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`,
`GEMINI_API_KEY`, `MISTRAL_API_KEY`, `DEEPSEEK_API_KEY`; for a compatible
provider its id as upper snake case plus `_API_KEY`, per the docs and
crates/language_models/src/provider/open_ai_compatible.rs, which builds it
with `format!("{}_API_KEY", id).to_case(Case::UpperSnake)`). An export
therefore hands every secret over as an environment variable (`exec-env`).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

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
    shell_name,
)
from provreg.model import ModelSpec, ProviderDefinition, ProviderInstance

SECTION_BY_PROVIDER = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google-gemini": "google",
    "mistral": "mistral",
    "deepseek": "deepseek",
    "openrouter": "open_router",
    "ollama": "ollama",
}
"""provreg catalog id -> Zed's own section for that provider."""

SECTION_ENV = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "google": "GEMINI_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "open_router": "OPENROUTER_API_KEY",
}
"""The variable Zed reads for each section's key (docs: "API Keys and Environment Variables")."""

COMPATIBLE_SECTION = {"openai": "openai_compatible", "anthropic": "anthropic_compatible"}
"""Wire protocol -> Zed's section for any endpoint that speaks it."""

_PROVIDER_BY_SECTION = {section: provider for provider, section in SECTION_BY_PROVIDER.items()}
_PROVIDER_BY_COMPATIBLE = {
    "openai_compatible": "openai-compatible",
    "anthropic_compatible": "anthropic",
}
OWNED_MEMBERS = ("api_url", "available_models", "auto_discover")
"""The members of a Zed section an export writes (`merge` touches only these)."""
_NO_OUTPUT_LIMIT = {"ollama", "google"}
"""Sections whose models have no output-token setting."""


def compatible_env_name(provider_id: str) -> str:
    """Zed's variable for a compatible provider: `<ID>_API_KEY` in upper snake case.

    Approximates convert_case's UpperSnake: words split at spaces, `-`, `_`,
    other punctuation and lower-to-upper changes."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", f"{provider_id}_API_KEY")
    words = [word for word in re.split(r"[^A-Za-z0-9]+", spaced) if word]
    return "_".join(word.upper() for word in words)


def _section_of(item: ExportItem, taken: set[str]) -> tuple[str, str] | ToolNote:
    """(entry key, Zed variable for the key) for one instance."""
    instance, definition = item.instance, item.definition
    section = definition.tools.get("zed") or SECTION_BY_PROVIDER.get(definition.id)
    compatible = COMPATIBLE_SECTION.get(definition.api or "")
    if section in COMPATIBLE_SECTION.values():
        compatible, section = section, None
    if section is not None and section not in taken and "." not in section:
        return section, SECTION_ENV.get(section, "")
    if compatible is None:
        if section is not None:
            return ToolNote(instance.id, f"Zed has one `{section}` section, already exported")
        return ToolNote(instance.id, "Zed has no section for this API")
    key = f"{compatible}.{instance.name}"
    return key, compatible_env_name(instance.name)


def _shell(argv: Sequence[str]) -> str:
    return " ".join(shlex.quote(arg) for arg in argv)


def _secret_handoff(
    instance: ProviderInstance,
    definition: ProviderDefinition,
    variable: str,
    context: ExportContext,
) -> tuple[SecretHandoff, ...]:
    handoffs: list[SecretHandoff] = []
    for spec in definition.secret_fields:
        if not context.has_key(instance, spec):
            handoffs.append(SecretHandoff(spec.id, "none", "", hint="no key stated or stored"))
            continue
        ref = instance.secret_ref(spec.id)
        zed_variable = variable or (spec.env if shell_name(spec.env) else None) or ""
        if ref.kind == "env" and ref.name == zed_variable:
            handoffs.append(SecretHandoff(spec.id, "env", zed_variable))
            continue
        if zed_variable == spec.env and definition.id != "openai-compatible":
            run = _shell([context.provreg_command, "exec", instance.id, *context.config_args])
            hint = f"run Zed as `{run} -- zed` (it sets {zed_variable})"
        else:
            get = _shell(context.secret_get_argv(instance.id, spec.id))
            hint = (
                f'start Zed with {zed_variable}="$({get})", '
                "or paste the key in Zed's LLM Providers settings (its keychain)"
            )
        handoffs.append(SecretHandoff(spec.id, "exec-env", zed_variable, hint=hint))
    return tuple(handoffs)


def _available_models(
    models: Sequence[ModelSpec], section: str, lost: list[str]
) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = []
    for model in models:
        if model.context_window is None:
            lost.append(f"models[{model.id}] (Zed requires max_tokens, the context window)")
            continue
        entry: dict[str, Any] = {"name": model.id, "max_tokens": model.context_window}
        if model.max_output_tokens is not None:
            if section in _NO_OUTPUT_LIMIT:
                lost.append(f"models[{model.id}].max_output_tokens")
            else:
                entry["max_output_tokens"] = model.max_output_tokens
        listed.append(entry)
    return listed


def _export_one(
    item: ExportItem, taken: set[str], context: ExportContext
) -> ExportedEntry | ToolNote:
    instance, definition = item.instance, item.definition
    placed = _section_of(item, taken)
    if isinstance(placed, ToolNote):
        return placed
    key, variable = placed
    if key in taken:
        return ToolNote(instance.id, f"another instance of the same name is exported as {key}")
    taken.add(key)
    section = key.split(".", 1)[0]
    compatible = section in COMPATIBLE_SECTION.values()
    value: dict[str, Any] = {}
    lost: list[str] = []
    base_url = (
        instance.value(definition, "base_url") if compatible else instance.values.get("base_url")
    )
    if isinstance(base_url, str) and base_url:
        if section == "google":
            # Zed adds the API version itself (its default: the bare host).
            base_url = re.sub(r"/v1beta/?$", "", base_url)
        value["api_url"] = base_url
    models = list(instance.models)
    default_model = instance.values.get("default_model")
    if isinstance(default_model, str):
        # Zed offers the first listed model first: the default leads.
        models = [m for m in models if m.id == default_model] or [ModelSpec(id=default_model)]
        models += [m for m in instance.models if m.id != default_model]
        if not compatible:
            lost.append("default_model (Zed chooses one in `agent.default_model`)")
    if models or compatible:
        value["available_models"] = _available_models(models, section, lost)
    if section == "ollama" and models:
        value["auto_discover"] = False  # the listed models are the instance's models
    handled = {"base_url", "default_model", "models", "helpers", "allow_http"}
    for field_id in instance.values:
        spec = definition.field(field_id)
        if field_id in handled or spec is None or spec.is_secret:
            continue
        lost.append(field_id)
    handoffs = _secret_handoff(instance, definition, variable, context)
    return ExportedEntry(instance.id, key, value, handoffs, tuple(lost))


def _path_of(key: str) -> list[str]:
    section, _, name = key.partition(".")
    return ["language_models", section, name] if name else ["language_models", section]


class ZedAdapter:
    """Zed's `settings.json` (`language_models`)."""

    name = "zed"
    title = "Zed"
    syntax = "jsonc"
    default_paths = ("~/.config/zed/settings.json",)

    def export(self, items: Sequence[ExportItem], context: ExportContext) -> ExportOutcome:
        entries: list[ExportedEntry] = []
        skipped: list[ToolNote] = []
        taken: set[str] = set()
        for item in items:
            result = _export_one(item, taken, context)
            if isinstance(result, ExportedEntry):
                entries.append(result)
            else:
                skipped.append(result)
        return ExportOutcome(self.name, tuple(entries), tuple(skipped))

    def render(self, outcome: ExportOutcome) -> str:
        language_models: dict[str, Any] = {}
        for entry in outcome.entries:
            section, _, name = entry.key.partition(".")
            if name:
                language_models.setdefault(section, {})[name] = entry.value
            else:
                language_models[section] = entry.value
        return json.dumps({"language_models": language_models}, indent=2, ensure_ascii=False) + "\n"

    def merge(self, existing: str, outcome: ExportOutcome, path: str) -> str:
        """Zed's sections also hold Zed-only settings (`custom_headers`, ...):
        only the members an export writes are replaced (or removed when the
        instance no longer states them); the rest of each section stays."""
        if not existing.strip():
            return self.render(outcome)
        text = existing
        for entry in outcome.entries:
            where = _path_of(entry.key)
            current = jsonc.find(jsonc.parse(text, path), where)
            if not isinstance(current, jsonc.ObjectNode):
                text = jsonc.set_member(text, where, entry.value, path)
                continue
            for member_key in OWNED_MEMBERS:
                if member_key in entry.value:
                    text = jsonc.set_member(
                        text, [*where, member_key], entry.value[member_key], path
                    )
                else:
                    text = jsonc.delete_member(text, [*where, member_key], path)
        return text

    def read(self, text: str, path: str) -> ImportRead:
        root = jsonc.parse(text, path)
        if not isinstance(root, jsonc.ObjectNode):
            line, column = jsonc.line_column(text, root.start)
            raise ToolFileError(path, line, column, "Zed's settings.json is a JSON object")
        language_models = root.member("language_models")
        if language_models is None:
            return ImportRead(())
        if not isinstance(language_models.value, jsonc.ObjectNode):
            line, column = jsonc.line_column(text, language_models.value.start)
            raise ToolFileError(path, line, column, "'language_models' is not an object")
        entries: list[ImportedEntry] = []
        skipped: list[ToolNote] = []
        for member in language_models.value.members:
            label = f"language_models.{member.key}"
            found: list[ImportedEntry | ToolNote] = []
            if member.key in _PROVIDER_BY_SECTION:
                provider = _PROVIDER_BY_SECTION[member.key]
                found.append(_read_entry(text, member, label, provider, member.key))
            elif member.key in _PROVIDER_BY_COMPATIBLE and isinstance(
                member.value, jsonc.ObjectNode
            ):
                provider = _PROVIDER_BY_COMPATIBLE[member.key]
                for named in member.value.members:
                    found.append(
                        _read_entry(text, named, f"{label}.{named.key}", provider, named.key)
                    )
            else:
                found.append(ToolNote(label, "a Zed provider section provreg does not read"))
            for result in found:
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
        # settings.json never holds a key (Zed keeps them in its keychain): nothing to scrub.
        return text


def _read_entry(
    text: str, member: jsonc.Member, label: str, provider: str, name: str
) -> ImportedEntry | ToolNote:
    if not isinstance(member.value, jsonc.ObjectNode):
        return ToolNote(label, "not an object")
    config = jsonc.to_python(member.value)
    values: dict[str, Any] = {}
    api_url = config.get("api_url")
    if isinstance(api_url, str) and api_url:
        if provider == "google-gemini" and not re.search(r"/v1(beta)?/?$", api_url):
            api_url = api_url.rstrip("/") + "/v1beta"
        values["base_url"] = api_url
    problems: list[str] = []
    models = imported_model_list(
        config.get("available_models"),
        "available_models",
        ("name", "max_tokens", "max_output_tokens"),
        problems,
    )
    if models and provider == "openai-compatible":
        values["default_model"] = models[0].id
    lost = [key for key in config if key not in {"api_url", "available_models", "auto_discover"}]
    lost += problems
    # Zed keeps the key in the OS keychain: provreg proposes its own keyring entry,
    # which the user fills with `provreg secret set`.
    # The entry says nothing of its key: an import matches it by its endpoint,
    # and a new instance gets the keyring default.
    secrets: dict[str, ImportedSecret] = {}
    if provider != "ollama":
        lost.append(
            "api_key (Zed keeps it in the OS keychain or an environment variable:"
            " store it with `provreg secret set ID`)"
        )
    return ImportedEntry(
        label=label,
        name=name,
        provider=provider,
        values=values,
        secrets=secrets,
        models=tuple(models),
        line=jsonc.line_column(text, member.key_start)[0],
        lost=tuple(lost),
    )


ADAPTER = ZedAdapter()
