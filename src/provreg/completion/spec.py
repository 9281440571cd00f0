"""The command line's shape for completion, taken from the argparse parser.

A spec is plain JSON data, embedded in the generated script and handed back
to `provreg __complete` at each TAB, so building the parser (which imports
the interop adapters, hence pydantic) happens once, when the script is
generated, and the script always matches the provreg that wrote it.

    {"commands": {PATH: {"subcommands": [NAME, ...],
                         "options": {FLAG: KIND or null (a switch)},
                         "positionals": [[KIND, NARGS], ...]}}}

PATH is the command's words joined by spaces ("" for `provreg` itself,
"secret get"). A KIND is a list of choices, the name of a value read from the
files at each TAB (`ids`, `types`, `themes`, `fields`, `secret-fields`; with
a trailing `=` for `--set` and `--ref`, which offer `FIELD=`), "files" (the
shell's own file completion) or "none" (a value the user makes up: a name, a
number).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

KIND_BY_DEST: dict[str, str] = {
    "id": "ids",
    "ids": "ids",
    "provider": "types",
    "theme": "themes",
    "set": "fields=",
    "unset": "fields",
    "ref": "secret-fields=",
    "field": "secret-fields",
    "name": "none",
    "instance_id": "none",
    "n": "none",
    "timeout": "none",
    "max_file_size": "none",
}
"""What an argument's value is, by its `dest`. Any other argument that takes a
value completes file names: most of them are paths."""

Spec = dict[str, Any]


def parser_spec(
    parser: argparse.ArgumentParser, choices_by_dest: Mapping[str, Sequence[str]]
) -> Spec:
    """The spec of `parser` and its subcommands. `choices_by_dest` names values
    argparse does not know as choices (`--to TOOL`: the tool names)."""
    commands: dict[str, Any] = {}
    _walk(parser, (), commands, choices_by_dest)
    return {"commands": commands}


def _walk(
    parser: argparse.ArgumentParser,
    path: tuple[str, ...],
    commands: dict[str, Any],
    choices_by_dest: Mapping[str, Sequence[str]],
) -> None:
    node: dict[str, Any] = {"subcommands": [], "options": {}, "positionals": []}
    commands[" ".join(path)] = node
    for action in parser._actions:  # argparse offers no public walk of its actions
        if isinstance(action, argparse._SubParsersAction):
            # Only commands listed in --help (a parser added with `help=`) are offered.
            listed = {choice.dest for choice in action._choices_actions}
            for name, sub in action.choices.items():
                if name in listed:
                    node["subcommands"].append(name)
                    _walk(sub, (*path, name), commands, choices_by_dest)
        elif action.option_strings:
            if action.help == argparse.SUPPRESS:
                continue
            takes_value = action.nargs != 0
            for flag in action.option_strings:
                node["options"][flag] = _kind(action, choices_by_dest) if takes_value else None
        else:
            node["positionals"].append([_kind(action, choices_by_dest), action.nargs])


def _kind(action: argparse.Action, choices_by_dest: Mapping[str, Sequence[str]]) -> Any:
    if action.choices is not None and not isinstance(action.choices, Mapping):
        return [str(choice) for choice in action.choices]
    if action.dest in choices_by_dest:
        return list(choices_by_dest[action.dest])
    return KIND_BY_DEST.get(action.dest, "files")
