"""`provreg --check --secrets`: report references that cannot be resolved.

Checks presence only (keyring entry exists, variable set, file present and
private); values are read by the backend but never kept or shown. Each
instance's check runs in a worker thread with the store's timeout, so a
locked keyring cannot hang a CI job.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from provreg.catalog import Catalog
from provreg.config import codes
from provreg.config.yaml_source import diagnostic
from provreg.model import Diagnostic, ProviderInstance
from provreg.secrets.store import SecretStatus, SecretStore


def secret_diagnostics(
    instances: Iterable[ProviderInstance], catalog: Catalog, store: SecretStore | None = None
) -> list[Diagnostic]:
    store = store if store is not None else SecretStore()
    found: list[Diagnostic] = []
    for instance in instances:
        definition = catalog.get(instance.provider)
        if definition is None:
            continue
        for spec in definition.secret_fields:
            ref = instance.secret_ref(spec.id)
            status = _status_with_timeout(store, instance.id, spec.id, ref)
            if status is not None and status.present and not status.problem:
                continue
            if status is None:
                reason = f"the keyring did not answer within {store.timeout:g} s"
            elif status.problem:
                reason = status.problem
            elif not spec.required and status.present is False:
                continue  # an optional key may be absent
            else:
                reason = f"nothing found in {status.kind} {status.target}"
            found.append(
                diagnostic(
                    codes.SECRET_UNRESOLVABLE,
                    instance.file,
                    instance.line,
                    instance.column,
                    f"'{instance.id}' field '{spec.id}': {reason}",
                    hint=f"set it with `provreg secret set {instance.id} {spec.id}`"
                    if ref.kind == "keyring"
                    else None,
                    instance_id=instance.id,
                )
            )
    return found


def _status_with_timeout(
    store: SecretStore, instance_id: str, field: str, ref: object
) -> SecretStatus | None:
    from provreg.model import SecretRef

    assert isinstance(ref, SecretRef)
    result: list[SecretStatus] = []
    worker = threading.Thread(
        target=lambda: result.append(store.status(instance_id, field, ref)), daemon=True
    )
    worker.start()
    worker.join(store.timeout)
    return result[0] if result else None
