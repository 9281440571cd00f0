"""The old app's LLM settings shapes, and the adapter to and from instances.

`LlmConfigData` (input: customName, provider, apiKey, baseUrl?, useAuthHeader),
`LlmConfig` (adds id, createdAt, updatedAt; `apiKey` resolved lazily through
the secret store only when read) and `LlmConfigMetadata` (LlmConfig without
apiKey; never touches secrets). Fields the old shape cannot carry stay in the
instance untouched: the adapter only ever changes name, base_url,
use_auth_header and the key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr, SecretStr

from provreg.config.edit import REMOVE
from provreg.config.read.validation import check_url
from provreg.model import NAME_MAX_LENGTH, ProviderDefinition, ProviderInstance, name_length_ok

API_KEY_MAX = 500
KEY_PREFIXES = {"openai": "sk-", "anthropic": "sk-ant-"}


class LlmConfigData(BaseModel):
    """What the old app's forms produced. `apiKey` is a SecretStr: repr never shows it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    customName: str  # noqa: N815 - the old shape's names
    provider: str
    apiKey: SecretStr | None = None  # noqa: N815
    baseUrl: str | None = None  # noqa: N815
    useAuthHeader: bool = False  # noqa: N815


class LlmConfigMetadata(BaseModel):
    """An instance in the old shape, without the key."""

    model_config = ConfigDict(frozen=True)

    id: str
    customName: str  # noqa: N815
    provider: str
    baseUrl: str | None = None  # noqa: N815
    useAuthHeader: bool = False  # noqa: N815
    createdAt: str  # noqa: N815
    updatedAt: str  # noqa: N815


class LlmConfig(LlmConfigMetadata):
    """An instance in the old shape; reading `apiKey` resolves the key at that moment."""

    _resolve: Callable[[], SecretStr] | None = PrivateAttr(default=None)

    @property
    def apiKey(self) -> str:  # noqa: N802
        """The key, resolved now (keyring, env, file or command).

        Raises SecretError when missing."""
        return self.api_key_secret().get_secret_value()

    def api_key_secret(self) -> SecretStr:
        if self._resolve is None:
            from provreg.secrets import SecretMissingError

            raise SecretMissingError(self.id, "api_key", "this provider", "it takes no key")
        return self._resolve()

    def metadata(self) -> LlmConfigMetadata:
        return LlmConfigMetadata(**self.model_dump())


class CompatValidationError(ValueError):
    """The old validation rules refused the data; `report` lists every problem."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__("; ".join(report.errors))
        self.report = report


@dataclass
class ValidationReport:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_config_data(
    data: LlmConfigData,
    existing_names: Iterable[str] = (),
    *,
    known_providers: Iterable[str] | None = None,
) -> ValidationReport:
    """The old app's rules: customName 1-100 and unique (trimmed, ignoring case),
    apiKey 1-500, baseUrl a URL; known key formats as warnings."""
    report = ValidationReport()
    name = data.customName.strip()
    if not name_length_ok(name):
        report.errors.append(f"customName must be 1 to {NAME_MAX_LENGTH} characters")
    taken = {existing.strip().casefold() for existing in existing_names}
    if name and name.casefold() in taken:
        report.errors.append(f"customName '{name}' is already used (names ignore case)")
    if known_providers is not None and data.provider not in set(known_providers):
        report.errors.append(f"unknown provider '{data.provider}'")
    if data.apiKey is not None:
        key = data.apiKey.get_secret_value()
        if not 1 <= len(key) <= API_KEY_MAX:
            report.errors.append(f"apiKey must be 1 to {API_KEY_MAX} characters")
        prefix = KEY_PREFIXES.get(data.provider)
        if prefix and key and not key.startswith(prefix):
            report.warnings.append(f"an {data.provider} key usually starts with '{prefix}'")
        if data.provider == "openai" and key.startswith("sk-ant-"):
            report.warnings.append("this looks like an Anthropic key")
    if data.baseUrl is not None:
        try:
            check_url(data.baseUrl)
        except ValueError as exc:
            report.errors.append(f"baseUrl is not a valid URL ({exc})")
    return report


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


def instance_times(instance: ProviderInstance, audit: Any) -> tuple[str, str]:
    """(createdAt, updatedAt): from the audit log, else the file's mtime."""
    created = updated = None
    if audit is not None:
        created, updated = audit.times_for(instance.id)
    if created is None or updated is None:
        try:
            mtime = _iso(os.stat(instance.file).st_mtime)
        except OSError:
            mtime = _iso(0)
        created = created or mtime
        updated = updated or mtime
    return created, updated


def to_metadata(
    instance: ProviderInstance, definition: ProviderDefinition | None, audit: Any = None
) -> LlmConfigMetadata:
    created, updated = instance_times(instance, audit)
    base_url = instance.values.get("base_url")
    return LlmConfigMetadata(
        id=instance.id,
        customName=instance.name,
        provider=instance.provider,
        baseUrl=base_url if isinstance(base_url, str) else None,
        useAuthHeader=bool(instance.values.get("use_auth_header", False)),
        createdAt=created,
        updatedAt=updated,
    )


def to_llm_config(
    instance: ProviderInstance,
    definition: ProviderDefinition | None,
    resolve: Callable[[], SecretStr] | None,
    audit: Any = None,
) -> LlmConfig:
    meta = to_metadata(instance, definition, audit)
    config = LlmConfig(**meta.model_dump())
    config._resolve = resolve
    return config


def to_config_data(instance: ProviderInstance, api_key: SecretStr | None = None) -> LlmConfigData:
    """The input shape of an instance (the key only when given: it is never fetched here)."""
    base_url = instance.values.get("base_url")
    return LlmConfigData(
        customName=instance.name,
        provider=instance.provider,
        apiKey=api_key,
        baseUrl=base_url if isinstance(base_url, str) else None,
        useAuthHeader=bool(instance.values.get("use_auth_header", False)),
    )


def changes_from_config_data(
    data: LlmConfigData, definition: ProviderDefinition, current: ProviderInstance | None = None
) -> dict[str, Any]:
    """Registry changes that make an instance say what `data` says (key excluded).

    Only the fields the old shape carries are touched; a `useAuthHeader` the
    provider has no field for must be false (it cannot be stored).
    """
    changes: dict[str, Any] = {"name": data.customName.strip()}
    if definition.field("base_url") is not None:
        if data.baseUrl is not None:
            changes["base_url"] = data.baseUrl
        elif current is not None and "base_url" in current.values:
            changes["base_url"] = REMOVE
    if definition.field("use_auth_header") is not None:
        stated = current is not None and "use_auth_header" in current.values
        if data.useAuthHeader or stated:
            changes["use_auth_header"] = data.useAuthHeader
    elif data.useAuthHeader:
        raise ValueError(f"provider '{definition.id}' has no use_auth_header setting")
    return changes


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_uuid(text: str) -> bool:
    return bool(_UUID.match(text))


def resolve_blocking(call: Callable[[], SecretStr], timeout: float) -> SecretStr:
    """Run a blocking resolution with a timeout (a locked keyring must not hang the caller)."""
    from provreg.secrets import SecretTimeoutError
    from provreg.secrets.offloop import call_blocking_with_timeout

    try:
        return call_blocking_with_timeout(call, timeout=timeout)
    except TimeoutError:
        raise SecretTimeoutError(f"the keyring did not answer within {timeout:g} s") from None
