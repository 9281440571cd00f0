"""`provreg migrate`: import the old app's configs, or upgrade file format versions."""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
from typing import TYPE_CHECKING, TextIO

import anyio
from pydantic import SecretStr

from provreg.commands.common import CommandError, WriteOptions, open_registry, run_on_registry
from provreg.exit_codes import ExitCode

if TYPE_CHECKING:
    from provreg.catalog import Catalog
    from provreg.registry import ProviderRegistry
    from provreg.secrets import SecretStore


def cmd_migrate_json(
    paths: list[str],
    json_path: str,
    keys_path: str | None,
    dry_run: bool,
    partial: bool,
    file: str | None,
    out: TextIO,
    *,
    writes: WriteOptions,
) -> int:
    from provreg.compat.legacy_json import (
        MigrationError,
        describe_plan,
        plan_migration,
        run_migration,
    )

    async def run(registry: ProviderRegistry) -> int:
        try:
            plan = plan_migration(json_path, registry, keys_path)
        except MigrationError as exc:
            raise CommandError(str(exc)) from None
        # Errors without --partial mean nothing will be imported: say "would import".
        refused = bool(plan.errors) and not partial
        for line in describe_plan(plan, dry_run=dry_run or refused):
            out.write(line + "\n")
        if dry_run:
            out.write("dry run: nothing was written\n")
            return ExitCode.FINDINGS if plan.errors else ExitCode.OK
        try:
            done = await run_migration(plan, registry, file=file, partial=partial)
        except MigrationError as exc:
            raise CommandError(str(exc)) from None
        for entry, instance_id in done:
            out.write(f"imported {entry.uuid} as '{instance_id}'\n")
            if entry.key is None and entry.name in plan.missing_keys:
                # The plan could only name it; now it has an id to give the command.
                out.write(f"  no key: run `provreg secret set {instance_id} api_key`\n")
        skipped = sum(1 for e in plan.entries if e.existing_id is not None)
        out.write(f"{len(done)} imported, {skipped} already there\n")
        return ExitCode.FINDINGS if plan.errors else ExitCode.OK

    return run_on_registry(paths, run, writes=writes)


def _ids_in_use(paths: list[str]) -> tuple[set[str], Catalog]:
    """Every instance id the files under `paths` use or will use: loaded ids (derived
    ones too) and the explicit `id:` of legacy entries (those files are not loaded);
    and the catalog those files see (built-in and their definitions)."""
    from provreg.config.read.discovery import discover
    from provreg.config.read.load_set import load_paths
    from provreg.config.read.yaml_source import parse_text

    loaded = load_paths(paths)
    taken = {instance.id for instance in loaded.instances}
    for config_file in discover(paths):
        try:
            with open(config_file.path, encoding="utf-8-sig") as handle:
                parsed = parse_text(handle.read(), config_file.display)
        except (OSError, UnicodeDecodeError):
            continue
        if parsed.failed:
            continue
        value = parsed.value
        entries = value.get("providers") if isinstance(value, dict) else value
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                taken.add(entry["id"])
    return taken, loaded.catalog


def _replaced(new_text: str, _old_text: str) -> str:
    return new_text


def cmd_migrate_upgrade(
    paths: list[str], dry_run: bool, out: TextIO, *, writes: WriteOptions
) -> int:
    """Upgrade every file under `paths` to the current format version, with a backup."""
    return anyio.run(lambda: upgrade_files(paths, dry_run, out, writes=writes))


async def upgrade_files(
    paths: list[str],
    dry_run: bool,
    out: TextIO,
    *,
    writes: WriteOptions | None = None,
    registry: ProviderRegistry | None = None,
    store: SecretStore | None = None,
) -> int:
    """Upgrade every file under `paths` to the current format version, with a backup.

    Generated ids are unique across all the files (two legacy files with a
    "Work" entry must not both become `work`: the second key would overwrite
    the first in the keyring). A key is never stored over a different value
    the keyring already holds for that id; that file is left as it was.
    Each file is written through the registry (`registry`, else one opened
    over `paths`): audited as `upgrade` (one line per entry) and
    `secret-import` (one per key moved), and recognised by watchers as
    provreg's own write.
    """
    from provreg.config.edit.migrations import upgrade_text
    from provreg.config.read.discovery import ConfigPathError, discover
    from provreg.config.read.reading import CURRENT_VERSION, parse_file
    from provreg.model import ProviderInstance, SecretRef, Severity
    from provreg.registry.errors import ReadOnlyError
    from provreg.registry.rewrite_ops import FileChange
    from provreg.registry.secret_ops import instance_host
    from provreg.secrets import SecretStore
    from provreg.text_encoding import split_bom

    if writes is None:  # the registry's own defaults (PROVREG_READ_ONLY and the like)
        from provreg.paths import env_flag
        from provreg.registry.registry import READ_ONLY_ENV

        read_only = env_flag(READ_ONLY_ENV, unknown=True)
    else:
        read_only = writes.read_only
    if not dry_run and read_only:
        # Refused before anything is read or opened (the registry would refuse too).
        raise ReadOnlyError()
    if not paths:
        from provreg.paths import default_config_paths

        paths = default_config_paths()
    try:
        files = discover(paths)
        taken, catalog = _ids_in_use(paths)
    except ConfigPathError as exc:
        raise CommandError(str(exc)) from None
    upgraded = 0
    refused = 0
    for config_file in files:
        with open(config_file.path, "rb") as handle:
            original = handle.read()
        text, _ = split_bom(original)
        try:
            new_text, result = upgrade_text(text, taken)
        except ValueError as exc:
            out.write(f"{config_file.display}: skipped: {exc}\n")
            continue
        if new_text == text:
            continue
        taken |= result.taken_ids
        check = parse_file(new_text.encode(), config_file.path, config_file.display)
        errors = [d for d in check.diagnostics if d.severity is Severity.ERROR]
        if errors:
            first = errors[0]
            raise CommandError(
                f"{config_file.display}: the upgraded text would not load "
                f"({first.line}:{first.column}: {first.message}); nothing was written"
            )
        out.write(
            f"{config_file.display}: version {result.from_version} -> {CURRENT_VERSION}"
            + ("" if not result.notes else " (" + "; ".join(result.notes) + ")")
            + "\n"
        )
        if dry_run:
            continue
        if registry is None:
            # A dry run opens nothing: it writes nothing anywhere.
            registry = await open_registry(paths, writes=writes)
        changes = [
            FileChange("upgrade", entry.value["id"])
            for entry in check.providers
            if isinstance(entry.value.get("id"), str)
        ]
        if result.secrets:
            store = store or SecretStore()
            ref = SecretRef(kind="keyring")
            planned = []
            clash = None
            for instance_id, field, value, base_url, provider in result.secrets:
                stand_in = ProviderInstance.model_construct(
                    id=instance_id,
                    name="",
                    provider=provider or "",
                    values={} if base_url is None else {"base_url": base_url},
                )
                # The provider's default base URL when the entry names none, as
                # `exec` will see it: otherwise the key is pinned to no host at all.
                host = instance_host(stand_in, catalog.get(provider or ""))
                if store.holds_other_value(instance_id, field, ref, value):
                    clash = f"{instance_id}/{field}"
                    break
                planned.append((instance_id, field, SecretStr(value), host))
            if clash is not None:
                out.write(
                    f"  not upgraded: the keyring already holds a different key for "
                    f"{clash} (an older instance with this id?); remove it "
                    f"(`provreg secret prune`) or give the entry another `id:`\n"
                )
                refused += 1
                continue
            for instance_id, field, secret, host in planned:
                store.set(instance_id, field, ref, secret, host)
                changes.append(FileChange("secret-import", instance_id, (field,)))
        backup = f"{config_file.path}.v{result.from_version}.bak"
        shutil.copy2(config_file.path, backup)
        os.chmod(backup, 0o600)
        digest = hashlib.sha256(original).hexdigest()
        # The file still holds `original` (checked under the lock), so its
        # upgrade is `new_text`.
        await registry.rewrite_file(
            config_file.path, functools.partial(_replaced, new_text), changes, expect_sha256=digest
        )
        out.write(f"  backup: {backup} (sha256 {digest[:12]}…)\n")
        if result.secrets:
            out.write(
                "  the backup still holds the plaintext keys: delete it once the "
                "upgraded file works\n"
            )
        upgraded += 1
    if dry_run:
        out.write("dry run: nothing was written\n")
    elif not upgraded and not refused:
        out.write("every file is at the current version\n")
    return ExitCode.FINDINGS if refused else ExitCode.OK
