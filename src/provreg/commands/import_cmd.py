"""`provreg import --from TOOL [PATH]`: another tool's providers into the registry.

Owns: reading the tool's file (through `tool_files`: size limit, decoding),
applying the plan (`import_plan`) through the registry, the one writer, and
`--scrub`. A key pasted in the tool's file is stored in the keyring first,
with its origin pin for the entry's host and a `secret-import` audit line,
and only then is the instance written, with the reference alone: a failure
in between leaves the key in the keyring (and still in the tool's file),
never in YAML. The tool's file is changed only by `--scrub`, once every
entry was applied: a backup first (`FILE.provreg-bak`, 0600), then the
adapter's rewrite with references instead of the pasted keys, atomically.
The report's wording is `import_report`'s.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TextIO, TypeVar

from pydantic import SecretStr

from provreg.commands.common import CommandError, WriteOptions, run_on_registry
from provreg.commands.export_cmd import export_context
from provreg.commands.import_plan import (
    ImportPlan,
    PlannedEntry,
    models_yaml,
    plan_import,
)
from provreg.commands.import_report import ScrubResult, import_report, render_report
from provreg.commands.tool_files import (
    ToolFile,
    adapter_failure,
    expand,
    read_tool_file,
    replace_tool_file,
    tool_adapter,
    write_backup,
)
from provreg.config.ids import declared_ids_in_text
from provreg.config.read.validation import check_fields
from provreg.exit_codes import ExitCode
from provreg.interop.base import (
    ImportedEntry,
    ImportRead,
    ScrubTarget,
    ToolAdapter,
    ToolFileError,
    ToolNote,
)
from provreg.model import ProviderInstance, SecretRef
from provreg.registry import ProviderRegistry, ReadOnlyError, RegistryError, StorageError
from provreg.secrets import SecretError, SecretTimeoutError
from provreg.secrets.hosts import instance_host
from provreg.secrets.offloop import call_with_timeout
from provreg.secrets.store import timeout_message

T = TypeVar("T")

KEYRING = SecretRef(kind="keyring")
"""The reference a moved key gets: the instance's own keyring entry."""


@dataclass(frozen=True, slots=True)
class ImportRequest:
    """What the command line asked for."""

    tool: str
    path: str | None = None
    dry_run: bool = False
    scrub: bool = False
    file: str | None = None
    as_json: bool = False


def tool_path(adapter: ToolAdapter, given: str | None) -> str:
    """PATH, else the first of the tool's usual places that exists.

    Raises:
        CommandError: none given and none found.
    """
    if given is not None:
        return given
    for candidate in adapter.default_paths:
        if os.path.isfile(expand(candidate)):
            return expand(candidate)
    tried = ", ".join(adapter.default_paths) or "nowhere"
    raise CommandError(f"no {adapter.title} file found (looked at {tried}); give its PATH")


def cmd_import(
    paths: list[str], request: ImportRequest, out: TextIO, *, writes: WriteOptions
) -> int:
    """Run `provreg import`; the exit code."""
    adapter = tool_adapter(request.tool)
    refusal = getattr(adapter, "import_refusal", None)
    if isinstance(refusal, str):
        raise CommandError(f"{request.tool}: {refusal}")
    if writes.read_only and not request.dry_run:
        raise ReadOnlyError()  # before the tool's file is read or a key is stored
    path = tool_path(adapter, request.path)
    tool_file = read_tool_file(path)
    try:
        read = adapter.read(tool_file.text, path)
    except ToolFileError as exc:
        raise CommandError(str(exc)) from None
    except Exception as exc:  # a bug, whose message may quote a pasted key
        raise adapter_failure(request.tool, path, exc) from None
    guard = KeyGuard.of(read)
    read, refused = guard.screen(read)

    async def run(registry: ProviderRegistry) -> int:
        plan = await _plan(read.entries, registry)
        plan.entries.extend(refused)
        scrub = ScrubResult()
        if not request.dry_run:
            await apply_plan(plan, registry, request.file)
            if request.scrub:
                scrub = _scrub(adapter, tool_file, plan, registry, paths)
        elif request.scrub:
            scrub.keys = sum(len(_pasted_fields(p)) for p in plan.entries)
        report = import_report(
            adapter, path, read, plan, scrub, dry_run=request.dry_run, scrub_requested=request.scrub
        )
        if request.as_json:
            out.write(guard.redact(json.dumps(report, indent=2)) + "\n")
        else:
            out.write(guard.redact(render_report(report)))
        failed = any(p.done or p.outcome == "skipped" for p in plan.entries)
        return ExitCode.FINDINGS if failed or scrub.problem else ExitCode.OK

    return run_on_registry(paths, run, writes=writes)


KEY_LIKE = re.compile(
    r"(?<![A-Za-z0-9])(?:sk-|sk_|gsk_|xai-|AIza|hf_|ghp_|gho_|github_pat_|r8_|pplx-|nvapi-)"
    r"[A-Za-z0-9_\-]{16,}"
)
"""Text that looks like an API key by its vendor's prefix (OpenAI's and
Anthropic's `sk-`, Groq's `gsk_`, Google's `AIza`, ...): never repeated, and
never made a name."""

WITHHELD = "[withheld: it may be a key]"

MIN_KEY_LENGTH = 16
"""Pasted values at least this long are withheld wherever else they appear."""


@dataclass(frozen=True, slots=True)
class KeyGuard:
    """Keeps pasted keys out of everything but the keyring: an entry whose key
    also sits in its name, a setting's name, a value or a model id (a key pasted
    in the wrong place) is refused, and any report text is cleaned of the keys
    the file holds and of text that looks like one."""

    pasted: tuple[str, ...] = dataclasses.field(repr=False)
    """The values of the keys pasted in the file (never in a repr or a traceback)."""

    @classmethod
    def of(cls, read: ImportRead) -> KeyGuard:
        values = {
            secret.plaintext.get_secret_value()
            for entry in read.entries
            for secret in entry.secrets.values()
            if secret.plaintext is not None
        }
        # Longest first, so a key that holds another is withheld whole. A value
        # shorter than 16 characters is a placeholder a local server ignores
        # (`ollama`, `lm-studio`, `not-needed`), often also the entry's name: no
        # provider issues keys that short.
        return cls(
            tuple(sorted((v for v in values if len(v) >= MIN_KEY_LENGTH), key=len, reverse=True))
        )

    def holds_key(self, text: str) -> bool:
        return KEY_LIKE.search(text) is not None or any(key in text for key in self.pasted)

    def redact(self, text: str) -> str:
        for key in self.pasted:
            # As written, and as JSON escapes it (the `--json` report).
            for form in (key, json.dumps(key, ensure_ascii=True)[1:-1]):
                text = text.replace(form, WITHHELD)
        return KEY_LIKE.sub(WITHHELD, text)

    def screen(self, read: ImportRead) -> tuple[ImportRead, list[PlannedEntry]]:
        """The entries to plan, and those refused (already planned as skipped)."""
        kept: list[ImportedEntry] = []
        refused: list[PlannedEntry] = []
        for entry in read.entries:
            texts = [entry.label, entry.name, *(model.id for model in entry.models)]
            texts += [value for value in _strings(entry.values)]
            # A reference holding a key (`$(echo sk-...)`, `{file: sk-...}`) would
            # write it into the YAML as a command's argument or a path.
            for secret in entry.secrets.values():
                if secret.ref is not None:
                    texts += [secret.ref.name or "", *secret.ref.argv]
            if not any(self.holds_key(text) for text in texts):
                kept.append(replace(entry, lost=tuple(self.redact(t) for t in entry.lost)))
                continue
            stripped = ImportedEntry(
                label=self.redact(entry.label),
                name=self.redact(entry.name),
                provider=entry.provider,
                line=entry.line,
            )
            where = f" (line {entry.line})" if entry.line else ""
            refused.append(
                PlannedEntry(
                    stripped,
                    "skipped",
                    reason=(
                        f"a key (or what looks like one) is in its name, a setting, a model "
                        f"id or a key reference{where}, not only in its key field; nothing "
                        "of it was imported: move the key to the key field and run the "
                        "import again"
                    ),
                )
            )
        notes = tuple(
            ToolNote(self.redact(note.subject), self.redact(note.message)) for note in read.skipped
        )
        return ImportRead(tuple(kept), notes), refused


def _strings(value: object) -> list[str]:
    """Every string in a value (nested lists and mappings, keys included)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


def taken_ids(registry: ProviderRegistry) -> set[str]:
    """Ids a new instance may not get: those served, and those declared in files
    with errors (their instances are the user's, and so are their keyring
    entries, which a moved key must never be stored over)."""
    snapshot = registry.snapshot()
    taken = set(snapshot.instances)
    for status in snapshot.files.values():
        if status.ok:
            continue
        try:
            with open(status.path, encoding="utf-8-sig", errors="replace") as handle:
                text = handle.read()
        except OSError:
            continue
        taken.update(found for found, _ in declared_ids_in_text(text))
    return taken


async def _plan(entries: Sequence[ImportedEntry], registry: ProviderRegistry) -> ImportPlan:
    """The plan, made again without the new instances whose values the registry
    would refuse (before any key is stored for them), so that they hold no name
    or id another entry could have had and no entry is merged into them. In
    file order."""
    refused: dict[int, str] = {}
    while True:
        plan = await plan_import(
            [entry for entry in entries if id(entry) not in refused],
            registry.instances(),
            registry.snapshot().catalog,
            registry.resolve_secret,
            taken_ids(registry),
        )
        newly = _refused_values(plan, registry)
        if not newly:
            break
        refused.update(newly)  # at least one entry fewer each time round
    plan.entries += [
        PlannedEntry(entry, "skipped", reason=refused[id(entry)])
        for entry in entries
        if id(entry) in refused
    ]
    order = {id(entry): index for index, entry in enumerate(entries)}
    plan.entries.sort(key=lambda planned: order[id(planned.entry)])
    return plan


def _refused_values(plan: ImportPlan, registry: ProviderRegistry) -> dict[int, str]:
    """The entries planned as new instances whose values the registry would refuse,
    with why (the models list is the registry's to judge)."""
    refused: dict[int, str] = {}
    for planned in plan.created():
        definition = registry.definition(planned.entry.provider)
        raw: dict[str, Any] = dict(planned.entry.values)
        raw.update({field: ref.to_yaml() for field, ref in planned.keys.items()})
        _, problems = check_fields(raw, definition)
        if problems:
            refused[id(planned.entry)] = "; ".join(problem.message for problem in problems)
    return refused


# --------------------------------------------------------------------------- applying


async def apply_plan(plan: ImportPlan, registry: ProviderRegistry, file: str | None) -> None:
    """Create and update through the registry, in the plan's order. A failure is
    recorded on its entry (`done`) and the rest go on."""
    for planned in plan.entries:
        if planned.outcome == "created":
            await _create(planned, registry, file)
        elif planned.outcome == "merged" and planned.merged_into is None:
            assert planned.instance_id is not None
            try:
                await registry.update(
                    planned.instance_id, {"models": models_yaml(planned.models)}, source="cli"
                )
            except (RegistryError, StorageError) as exc:
                planned.done = f"not merged: {exc}"


async def _create(planned: PlannedEntry, registry: ProviderRegistry, file: str | None) -> None:
    assert planned.instance_id is not None and planned.name is not None
    entry = planned.entry
    definition = registry.definition(entry.provider)
    values: dict[str, Any] = dict(entry.values)
    values.update(planned.keys)
    if planned.models:
        values["models"] = models_yaml(planned.models)
    try:
        target = registry.storage.target_display(file)
    except StorageError as exc:
        planned.done = f"not created: {exc}"
        return
    stored: list[str] = []
    if planned.pasted:
        stand_in = ProviderInstance.model_construct(
            id=planned.instance_id,
            name=planned.name,
            provider=entry.provider,
            values={k: v for k, v in entry.values.items() if k == "base_url"},
        )
        host = instance_host(stand_in, definition)
        try:
            stored = await _store_keys(registry, planned, host, target)
        except SecretError as exc:
            planned.done = f"not created: the key could not be stored in the keyring: {exc}"
            return
    try:
        await registry.create(
            entry.provider,
            planned.name,
            values,
            file,
            instance_id=planned.instance_id,
            source="cli",
        )
    except (RegistryError, StorageError) as exc:
        keys = (
            f"; its key is in the keyring ({', '.join(stored)}) and still in the tool's "
            "file: run the import again, or remove it with `provreg secret prune`"
            if stored
            else ""
        )
        planned.done = f"not created: {exc}{keys}"


async def _store_keys(
    registry: ProviderRegistry, planned: PlannedEntry, host: str | None, target: str
) -> list[str]:
    """Store every pasted key of a new instance (pinned to `host`), each with a
    `secret-import` audit line; the keyring users written.

    Raises:
        SecretError: the keyring refused, failed or timed out, or it already holds
            another key under the new instance's id (never overwritten).
    """
    assert planned.instance_id is not None
    store = registry.secret_store()
    for field, value in planned.pasted.items():
        if await _off_loop(
            registry,
            store.holds_other_value,
            planned.instance_id,
            field,
            KEYRING,
            value.get_secret_value(),
        ):
            raise SecretError(
                f"it already holds a different key for {planned.instance_id}/{field} "
                "(left by an older instance with this id?); remove it with "
                "`provreg secret prune` and run the import again"
            )
    users = []
    for field, value in planned.pasted.items():
        users.append(await _store_one(registry, planned.instance_id, field, value, host))
        if registry.audit is not None:
            try:
                registry.audit.record(
                    source="cli",
                    action="secret-import",
                    instance_id=planned.instance_id,
                    file=target,
                    fields=[field],
                )
            except OSError:
                pass  # as for `secret set`: a store is not undone for a log line
    return users


async def _store_one(
    registry: ProviderRegistry, instance_id: str, field: str, value: SecretStr, host: str | None
) -> str:
    store = registry.secret_store()
    return await _off_loop(registry, store.set, instance_id, field, KEYRING, value, host)


async def _off_loop(registry: ProviderRegistry, call: Callable[..., T], *args: Any) -> T:
    """A blocking keyring call in its own thread, bounded by the store's timeout."""
    store = registry.secret_store()
    try:
        return await call_with_timeout(call, *args, timeout=store.timeout)
    except TimeoutError:
        raise SecretTimeoutError(timeout_message(store.timeout)) from None


# --------------------------------------------------------------------------- --scrub


def _pasted_fields(planned: PlannedEntry) -> list[str]:
    """The fields of an applied entry whose pasted key now lives in provreg."""
    if planned.outcome == "skipped" or planned.done:
        return []
    return [f for f, s in planned.entry.secrets.items() if s.plaintext is not None]


def _scrub(
    adapter: ToolAdapter,
    tool_file: ToolFile,
    plan: ImportPlan,
    registry: ProviderRegistry,
    paths: list[str],
) -> ScrubResult:
    if any(p.done for p in plan.entries):
        return ScrubResult(problem="not scrubbed: some entries were not imported (see above)")
    stored: dict[tuple[str, str], ScrubTarget] = {}
    for planned in plan.entries:
        for field in _pasted_fields(planned):
            assert planned.instance_id is not None
            instance = registry.get(planned.instance_id)
            stored[(planned.entry.label, field)] = ScrubTarget(
                instance.id,
                field,
                instance.secret_ref(field),
                registry.definition(instance.provider),
            )
    if not stored:
        return ScrubResult()
    try:
        new_text = adapter.scrub(
            tool_file.text, tool_file.path, stored, export_context(paths, registry)
        )
    except ToolFileError as exc:
        return ScrubResult(problem=f"not scrubbed: {exc}")
    except Exception as exc:  # a bug, whose message may quote a pasted key
        failure = adapter_failure(adapter.name, tool_file.path, exc)
        return ScrubResult(problem=f"not scrubbed: {failure}")
    if new_text == tool_file.text:
        return ScrubResult()
    try:
        backup = write_backup(tool_file)
        replace_tool_file(tool_file, new_text)
    except CommandError as exc:
        return ScrubResult(problem=f"not scrubbed: {exc}")
    return ScrubResult(keys=len(stored), backup=backup)
