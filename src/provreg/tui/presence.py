"""What the dashboard knows of the instances' keys, in one place.

Two sources, at two costs:
- provreg's secrets index and the env/file checks answer for every row at
  once, with no keyring call (each is slow with a Secret Service): the
  table's glyphs (`KeyTrouble`);
- the keyring itself answers for the instance Details shows, in a worker:
  its fields' statuses, or the keyring's refusal.

A key the keyring confirmed present (stored by another tool, so not in the
index) stays present in the table when the index is read again; one it
confirmed missing goes back to what the index says. The table and Details
read this object; the workers in the app update it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from provreg.key_trouble import KeyTrouble

if TYPE_CHECKING:  # not at runtime: the first paint comes before the models are imported
    from provreg.secrets import SecretStatus


class KeyPresence:
    def __init__(self) -> None:
        self.trouble = KeyTrouble()
        """The table's view: whose key is missing, whose host is unconfirmed."""
        self.problem: str | None = None
        """The keyring's last refusal or failure, short (Details shows it)."""
        self._statuses: dict[str, dict[str, SecretStatus]] = {}
        self._confirmed_present: frozenset[str] = frozenset()

    def statuses(self, instance_id: str) -> dict[str, SecretStatus] | None:
        """The keyring's answer for the instance's secret fields; None: not asked yet."""
        return self._statuses.get(instance_id)

    def forget(self, instance_id: str) -> None:
        """The instance's keys, host or references changed: ask the keyring again."""
        self._statuses.pop(instance_id, None)

    def with_index(self, trouble: KeyTrouble) -> KeyTrouble:
        """The index's view, with the keys the keyring confirmed laid over it.

        Pure (called from a worker thread): it reads one immutable set."""
        for instance_id in self._confirmed_present:
            trouble = trouble.with_present(instance_id, True)
        return trouble

    def answered(self, instance_id: str, statuses: list[SecretStatus]) -> bool:
        """Record the keyring's answer; True if the table's view changed."""
        self.problem = None
        self._statuses[instance_id] = {status.field: status for status in statuses}
        answered = [s for s in statuses if s.present is not None and not s.problem]
        if not answered:
            return False
        present = not any(s.present is False for s in answered)
        if present:
            self._confirmed_present = self._confirmed_present | {instance_id}
        else:
            self._confirmed_present = self._confirmed_present - {instance_id}
        return self.set_trouble(self.trouble.with_present(instance_id, present))

    def failed(self, instance_id: str, problem: str) -> None:
        """The keyring refused or failed while asked about the instance."""
        self.problem = problem
        self._statuses[instance_id] = {}

    def set_trouble(self, trouble: KeyTrouble) -> bool:
        """Take a new table view; True if it differs from the one held."""
        if trouble == self.trouble:
            return False
        self.trouble = trouble
        return True
