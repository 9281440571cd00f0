"""`provreg migrate --from-json`: import the old app's `llm_config.json`.

The file is a JSON array of `{id (uuid), customName, provider, baseUrl?,
useAuthHeader, createdAt, updatedAt}`; keys were kept apart. Keys come from
`--keys` (a JSON object of plaintext values, as the old app's test storage
wrote them, names carrying the prefix `llm_api_key_` once or twice), from an
environment variable per entry, or are left missing and listed. Keys go to
the secret store only.

The whole file is checked before anything is written: one bad entry imports
nothing, unless `partial` is set. A rerun creates nothing new: each imported
uuid is recorded (state dir) with the instance it became.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from provreg.compat.llm_config import (
    LlmConfigData,
    changes_from_config_data,
    is_uuid,
    validate_config_data,
)
from provreg.registry import ProviderRegistry

KEY_PREFIX = "llm_api_key_"
MAP_FILE_NAME = "migrated-ids.json"


def key_env_name(uuid: str) -> str:
    """`LLM_API_KEY_<UUID>` with dashes as underscores, upper case."""
    return "LLM_API_KEY_" + uuid.replace("-", "_").upper()


@dataclass
class PlannedEntry:
    uuid: str
    name: str
    provider: str
    data: LlmConfigData | None
    """None for an entry a previous run already imported."""
    created_at: str | None
    updated_at: str | None
    key: SecretStr | None = None
    key_source: str | None = None
    existing_id: str | None = None
    """Set when a previous run already imported this uuid (nothing to do)."""


@dataclass
class MigrationPlan:
    entries: list[PlannedEntry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    missing_keys: list[str] = field(default_factory=list)


class MigrationError(Exception):
    """The input cannot be imported; the message lists every problem."""


def _strip_prefix(name: str) -> str:
    for _ in range(2):
        if name.startswith(KEY_PREFIX):
            name = name[len(KEY_PREFIX) :]
    return name


def read_keys(path: str) -> dict[str, SecretStr]:
    """Key name (prefixes removed) -> value. Encrypted stores are refused, never skipped."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise MigrationError(f"{path}: cannot read keys: {exc.strerror}") from None
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise MigrationError(
            f"{path}: not a JSON object of plaintext keys; an encrypted key store (the "
            "old app's safeStorage/keychain) cannot be read outside the old app — export "
            "the keys there, or set each with `provreg secret set ID api_key`"
        ) from None
    if not isinstance(value, dict):
        raise MigrationError(f"{path}: keys must be a JSON object of name -> key")
    keys: dict[str, SecretStr] = {}
    encrypted = []
    for name, key in value.items():
        if isinstance(key, str):
            keys[_strip_prefix(str(name))] = SecretStr(key)
        else:
            encrypted.append(str(name))
    if encrypted:
        raise MigrationError(
            f"{path}: {len(encrypted)} key(s) are not plaintext strings (encrypted?): "
            f"{', '.join(_strip_prefix(n) for n in encrypted[:5])}; they cannot be read "
            "outside the old app — set them with `provreg secret set ID api_key`"
        )
    return keys


def _load_map(path: str) -> dict[str, str]:
    try:
        with open(path, encoding="utf-8") as handle:
            value = json.load(handle)
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
    except (OSError, json.JSONDecodeError):
        return {}


def _save_map(path: str, mapping: dict[str, str]) -> None:
    from provreg.storage.atomic import atomic_write_json

    atomic_write_json(path, mapping, indent=1, sort_keys=True)


def default_map_path() -> str:
    from provreg.paths import user_state_dir

    return os.path.join(user_state_dir(), MAP_FILE_NAME)


def plan_migration(
    json_path: str,
    registry: ProviderRegistry,
    keys_path: str | None = None,
    map_path: str | None = None,
) -> MigrationPlan:
    """Check every entry; nothing is written."""
    plan = MigrationPlan()
    try:
        with open(json_path, encoding="utf-8") as handle:
            raw = json.load(handle)
    except OSError as exc:
        raise MigrationError(f"{json_path}: cannot read: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MigrationError(f"{json_path}: not JSON ({exc})") from None
    if not isinstance(raw, list):
        raise MigrationError(f"{json_path}: expected a JSON array of LLM configs")
    keys = read_keys(keys_path) if keys_path else {}
    imported = _load_map(map_path or default_map_path())
    providers = {d.id for d in registry.definitions()}
    existing_names = [i.name for i in registry.instances()]
    seen_names: list[str] = []
    seen_uuids: set[str] = set()
    for index, item in enumerate(raw):
        where = f"entry {index + 1}"
        if not isinstance(item, dict):
            plan.errors.append(f"{where}: not an object")
            continue
        uuid = item.get("id")
        if not isinstance(uuid, str) or not is_uuid(uuid):
            plan.errors.append(f"{where}: 'id' must be a uuid")
            continue
        where = f"entry {index + 1} ({uuid})"
        if uuid in seen_uuids:
            plan.errors.append(f"{where}: the same id appears twice")
            continue
        seen_uuids.add(uuid)
        done = imported.get(uuid)
        if done is not None and registry.find(done) is not None:
            name = str(item.get("customName", ""))
            plan.entries.append(
                PlannedEntry(
                    uuid, name, str(item.get("provider")), None, None, None, existing_id=done
                )
            )
            continue
        data_fields = {
            k: item[k]
            for k in ("customName", "provider", "baseUrl", "useAuthHeader")
            if item.get(k) is not None
        }
        try:
            data = LlmConfigData.model_validate(data_fields)
        except Exception:
            plan.errors.append(
                f"{where}: needs customName and provider (text), useAuthHeader (true/false)"
            )
            continue
        report = validate_config_data(
            data, [*existing_names, *seen_names], known_providers=providers
        )
        plan.errors += [f"{where}: {e}" for e in report.errors]
        plan.warnings += [f"{where}: {w}" for w in report.warnings]
        if not report.ok:
            continue
        definition = registry.definition(data.provider)
        try:
            changes_from_config_data(data, definition)
        except ValueError as exc:
            plan.errors.append(f"{where}: {exc}")
            continue
        seen_names.append(data.customName)
        entry = PlannedEntry(
            uuid,
            data.customName.strip(),
            data.provider,
            data,
            item.get("createdAt") if isinstance(item.get("createdAt"), str) else None,
            item.get("updatedAt") if isinstance(item.get("updatedAt"), str) else None,
        )
        if definition.field("api_key") is not None:
            env_name = key_env_name(uuid)
            if uuid in keys:
                entry.key, entry.key_source = keys[uuid], "keys file"
            elif os.environ.get(env_name):
                entry.key, entry.key_source = SecretStr(os.environ[env_name]), f"${env_name}"
            else:
                plan.missing_keys.append(entry.name)
            if entry.key is not None:
                key_report = validate_config_data(
                    LlmConfigData(customName="x", provider=data.provider, apiKey=entry.key)
                )
                plan.errors += [f"{where}: {e}" for e in key_report.errors]
                plan.warnings += [f"{where}: {w}" for w in key_report.warnings]
        plan.entries.append(entry)
    return plan


async def run_migration(
    plan: MigrationPlan,
    registry: ProviderRegistry,
    *,
    file: str | None = None,
    partial: bool = False,
    map_path: str | None = None,
) -> list[tuple[PlannedEntry, str]]:
    """Create the planned instances and store their keys. Returns (entry, new id) pairs.

    Raises:
        MigrationError: the plan has errors and `partial` is false (nothing written).
    """
    if plan.errors and not partial:
        raise MigrationError(
            "nothing imported; fix these (or pass --partial to import the rest):\n  "
            + "\n  ".join(plan.errors)
        )
    path = map_path or default_map_path()
    mapping = _load_map(path)
    done: list[tuple[PlannedEntry, str]] = []
    for entry in plan.entries:
        if entry.existing_id is not None or entry.data is None:
            continue
        definition = registry.definition(entry.provider)
        changes = changes_from_config_data(entry.data, definition)
        name = changes.pop("name")
        instance = await registry.create(entry.provider, name, changes, file, source="cli")
        if entry.key is not None:
            await registry.set_secret(instance.id, "api_key", entry.key, source="cli")
        mapping[entry.uuid] = instance.id
        _save_map(path, mapping)
        if registry.audit is not None:
            registry.audit.record(
                source="cli",
                action="import",
                instance_id=instance.id,
                file=instance.file,
                fields=("legacy_id",),
                legacy_times=(entry.created_at, entry.updated_at),
            )
        done.append((entry, instance.id))
    return done


def describe_plan(plan: MigrationPlan, *, dry_run: bool) -> list[str]:
    lines = []
    verb = "would import" if dry_run else "import"
    for entry in plan.entries:
        if entry.existing_id is not None:
            lines.append(f"skip   {entry.uuid}: already imported as '{entry.existing_id}'")
            continue
        key = f"key from {entry.key_source}" if entry.key_source else "no key"
        lines.append(f"{verb} {entry.uuid}: '{entry.name}' ({entry.provider}), {key}")
    lines += [f"warning: {w}" for w in plan.warnings]
    lines += [f"error: {e}" for e in plan.errors]
    if plan.missing_keys:
        lines.append(
            "no key found for: "
            + ", ".join(plan.missing_keys)
            + " — set each with `provreg secret set ID api_key` after the import"
        )
    return lines


def as_dict(entry: PlannedEntry) -> dict[str, Any]:
    return {"uuid": entry.uuid, "name": entry.name, "provider": entry.provider}
