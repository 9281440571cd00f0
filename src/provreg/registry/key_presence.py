"""The dashboard table's key column: which instances lack a required key, and
which have one that would be refused for their host, without a keyring call.

Keyring presence comes from provreg's index, env and file references are
checked directly; `{command: ...}` references are never run here (taken as
present, so only their pin can flag them). Entries created outside provreg (with `secret-tool`) look
missing here until the detail pane confirms them with the backend.
"""

from __future__ import annotations

from provreg.key_trouble import KeyTrouble
from provreg.registry.secret_ops import SecretOperations
from provreg.secrets.hosts import instance_host
from provreg.secrets.pinning import keyring_user


def instance_key_trouble(registry: SecretOperations) -> KeyTrouble:
    """`KeyTrouble` for every instance of the registry's current state."""
    store = registry.secret_store()
    pins = {pin.key: pin for pin in store.index.entries()}
    stored = {(pin.service, pin.user) for pin in pins.values() if pin.stored}
    missing: set[str] = set()
    unconfirmed: set[str] = set()
    state = registry.snapshot()
    for instance in state.instances.values():
        definition = state.catalog.get(instance.provider)
        if definition is None:
            continue
        for spec in definition.secret_fields:
            ref = instance.secret_ref(spec.id)
            if ref.kind == "keyring":
                present = (store.service, keyring_user(instance.id, spec.id, ref)) in stored
            elif ref.kind == "command":
                # Never run for the table: a command is taken to give a key until it
                # is used (its pin still counts below).
                present = True
            else:
                present = bool(store.status(instance.id, spec.id, ref, check_keyring=False).present)
            if not present:
                if spec.required:
                    missing.add(instance.id)
                    break
                continue
            key = store.key_location(instance.id, spec.id, ref)
            pin = pins.get(key) if key is not None else None
            if key is not None and (
                pin is None or instance_host(instance, definition) not in pin.hosts
            ):
                unconfirmed.add(instance.id)
                break
    return KeyTrouble(frozenset(missing), frozenset(unconfirmed))
