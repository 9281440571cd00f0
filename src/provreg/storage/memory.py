"""In-memory storage: for embedding provreg and for testing the layers above."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from provreg.catalog import Catalog, builtin_catalog
from provreg.config.edit import REMOVE
from provreg.config.read.results import FileResult
from provreg.model import ProviderInstance
from provreg.storage.backend import StoredState, WriteOutcome
from provreg.storage.claims import ClaimView

MEMORY_FILE = "<memory>"


class MemoryStorage:
    """Keeps instances in a dict, in insertion order. Nothing touches disk."""

    def __init__(
        self, instances: Iterable[ProviderInstance] = (), catalog: Catalog | None = None
    ) -> None:
        self._catalog = catalog if catalog is not None else builtin_catalog()
        self._instances: dict[str, ProviderInstance] = {}
        for instance in instances:
            self._instances[instance.id] = instance.model_copy(update={"file": MEMORY_FILE})
        self._version = 0

    def _state(self) -> StoredState:
        result = FileResult(MEMORY_FILE, MEMORY_FILE, None, tuple(self._instances.values()), (), ())
        return StoredState((result,), self._catalog)

    def _outcome(self) -> WriteOutcome:
        self._version += 1
        digest = hashlib.sha256(str(self._version).encode()).hexdigest()
        return WriteOutcome(self._state(), MEMORY_FILE, digest)

    async def load_all(self) -> StoredState:
        return self._state()

    async def reload(self, paths: Iterable[str]) -> StoredState:
        return self._state()

    def target_display(self, file: str | None) -> str:
        return MEMORY_FILE

    async def load(self, instance_id: str) -> ProviderInstance | None:
        return self._instances.get(instance_id)

    @asynccontextmanager
    async def claim(self) -> AsyncIterator[ClaimView]:
        # One process, and the registry's own lock serialises its writes.
        yield ClaimView(None)

    async def save(self, instance: ProviderInstance, file: str | None = None) -> WriteOutcome:
        line = len(self._instances) + 1
        self._instances[instance.id] = instance.model_copy(
            update={"file": MEMORY_FILE, "line": line, "column": 1, "id_derived": False}
        )
        return self._outcome()

    async def update(self, instance: ProviderInstance, changes: Mapping[str, Any]) -> WriteOutcome:
        current = self._instances[instance.id]
        values = dict(current.values)
        name = current.name
        for key, value in changes.items():
            if key == "name":
                name = value
            elif key == "id":
                continue
            elif value is REMOVE:
                values.pop(key, None)
            else:
                values[key] = value
        self._instances[instance.id] = current.model_copy(
            update={"values": values, "name": name, "id_derived": False}
        )
        return self._outcome()

    async def delete(self, instance: ProviderInstance) -> WriteOutcome:
        del self._instances[instance.id]
        return self._outcome()
