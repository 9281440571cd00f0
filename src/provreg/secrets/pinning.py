"""Origin pinning: whether a key may go to a host, and what confirming would change.

The pin belongs to the key (see `index.py`): a keyring entry or a file.
`{env: VAR}` references are not pinned: the variable is already in the
environment of every program the user starts, `provreg exec`'s child
included, so refusing to hand it over would protect nothing.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from provreg.model import SecretRef
from provreg.secrets.errors import OriginChangedError, UnpinnedKeyError
from provreg.secrets.index import KeyLocation, KeyPin, SecretIndex, format_hosts


def keyring_user(instance_id: str, field: str, ref: SecretRef) -> str:
    return ref.name if ref.kind == "keyring" and ref.name else f"{instance_id}/{field}"


@dataclass(frozen=True, slots=True)
class ConfirmationNeed:
    """What `provreg secret confirm` (the dashboard's `o`) would do for one field."""

    field: str
    needed: bool
    """True when confirming would let the key go to `host`; False: nothing to do."""
    reason: str
    """Why not (`needed` False), or what the key is pinned to now (True). Never a value."""
    host: str | None


class Pins:
    """The pin checks over one index, for keys in one keyring service."""

    def __init__(self, index: SecretIndex, service: str) -> None:
        self.index = index
        self.service = service

    def location(self, instance_id: str, field: str, ref: SecretRef) -> KeyLocation | None:
        """Where the key lives, the identity its pin belongs to; None for `{env: ...}`."""
        if ref.kind == "keyring":
            return KeyLocation("keyring", self.service, keyring_user(instance_id, field, ref))
        if ref.kind == "file" and ref.name:
            return KeyLocation("file", "", os.path.realpath(os.path.expanduser(ref.name)))
        if ref.kind == "command" and ref.argv:
            # Pinned by its argv: the same program with the same arguments is the same
            # key, whichever instance or file names it; change an argument and the key
            # is a new one, unconfirmed until `provreg secret confirm`.
            return KeyLocation("command", "", shlex.join(ref.argv))
        return None

    def lookup(
        self, instance_id: str, field: str, ref: SecretRef
    ) -> tuple[KeyLocation, KeyPin | None] | None:
        """The key and its pin (None: not pinned yet); None for a key that is not
        pinned at all (`{env: ...}`). One read of the index, for both checks."""
        key = self.location(instance_id, field, ref)
        return None if key is None else (key, self.index.pin_of(key))

    @staticmethod
    def check(
        instance_id: str,
        field: str,
        host: str | None,
        found: tuple[KeyLocation, KeyPin | None] | None,
        *,
        present: bool,
    ) -> None:
        """Refuse unless the key `lookup` found is pinned to `host`.

        A key pinned to other hosts is refused before it is read; a key with
        no pin at all only once it is known to exist (a missing key is
        reported as missing, the more useful message).

        Raises:
            OriginChangedError, UnpinnedKeyError.
        """
        if found is None:
            return
        key, pin = found
        if pin is not None and pin.hosts:
            if host in pin.hosts:
                return
            raise _origin_error(instance_id, key, pin, host)
        if present:
            raise UnpinnedKeyError(instance_id, field, key.describe(), host or "(none)")

    def problem(self, instance_id: str, field: str, ref: SecretRef, host: str | None) -> str | None:
        """Why an existing key would not be released to `host`, from the index only."""
        key = self.location(instance_id, field, ref)
        if key is None:
            return None
        pin = self.index.pin_of(key)
        confirm = f"`provreg secret confirm {instance_id}` releases the key to it"
        if pin is None or not pin.hosts:
            return f"not confirmed for any host ('{host or '(none)'}' would get it); {confirm}"
        if host in pin.hosts:
            return None
        if pin.instance_id == instance_id and len(pin.hosts) == 1:
            return (
                f"base URL host changed from '{pin.hosts[0] or '(none)'}' to "
                f"'{host or '(none)'}'; {confirm}"
            )
        return f"pinned to {format_hosts(pin.hosts)}, not '{host or '(none)'}'; {confirm}"

    def need(
        self,
        instance_id: str,
        field: str,
        ref: SecretRef,
        host: str | None,
        exists: Callable[[], bool],
    ) -> ConfirmationNeed:
        """What confirming `host` for this field would change (`exists` may ask the keyring)."""
        key = self.location(instance_id, field, ref)
        shown = host or "(none)"
        if key is None:
            return ConfirmationNeed(
                field,
                False,
                f"{field} comes from {ref.describe()}; environment keys are not pinned",
                host,
            )
        pin = self.index.pin_of(key)
        if pin is not None and host in pin.hosts:
            return ConfirmationNeed(field, False, f"{field} may already go to '{shown}'", host)
        if pin is None and not exists():
            return ConfirmationNeed(
                field, False, f"no key is in {key.describe()} yet, so there is none to send", host
            )
        now = f"pinned to {format_hosts(pin.hosts)}" if pin and pin.hosts else "not pinned"
        return ConfirmationNeed(field, True, f"{key.describe()} is {now}", host)

    def allow(self, instance_id: str, field: str, ref: SecretRef, host: str | None) -> bool:
        """Add `host` to the key's pins; False when it was there already."""
        key = self.location(instance_id, field, ref)
        if key is None:
            return False
        _, changed = self.index.pin(key, host, instance_id, field)
        return changed


def _origin_error(
    instance_id: str, key: KeyLocation, pin: KeyPin, host: str | None
) -> OriginChangedError:
    return OriginChangedError(
        instance_id,
        pin.hosts[0] or "(none)",
        host or "(none)",
        pinned_hosts=tuple(h or "(none)" for h in pin.hosts),
        key=key.describe(),
        pinned_for=pin.instance_id,
    )
