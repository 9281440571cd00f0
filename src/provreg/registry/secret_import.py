"""`provreg secret import`: move plaintext keys found in YAML into the keyring.

For each plaintext value in a secret field: store it in the keyring first,
then rewrite that one line as `{keyring: true}` (a comment-keeping splice;
`id:` is written too when the entry had none, so the keyring entry stays
attached). The file is written through the registry (`rewrite_file`), the
one write path: locked, atomic, audited as `secret-import` (one line per key,
source `cli`), and recognised by watchers as provreg's own write. If the
keyring fails, the file is left untouched; if the file write fails after the
keyring write, running the command again is safe. Each keyring write is
bounded by the store's timeout (a locked keyring must not hang the command).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
from pydantic import SecretStr

from provreg.config.edit import InstanceKey, update_instance
from provreg.config.ids import slugify, unique_id
from provreg.config.read.definitions import collect_definitions
from provreg.config.read.discovery import discover
from provreg.config.read.reading import read_file
from provreg.model import SecretRef
from provreg.registry.errors import ReadOnlyError
from provreg.registry.rewrite_ops import FileChange
from provreg.secrets.errors import SecretTimeoutError
from provreg.secrets.hosts import instance_host
from provreg.secrets.offloop import call_with_timeout
from provreg.secrets.store import SecretStore, timeout_message

if TYPE_CHECKING:
    from provreg.registry.registry import ProviderRegistry


@dataclass(frozen=True, slots=True)
class MovedSecret:
    instance_id: str
    field: str
    file: str
    line: int


async def import_plaintext(
    paths: list[str],
    *,
    dry_run: bool = False,
    store: SecretStore | None = None,
    registry: ProviderRegistry | None = None,
) -> list[MovedSecret]:
    """Move plaintext values into the keyring and rewrite their lines as references.

    Args:
        paths: the config paths to look in.
        store: where the keys go (default: the keyring).
        registry: the registry of `paths` to write through (default: one
            opened here, with the default audit log).

    Raises:
        SecretError: the keyring refused, failed or timed out (that file is untouched).
        ConflictError: a file changed while importing (keys already stored stay; rerun).
        ReadOnlyError, StorageError.
    """
    plans = await anyio.to_thread.run_sync(_plan_files, paths)
    moved = [
        MovedSecret(key.id, field, plan.display, line)
        for plan in plans
        for key, _, field, _, _, line in plan.items
    ]
    if dry_run or not plans:
        return moved
    if registry is None:
        from provreg.registry.registry import ProviderRegistry

        registry = await ProviderRegistry.open(paths)
    if registry.read_only:
        raise ReadOnlyError()  # before any key is stored
    secrets = store if store is not None else SecretStore()
    for plan in plans:
        for key, _, field, value, host, _ in plan.items:
            try:
                await call_with_timeout(
                    secrets.set,
                    key.id,
                    field,
                    SecretRef(kind="keyring"),
                    value,
                    host,
                    timeout=secrets.timeout,
                )
            except TimeoutError:
                raise SecretTimeoutError(timeout_message(secrets.timeout)) from None
        await _rewrite(registry, plan)
    return moved


_Item = tuple[InstanceKey, dict[str, Any], str, SecretStr, str | None, int]


@dataclass(frozen=True, slots=True)
class _FilePlan:
    path: str
    display: str
    sha256: str | None
    items: list[_Item]


def _plan_files(paths: list[str]) -> list[_FilePlan]:
    from provreg.catalog import builtin_catalog
    from provreg.model import ProviderInstance

    files = discover(paths)
    parsed = [read_file(f.path, f.display) for f in files]
    catalog, _, _ = collect_definitions(parsed, builtin_catalog())
    # An entry without `id:` gets one the way the loader derives it: never an id
    # another entry states (its keyring entry would be overwritten), hence
    # `unique_id` over every stated id, not the bare slug.
    taken = {
        entry.value["id"]
        for item in parsed
        for entry in item.providers
        if isinstance(entry.value.get("id"), str)
    }
    plans: list[_FilePlan] = []
    for item in parsed:
        plan: list[_Item] = []
        for entry in item.providers:
            raw = entry.value
            provider = raw.get("provider")
            definition = catalog.get(provider) if isinstance(provider, str) else None
            if definition is None:
                continue
            raw_name = raw.get("name")
            name: str = raw_name if isinstance(raw_name, str) else ""
            has_id = isinstance(raw.get("id"), str)
            if has_id:
                instance_id = raw["id"]
            else:
                instance_id = unique_id(slugify(name or "instance"), taken)
                taken.add(instance_id)
            key = InstanceKey(instance_id, name or "", id_derived=not has_id)
            stand_in = ProviderInstance.model_construct(
                id=instance_id,
                name=name,
                provider=definition.id,
                values={k: v for k, v in raw.items() if k == "base_url"},
            )
            host = instance_host(stand_in, definition)
            for spec in definition.secret_fields:
                value = raw.get(spec.id)
                if (
                    isinstance(value, str | int | float)
                    and not isinstance(value, bool)
                    and str(value)
                ):
                    changes: dict[str, Any] = {spec.id: SecretRef(kind="keyring")}
                    if not has_id:
                        changes = {"id": instance_id, **changes}
                    line = entry.node.start_mark.line + 1 if entry.node is not None else 0
                    plan.append((key, changes, spec.id, SecretStr(str(value)), host, line))
        if plan:
            sha = item.fingerprint.sha256 if item.fingerprint is not None else None
            plans.append(_FilePlan(item.path, item.display, sha, plan))
    return plans


async def _rewrite(registry: ProviderRegistry, plan: _FilePlan) -> None:
    def transform(text: str) -> str:
        for key, changes, _, _, _, _ in plan.items:
            text = update_instance(text, key, changes)
        return text

    changes = [FileChange("secret-import", key.id, (field,)) for key, _, field, *_ in plan.items]
    await registry.rewrite_file(plan.path, transform, changes, expect_sha256=plan.sha256)
