"""What `provreg import` will do with each entry of a tool's file: the plan.

Owns: the matching rules and the merge of model lists. An entry matches an
existing instance (or an entry planned earlier in the same import) when it
has the same provider, the same effective base URL (the definition's
default applied, trailing slashes and the case of scheme and host ignored)
and the same key in every secret field: an equal reference, or, for a key
pasted in the tool's file, equal to the key the instance already has
(resolved in this process, compared in constant time, never printed). A
matched entry adds the models the instance lacks ("merged") or nothing
("unchanged"); an unmatched one becomes a new instance ("created"), named
after the entry (made unique when the name is taken), its id derived as
provreg derives ids. Planning writes nothing; the only keyring access is
reading an instance's key to compare it.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from provreg.catalog import Catalog
from provreg.config.ids import slugify, unique_id
from provreg.config.read.linking import name_key
from provreg.interop.base import ImportedEntry, ImportedSecret
from provreg.interop.key_handoff import derived_env_name, helper_target
from provreg.model import (
    ID_RE,
    NAME_MAX_LENGTH,
    ModelSpec,
    ProviderDefinition,
    ProviderInstance,
    SecretRef,
)
from provreg.secrets import SecretError, SecretMissingError

Outcome = Literal["created", "merged", "unchanged", "skipped"]

NAME_ROOM = NAME_MAX_LENGTH - len(" (99)")
"""The longest name a new instance gets from a tool (room left for ` (N)`)."""

KeyReader = Callable[[str, str], Awaitable[SecretStr]]
"""Reads an instance's key in this process (`registry.resolve_secret`), to compare."""


def merge_models(
    existing: Sequence[ModelSpec], incoming: Sequence[ModelSpec]
) -> tuple[ModelSpec, ...]:
    """The union of two model lists, `existing`'s order first; a model both list
    keeps `existing`'s limits and gains the ones it lacked from `incoming`."""
    merged: dict[str, ModelSpec] = {model.id: model for model in existing}
    for model in incoming:
        known = merged.get(model.id)
        if known is None:
            merged[model.id] = model
            continue
        filled = known.model_copy(
            update={
                "context_window": known.context_window or model.context_window,
                "max_output_tokens": known.max_output_tokens or model.max_output_tokens,
            }
        )
        if filled != known:
            merged[model.id] = filled
    return tuple(merged.values())


def models_yaml(models: Sequence[ModelSpec]) -> list[str | dict[str, object]]:
    """A model list as the values a registry write takes (as a file holds it)."""
    return [model.to_yaml() for model in models]


def effective_base_url(values: Mapping[str, object], definition: ProviderDefinition) -> str:
    """The base URL an entry or instance talks to, in a form that compares: the
    default applied, scheme and host lower-cased, trailing slashes dropped."""
    url = values.get("base_url")
    if url is None:
        spec = definition.field("base_url")
        url = spec.default if spec is not None else None
    if not isinstance(url, str):
        return ""
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return text.rstrip("/")
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, "")
    )


def default_entry_of(ref: SecretRef) -> tuple[str, str] | None:
    """(instance id, field) when a keyring reference names an instance's default
    entry, `<id>/<field>` (what an adapter maps `provreg secret get ID` to)."""
    if ref.kind != "keyring" or ref.name is None or ref.name.count("/") != 1:
        return None
    instance_id, field_id = ref.name.split("/")
    return (instance_id, field_id) if instance_id and field_id else None


@dataclass
class PlannedEntry:
    """One entry of the tool's file and what the import does with it."""

    entry: ImportedEntry
    outcome: Outcome
    instance_id: str | None = None
    """The instance it created, merged into, or matched (None when skipped)."""
    name: str | None = None
    """The new instance's name (created)."""
    reason: str = ""
    """Why it was skipped; or, for a merge into an entry of this import, which."""
    models: tuple[ModelSpec, ...] = ()
    """The instance's models after the import (created, merged)."""
    models_added: tuple[str, ...] = ()
    keys: dict[str, SecretRef] = field(default_factory=dict)
    """Secret field -> the reference the instance gets (created)."""
    pasted: dict[str, SecretStr] = field(default_factory=dict)
    """Secret field -> a key pasted in the tool's file, which goes to the keyring."""
    merged_into: PlannedEntry | None = None
    """The earlier entry of this import it was merged with."""
    done: str = ""
    """What applying it did, when that differs from the plan (a failure)."""


@dataclass
class ImportPlan:
    entries: list[PlannedEntry] = field(default_factory=list)

    def created(self) -> list[PlannedEntry]:
        return [p for p in self.entries if p.outcome == "created"]


class _Candidate:
    """Something an entry can match: an existing instance or an entry planned earlier."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        refs: Mapping[str, SecretRef | None],
        pasted: Mapping[str, SecretStr],
        instance: ProviderInstance | None,
        planned: PlannedEntry | None,
        definition: ProviderDefinition | None = None,
    ) -> None:
        self.models: tuple[ModelSpec, ...] = instance.models if instance is not None else ()
        """The candidate's models as this plan leaves them so far."""
        self.provider = provider
        self.base_url = base_url
        self.refs = refs
        self.pasted = pasted
        self.instance = instance
        self.planned = planned
        self.definition = definition
        """An existing instance's definition (None for an entry planned earlier)."""

    def takes(self, entry: ImportedEntry) -> bool:
        """Whether an entry of this provider type can describe the candidate: the
        same type, or an OpenAI-compatible entry for any type that speaks the
        OpenAI API (a custom gateway type exports as one: tools do not know it)."""
        if self.provider == entry.provider:
            return True
        return (
            entry.provider == "openai-compatible"
            and self.definition is not None
            and self.definition.api == "openai"
        )

    @property
    def name(self) -> str:
        if self.instance is not None:
            return self.instance.name
        assert self.planned is not None and self.planned.name is not None
        return self.planned.name

    @property
    def instance_id(self) -> str:
        if self.instance is not None:
            return self.instance.id
        assert self.planned is not None and self.planned.instance_id is not None
        return self.planned.instance_id


async def plan_import(
    entries: Sequence[ImportedEntry],
    instances: Sequence[ProviderInstance],
    catalog: Catalog,
    read_key: KeyReader,
    taken_ids: set[str],
) -> ImportPlan:
    """Decide created / merged / unchanged / skipped for every entry, in order."""
    plan = ImportPlan()
    candidates = [
        _Candidate(
            i.provider,
            effective_base_url(i.values, definition),
            {
                spec.id: i.secret_ref(spec.id) if spec.id in i.values else None
                for spec in definition.secret_fields
            },
            {},
            i,
            None,
            definition,
        )
        for i in instances
        if (definition := catalog.get(i.provider)) is not None
    ]
    names = {name_key(i.name) for i in instances}
    ids = set(taken_ids) | {i.id for i in instances}
    for entry in entries:
        definition = catalog.get(entry.provider)
        if definition is None:
            plan.entries.append(
                PlannedEntry(entry, "skipped", reason=f"provreg has no provider '{entry.provider}'")
            )
            continue
        unknown = [f for f in entry.secrets if not _is_secret_field(definition, f)]
        if unknown:
            plan.entries.append(
                PlannedEntry(
                    entry,
                    "skipped",
                    reason=f"'{entry.provider}' has no secret field {', '.join(unknown)}",
                )
            )
            continue
        base_url = effective_base_url(entry.values, definition)
        match, problem = await _find_match(entry, definition, base_url, candidates, read_key)
        if problem is not None:
            plan.entries.append(PlannedEntry(entry, "skipped", reason=problem))
            continue
        if match is not None:
            plan.entries.append(_merge_plan(entry, match))
            continue
        wanted = " ".join(entry.name.split()) or entry.provider
        shortened = len(wanted) > NAME_ROOM
        if shortened:
            # Room for ` (99)`: a name provreg must refuse would fail after its key is stored.
            wanted = wanted[:NAME_ROOM].rstrip()
        name = _unique_name(wanted, names)
        names.add(name_key(name))
        instance_id = (
            entry.id
            if entry.id is not None and ID_RE.fullmatch(entry.id) and entry.id not in ids
            else unique_id(slugify(name), ids)
        )
        ids.add(instance_id)
        models = merge_models((), entry.models)
        planned = PlannedEntry(
            entry,
            "created",
            instance_id=instance_id,
            name=name,
            models=models,
            models_added=tuple(model.id for model in models),
            reason=f"its name is shortened to {NAME_ROOM} characters" if shortened else "",
        )
        for field_id, secret in entry.secrets.items():
            if secret.ref is not None:
                planned.keys[field_id] = _stored_as(secret.ref, instance_id, field_id)
            elif secret.plaintext is not None:
                planned.keys[field_id] = SecretRef(kind="keyring")
                planned.pasted[field_id] = secret.plaintext
        plan.entries.append(planned)
        created = _Candidate(
            entry.provider,
            base_url,
            {f: s.ref for f, s in entry.secrets.items()},
            {f: s.plaintext for f, s in entry.secrets.items() if s.plaintext is not None},
            None,
            planned,
        )
        created.models = models
        candidates.append(created)
    return plan


def _stored_as(ref: SecretRef, instance_id: str, field_id: str) -> SecretRef:
    """The reference a new instance gets: `provreg secret get OTHER` (a helper
    pointing at another instance's key) becomes that key's keyring entry, so
    the two share one key with one pin instead of provreg calling itself."""
    target = helper_target(ref)
    if target is None:
        return ref
    if target == (instance_id, field_id):
        return SecretRef(kind="keyring")
    return SecretRef(kind="keyring", name=f"{target[0]}/{target[1]}")


def _merge_plan(entry: ImportedEntry, match: _Candidate) -> PlannedEntry:
    before = match.models
    after = merge_models(before, entry.models)
    if not before and match.instance is not None and match.definition is not None:
        # Exports name an instance without `models:` by its default model alone:
        # reading that back adds nothing the instance does not already say.
        # (Azure's deployment stands for the model where a tool names one.)
        implied = {
            value
            for field_id in ("default_model", "deployment")
            if isinstance(value := match.instance.value(match.definition, field_id), str)
        }
        if len(entry.models) == 1 and entry.models[0] == ModelSpec(id=entry.models[0].id):
            if entry.models[0].id in implied:
                after = before
    match.models = after
    known = {model.id for model in before}
    added = tuple(model.id for model in after if model.id not in known)
    outcome: Outcome = "unchanged" if after == before else "merged"
    if match.planned is not None:
        # Into a new instance of this same import: it is created with the union.
        target = match.planned
        target.models = after
        target.models_added = tuple(model.id for model in after)
        return PlannedEntry(
            entry,
            outcome,
            instance_id=target.instance_id,
            reason=f"same endpoint and key as {target.entry.label}",
            models=after,
            models_added=added,
            merged_into=target,
        )
    return PlannedEntry(
        entry, outcome, instance_id=match.instance_id, models=after, models_added=added
    )


async def _find_match(
    entry: ImportedEntry,
    definition: ProviderDefinition,
    base_url: str,
    candidates: Sequence[_Candidate],
    read_key: KeyReader,
) -> tuple[_Candidate | None, str | None]:
    """The first candidate with the same provider, base URL and keys; or why it
    cannot be told (an instance's key that could not be read, or an entry that
    says nothing of its key and fits several instances)."""
    endpoint = [c for c in candidates if c.takes(entry) and c.base_url == base_url]
    # Several instances may share an endpoint and a key (one account, two
    # names): the one the file names (its id, else its name) comes first.
    endpoint.sort(key=lambda c: not _named_by(entry, c))
    if any(spec.id not in entry.secrets for spec in definition.secret_fields):
        # The tool keeps the key out of its file (Zed: the OS keychain) or has
        # none: the endpoint alone tells, when one instance has it.
        same_id = [c for c in endpoint if c.instance_id == entry.id]
        named = [c for c in endpoint if name_key(c.name) == name_key(entry.name)]
        if len(endpoint) > 1 and same_id:
            return same_id[0], None  # the file carries the instance's id: that one
        if len(endpoint) > 1 and len(named) == 1:
            return named[0], None  # the tool kept the instance's name: that one
        if len(endpoint) > 1:
            ids = ", ".join(candidate.instance_id for candidate in endpoint)
            return None, (
                f"its file says nothing of its key, and several instances use this "
                f"endpoint ({ids}); add the models to the right one with `provreg edit`"
            )
        return (endpoint[0] if endpoint else None), None
    for candidate in endpoint:
        same = True
        for spec in definition.secret_fields:
            verdict = await _same_key(entry.secrets[spec.id], candidate, spec.id, read_key)
            if isinstance(verdict, str):
                return None, verdict
            if not verdict:
                same = False
                break
        if same:
            return candidate, None
    return _exec_variable_match(entry, definition, base_url, candidates), None


def _exec_variable_match(
    entry: ImportedEntry,
    definition: ProviderDefinition,
    base_url: str,
    candidates: Sequence[_Candidate],
) -> _Candidate | None:
    """The instance an `{env: VAR}` entry was exported or scrubbed from, for tools
    without a command helper (opencode): same provider and base URL, its key in
    its own keyring entry, and VAR the variable named after it (`GW_API_KEY`),
    or the field's conventional one (`OPENAI_API_KEY`) when no other such
    instance shares the endpoint. One secret field only: otherwise no match."""
    if len(definition.secret_fields) != 1:
        return None
    spec = definition.secret_fields[0]
    secret = entry.secrets.get(spec.id)
    if secret is None or secret.ref is None or secret.ref.kind != "env":
        return None
    held = [
        candidate
        for candidate in candidates
        if candidate.takes(entry)
        and candidate.base_url == base_url
        and spec.id not in candidate.pasted
        and _handed_by_exec(candidate.refs.get(spec.id))
    ]
    for candidate in held:
        if secret.ref.name == derived_env_name(candidate.instance_id, spec.id):
            return candidate
        if _named_by(entry, candidate) and spec.env and secret.ref.name == spec.env:
            return candidate  # the file names the instance; the variable is the one exec sets
    if len(held) == 1 and spec.env and secret.ref.name == spec.env:
        return held[0]
    return None


def _named_by(entry: ImportedEntry, candidate: _Candidate) -> bool:
    """Whether the tool's entry names this candidate: its id, else its name."""
    return candidate.instance_id == entry.id or name_key(candidate.name) == name_key(entry.name)


def _handed_by_exec(ref: SecretRef | None) -> bool:
    """An instance's key that a tool without a command helper gets through an
    environment variable set by `provreg exec`: one in the keyring (its own
    entry or a named one) or from a command; not an env or file reference,
    which such a tool names itself."""
    return ref is None or ref.kind in ("keyring", "command")


async def _same_key(
    secret: ImportedSecret, candidate: _Candidate, field_id: str, read_key: KeyReader
) -> bool | str:
    """Whether an entry's secret is the candidate's key; a string says why it
    could not be told."""
    theirs = candidate.refs.get(field_id)
    if secret.ref is not None:
        target = helper_target(secret.ref)
        if target is not None:
            return target == (candidate.instance_id, field_id)
        if default_entry_of(secret.ref) == (candidate.instance_id, field_id) and (
            theirs is None or (theirs.kind == "keyring" and theirs.name is None)
        ):
            return True  # `{keyring: ID/FIELD}`: that instance's own keyring entry
        if theirs is None or secret.ref.to_yaml() == {"keyring": True}:
            return False  # a default keyring entry belongs to one instance id
        return secret.ref.to_yaml() == theirs.to_yaml()
    assert secret.plaintext is not None
    pasted = candidate.pasted.get(field_id)
    if pasted is not None:
        return _equal(pasted, secret.plaintext)
    if candidate.instance is None:
        return False
    try:
        held = await read_key(candidate.instance.id, field_id)
    except SecretMissingError:
        return False  # the instance has no key: the pasted one is another
    except SecretError as exc:
        # Never guess: a new instance now would be a duplicate once the key is readable.
        return (
            f"same endpoint as '{candidate.instance.id}', but its {field_id} could not be "
            f"read to compare it with the pasted key: {exc}"
        )
    return _equal(held, secret.plaintext)


def _equal(a: SecretStr, b: SecretStr) -> bool:
    return hmac.compare_digest(
        a.get_secret_value().encode("utf-8"), b.get_secret_value().encode("utf-8")
    )


def _is_secret_field(definition: ProviderDefinition, field_id: str) -> bool:
    spec = definition.field(field_id)
    return spec is not None and spec.is_secret


def _unique_name(name: str, taken: set[str]) -> str:
    """`name`, else `name (2)`, `name (3)`, ... (names are unique ignoring case)."""
    if name_key(name) not in taken:
        return name
    counter = 2
    while name_key(f"{name} ({counter})") in taken:
        counter += 1
    return f"{name} ({counter})"
