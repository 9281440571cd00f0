"""`provreg secret import`: move plaintext keys found in YAML into the keyring.

For each plaintext value in a secret field: store it in the keyring first,
then rewrite that one line as `{keyring: true}` (an atomic, comment-keeping
splice; `id:` is written too when the entry had none, so the keyring entry
stays attached). If the keyring fails, the file is left untouched; if the
file write fails after the keyring write, running the command again is safe.
Each keyring write is bounded by the store's timeout (a locked keyring must
not hang the command).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from typing import Any

import anyio
from pydantic import SecretStr

from provreg.config.definitions import collect_definitions
from provreg.config.discovery import discover
from provreg.config.edit import InstanceKey, update_instance
from provreg.config.ids import slugify, unique_id
from provreg.config.reading import read_file
from provreg.model import SecretRef
from provreg.secrets.errors import SecretTimeoutError
from provreg.secrets.hosts import instance_host
from provreg.secrets.offloop import call_with_timeout
from provreg.secrets.store import SecretStore, timeout_message
from provreg.storage.atomic import atomic_write
from provreg.storage.backend import StorageError
from provreg.storage.lock import file_write_lock


@dataclass(frozen=True, slots=True)
class MovedSecret:
    instance_id: str
    field: str
    file: str
    line: int


async def import_plaintext(
    paths: list[str], *, dry_run: bool = False, store: SecretStore | None = None
) -> list[MovedSecret]:
    """Move plaintext values into the keyring and rewrite their lines as references.

    Raises:
        SecretError: the keyring refused, failed or timed out (that file is untouched).
        StorageError: a file changed while importing (keys already stored stay; rerun).
    """
    plans = await anyio.to_thread.run_sync(_plan_files, paths)
    moved = [
        MovedSecret(key.id, field, plan.display, line)
        for plan in plans
        for key, _, field, _, _, line in plan.items
    ]
    if dry_run:
        return moved
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
        await anyio.to_thread.run_sync(_rewrite, plan)
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


def _rewrite(plan: _FilePlan) -> None:
    # The audit intent, logged before the rename, tells watching processes this
    # write is provreg's own `secret import` (logged as such by the command), so
    # none of them logs it as an external change.
    from provreg.registry.audit import AuditLog
    from provreg.registry.audit_journal import new_txn

    audit, txn = AuditLog(), new_txn()

    def log_intent(real: str, sha256_before: str | None, sha256: str) -> None:
        for key, _, field, _, _, _ in plan.items:
            with contextlib.suppress(OSError):  # the key is stored: rewrite the file anyway
                audit.intent(
                    txn=txn,
                    source="cli",
                    action="secret-import",
                    instance_id=key.id,
                    file=plan.display,
                    real_file=real,
                    fields=[field],
                    sha256_before=sha256_before,
                    sha256=sha256,
                )

    with file_write_lock(plan.path):
        with open(plan.path, "rb") as handle:
            current = handle.read()
        if plan.sha256 is not None and hashlib.sha256(current).hexdigest() != plan.sha256:
            raise StorageError(f"{plan.display} changed while importing; run the command again")
        text = current.decode("utf-8-sig")
        for key, changes, _, _, _, _ in plan.items:
            text = update_instance(text, key, changes)
        bom = b"\xef\xbb\xbf" if current.startswith(b"\xef\xbb\xbf") else b""
        data = bom + text.encode("utf-8")
        before, after = hashlib.sha256(current).hexdigest(), hashlib.sha256(data).hexdigest()
        real = os.path.realpath(plan.path)
        atomic_write(plan.path, data, before_replace=lambda: log_intent(real, before, after))
    with contextlib.suppress(OSError):
        audit.close_intent(txn)
