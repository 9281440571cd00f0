"""simonw/llm's `extra-openai-models.yaml` (OpenAI-compatible models) and its `keys.json`.

Format, as llm 0.2x reads it (`llm/default_plugins/openai_models.py`,
`register_models`; documented in `docs/other-models.md`, "OpenAI-compatible
models"): a top-level YAML list, one item per model, with `model_id` (what
`llm -m` takes), `model_name` (what the API is sent), `api_base`,
`api_key_name`, `headers`, `responses`, ... Keys live in `keys.json` in the same
directory, a plaintext JSON map of name -> key (`llm keys set NAME`).

Choices made here:
- One item per (instance, model): `model_id` is `INSTANCE/MODEL`, so the id
  survives a round trip and models of two instances never clash; each item
  also carries `provreg_instance: ID`, a key llm does not read (it looks up
  only its own keys with `.get`), so `--merge` replaces exactly provreg's items.
- Keys: an export never writes `keys.json` (plaintext). Each item names
  `api_key_name: ID`; llm's `get_key` uses `keys.json`'s entry of that name if
  there is one, else the variable `OPENAI_API_KEY` (the `key_env_var` of its
  Chat models, `llm/models.py` `_get_key_mixin`). So every key reaches llm
  through OPENAI_API_KEY: `provreg exec ID -- llm ...` for types whose key is
  OPENAI_API_KEY (openai, openai-compatible), `OPENAI_API_KEY="$(provreg secret
  get ID)" llm ...` otherwise, and the user must not keep a `keys.json` entry
  of that name (it would win).
- Only what speaks the OpenAI API: Ollama through its `/v1`; Anthropic and
  Gemini need llm plugins with their own settings, and llm's Azure options pass
  pre-1.0 `openai` arguments, so those instances are skipped with a note.
- Import reads the YAML and the `keys.json` next to it (whichever of the two
  is named): a model's `api_key_name` found in `keys.json` is a pasted key, an
  item marked `provreg_key: ID` (an export's, when provreg fills the variable)
  is that instance's key, any other is `{env: OPENAI_API_KEY}`; `keys.json`
  entries of llm's own and its plugins' key names (`openai`, `anthropic`,
  `gemini`, ...) become instances of that provider. `--scrub` works on `keys.json` (the moved keys'
  entries go; llm then reads OPENAI_API_KEY) and refuses the YAML, which holds
  no key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
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
    instance_key,
    key_field,
    key_handoff_or_none,
    other_secrets_lost,
)
from provreg.interop.yaml_edit import (
    list_under,
    load_round_trip,
    mapping_member,
    new_document,
    position,
    replace_items,
    safe_problem,
)
from provreg.model import ModelSpec, SecretRef

MODELS_FILE = "extra-openai-models.yaml"
KEYS_FILE = "keys.json"
KEY_VARIABLE = "OPENAI_API_KEY"
"""The variable llm falls back to for every OpenAI-compatible model's key."""

_OLLAMA_PORT = 11434

_HEADERS = {
    "openai": {"organization": "OpenAI-Organization", "project": "OpenAI-Project"},
    "openrouter": {"http_referer": "HTTP-Referer", "app_title": "X-Title"},
}
"""provreg fields llm can send only as request headers, by catalog type."""

_KNOWN_HOSTS = {
    "api.openai.com": "openai",
    "api.mistral.ai": "mistral",
    "api.groq.com": "groq",
    "api.deepseek.com": "deepseek",
    "openrouter.ai": "openrouter",
}

_KEY_NAMES = {
    "openai": "openai",
    "anthropic": "anthropic",
    "gemini": "google-gemini",
    "mistral": "mistral",
    "groq": "groq",
    "openrouter": "openrouter",
}
"""`keys.json` names of llm itself and of its plugins (llm-anthropic, llm-gemini,
llm-mistral, llm-groq, llm-openrouter) -> the provreg type they are keys of."""

_HANDLED = frozenset({"models", "helpers", "allow_http", "default_model", "base_url", "api_key"})
_ITEM_KEYS = frozenset(
    {"model_id", "model_name", "api_base", "api_key_name", "headers", "responses", MARK, KEY_MARK}
)


class LlmAdapter:
    """`provreg export --to llm` and `provreg import --from llm`."""

    name = "llm"
    title = "llm (simonw/llm)"
    syntax = "yaml"
    default_paths = (
        f"~/.config/io.datasette.llm/{MODELS_FILE}",
        f"~/Library/Application Support/io.datasette.llm/{MODELS_FILE}",
    )

    def export(self, items: Sequence[ExportItem], context: ExportContext) -> ExportOutcome:
        entries: list[ExportedEntry] = []
        skipped: list[ToolNote] = []
        for item in items:
            found = _entry(item, context)
            if isinstance(found, ToolNote):
                skipped.append(found)
            else:
                entries.append(found)
        return ExportOutcome(tool=self.name, entries=tuple(entries), skipped=tuple(skipped))

    def render(self, outcome: ExportOutcome) -> str:
        return new_document(
            [item for entry in outcome.entries for item in (entry.value, *entry.extra)]
        )

    def merge(self, existing: str, outcome: ExportOutcome, path: str) -> str:
        document = load_round_trip(existing, path)
        models = list_under(document, None, path)
        groups = []
        for entry in outcome.entries:
            new = [entry.value, *entry.extra]
            groups.append((_owned_by(entry.instance_id, {item["model_id"] for item in new}), new))
        replace_items(models, groups)
        return document.dump()

    def read(self, text: str, path: str) -> ImportRead:
        models_text, keys_text, keys_path = _both_files(text, path)
        keys = _keys(keys_text, keys_path) if keys_text is not None else {}
        entries: list[ImportedEntry] = []
        skipped: list[ToolNote] = []
        paired: set[str] = set()
        if models_text is not None:
            models_path = str(Path(path).with_name(MODELS_FILE)) if _is_keys(path) else path
            document = load_round_trip(models_text, models_path)
            items = list_under(document, None, models_path, create=False)
            for group in _groups(items, models_path, skipped):
                entries.append(_imported(group, keys, paired))
        for name, (value, line) in keys.items():
            if name in paired:
                continue
            provider = _KEY_NAMES.get(name)
            label = f"{KEYS_FILE}[{name}]"
            if provider is None:
                skipped.append(ToolNote(label, "a key no model here names"))
                continue
            secret = ImportedSecret("api_key", plaintext=SecretStr(value), line=line)
            entries.append(
                ImportedEntry(
                    label=label,
                    name=f"{name} (llm)",
                    provider=provider,
                    secrets={"api_key": secret},
                    line=line,
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
        # The pasted keys are in keys.json, which has no reference syntax: the
        # scrubbed names go, and llm falls back to OPENAI_API_KEY (as after an export).
        if not _is_keys(path):
            if not stored:
                return text
            raise ToolFileError(
                path,
                0,
                0,
                f"llm keeps its keys in {KEYS_FILE} beside this file: scrub that file "
                f"(`provreg import --from llm --scrub {Path(path).with_name(KEYS_FILE)}`)",
            )
        names = {
            label[len(KEYS_FILE) + 1 : -1]
            for label, field_id in stored
            if field_id == "api_key" and label.startswith(f"{KEYS_FILE}[")
        }
        models_text, _, _ = _both_files(text, path)
        if models_text is not None:
            models_path = str(Path(path).with_name(MODELS_FILE))
            document = load_round_trip(models_text, models_path)
            items = list_under(document, None, models_path, create=False)
            for group in _groups(items, models_path, []):
                key_name = group.items[0].get("api_key_name")
                if (group.label, "api_key") in stored and isinstance(key_name, str):
                    names.add(key_name)
        data = _keys_object(text, path)
        kept = {name: value for name, value in data.items() if name not in names}
        return json.dumps(kept, indent=2) + "\n"


ADAPTER = LlmAdapter()


# --- export -----------------------------------------------------------------


def _api_base(item: ExportItem) -> str | None:
    definition = item.definition
    base = item.instance.value(definition, "base_url")
    if not base:
        return None
    url = str(base).rstrip("/")
    if definition.id == "ollama" or definition.api == "ollama":
        url += "/v1"
    return url


def _entry(item: ExportItem, context: ExportContext) -> ExportedEntry | ToolNote:
    instance, definition = item.instance, item.definition
    speaks = definition.tools.get("llm") or definition.api
    if speaks not in ("openai", "ollama"):
        return ToolNote(
            instance.id, "llm reads only OpenAI-compatible models here (others need a plugin)"
        )
    api_base = _api_base(item)
    if api_base is None:
        return ToolNote(instance.id, "no `base_url`")
    models = instance.models
    default_model = instance.value(definition, "default_model")
    if not models and default_model:
        models = (ModelSpec(id=str(default_model)),)
    if not models:
        return ToolNote(instance.id, "no `models:` and no `default_model`")
    handled = set(_HANDLED)
    handled.update(spec.id for spec in definition.secret_fields)  # below
    headers: dict[str, str] = {}
    for field_id, header in _HEADERS.get(definition.id, {}).items():
        if field_id in instance.values:
            headers[header] = str(instance.values[field_id])
            handled.add(field_id)
    responses = instance.values.get("api_style") == "responses"
    if "api_style" in instance.values:
        handled.add("api_style")
    has_key = key_field(item, context) is not None
    secrets: tuple[SecretHandoff, ...] = ()
    if has_key:
        secrets = (_handoff(item, f"{instance.id}/{models[0].id}", context),)
    no_key = key_handoff_or_none(item, context)
    if no_key is not None:
        secrets = (no_key,)
    provreg_fills = any(handoff.choice == "exec-env" for handoff in secrets)
    items: list[dict[str, Any]] = []
    for model in models:
        entry: dict[str, Any] = {
            "model_id": f"{instance.id}/{model.id}",
            "model_name": model.id,
            "api_base": api_base,
        }
        if has_key:
            entry["api_key_name"] = instance.id
        if headers:
            entry["headers"] = dict(headers)
        if responses:
            entry["responses"] = True
        entry[MARK] = instance.id
        if provreg_fills:
            entry[KEY_MARK] = instance.id
        items.append(entry)
    lost = [field_id for field_id in instance.values if field_id not in handled]
    lost.extend(
        f"{model.id}: context_window/max_output_tokens"
        for model in models
        if model.context_window is not None or model.max_output_tokens is not None
    )
    lost.extend(other_secrets_lost(item, context))
    return ExportedEntry(
        instance_id=instance.id,
        key=items[0]["model_id"],
        value=items[0],
        secrets=secrets,
        lost=tuple(lost),
        extra=tuple(items[1:]),
    )


def _handoff(item: ExportItem, model_id: str, context: ExportContext) -> SecretHandoff:
    instance = item.instance
    ref = instance.secret_ref("api_key")
    written = f"api_key_name: {instance.id}"
    unless = f" (and keep no `{instance.id}` entry in llm's keys.json: it would win)"
    if ref.kind == "env" and ref.name == KEY_VARIABLE:
        return SecretHandoff("api_key", "env", written, f"llm reads {KEY_VARIABLE}{unless}")
    if ref.kind == "env" and ref.name:
        hint = f'run it as `{KEY_VARIABLE}="${ref.name}" llm -m {model_id}`{unless}'
        return SecretHandoff("api_key", "exec-env", written, hint)
    hint = exec_env_hint(item, "api_key", KEY_VARIABLE, context, f"llm -m {model_id}")
    return SecretHandoff(
        "api_key", "exec-env", written, f"llm reads {KEY_VARIABLE}: {hint}{unless}"
    )


def _owned_by(instance_id: str, model_ids: set[str]) -> Any:
    def owns(item: Any) -> bool:
        if not isinstance(item, Mapping):
            return False
        if MARK in item:
            return bool(item[MARK] == instance_id)
        return item.get("model_id") in model_ids

    return owns


# --- import -----------------------------------------------------------------


def _is_keys(path: str) -> bool:
    return Path(path).name == KEYS_FILE


def _both_files(text: str, path: str) -> tuple[str | None, str | None, str]:
    """The models file's text and keys.json's: the one given, and its sibling
    when it exists (None when absent)."""
    if _is_keys(path):
        sibling = Path(path).with_name(MODELS_FILE)
        return _read_if_there(sibling), text, path
    sibling = Path(path).with_name(KEYS_FILE)
    return text, _read_if_there(sibling), str(sibling)


def _read_if_there(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ToolFileError(str(path), 0, 0, f"cannot be read ({type(exc).__name__})") from None


def _keys_object(text: str, path: str) -> dict[str, Any]:
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise ToolFileError(path, exc.lineno, exc.colno, safe_problem(exc.msg)) from None
    if not isinstance(data, dict):
        raise ToolFileError(path, 1, 1, "keys.json is not a JSON object")
    return data


def _keys(text: str, path: str) -> dict[str, tuple[str, int]]:
    """keys.json's name -> (key, 1-based line of the entry)."""
    data = _keys_object(text, path)
    lines = text.splitlines()
    found: dict[str, tuple[str, int]] = {}
    for name, value in data.items():
        if not isinstance(value, str) or not value or name == "// Note":
            continue
        quoted = json.dumps(name)
        line = next((n for n, row in enumerate(lines, 1) if quoted in row), 0)
        found[name] = (value, line)
    return found


@dataclass
class _Group:
    label: str
    provider: str
    items: list[Any]


def _groups(items: Any, path: str, skipped: list[ToolNote]) -> list[_Group]:
    groups: dict[tuple[Any, ...], _Group] = {}
    for index, item in enumerate(items):
        label = f"{MODELS_FILE}[{index}]"
        if not isinstance(item, Mapping):
            line, column = position(items, index)
            raise ToolFileError(path, line, column, f"{label} is not a mapping")
        api_base = item.get("api_base")
        if not isinstance(item.get("model_name"), str) or not isinstance(api_base, str):
            skipped.append(ToolNote(label, "no `model_name` or no `api_base`"))
            continue
        if item.get("api_type") or item.get("completion"):
            skipped.append(
                ToolNote(label, "an Azure or completion model, which provreg does not map")
            )
            continue
        parts = urlsplit(api_base)
        provider = _KNOWN_HOSTS.get(parts.hostname or "", "openai-compatible")
        if parts.port == _OLLAMA_PORT and parts.path.rstrip("/") == "/v1":
            provider = "ollama"
        key = (
            item.get(MARK),
            item.get(KEY_MARK),
            api_base,
            item.get("api_key_name"),
            json.dumps(item.get("headers"), sort_keys=True, default=str),
            bool(item.get("responses")),
        )
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(label, provider, [])
        group.items.append(item)
    return list(groups.values())


def _imported(
    group: _Group, keys: Mapping[str, tuple[str, int]], paired: set[str]
) -> ImportedEntry:
    first = group.items[0]
    values: dict[str, Any] = {}
    api_base = str(first["api_base"])
    if group.provider == "ollama":
        api_base = api_base.rstrip("/").removesuffix("/v1")
    values["base_url"] = api_base
    headers = mapping_member(first, "headers")
    for field_id, header in _HEADERS.get(group.provider, {}).items():
        if header in headers:
            values[field_id] = headers[header]
    if first.get("responses") and group.provider == "openai":
        values["api_style"] = "responses"
    models = tuple(dict.fromkeys(ModelSpec(id=item["model_name"]) for item in group.items))
    values["default_model"] = models[0].id
    lost = [
        f"{item.get('model_id')}: {key}"
        for item in group.items
        for key in item
        if key not in _ITEM_KEYS
    ]
    secrets: dict[str, ImportedSecret] = {}
    key_name = first.get("api_key_name")
    if isinstance(key_name, str) and group.provider != "ollama":
        if key_name in keys:
            value, line = keys[key_name]
            secrets["api_key"] = ImportedSecret("api_key", plaintext=SecretStr(value), line=line)
            paired.add(key_name)
        elif isinstance(first.get(KEY_MARK), str) and first[KEY_MARK]:
            secrets["api_key"] = ImportedSecret("api_key", ref=instance_key(first[KEY_MARK]))
        else:
            ref = SecretRef(kind="env", name=KEY_VARIABLE)
            secrets["api_key"] = ImportedSecret("api_key", ref=ref)
    mark = first.get(MARK)
    name = str(mark) if mark else str(first.get("model_id", "")).partition("/")[0] or "llm"
    return ImportedEntry(
        label=group.label,
        name=name,
        id=str(mark) if mark else None,
        provider=group.provider,
        values=values,
        secrets=secrets,
        models=models,
        line=position(first)[0],
        lost=tuple(lost),
    )
