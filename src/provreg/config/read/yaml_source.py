"""Turn a config file's bytes into Python values while keeping node positions.

Owns: the fast, hostile-input-safe YAML reader used on every load.
May import: PyYAML (libyaml via `CSafeLoader`), `provreg.model`, `provreg.value_class`,
`provreg.config.codes`, `provreg.config.yaml_tags` (the loader subclass that resolves tags cheaply).

Why not ruamel.yaml here: loading is the hot path (startup, every reconcile)
and ruamel's round-trip parser is many times slower than libyaml's compose
(docs/performance.md), whose nodes keep `start_mark` positions too. The
round-trip parser is kept for the one file being written (storage/).

We compose nodes with libyaml and build values ourselves instead of calling
`yaml.load`, because we need what PyYAML's constructor hides: duplicate keys
(it keeps the last silently), alias expansion limits (billion laughs),
unsupported tags as diagnostics instead of exceptions, and our own depth limit.
"""

from __future__ import annotations

import re
from sys import intern
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from provreg.config import codes
from provreg.config.codes import Code
from provreg.config.read.diagnostic_cap import DiagnosticCap
from provreg.config.yaml_tags import (
    BOOL_TAG,
    FLOAT_TAG,
    INT_TAG,
    MAP_TAG,
    MERGE_TAG,
    NULL_TAG,
    SEQ_TAG,
    STR_TAG,
    TIMESTAMP_TAG,
    ConfigLoader,
)
from provreg.model import Diagnostic
from provreg.one_line import printable
from provreg.value_class import ValueClass, field

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_MAX_DEPTH = 64
DEFAULT_MAX_ALIAS_EXPANSION = 10_000
DEFAULT_MAX_INTEGER_DIGITS = 100


_SCALARS = SafeConstructor()


class Limits(ValueClass, kw_only=False):
    """Bounds that keep hostile input from hanging or exhausting the process."""

    max_bytes: int = DEFAULT_MAX_BYTES
    """Files larger than this are not parsed (checked before reading them whole)."""
    max_depth: int = DEFAULT_MAX_DEPTH
    """Deepest nesting of mappings and sequences accepted."""
    max_alias_expansion: int = DEFAULT_MAX_ALIAS_EXPANSION
    """Nodes that aliases may add on top of the document's own."""
    max_integer_digits: int = DEFAULT_MAX_INTEGER_DIGITS
    """Digits a whole number may have. Hexadecimal and base-60 integers are not
    under Python's 4,300-digit conversion limit: 50,000 hex digits make a number
    that cannot even be printed, and 20,000 base-60 parts take seconds to build."""


class Document(ValueClass, kw_only=False, frozen=False):
    """A parsed file: its values, the node tree to locate problems, and diagnostics."""

    file: str
    root: Node | None
    value: Any
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """True when the document could not be interpreted at all."""
        return self.root is None


def diagnostic(
    code: Code,
    file: str,
    line: int,
    column: int,
    message: str,
    *,
    hint: str | None = None,
    instance_id: str | None = None,
) -> Diagnostic:
    """Build a Diagnostic with the code's own severity."""
    return Diagnostic(
        file=file,
        line=line,
        column=column,
        severity=code.severity,
        code=code.code,
        message=printable(message),
        hint=None if hint is None else printable(hint),
        instance_id=instance_id,
    )


# libyaml's line breaks; also what may not appear raw in a one-line message.
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def text_position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset, breaking lines as libyaml does."""
    line, start = 1, 0
    for match in _LINE_BREAK.finditer(text, 0, offset):
        line += 1
        start = match.end()
    return line, offset - start + 1


def diagnostic_at(
    code: Code,
    file: str,
    node: Node | None,
    message: str,
    *,
    hint: str | None = None,
    instance_id: str | None = None,
) -> Diagnostic:
    """A diagnostic at a node's start (1:1 when there is no node)."""
    line, column = node_position(node) if node is not None else (1, 1)
    return diagnostic(code, file, line, column, message, hint=hint, instance_id=instance_id)


def node_position(node: Node) -> tuple[int, int]:
    """1-based (line, column) of a node's start."""
    mark = node.start_mark
    return mark.line + 1, mark.column + 1


class _Abort(Exception):
    """Stops building values: the document is not interpreted."""

    def __init__(self, diag: Diagnostic) -> None:
        super().__init__(diag.message)
        self.diagnostic = diag


def file_too_large(file: str, size: int, limits: Limits) -> Diagnostic:
    """The diagnostic for a file of `size` bytes, over the limit."""
    return diagnostic(
        codes.FILE_TOO_LARGE,
        file,
        1,
        1,
        f"file is {size:,} bytes, more than the limit of {limits.max_bytes:,}",
        hint="split it into several files, or raise the limit with --max-file-size",
    )


def internal_error(display: str, exc: BaseException) -> Diagnostic:
    """The diagnostic for a file whose loading raised: the file is left out (its
    last good version stays in force) and every other file loads as usual.

    Only the exception's type (and an OS error's reason) is shown: an exception's
    text may quote the file's values, and a value may be a pasted secret.
    """
    reason = type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        reason += f": {exc.strerror}"
        hint = "the file is retried when it changes"
    else:
        hint = "this is a bug in provreg: please report it with the file's shape (not its secrets)"
    return diagnostic(
        codes.INTERNAL_ERROR,
        display,
        1,
        1,
        f"provreg could not load this file ({reason}); the file is left out",
        hint=hint,
    )


def parse_bytes(data: bytes, file: str, limits: Limits = Limits()) -> Document:
    """Parse one file's bytes. Never raises for bad input: problems become diagnostics."""
    if len(data) > limits.max_bytes:
        return Document(file, None, None, [file_too_large(file, len(data), limits)])
    if b"\x00" in data:
        line, column = _byte_position(data, data.index(b"\x00"))
        return _failed(file, codes.BINARY_FILE, line, column, "file contains NUL bytes: binary")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _byte_position(data, exc.start)
        return _failed(
            file,
            codes.NOT_UTF8,
            line,
            column,
            f"invalid UTF-8 byte 0x{data[exc.start]:02x}",
            hint="save the file as UTF-8",
        )
    return parse_text(text, file, limits)


def parse_text(text: str, file: str, limits: Limits = Limits()) -> Document:
    """Parse YAML text (already decoded) into a Document."""
    loader = ConfigLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        return _failed(file, *_syntax_error(exc, text))
    except yaml.reader.ReaderError as exc:  # unmarked: control characters
        # libyaml gives the offset in the UTF-8 encoding of the text.
        prefix = text.encode("utf-8", "surrogatepass")[: exc.position]
        line, column = text_position(text, len(prefix.decode("utf-8", "ignore")))
        char = f"character #x{exc.character:04x}" if isinstance(exc.character, int) else "character"
        return _failed(file, codes.YAML_SYNTAX, line, column, f"unacceptable {char}: {exc.reason}")
    except yaml.YAMLError as exc:
        return _failed(file, codes.YAML_SYNTAX, 1, 1, _one_line(str(exc)))
    finally:
        loader.dispose()
    if root is None or (isinstance(root, ScalarNode) and root.tag == NULL_TAG and not root.value):
        # Nothing but comments, or an empty document after `---`.
        return _failed(
            file,
            codes.EMPTY_FILE,
            1,
            1,
            "file is empty",
            hint="write `version: 1` and `providers: []` to declare a file with no providers",
        )
    builder = _ValueBuilder(file, limits)
    try:
        value = builder.build(root, 0)
    except _Abort as abort:
        return Document(file, None, None, [abort.diagnostic])
    return Document(file, root, value, builder.cap.result())


def _failed(file: str, code: Code, line: int, column: int, message: str, **kw: Any) -> Document:
    return Document(file, None, None, [diagnostic(code, file, line, column, message, **kw)])


def _syntax_error(exc: yaml.MarkedYAMLError, text: str) -> tuple[Code, int, int, str]:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    # At the end of a text without a final line break, libyaml reports the
    # next line, which no editor shows: point at the end of the text instead.
    end = text_position(text, len(text))
    if (line, column) > end:
        line, column = end
    problem = exc.problem or "syntax error"
    if "expected a single document" in (exc.context or ""):
        return (
            codes.MULTIPLE_DOCUMENTS,
            line,
            column,
            "a second YAML document starts here; a config file holds one document",
        )
    if "maximum nesting depth" in problem:
        return codes.TOO_DEEP, line, column, "nesting is deeper than libyaml's limit"
    message = problem
    if exc.context:
        message = f"{exc.context}: {problem}"
    return codes.YAML_SYNTAX, line, column, _one_line(message)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


class _ValueBuilder:
    """Builds plain Python values from a composed node graph, checking limits."""

    def __init__(self, file: str, limits: Limits) -> None:
        self.file = file
        self.limits = limits
        self.cap = DiagnosticCap(file)
        # Anchored nodes are shared in the graph; building them once and sharing
        # the value keeps construction linear. The int counts the nodes it expands to.
        self._built: dict[int, tuple[Any, int]] = {}
        self._in_progress: set[int] = set()
        self._alias_nodes = 0
        # Collections being built, innermost last. The composer hands back the
        # anchored node itself for an alias, so the alias's own position is lost;
        # the collection holding it is the nearest node that shows the problem.
        self._open: list[Node] = []

    def build(self, node: Node, depth: int) -> Any:
        value, _ = self._build(node, depth)
        return value

    def _build(self, node: Node, depth: int) -> tuple[Any, int]:
        key = id(node)
        done = self._built.get(key)
        if done is not None:
            # A second visit is an alias: count what it expands to.
            self._alias_nodes += done[1]
            if self._alias_nodes > self.limits.max_alias_expansion:
                self._abort(
                    codes.ALIAS_LIMIT,
                    self._open[-1] if self._open else node,
                    f"aliases expand to more than {self.limits.max_alias_expansion:,} nodes",
                )
            return done
        if key in self._in_progress:
            self._abort(
                codes.ALIAS_LIMIT,
                self._open[-1] if self._open else node,
                "an alias refers to a node that contains it",
            )
        if depth > self.limits.max_depth:
            self._abort(
                codes.TOO_DEEP, node, f"nesting is deeper than {self.limits.max_depth} levels"
            )
        if isinstance(node, ScalarNode):
            # Scalars are not memoised: an alias to one costs a token in the
            # file, so their expansion is bounded by the file size already.
            return self._scalar(node), 1
        self._in_progress.add(key)
        self._open.append(node)
        if isinstance(node, MappingNode):
            result: tuple[Any, int] = self._mapping(node, depth)
        else:
            assert isinstance(node, SequenceNode)
            result = self._sequence(node, depth)
        self._open.pop()
        self._in_progress.discard(key)
        self._built[key] = result
        return result

    def _scalar(self, node: ScalarNode) -> Any:
        tag = node.tag
        if tag == STR_TAG:
            return node.value
        if tag == INT_TAG:
            value = node.value
            if value.isascii() and value.isdigit() and (value[0] != "0" or value == "0"):
                # Plain decimal, the common case: PyYAML's constructor costs
                # several times more on long lists of numbers (docs/performance.md).
                if len(value) <= self.limits.max_integer_digits:
                    return int(value)
            digits = integer_digits(value)
            if digits > self.limits.max_integer_digits:
                self._abort(
                    codes.NUMBER_TOO_LONG,
                    node,
                    f"whole number of {digits:,} digits, more than the limit of "
                    f"{self.limits.max_integer_digits:,}",
                    hint="no setting needs a number this long; check the value",
                )
        try:
            if tag == INT_TAG:
                return _SCALARS.construct_yaml_int(node)
            if tag == FLOAT_TAG:
                return _SCALARS.construct_yaml_float(node)
            if tag == BOOL_TAG:
                return _SCALARS.construct_yaml_bool(node)
        except (ValueError, KeyError):
            # `0x_`, `!!int abc`, `!!bool maybe`, an integer past Python's
            # 4300-digit limit: keep the text, and let validation say what it expected.
            return node.value
        if tag == NULL_TAG:
            return None
        if tag == TIMESTAMP_TAG:
            # Dates stay text: every field that could hold one is text.
            return node.value
        self._unsupported_tag(node)
        return None

    def _sequence(self, node: SequenceNode, depth: int) -> tuple[list[Any], int]:
        if node.tag != SEQ_TAG:
            self._unsupported_tag(node)
        items: list[Any] = []
        size = 1
        # As in `_mapping`: a scalar item needs no memo, alias or depth check.
        scalar_items_allowed = depth < self.limits.max_depth
        for child in node.value:
            if scalar_items_allowed and type(child) is ScalarNode:
                items.append(self._scalar(child))
                size += 1
                continue
            value, child_size = self._build(child, depth + 1)
            items.append(value)
            size += child_size
        return items, size

    def _mapping(self, node: MappingNode, depth: int) -> tuple[dict[Any, Any], int]:
        if node.tag != MAP_TAG:
            self._unsupported_tag(node)
        result: dict[Any, Any] = {}
        key_nodes: dict[Any, Node] = {}  # each key's last node, for duplicates
        merged: dict[Any, Any] = {}
        size = 1
        # A scalar value is built here rather than through `_build`, which would
        # only find it unshared and within the depth limit (most values are scalars).
        scalar_values_allowed = depth < self.limits.max_depth
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                value, value_size = self._build(value_node, depth + 1)
                size += value_size
                self._merge(value_node, value, merged)
                continue
            if not isinstance(key_node, ScalarNode):
                self._report(codes.BAD_KEY, key_node, "a mapping key must be a plain scalar")
                continue
            key = self._scalar(key_node)
            if type(key) is str:
                # Every instance repeats the same few keys: one string each
                # instead of one per mapping (kept in the values of all instances).
                key = intern(key)
            earlier = key_nodes.get(key)
            if earlier is not None:
                self._report(
                    codes.DUPLICATE_KEY,
                    key_node,
                    f"duplicate key '{key}' "
                    f"(lines {node_position(earlier)[0]} and {node_position(key_node)[0]})",
                    hint="delete one of them; YAML keeps only one value per key",
                )
            key_nodes[key] = key_node
            if scalar_values_allowed and type(value_node) is ScalarNode:
                result[key] = self._scalar(value_node)
                size += 2
                continue
            value, value_size = self._build(value_node, depth + 1)
            size += value_size + 1
            result[key] = value
        for key, value in merged.items():
            result.setdefault(key, value)
        return result, size

    def _merge(self, node: Node, value: Any, into: dict[Any, Any]) -> None:
        sources = value if isinstance(value, list) else [value]
        for source in sources:
            if not isinstance(source, dict):
                self._report(codes.WRONG_SHAPE, node, "a merge key '<<' takes a mapping")
                return
            for key, item in source.items():
                into.setdefault(key, item)

    def _unsupported_tag(self, node: Node) -> None:
        self._report(
            codes.UNSUPPORTED_TAG,
            node,
            f"unsupported tag '{node.tag}'",
            hint="provreg files use plain YAML values; remove the tag",
        )

    def _report(self, code: Code, node: Node, message: str, hint: str | None = None) -> None:
        line, column = node_position(node)
        self.cap.add(
            code,
            line,
            column,
            lambda: diagnostic(code, self.file, line, column, message, hint=hint),
        )

    def _abort(self, code: Code, node: Node, message: str, hint: str | None = None) -> None:
        line, column = node_position(node)
        raise _Abort(diagnostic(code, self.file, line, column, message, hint=hint))


_NOT_A_DIGIT = re.compile(r"^[-+]?(0[xXbB])?|[_:]")


def integer_digits(text: str) -> int:
    """Digits of an integer scalar as YAML 1.1 writes it: without its sign, a
    `0x`/`0b` prefix, `_` separators and the `:` between base-60 parts."""
    return len(_NOT_A_DIGIT.sub("", text))


def mapping_entry(node: Node | None, key: Any) -> tuple[Node, Node] | None:
    """The (key node, value node) pair of `key` in a mapping node, if present."""
    if not isinstance(node, MappingNode):
        return None
    found = None
    for key_node, value_node in node.value:
        if isinstance(key_node, ScalarNode) and _key_value(key_node) == key:
            found = (key_node, value_node)  # last one wins, as in the values
    return found


def _key_value(node: ScalarNode) -> Any:
    """A scalar key's value, as `_ValueBuilder._scalar` builds it, without raising."""
    if node.tag == STR_TAG or node.tag == TIMESTAMP_TAG:
        return node.value
    if node.tag == INT_TAG and integer_digits(node.value) > DEFAULT_MAX_INTEGER_DIGITS:
        return node.value  # a document with one is not interpreted (E013)
    try:
        if node.tag == INT_TAG:
            return _SCALARS.construct_yaml_int(node)
        if node.tag == BOOL_TAG:
            return _SCALARS.construct_yaml_bool(node)
        if node.tag == FLOAT_TAG:
            return _SCALARS.construct_yaml_float(node)
    except (ValueError, KeyError, yaml.YAMLError):
        return node.value
    if node.tag == NULL_TAG:
        return None
    return node.value


def locate(node: Node | None, path: tuple[Any, ...], *, key: bool = False) -> Node | None:
    """Follow a path of mapping keys and sequence indexes to a node.

    With `key=True` the last step returns the key node (to point at an
    unknown field's name rather than its value). Returns the deepest node
    reached when the path leaves the tree (a missing field points at its parent).
    """
    current = node
    for step_index, step in enumerate(path):
        last = step_index == len(path) - 1
        if isinstance(current, MappingNode):
            entry = mapping_entry(current, step)
            if entry is None:
                return current
            current = entry[0] if (last and key) else entry[1]
        elif isinstance(current, SequenceNode) and isinstance(step, int):
            if not 0 <= step < len(current.value):
                return current
            current = current.value[step]
        else:
            return current
    return current
