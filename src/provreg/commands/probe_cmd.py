"""`provreg probe`: live checks of instances, their report, and `--discover`
(the instance's `models:` refreshed from what the endpoint lists).

The probing itself is `provreg.probe`'s; this module chooses the instances,
prints the results and, for `--discover`, shows the change and writes it
through the registry (one audited write per instance, comments kept).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from provreg.catalog.catalog import did_you_mean
from provreg.commands.common import CommandError, WriteOptions, run_on_registry
from provreg.commands.import_plan import models_yaml
from provreg.exit_codes import ExitCode
from provreg.model import ModelSpec
from provreg.one_line import printable
from provreg.probe import DEFAULT_TIMEOUT, ProbeResult, probe_instances
from provreg.registry import ProviderRegistry
from provreg.secrets.redaction import REDACTED
from provreg.terminal_text import local_time


@dataclass(frozen=True)
class ProbeOptions:
    """What `provreg probe` was asked to do."""

    ids: tuple[str, ...] = ()
    all: bool = False
    as_json: bool = False
    timeout: float = DEFAULT_TIMEOUT
    discover: bool = False
    yes: bool = False


@dataclass(frozen=True)
class ModelsChange:
    """What `--discover` would write for one instance."""

    instance_id: str
    models: tuple[ModelSpec, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]


def cmd_probe(
    paths: list[str],
    options: ProbeOptions,
    out: TextIO,
    *,
    writes: WriteOptions | None = None,
) -> int:
    """Probe the chosen instances, print the results; exit 0 when every one is ok."""

    async def run(registry: ProviderRegistry) -> int:
        ids = chosen_ids(registry, options)
        results = await probe_instances(registry, ids, timeout=options.timeout)
        if options.as_json:
            out.write(json.dumps({"results": [result_json(r) for r in results]}, indent=2) + "\n")
        else:
            write_results(out, results)
        failed = {r.instance_id for r in results if not r.ok}
        if options.discover:
            written = await discover(registry, results, options, out)
            # A models: entry the endpoint does not list is what --discover fixes:
            # once written, only a default model it still lacks counts against it.
            failed -= {
                r.instance_id
                for r in results
                if r.instance_id in written
                and r.status == "model-not-offered"
                and not _default_missing(registry, r)
            }
        return ExitCode.FINDINGS if failed else ExitCode.OK

    return run_on_registry(paths, run, audit=options.discover, writes=writes)


def chosen_ids(registry: ProviderRegistry, options: ProbeOptions) -> list[str]:
    known = list(registry.snapshot().instances)
    if options.all:
        if options.ids:
            raise CommandError("give instance ids or --all, not both")
        return known
    if not options.ids:
        raise CommandError("say which instances to probe: give their ids, or --all")
    for instance_id in options.ids:
        if instance_id not in registry.snapshot().instances:
            suggestion = did_you_mean(instance_id, known)
            hint = f" (did you mean '{suggestion}'?)" if suggestion else ""
            raise CommandError(f"no provider instance with id '{printable(instance_id)}'{hint}")
    return list(dict.fromkeys(options.ids))


LONG_DETAIL = 80
"""A detail at least this long that several instances share (a refused keyring
backend's advice) is printed once, under the lines, and referred to by a mark."""


def write_results(out: TextIO, results: Sequence[ProbeResult]) -> None:
    """One line per instance, then the long details they share, then a count."""
    width = max((len(r.instance_id) for r in results), default=0)
    details = Counter(r.detail for r in results if len(r.detail) >= LONG_DETAIL)
    shared = [detail for detail, count in details.items() if count > 1]
    for result in results:
        summary = result.summary()
        if result.detail in shared:
            mark = f"[{shared.index(result.detail) + 1}]"
            summary = summary.replace(result.detail, f"see {mark} below")
        out.write(f"{result.instance_id.ljust(width)}  {printable(summary)}\n")
    for number, detail in enumerate(shared, start=1):
        out.write(f"[{number}] {printable(detail)}\n")
    failed = sum(1 for r in results if not r.ok)
    out.write(f"probed {len(results)}: {len(results) - failed} ok, {failed} not ok\n")


def result_json(result: ProbeResult) -> dict[str, object]:
    return {
        "id": result.instance_id,
        "status": result.status,
        "summary": result.summary(),
        "detail": result.detail,
        "latency_ms": None if result.latency_ms is None else round(result.latency_ms, 1),
        "models": list(result.models) if result.lists_models else None,
        "missing": [{"model": m, "did_you_mean": s} for m, s in result.missing],
        "checked_at": local_time(result.checked_at),
    }


def models_change(registry: ProviderRegistry, result: ProbeResult) -> ModelsChange | None:
    """The `models:` list the endpoint's answer gives: its ids, in its order,
    keeping the limits already stated for models that remain. None: no change,
    or nothing to go by."""
    if result.status not in ("ok", "model-not-offered") or not result.lists_models:
        return None
    if not result.models:
        return None  # an empty list is more likely a gateway quirk than "serves nothing"
    # An id that had a secret taken out of it (an echoing server) is not a model.
    offered = tuple(m for m in result.models if REDACTED not in m)
    current = {model.id: model for model in registry.get(result.instance_id).models}
    models = tuple(current.get(model_id, ModelSpec(id=model_id)) for model_id in offered)
    added = tuple(m for m in offered if m not in current)
    removed = tuple(m for m in current if m not in set(offered))
    if not models or (not added and not removed and tuple(current) == offered):
        return None
    return ModelsChange(result.instance_id, models, added, removed)


def _default_missing(registry: ProviderRegistry, result: ProbeResult) -> bool:
    instance = registry.get(result.instance_id)
    default = instance.value(registry.definition(instance.provider), "default_model")
    return any(model == default for model, _ in result.missing)


async def discover(
    registry: ProviderRegistry,
    results: Sequence[ProbeResult],
    options: ProbeOptions,
    out: TextIO,
) -> set[str]:
    """Show and (confirmed) write each changed `models:` list; the ids written."""
    changes = [c for r in results if (c := models_change(registry, r)) is not None]
    if not changes:
        out.write("discover: every models: list already matches what its endpoint lists\n")
        return set()
    for change in changes:
        out.write(
            f"discover {change.instance_id}: models: +{len(change.added)} -{len(change.removed)}\n"
        )
        out.writelines(f"  + {printable(model)}\n" for model in change.added)
        out.writelines(f"  - {printable(model)}\n" for model in change.removed)
        if not change.added and not change.removed:
            out.write("  (same models, in the endpoint's order)\n")
    if not options.yes:
        if not sys.stdin.isatty():
            raise CommandError(
                "--discover: not writing the models: lists above without --yes (no terminal "
                "to ask on)"
            )
        answer = input(f"Write {len(changes)} models: list(s)? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            out.write("nothing written\n")
            return set()
    written = set()
    for change in changes:
        instance = await registry.update(
            change.instance_id, {"models": models_yaml(change.models)}, source="cli"
        )
        out.write(f"wrote models: of {instance.id} in {instance.file}\n")
        written.add(instance.id)
    return written
