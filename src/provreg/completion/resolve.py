"""What the word being typed can become, given the words before it and the spec.

The walk follows what `provreg.cli.main` does with the same words: commands
and subcommands from the left, an option's value after it (or after `=`),
`provreg --check ...` as `check`, and anything else at the start as the
dashboard's PATH (`provreg tui`). Values that depend on an earlier word use
it: `edit ID --set` offers the fields of ID's provider type, `add TYPE --set`
those of TYPE, and every `--config` given is where ids are read from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Only the type: the spec module imports argparse, which a TAB never needs.
    from provreg.completion.spec import Spec


FILES = "files"
"""The answer that means: let the shell complete file names."""


class Context:
    """The words before the cursor, as the parser would read them. (A plain
    class: see `provreg.completion.values` on dataclasses.)"""

    def __init__(self, node: dict[str, Any]) -> None:
        self.node = node
        self.positionals: list[str] = []
        self.config: list[str] = []
        self.pending: str | None = None
        """The option just typed, whose value is the current word."""
        self.after_dashes = False


def read_words(spec: Spec, words: list[str]) -> Context:
    commands: dict[str, Any] = spec["commands"]
    path: list[str] = []
    context = Context(commands[""])
    if "--check" in words and "check" in commands:
        words = [word for word in words if word != "--check"]
        path, context.node = ["check"], commands["check"]
    elif words and words[0] not in commands[""]["subcommands"] and "tui" in commands:
        if words[0] not in commands[""]["options"]:
            path, context.node = ["tui"], commands["tui"]
    for word in words:
        options: dict[str, Any] = context.node["options"]
        if context.pending is not None:
            if context.pending == "--config":
                context.config.append(word)
            context.pending = None
        elif context.after_dashes:
            context.positionals.append(word)
        elif word == "--":
            context.after_dashes = True
        elif word.startswith("-") and len(word) > 1:
            flag, has_value, value = word.partition("=")
            if flag == "--config" and has_value:
                context.config.append(value)
            elif options.get(flag) is not None and not has_value:
                context.pending = flag
        elif not context.positionals and word in context.node["subcommands"]:
            path.append(word)
            context.node = commands[" ".join(path)]
        else:
            context.positionals.append(word)
    return context


def kind_to_complete(context: Context, current: str) -> tuple[Any, str]:
    """The kind of value the current word is, and the part of it to match."""
    node = context.node
    if context.pending is not None:
        return node["options"][context.pending], current
    if current.startswith("-") and not context.after_dashes:
        flag, has_value, value = current.partition("=")
        if has_value:
            return node["options"].get(flag) or "none", value
        return "options", current
    if not context.positionals and node["subcommands"]:
        return "subcommands", current
    return _positional_kind(node["positionals"], len(context.positionals)), current


def _positional_kind(positionals: list[list[Any]], index: int) -> Any:
    for kind, nargs in positionals:
        if nargs in ("*", "+", "..."):
            return kind
        if index == 0:
            return kind
        index -= 1
    return "none"
