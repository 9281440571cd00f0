"""From committed registry events to audit lines, and back after a crash.

Owns: what the registry logs for each event (this process's own changes at
once, closing the write's intent; `external` ones only when no provreg
writer's intent explains them, see registry/audit.py), what a write's intent
says, and the resolution of intents a killed writer left open.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

from provreg.model import ProviderInstance, SecretRef
from provreg.registry.audit import AuditLog
from provreg.registry.audit_lines import is_path
from provreg.registry.events import Event, InstanceAdded, InstanceRemoved, InstanceUpdated
from provreg.registry.state import RegistryState

log = logging.getLogger("provreg.audit")

_ACTION = {InstanceAdded: "create", InstanceUpdated: "update", InstanceRemoved: "delete"}


DIGEST_CHARS = 16
"""Hex digits kept of an instance digest (64 bits: it only has to tell the
versions of one instance apart)."""


def instance_digest(instance: ProviderInstance) -> str:
    """A short hash of what the file says about an instance, the same in every process.

    The file is resolved (processes may name it by different paths); the
    position is left out (it moves when another instance is edited).
    """
    values = {
        key: value.to_yaml() if isinstance(value, SecretRef) else value
        for key, value in instance.values.items()
    }
    payload = {
        "file": os.path.realpath(instance.file) if is_path(instance.file) else instance.file,
        "id": instance.id,
        "id_derived": instance.id_derived,
        "name": instance.name,
        "provider": instance.provider,
        "values": values,
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_CHARS]


def intent_fields(
    source: str,
    action: str,
    instance_id: str,
    file: str,
    fields: Iterable[str],
    instance: ProviderInstance | None = None,
) -> dict[str, Any]:
    """What a write's audit intent says of it (see registry/audit_journal.py):
    field names and the instance's digest before, never values."""
    return {
        "source": source,
        "action": action,
        "instance_id": instance_id,
        "file": file,
        "fields": sorted(field for field in fields if field != "id"),
        "digest_before": instance_digest(instance) if instance is not None else None,
    }


def resolve_interrupted(audit: AuditLog, find: Callable[[str], ProviderInstance | None]) -> None:
    """Close the intents of writers killed before their outcome, with the
    instances as now loaded (`find`) giving an applied change its digest.
    Never raises for I/O."""

    def digest_of(instance_id: str, real_file: str) -> str | None:
        instance = find(instance_id)
        if instance is None or os.path.realpath(instance.file) != real_file:
            return None
        return instance_digest(instance)

    try:
        audit.resolve_interrupted(digest_of)
    except OSError:
        log.warning("cannot resolve the audit log's interrupted writes", exc_info=True)


def record_events(
    audit: AuditLog,
    events: list[Event],
    state: RegistryState,
    previous: RegistryState,
    written_id: str | None,
    txn: str | None,
    closes_intents: bool,
) -> None:
    """Record committed instance changes. The written instance's line closes
    the write's intent `txn`; a write that changed no instance (an id pinned,
    say) closes it with an outcome record when the storage logs intents
    (`closes_intents`), or the next open would resolve it. Never raises for I/O."""
    for event in events:
        action = _ACTION.get(type(event))
        if action is None:
            continue
        assert isinstance(event, InstanceAdded | InstanceUpdated | InstanceRemoved)
        fields: tuple[str, ...] = ()
        before: str | None = None
        after: str | None = instance_digest(event.instance)
        if isinstance(event, InstanceUpdated):
            fields = event.changed_fields
            before = instance_digest(event.previous)
        elif isinstance(event, InstanceAdded):
            fields = ("name", "provider", *event.instance.values)
        else:
            before, after = after, None
        status = state.files.get(event.instance.file)
        change: dict[str, Any] = {
            "source": event.source,
            "action": action,
            "instance_id": event.instance.id,
            "file": event.instance.file,
            "fields": fields,
            "sha256": status.sha256 if status is not None else None,
            "digests": (before, after),
        }
        try:
            if event.source == "external":
                was = previous.files.get(event.instance.file)
                sha256_before = was.sha256 if was is not None else None
                audit.record_observed(**change, sha256_before=sha256_before)
            else:
                closes = txn is not None and event.instance.id == written_id
                audit.record(**change, txn=txn if closes else None)
                txn = None if closes else txn
        except OSError:
            log.warning("cannot write the audit log %s", audit.path, exc_info=True)
    if txn is not None and closes_intents:
        try:
            audit.close_intent(txn)
        except OSError:
            log.warning("cannot write the audit log %s", audit.path, exc_info=True)
