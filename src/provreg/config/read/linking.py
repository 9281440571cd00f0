"""Checks across files: unique ids (explicit first, then derived ones made
unique) and unique names. Decides which instances make up the registry."""

from __future__ import annotations

from collections.abc import Sequence

from provreg.config import codes
from provreg.config.ids import unique_id
from provreg.config.read.results import FileResult
from provreg.config.read.yaml_source import diagnostic
from provreg.model import Diagnostic, ProviderInstance


def link(results: Sequence[FileResult]) -> tuple[tuple[ProviderInstance, ...], list[Diagnostic]]:
    """Checks across files: ids unique (explicit ones first), names unique.

    Returns the instances that make up the registry (first declaration of an
    id wins) and the cross-file diagnostics.
    """
    diagnostics: list[Diagnostic] = []
    explicit: dict[str, ProviderInstance] = {}
    for result in results:
        for instance in result.instances:
            if instance.id_derived:
                continue
            first = explicit.get(instance.id)
            if first is None:
                explicit[instance.id] = instance
                continue
            for here, there in ((instance, first), (first, instance)):
                diagnostics.append(
                    diagnostic(
                        codes.DUPLICATE_ID,
                        here.file,
                        here.line,
                        here.column,
                        f"id '{here.id}' is also used at {there.file}:{there.line}",
                        hint="ids must be unique across all config files",
                        instance_id=here.id,
                    )
                )
    taken = set(explicit)
    accepted: list[ProviderInstance] = []
    names: dict[str, ProviderInstance] = {}
    for result in results:
        for instance in result.instances:
            if instance.id_derived:
                derived = unique_id(instance.id, taken)
                if derived != instance.id:
                    instance = instance.model_copy(update={"id": derived})
                diagnostics.append(
                    diagnostic(
                        codes.DERIVED_ID,
                        instance.file,
                        instance.line,
                        instance.column,
                        f"no 'id'; using '{instance.id}' derived from the name",
                        hint=f"add `id: {instance.id}` to keep it stable if the name changes",
                        instance_id=instance.id,
                    )
                )
                taken.add(instance.id)
            elif explicit.get(instance.id) is not instance:
                continue  # a duplicate id: reported above, first one wins
            key = instance.name.strip().casefold()
            first_named = names.get(key)
            if first_named is not None:
                diagnostics.append(
                    diagnostic(
                        codes.DUPLICATE_NAME,
                        instance.file,
                        instance.line,
                        instance.column,
                        f"name '{instance.name}' is also used by '{first_named.id}' at "
                        f"{first_named.file}:{first_named.line}",
                        hint="names are compared ignoring case and surrounding spaces",
                        instance_id=instance.id,
                    )
                )
            else:
                names[key] = instance
            accepted.append(instance)
    return tuple(accepted), diagnostics
