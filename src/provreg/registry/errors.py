"""Typed errors of registry operations; each message is one clear line for the user."""

from __future__ import annotations

from collections.abc import Sequence

from provreg.config.read.field_problem import FieldProblem
from provreg.storage.backend import ConflictError, StorageError


class RegistryError(Exception):
    """Base of every error a registry call raises on bad input or state."""


class InstanceNotFoundError(RegistryError, LookupError):
    def __init__(self, instance_id: str) -> None:
        super().__init__(f"no provider instance with id '{instance_id}'")
        self.instance_id = instance_id


class UnknownProviderError(RegistryError):
    def __init__(self, provider: str, suggestion: str | None) -> None:
        hint = (
            f" (did you mean '{suggestion}'?)" if suggestion else "; `provreg catalog` lists them"
        )
        super().__init__(f"unknown provider '{provider}'{hint}")
        self.provider = provider


class DuplicateNameError(RegistryError):
    def __init__(self, name: str, other_id: str) -> None:
        super().__init__(f"the name '{name}' is already used by '{other_id}' (names ignore case)")
        self.name = name
        self.other_id = other_id


class DuplicateIdError(RegistryError):
    def __init__(self, instance_id: str, declared_at: str | None = None) -> None:
        where = (
            f" (declared at {declared_at}, in a file with errors: fix or remove it there first)"
            if declared_at
            else ""
        )
        super().__init__(f"the id '{instance_id}' is already used{where}")
        self.instance_id = instance_id
        self.declared_at = declared_at


class FieldsError(RegistryError):
    """One or more field values were refused; `problems` has one entry per field."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = list(problems)

    @property
    def fields(self) -> dict[str, str]:
        """Field id -> message, for showing errors beside form inputs."""
        result: dict[str, str] = {}
        for problem in self.problems:
            result.setdefault(problem.field_id, problem.message)
        return result


class UnknownFieldError(FieldsError):
    """A field the provider does not have."""


class MissingFieldError(FieldsError):
    """A required field without a value."""


class InvalidValueError(FieldsError):
    """A value of the wrong type, out of range, not a choice, a plaintext secret, ..."""


class ReadOnlyError(RegistryError):
    def __init__(self) -> None:
        super().__init__(
            "the registry is read-only (--read-only or PROVREG_READ_ONLY=1); nothing was written"
        )


class FileHasErrorsError(RegistryError):
    def __init__(self, file: str, first_problem: str) -> None:
        super().__init__(
            f"{file} has errors ({first_problem}); fix the file before provreg writes to it"
        )
        self.file = file


class HelpersOffError(RegistryError):
    """`provreg secret get` is turned off for this instance (`helpers: false`) or for
    every instance (`PROVREG_HELPERS=0`): its keys leave provreg through `exec` only."""

    def __init__(self, instance_id: str, why: str) -> None:
        super().__init__(
            f"{instance_id}: refused: helpers are turned off ({why}), so its keys are not "
            f"printed; use `provreg exec {instance_id} -- COMMAND` to run a tool with the key"
        )
        self.instance_id = instance_id


__all__ = [
    "ConflictError",
    "DuplicateIdError",
    "DuplicateNameError",
    "FieldsError",
    "FileHasErrorsError",
    "HelpersOffError",
    "InstanceNotFoundError",
    "InvalidValueError",
    "MissingFieldError",
    "ReadOnlyError",
    "RegistryError",
    "StorageError",
    "UnknownFieldError",
    "UnknownProviderError",
]
