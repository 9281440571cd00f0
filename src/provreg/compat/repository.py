"""The old repository patterns, backed by the registry.

`LlmConfigRepository` has the CRUD surface of the old LLM config repository
(`create`, `read`, `update`, `delete`, `list`, `exists`); `SettingsRepository`
the settings pattern (`load_settings`, `save_settings(partial)`,
`get_default_settings`, `validate_settings(data)`). Both are async, like the
registry under them; old call sites port by changing an import and awaiting.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from provreg.compat.llm_config import (
    CompatValidationError,
    LlmConfig,
    LlmConfigData,
    LlmConfigMetadata,
    ValidationReport,
    changes_from_config_data,
    resolve_blocking,
    to_llm_config,
    to_metadata,
    validate_config_data,
)
from provreg.model import ProviderDefinition, ProviderInstance
from provreg.registry import ProviderRegistry
from provreg.registry.secret_ops import instance_host
from provreg.secrets import SecretError


class LlmConfigRepository:
    """CRUD over instances in the old shape. Ids are the registry's instance ids."""

    def __init__(self, registry: ProviderRegistry) -> None:
        self.registry = registry

    def _config(self, instance: ProviderInstance) -> LlmConfig:
        registry = self.registry
        definition = registry.snapshot().catalog.get(instance.provider)
        resolve = None
        if definition is not None and definition.field("api_key") is not None:
            store = registry.secret_store()
            ref = instance.secret_ref("api_key")
            host = instance_host(instance, definition)

            def resolve() -> SecretStr:
                return resolve_blocking(
                    lambda: store.resolve(
                        instance.id, "api_key", ref, host, config_file=instance.file
                    ),
                    store.timeout_for(ref),
                )

        return to_llm_config(instance, definition, resolve, registry.audit)

    def _existing_names(self, except_id: str | None = None) -> list[str]:
        return [i.name for i in self.registry.instances() if i.id != except_id]

    async def create(self, data: LlmConfigData | Mapping[str, Any]) -> LlmConfig:
        """Validate with the old rules, create the instance, store the key.

        Raises:
            CompatValidationError: the old rules refused the data.
        """
        config_data = _coerce(data)
        report = validate_config_data(
            config_data,
            self._existing_names(),
            known_providers=[d.id for d in self.registry.definitions()],
        )
        if not report.ok:
            raise CompatValidationError(report)
        definition = self.registry.definition(config_data.provider)
        changes = _changes(config_data, definition)
        name = changes.pop("name")
        values = {k: v for k, v in changes.items() if not _is_remove(v)}
        instance = await self.registry.create(config_data.provider, name, values)
        if config_data.apiKey is not None and definition.field("api_key") is not None:
            await self.registry.set_secret(instance.id, "api_key", config_data.apiKey)
        return self._config(self.registry.get(instance.id))

    async def read(self, config_id: str) -> LlmConfig | None:
        instance = self.registry.find(config_id)
        return self._config(instance) if instance is not None else None

    async def update(self, config_id: str, partial: Mapping[str, Any] | LlmConfigData) -> LlmConfig:
        """Apply the given old-shape fields; fields not given stay as they are."""
        current = self.registry.get(config_id)
        definition = self.registry.definition(current.provider)
        given = partial.model_dump() if isinstance(partial, LlmConfigData) else dict(partial)
        merged = _merged(current, given)
        if merged["provider"] != current.provider:
            raise CompatValidationError(
                ValidationReport(errors=["provider cannot be changed; create a new config"])
            )
        config_data = _coerce(merged)
        report = validate_config_data(config_data, self._existing_names(except_id=config_id))
        if not report.ok:
            raise CompatValidationError(report)
        changes = _changes(config_data, definition, current)
        await self.registry.update(config_id, changes)
        if "apiKey" in given and config_data.apiKey is not None:
            await self.registry.set_secret(config_id, "api_key", config_data.apiKey)
        return self._config(self.registry.get(config_id))

    async def delete(self, config_id: str) -> bool:
        """Remove the config and, like the old repository, its stored key.

        Only the instance's own keyring entry (`{keyring: true}`, the default)
        is removed: a named entry may be shared, env and file refs are not ours.
        Left behind, the key would be inherited by the next config given this id.
        """
        instance = self.registry.find(config_id)
        if instance is None:
            return False
        definition = self.registry.snapshot().catalog.get(instance.provider)
        await self.registry.delete(config_id)
        if definition is not None and definition.field("api_key") is not None:
            ref = instance.secret_ref("api_key")
            if ref.kind == "keyring" and not ref.name:
                store = self.registry.secret_store()
                try:
                    await self.registry.remove_secret_entry(store.service, f"{config_id}/api_key")
                except SecretError:
                    pass  # no usable keyring: the config is gone; `secret prune` lists leftovers
                store.invalidate(config_id)
        return True

    async def list(self) -> list[LlmConfigMetadata]:
        """Metadata only: listing never touches secrets."""
        catalog = self.registry.snapshot().catalog
        return [
            to_metadata(i, catalog.get(i.provider), self.registry.audit)
            for i in self.registry.instances()
        ]

    async def exists(self, config_id: str) -> bool:
        return self.registry.find(config_id) is not None


def _merged(current: ProviderInstance, given: Mapping[str, Any]) -> dict[str, Any]:
    """The old-shape fields of `current`, overridden by the ones given."""
    return {
        "customName": current.name,
        "provider": current.provider,
        "baseUrl": current.values.get("base_url"),
        "useAuthHeader": bool(current.values.get("use_auth_header", False)),
        **given,
    }


def _changes(
    data: LlmConfigData, definition: ProviderDefinition, current: ProviderInstance | None = None
) -> dict[str, Any]:
    """`changes_from_config_data`, its refusals raised as CompatValidationError."""
    try:
        return changes_from_config_data(data, definition, current)
    except ValueError as exc:
        raise CompatValidationError(ValidationReport(errors=[str(exc)])) from None


def _is_remove(value: Any) -> bool:
    from provreg.config.edit import REMOVE

    return value is REMOVE


def _coerce(data: LlmConfigData | Mapping[str, Any]) -> LlmConfigData:
    if isinstance(data, LlmConfigData):
        return data
    try:
        return LlmConfigData.model_validate(dict(data))
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'data'}: {e['msg']}"
            for e in exc.errors(include_input=False)
        ]
        raise CompatValidationError(ValidationReport(errors=problems)) from None


class AppSettings(BaseModel):
    """The LLM part of the old app's settings."""

    model_config = ConfigDict(frozen=True)

    llmConfigs: list[LlmConfigMetadata] = Field(default_factory=list)  # noqa: N815
    activeLlmConfigId: str | None = None  # noqa: N815


class SettingsRepository:
    """The old settings pattern. LLM configs live in the registry (YAML + keyring);
    the one other setting, the active config, lives in the user state dir."""

    def __init__(self, registry: ProviderRegistry, path: str | None = None) -> None:
        from provreg.paths import user_state_dir

        self.registry = registry
        self.configs = LlmConfigRepository(registry)
        self.path = path or os.path.join(user_state_dir(), "compat-settings.json")

    def get_default_settings(self) -> AppSettings:
        return AppSettings()

    def _stored(self) -> dict[str, Any]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                value = json.load(handle)
            return value if isinstance(value, dict) else {}
        except (OSError, json.JSONDecodeError):
            return {}

    async def load_settings(self) -> AppSettings:
        active = self._stored().get("activeLlmConfigId")
        if not isinstance(active, str) or self.registry.find(active) is None:
            active = None
        return AppSettings(llmConfigs=await self.configs.list(), activeLlmConfigId=active)

    def validate_settings(self, data: Mapping[str, Any]) -> list[str]:
        """Problems with a (partial) settings object, as messages; empty when valid."""
        problems: list[str] = []
        unknown = set(data) - {"llmConfigs", "activeLlmConfigId"}
        problems += [f"unknown setting '{key}'" for key in sorted(unknown)]
        active = data.get("activeLlmConfigId")
        if active is not None and (
            not isinstance(active, str) or self.registry.find(active) is None
        ):
            problems.append(f"activeLlmConfigId '{active}' is not a known config")
        configs = data.get("llmConfigs")
        if configs is not None:
            if not isinstance(configs, list):
                problems.append("llmConfigs must be a list")
            else:
                problems += self._config_problems(configs)
        return problems

    def _config_problems(self, configs: list[Any]) -> list[str]:
        """The old rules over each item, as `save_settings` will apply it: an item with
        an `id` is merged into that config (it may carry only the fields it changes),
        one without is a new config; names must stay unique across the registry and
        the batch."""
        problems: list[str] = []
        existing = {instance.id: instance for instance in self.registry.instances()}
        catalog = self.registry.snapshot().catalog
        providers = [definition.id for definition in catalog]
        names: list[str] = []
        for index, item in enumerate(configs):
            where = f"llmConfigs[{index}]"
            if not isinstance(item, Mapping):
                problems.append(f"{where}: must be an object")
                continue
            own_id = item.get("id")
            given = {k: v for k, v in item.items() if k not in ("id", "createdAt", "updatedAt")}
            current = existing.get(own_id) if isinstance(own_id, str) else None
            if own_id is not None and current is None:
                problems.append(
                    f"{where}: no config with id '{own_id}' (leave out the id to create one)"
                )
                continue
            if current is not None:
                given = _merged(current, given)
                if given["provider"] != current.provider:
                    problems.append(f"{where}: provider cannot be changed; create a new config")
                    continue
            try:
                config_data = _coerce(given)
            except CompatValidationError as exc:
                problems += [f"{where}: {e}" for e in exc.report.errors]
                continue
            others = [i.name for i in existing.values() if i.id != own_id]
            report = validate_config_data(config_data, [*names, *others], known_providers=providers)
            problems += [f"{where}: {e}" for e in report.errors]
            definition = catalog.get(config_data.provider)
            if report.ok and definition is not None:
                try:
                    changes_from_config_data(config_data, definition, current)
                except ValueError as exc:
                    problems.append(f"{where}: {exc}")
            names.append(config_data.customName)
        return problems

    async def save_settings(self, partial: Mapping[str, Any]) -> AppSettings:
        """Merge a partial settings object: configs with an `id` are updated, without
        one are created; configs not mentioned are left alone (never deleted)."""
        problems = self.validate_settings(partial)
        if problems:
            raise CompatValidationError(ValidationReport(errors=problems))
        for item in partial.get("llmConfigs") or []:
            item = dict(item)
            config_id = item.pop("id", None)
            for key in ("createdAt", "updatedAt"):
                item.pop(key, None)
            if config_id and await self.configs.exists(config_id):
                await self.configs.update(config_id, item)
            else:
                await self.configs.create(item)
        if "activeLlmConfigId" in partial:
            stored = self._stored()
            stored["activeLlmConfigId"] = partial["activeLlmConfigId"]
            from provreg.storage.atomic import atomic_write_json

            atomic_write_json(self.path, stored)
        return await self.load_settings()
