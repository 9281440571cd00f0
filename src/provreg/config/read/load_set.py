"""Load a whole set of config files into validated instances and diagnostics.

Owns: the order of a load's steps over many files, reusing the results of
unchanged files, and the order of the diagnostics of a set.
May import: `provreg.catalog`, `provreg.model`, `provreg.gc_control`, the other
`provreg.config.read` modules.

Loading happens in three steps so the sync engine can redo only what a
changed file needs: `reading.read_file` (bytes to a ParsedFile),
`instance_validation.validate_file` (against a catalog extended by
`definitions.collect_definitions`), then `linking.link` (checks across files).
`read_and_validate` does the first two file by file, so only one file's node
tree exists at a time (the registry's initial load). The values they pass
around live in `results`; id slugs in `ids`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from provreg.catalog import Catalog, builtin_catalog
from provreg.config.read.definitions import DefinitionCollector, collect_definitions
from provreg.config.read.diagnostic_cap import cap_per_file
from provreg.config.read.discovery import ConfigFile, discover
from provreg.config.read.instance_validation import validate_file
from provreg.config.read.linking import link
from provreg.config.read.reading import read_file
from provreg.config.read.results import FileResult, LoadResult, ParsedFile
from provreg.config.read.yaml_source import Limits
from provreg.gc_control import gc_paused
from provreg.model import Diagnostic, ProviderDefinition

Collected = tuple[Catalog, dict[str, list[ProviderDefinition]], list[Diagnostic]]
"""What `collect_definitions` returns, when the caller already has it."""


def validate_all(
    parsed: Sequence[ParsedFile],
    base: Catalog,
    *,
    previous: Mapping[str, FileResult] | None = None,
    previous_catalog: Catalog | None = None,
    changed: set[str] | None = None,
    collected: Collected | None = None,
) -> tuple[list[FileResult], Catalog]:
    """Validate parsed files; with `previous`, reuse results of unchanged files.

    A file's result is reused only when the file did not change and the set
    of user definitions (which every file's instances depend on) is the same.
    """
    catalog, definitions, definition_diags = (
        collected if collected is not None else collect_definitions(parsed, base)
    )
    reusable = (
        previous is not None
        and previous_catalog is not None
        and _user_definitions(catalog) == _user_definitions(previous_catalog)
    )
    results = []
    for item in parsed:
        if reusable and previous is not None and changed is not None:
            earlier = previous.get(item.display)
            if earlier is not None and item.display not in changed:
                results.append(earlier)
                continue
        result = validate_file(item, catalog)
        results.append(_with_definitions(result, definitions, definition_diags))
    return results, catalog


def _with_definitions(
    result: FileResult,
    definitions: Mapping[str, Sequence[ProviderDefinition]],
    definition_diags: Sequence[Diagnostic],
) -> FileResult:
    """A file's result with its own definitions and the diagnostics about them."""
    own_defs = tuple(definitions.get(result.display, ()))
    own_diags = [d for d in definition_diags if d.file == result.display]
    if not (own_defs or own_diags):
        return result
    return FileResult(
        result.path,
        result.display,
        result.fingerprint,
        result.instances,
        own_defs,
        tuple(sorted([*result.diagnostics, *own_diags], key=Diagnostic.sort_key)),
    )


def read_and_validate(
    files: Iterable[ConfigFile],
    base: Catalog,
    limits: Limits = Limits(),
    *,
    keep_parsed: bool = True,
    on_read: Callable[[ParsedFile], None] | None = None,
    hashed: bool = True,
) -> tuple[list[ParsedFile], list[FileResult], Catalog]:
    """Read and validate files one at a time: the files slimmed, their results, the catalog.

    With `keep_parsed=False` the slimmed files are not kept either (the list is
    empty): a one-shot check needs only the results, and the raw values of
    100,000 instances are a third of its peak memory. Without `hashed` the
    files' fingerprints have no sha256 (`read_file`): for readers that write
    nothing.

    `on_read` is called with each file as read, with its node tree and its
    text (`ParsedFile.text`, read only for it), before it is validated: the
    storage keeps where each item starts (`local_edit.item_index`), which
    needs both, so that the first write to a file can be local too.

    The same results as reading every file and then `validate_all`, but each
    file's YAML node tree (most of a parsed file's memory) is dropped once the
    file is validated, so the load's peak memory -- which the process keeps as
    resident memory afterwards -- no longer holds the trees of all files at once.

    Definitions may be used before the file that declares them: each file is
    validated against the definitions of the files read so far, and a file
    that named a provider missing from that catalog keeps its tree and is
    validated again at the end if definitions were added after it (an unknown
    provider's message lists the known ones, so it too depends on them).
    Known providers cannot change meaning later: the first declaration of an
    id wins.
    """
    collector = DefinitionCollector(base)
    slimmed: list[ParsedFile] = []
    results: list[FileResult] = []
    # Index in `results` -> the file, still with its nodes, and how many
    # definitions were known when it was validated.
    revisit: dict[int, tuple[ParsedFile, int]] = {}
    for config_file in files:
        parsed = read_file(
            config_file.path,
            config_file.display,
            limits,
            keep_text=on_read is not None,
            hashed=hashed,
        )
        if on_read is not None:
            on_read(parsed)
            parsed.text = None  # (a file kept to revisit would keep it)
        collector.add(parsed)
        catalog = collector.catalog
        results.append(validate_file(parsed, catalog))
        if _names_missing_provider(parsed, catalog):
            revisit[len(results) - 1] = (parsed, collector.count)
        if keep_parsed:
            slimmed.append(parsed.slimmed())
        del parsed  # frees the node tree now (unless kept to revisit)
    catalog = collector.catalog
    for index, (parsed, known) in revisit.items():
        if collector.count > known:
            results[index] = validate_file(parsed, catalog)
    revisit.clear()
    results = [
        _with_definitions(result, collector.per_file, collector.diagnostics) for result in results
    ]
    return slimmed, results, catalog


def _names_missing_provider(parsed: ParsedFile, catalog: Catalog) -> bool:
    for entry in parsed.providers:
        provider = entry.value.get("provider")
        if isinstance(provider, str) and catalog.get(provider) is None:
            return True
    return False


def _user_definitions(catalog: Catalog) -> list[ProviderDefinition]:
    return [definition for definition in catalog if not definition.builtin]


def sort_diagnostics(
    results: Sequence[FileResult], extra: Iterable[Diagnostic] = ()
) -> tuple[Diagnostic, ...]:
    """All diagnostics of `results` plus `extra`, in file order, then position,
    at most MAX_DIAGNOSTICS_PER_FILE per file (the rest summed up per code)."""
    order = {result.display: index for index, result in enumerate(results)}

    def key(d: Diagnostic) -> tuple[int, int, int, str]:
        return (order.get(d.file, len(order)), d.line, d.column, d.code)

    ordered = sorted([*(d for r in results for d in r.diagnostics), *extra], key=key)
    return tuple(sorted(cap_per_file(ordered), key=key))


def load_files(
    files: Iterable[ConfigFile], limits: Limits = Limits(), base: Catalog | None = None
) -> LoadResult:
    """Read, validate and link a set of files, to report on them: the results'
    fingerprints have no sha256 (nothing here writes; the storage reads its own)."""
    base_catalog = base if base is not None else builtin_catalog()
    with gc_paused():
        # File by file: each file's node tree (most of a parsed file's memory)
        # is freed, by reference counting while the collector is paused, before
        # the next file is read. Holding every tree until the end made a check's
        # peak grow with the whole set (6.9 KB per instance at 100,000).
        _, results, catalog = read_and_validate(
            files, base_catalog, limits, keep_parsed=False, hashed=False
        )
        instances, cross = link(results)
    return LoadResult(tuple(results), instances, sort_diagnostics(results, cross), catalog)


def load_paths(paths: list[str], limits: Limits = Limits()) -> LoadResult:
    """Discover config files under `paths` and load them.

    Raises:
        ConfigPathError: a path does not exist.
    """
    return load_files(discover(paths), limits)
