"""`KeyTrouble`: which instances' keys are missing or unconfirmed for their host.

A plain value with no imports, so the dashboard's table can hold one before
the registry (pydantic, the secret store) is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KeyTrouble:
    """Instances whose required key is missing, and those whose key exists but
    is not confirmed for their base URL host (exactly when `exec` would refuse)."""

    missing: frozenset[str] = frozenset()
    unconfirmed: frozenset[str] = frozenset()

    def changed_ids(self, other: KeyTrouble) -> set[str]:
        """Ids whose key status differs between the two."""
        return set(self.missing ^ other.missing) | set(self.unconfirmed ^ other.unconfirmed)

    def with_present(self, instance_id: str, present: bool) -> KeyTrouble:
        """The same, with the backend's word on whether the instance's key exists."""
        if present == (instance_id not in self.missing):
            return self
        missing = self.missing - {instance_id} if present else self.missing | {instance_id}
        return KeyTrouble(frozenset(missing), self.unconfirmed)
