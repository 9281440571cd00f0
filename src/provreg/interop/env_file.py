"""`provreg export --to env`: a shell `.env`-style file of *references*, never values.

For setups without `provreg exec` (direnv's `.envrc`, `set -a; . ./provreg.env`):
each instance's fields that have a conventional variable name in the catalog
(`env:`, such as `OPENAI_API_KEY`) become `export NAME=...` lines. Non-secret
values are written as single-quoted literals; a secret is written as a shell
expression the shell evaluates when the file is sourced:

- `{env: X}` -> `"${X}"` (the variable is already in your environment);
- `{file: P}` -> `"$(cat P)"`;
- a keyring or command reference -> `"$(provreg secret get ID [FIELD])"`, which
  resolves the key with origin pinning and an audit line.

When two exported instances would set the same variable, every variable of
those instances is prefixed with the instance id (`WORK_OPENAI__OPENAI_API_KEY`:
the id upper-cased, `-` and `.` as `_`, then two underscores), and the
report says so. Each instance's lines sit between `# >>> provreg: ID` and
`# <<< provreg: ID` markers, which is what `--merge` replaces; the rest of the
file is kept as it is.

Reading an env file back (`provreg import --from env`) is not supported: such
a file holds variables, not providers, and the mapping from a bag of variables
to instances is guesswork. `read` and `scrub` raise `ToolFileError` saying so.
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from provreg.interop.base import (
    ExportContext,
    ExportedEntry,
    ExportItem,
    ExportOutcome,
    ImportRead,
    ScrubTarget,
    SecretHandoff,
    Syntax,
    ToolFileError,
    ToolNote,
    shell_name,
)
from provreg.model import FieldSpec, ProviderInstance, SecretRef

BLOCK_START = "# >>> provreg: "
BLOCK_END = "# <<< provreg: "
PREFIX_SEPARATOR = "__"
"""Between the instance-id prefix and the conventional name: `WORK_OPENAI__OPENAI_API_KEY`."""

HEADER = (
    "# Written by `provreg export --to env`: references only, no key values.\n"
    "# Load it with direnv (save as .envrc) or `set -a; . ./THIS_FILE; set +a`.\n"
    "# Keys are read when the file is sourced, through `provreg secret get`.\n"
)

READ_REFUSAL = (
    "importing from an env file is not supported: it holds variables, not providers; "
    "add the instance with `provreg add` and move its key with `provreg secret set`"
)

_ID_TO_VAR = re.compile(r"[^A-Z0-9]+")
_MARKER_RE = re.compile(r"^# (>>>|<<<) provreg: (\S+)\s*$")


def variable_prefix(instance_id: str) -> str:
    """`work-openai` -> `WORK_OPENAI__`: what an instance's variables get when
    another exported instance sets the same names."""
    return _ID_TO_VAR.sub("_", instance_id.upper()).strip("_") + PREFIX_SEPARATOR


def _literal_text(value: Any) -> str:
    """A field value as the text of a variable (as `provreg exec` sets it)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return str(value)


def _shell_path(path: str) -> str:
    """A path for `cat`, quoted, with a leading `~/` still expanded by the shell."""
    if path == "~":
        return '"$HOME"'
    if path.startswith("~/"):
        return '"$HOME"/' + shlex.quote(path[2:])
    return shlex.quote(path)


def _secret_expression(
    instance: ProviderInstance, spec: FieldSpec, ref: SecretRef, context: ExportContext
) -> SecretHandoff:
    if ref.kind == "env":
        return SecretHandoff(
            spec.id, "env", f'"${{{ref.name}}}"', hint=f"set {ref.name} before sourcing the file"
        )
    if ref.kind == "file":
        return SecretHandoff(spec.id, "file", f'"$(cat {_shell_path(ref.name or "")})"')
    argv = context.secret_get_argv(instance.id, spec.id)
    command = shlex.join(argv)
    return SecretHandoff(
        spec.id,
        "command",
        f'"$({command})"',
        hint=f"read by `{command}` each time the file is sourced",
    )


def _instance_lines(
    item: ExportItem, context: ExportContext
) -> tuple[dict[str, str], list[tuple[str, SecretHandoff]], list[str]]:
    """Variable -> shell text, (variable, handoff) per secret, what is lost (the
    conventional names, not yet prefixed)."""
    instance, definition = item.instance, item.definition
    variables: dict[str, str] = {}
    handoffs: list[tuple[str, SecretHandoff]] = []
    lost: list[str] = []
    for spec in definition.fields:
        if not spec.env:
            if spec.id in instance.values:
                lost.append(spec.id)
            continue
        if not shell_name(spec.env):
            # Written as is, it would run as a command when the file is sourced.
            lost.append(f"{spec.id} (its `env:` name in the definition is not a variable name)")
            continue
        if spec.is_secret:
            ref = instance.secret_ref(spec.id)
            if not context.has_key(instance, spec):
                # An optional key neither stated nor stored is usually no key at
                # all (a local server): `$(provreg secret get ...)` would fail on
                # every `source`.
                lost.append(
                    f"{spec.id} (optional, not in the file and not stored: "
                    f"`provreg secret set {instance.id}` to give it one)"
                )
                continue
            handoff = _secret_expression(instance, spec, ref, context)
            variables[spec.env] = handoff.written
            handoffs.append((spec.env, handoff))
            continue
        value = instance.value(definition, spec.id)
        if value is not None:
            variables[spec.env] = shlex.quote(_literal_text(value))
    if instance.models:
        lost.append("models")
    return variables, handoffs, lost


class EnvFileAdapter:
    """The `env` tool: a shell file of `export NAME=...` lines, references only."""

    name = "env"
    title = "env file (direnv .envrc, `set -a; . FILE`)"
    syntax: Syntax = "env"
    default_paths: tuple[str, ...] = (".envrc", ".env")
    import_refusal = READ_REFUSAL
    """Said by `provreg import --from env` before it looks for a file."""

    def export(self, items: Sequence[ExportItem], context: ExportContext) -> ExportOutcome:
        built: list[
            tuple[ExportItem, dict[str, str], list[tuple[str, SecretHandoff]], list[str]]
        ] = []
        skipped: list[ToolNote] = []
        for item in items:
            variables, handoffs, lost = _instance_lines(item, context)
            if not variables:
                skipped.append(
                    ToolNote(
                        item.instance.id,
                        f"provider '{item.definition.id}' has no field with a conventional "
                        "variable name (`env:` in its definition)",
                    )
                )
                continue
            built.append((item, variables, handoffs, lost))
        counts = Counter(name for _, variables, _, _ in built for name in variables)
        entries: list[ExportedEntry] = []
        for item, variables, handoffs, lost in built:
            shared = sorted(name for name in variables if counts[name] > 1)
            prefix = variable_prefix(item.instance.id) if shared else ""
            if shared:
                variables = {prefix + name: text for name, text in variables.items()}
                lost.append(
                    f"the conventional variable names: {', '.join(shared)} "
                    f"{'is' if len(shared) == 1 else 'are'} also set by another exported "
                    f"instance, so this one's variables start with {prefix}"
                )
            secrets = tuple(
                SecretHandoff(h.field, h.choice, f"{prefix}{name}={h.written}", h.hint)
                for name, h in handoffs
            )
            entries.append(
                ExportedEntry(
                    instance_id=item.instance.id,
                    key=item.instance.id,
                    value={"name": item.instance.name, "variables": variables},
                    secrets=secrets,
                    lost=tuple(lost),
                )
            )
        return ExportOutcome(self.name, tuple(entries), tuple(skipped))

    def render(self, outcome: ExportOutcome) -> str:
        blocks = [_block(entry) for entry in outcome.entries]
        return HEADER + "".join("\n" + block for block in blocks)

    def merge(self, existing: str, outcome: ExportOutcome, path: str) -> str:
        if "\r\n" in existing and existing.count("\n") == existing.count("\r\n"):
            # A Windows file stays one: the blocks are written with its line ends.
            lf = self.merge(existing.replace("\r\n", "\n"), outcome, path)
            return lf.replace("\n", "\r\n")
        blocks = _split_blocks(existing, path)
        by_key = {entry.key: entry for entry in outcome.entries}
        written: set[str] = set()
        pieces: list[str] = []
        for key, text in blocks:
            if key is not None and key in by_key:
                pieces.append(_block(by_key[key]))
                written.add(key)
            else:
                pieces.append(text)
        merged = "".join(pieces)
        for entry in outcome.entries:
            if entry.key not in written:
                if merged and not merged.endswith("\n"):
                    merged += "\n"
                merged += ("\n" if merged else "") + _block(entry)
        return merged

    def read(self, text: str, path: str) -> ImportRead:
        raise ToolFileError(path, 0, 0, READ_REFUSAL)

    def scrub(
        self,
        text: str,
        path: str,
        stored: Mapping[tuple[str, str], ScrubTarget],
        context: ExportContext,
    ) -> str:
        raise ToolFileError(path, 0, 0, READ_REFUSAL)


def _block(entry: ExportedEntry) -> str:
    value: dict[str, Any] = entry.value
    # One comment line whatever the name holds (a line break would end the comment).
    title = " ".join(str(value["name"]).split())
    if _MARKER_RE.match(f"# {title}"):
        title = f"name: {title}"  # a name like `>>> provreg: x` is no block marker
    lines = [f"{BLOCK_START}{entry.key}", f"# {title}"]
    lines += [f"export {name}={text}" for name, text in value["variables"].items()]
    lines.append(f"{BLOCK_END}{entry.key}")
    return "\n".join(lines) + "\n"


def _split_blocks(text: str, path: str) -> list[tuple[str | None, str]]:
    """The file as pieces: (instance id, its marked block) or (None, other text)."""
    pieces: list[tuple[str | None, str]] = []
    current: list[str] = []
    open_key: str | None = None
    open_line = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        marker = _MARKER_RE.match(line.rstrip("\n"))
        if marker is not None and marker.group(1) == ">>>":
            if open_key is not None:
                raise ToolFileError(
                    path,
                    number,
                    1,
                    f"a provreg block starts before the one at line {open_line} ends",
                )
            if current:
                pieces.append((None, "".join(current)))
            current, open_key, open_line = [line], marker.group(2), number
            continue
        current.append(line)
        if marker is not None and marker.group(1) == "<<<":
            if open_key is None or marker.group(2) != open_key:
                raise ToolFileError(path, number, 1, "a provreg block ends that was not started")
            pieces.append((open_key, "".join(current)))
            current, open_key = [], None
    if open_key is not None:
        raise ToolFileError(path, open_line, 1, f"the provreg block of '{open_key}' never ends")
    if current:
        pieces.append((None, "".join(current)))
    return pieces


ADAPTER = EnvFileAdapter()
"""The `env` adapter (`provreg.interop.tools.adapter("env")`)."""
