"""`provreg secret import`: move plaintext keys found in YAML into the keyring.

For each plaintext value in a secret field: store it in the keyring first,
then rewrite that one line as `{keyring: true}` (an atomic, comment-keeping
splice; `id:` is written too when the entry had none, so the keyring entry
stays attached). If the keyring fails, the file is left untouched; if the
file write fails after the keyring write, running the command again is safe.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import anyio
from pydantic import SecretStr

from provreg.config.discovery import discover
from provreg.config.edit import InstanceKey, update_instance
from provreg.config.loader import collect_definitions, read_file, slugify
from provreg.model import SecretRef
from provreg.registry.secret_ops import instance_host
from provreg.secrets.store import SecretStore
from provreg.storage.atomic import atomic_write
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
    return await anyio.to_thread.run_sync(_import_sync, paths, dry_run, store)


def _import_sync(paths: list[str], dry_run: bool, store: SecretStore | None) -> list[MovedSecret]:
    from provreg.catalog import builtin_catalog
    from provreg.model import ProviderInstance

    files = discover(paths)
    parsed = [
        read_file(
            f.path,
            f.display,
        )
        for f in files
    ]
    catalog, _, _ = collect_definitions(parsed, builtin_catalog())
    secrets = store if store is not None else SecretStore()
    moved: list[MovedSecret] = []
    for item in parsed:
        plan: list[tuple[InstanceKey, dict[str, Any], str, SecretStr, str | None, int]] = []
        for entry in item.providers:
            raw = entry.value
            provider = raw.get("provider")
            definition = catalog.get(provider) if isinstance(provider, str) else None
            if definition is None:
                continue
            raw_name = raw.get("name")
            name: str = raw_name if isinstance(raw_name, str) else ""
            has_id = isinstance(raw.get("id"), str)
            instance_id = raw["id"] if has_id else slugify(name or "instance")
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
                    line = entry.node.start_mark.line + 1
                    plan.append((key, changes, spec.id, SecretStr(str(value)), host, line))
        if not plan:
            continue
        for key, _, field, _, _, line in plan:
            moved.append(MovedSecret(key.id, field, item.display, line))
        if dry_run:
            continue
        with file_write_lock(item.path):
            with open(item.path, "rb") as handle:
                current = handle.read()
            if (
                item.fingerprint is not None
                and hashlib.sha256(current).hexdigest() != item.fingerprint.sha256
            ):
                raise RuntimeError(f"{item.display} changed while importing; run the command again")
            text = current.decode("utf-8-sig")
            for key, changes, field, value, host, _ in plan:
                secrets.set(key.id, field, SecretRef(kind="keyring"), value, host)
                text = update_instance(text, key, changes)
            bom = b"\xef\xbb\xbf" if current.startswith(b"\xef\xbb\xbf") else b""
            atomic_write(item.path, bom + text.encode("utf-8"))
    return moved
