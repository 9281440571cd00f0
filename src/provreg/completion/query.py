"""`provreg __complete`: the candidates for the word being typed, one per line.

Hidden (not in `--help`): the generated scripts call it at each TAB as

    provreg __complete -- WORD ... CURRENT     (zsh, fish: the words so far)
    provreg __complete --line TEXT             (bash: the line up to the cursor)

with the spec (`provreg.completion.spec`) on stdin. The first line of the
answer is `files` (let the shell complete file names) or `values` (the
candidates follow, one per line). The entry point (`provreg.entry.main`) hands
these words here before importing the parser, so a TAB costs an interpreter
start and a scan of the config files (docs/performance.md, "Shell completion").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from provreg.completion.resolve import FILES, Context, kind_to_complete, read_words

if TYPE_CHECKING:
    # Only the type: the spec module imports argparse, which a TAB never needs.
    from provreg.completion.spec import Spec


def split_line(line: str) -> tuple[list[str], str]:
    """Words of a command line up to the cursor, and the word being typed
    (empty after a space). Quotes group words as the shell would; with an
    open quote the words are split at spaces."""
    import shlex

    try:
        words = shlex.split(line)
    except ValueError:  # an open quote: read the words plainly
        words = line.split()
    if line and not line[-1].isspace() and words:
        return words[:-1], words[-1]
    return words, ""


def candidates(spec: Spec, words: list[str], current: str) -> list[str] | None:
    """What `current` can become after `words` (the program name excluded);
    None: file names, the shell's own completion."""
    context = read_words(spec, words)
    kind, typed = kind_to_complete(context, current)
    prefix = current[: len(current) - len(typed)]
    found = _values(kind, context, spec, typed)
    if found is None:
        return None
    return [prefix + value for value in found if value.startswith(typed)]


def _values(kind: Any, context: Context, spec: Spec, typed: str) -> list[str] | None:
    if isinstance(kind, list):
        return [str(choice) for choice in kind]
    if kind == FILES:
        return None
    if kind == "options":
        flags = set(context.node["options"])
        if context.node is spec["commands"][""]:
            # `provreg --check ...` is `check`; `provreg --theme X PATH`, the dashboard's.
            flags |= {"--check", *spec["commands"].get("tui", {}).get("options", ())}
        return sorted(flags)
    if kind == "subcommands":
        return list(context.node["subcommands"])
    if kind == "themes":
        from provreg.completion.values import theme_names

        return theme_names()
    if kind in ("ids", "types") or str(kind).rstrip("=").endswith("fields"):
        return _registry_values(str(kind), context, typed)
    return []


def _registry_values(kind: str, context: Context, typed: str) -> list[str]:
    from provreg.completion.values import read_registry

    registry = read_registry(context.config, with_types=kind != "ids")
    if kind == "ids":
        return sorted(registry.instances)
    if kind == "types":
        return list(registry.types)
    provider = _provider_in_words(context, registry.instances, registry.types) or ""
    fields = registry.types.get(provider, [])
    if "=" in typed:  # `--set FIELD=`: the field's choices, if it has any
        name = typed.partition("=")[0]
        values = (
            ["true", "false"]
            if dict(fields).get(name) == "bool"
            else registry.choices.get(provider, {}).get(name, [])
        )
        return [f"{name}={value}" for value in values] if kind.endswith("=") else []
    if kind.startswith("secret-"):
        fields = [pair for pair in fields if pair[1] == "secret"]
    suffix = "=" if kind.endswith("=") else ""
    return [field_id + suffix for field_id, _type in fields]


def _provider_in_words(
    context: Context, instances: dict[str, str], types: dict[str, Any]
) -> str | None:
    """The provider type the fields are of: `add TYPE`'s TYPE, or the
    provider of `edit ID`'s (`secret get ID`'s...) instance."""
    # The words may be fewer than the positionals (or more, for `ID ...`).
    pairs = zip(context.node["positionals"], context.positionals, strict=False)
    for (kind, _nargs), word in pairs:
        if kind == "types" and word in types:
            return word
        if kind == "ids" and word in instances:
            return instances[word]
    return None


def main(argv: Sequence[str], stdin: IO[str], stdout: IO[str]) -> int:
    """Answer one TAB. Never fails loudly: a TAB that finds nothing offers nothing."""
    try:
        spec: Spec = json.load(stdin)
    except ValueError:
        return 2
    args = list(argv)
    if args[:1] == ["--line"] and len(args) == 2:
        words, current = split_line(args[1])
        words = words[1:]  # the program name
    elif args[:1] == ["--"] and len(args) >= 2:
        words, current = args[2:-1], args[-1]  # after `--`: the program name, the words
    else:
        return 2
    found = candidates(spec, words, current)
    if found is None:
        stdout.write("files\n")
    else:
        stdout.write("".join(f"{line}\n" for line in ["values", *found]))
    return 0
