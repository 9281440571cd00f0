"""`provreg --check --secrets`: report references that cannot be resolved.

Checks presence only (keyring entry exists, variable set, file present and
private); values are read by the backend but never kept or shown. Each
check runs in a daemon thread under the store's timeout, and once the
keyring has not answered, the remaining keyring references are reported
without asking it again, so a locked keyring cannot hang a CI job (nor
make it wait one timeout per instance).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from provreg.catalog import Catalog
from provreg.config import codes
from provreg.config.read.yaml_source import diagnostic
from provreg.model import Diagnostic, ProviderInstance, SecretRef
from provreg.secrets.hosts import instance_host
from provreg.secrets.offloop import call_blocking_with_timeout
from provreg.secrets.store import SecretStatus, SecretStore


def secret_diagnostics(
    instances: Iterable[ProviderInstance], catalog: Catalog, store: SecretStore | None = None
) -> list[Diagnostic]:
    store = store if store is not None else SecretStore()
    found: list[Diagnostic] = []
    keyring_silent = False
    for instance in instances:
        definition = catalog.get(instance.provider)
        if definition is None:
            continue
        for spec in definition.secret_fields:
            ref = instance.secret_ref(spec.id)
            if keyring_silent and ref.kind == "keyring":
                status: SecretStatus | None = None
            else:
                status = _status_with_timeout(store, instance, spec.id, ref)
                keyring_silent = keyring_silent or (status is None and ref.kind == "keyring")
            if status is not None and status.present and not status.problem:
                problem = store.origin_problem(
                    instance.id, spec.id, ref, instance_host(instance, definition)
                )
                if problem is None:
                    continue
                status = replace(status, problem=problem)
            if status is None:
                reason = f"no answer within {store.timeout_for(ref):g} s" + (
                    " (is the keyring locked?)" if ref.kind == "keyring" else ""
                )
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
    store: SecretStore, instance: ProviderInstance, field: str, ref: SecretRef
) -> SecretStatus | None:
    """The status, or None when it did not come within the store's timeout (a
    command's own timeout: `--check --secrets` runs commands, presence only)."""
    instance_id = instance.id

    def status() -> SecretStatus:
        return store.status(instance_id, field, ref, run_commands=True, config_file=instance.file)

    try:
        return call_blocking_with_timeout(status, timeout=store.timeout_for(ref))
    except TimeoutError:
        return None
    except Exception as exc:  # an unexpected failure is a finding, not a timeout
        return SecretStatus(
            instance_id,
            field,
            ref.kind,
            ref.program if ref.kind == "command" else ref.name or "",
            None,
            None,
            f"could not be checked ({type(exc).__name__})",
        )
