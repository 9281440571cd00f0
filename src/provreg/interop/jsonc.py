"""JSON with comments (JSONC): a reader that keeps positions, and an editor
that changes one member without touching the rest of the text.

opencode and Zed read JSONC (`//` and `/* */` comments, trailing commas);
crush reads plain JSON, which is JSONC without them. `--merge` and `--scrub`
must keep the user's comments, layout and every entry provreg does not own,
so edits are splices into the original text: the bytes outside the edited
span stay as they were.

Errors are `ToolFileError`s with a 1-based line and column and a message that
never repeats text from the file: a key or a string value may be a pasted key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from provreg.interop.base import ToolFileError

MAX_DEPTH = 256
"""Nesting beyond this is refused (no settings file needs it; recursion would)."""

_NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_STRING_BODY_RE = re.compile(r'(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*')
_WHITESPACE = " \t\r\n\ufeff"


@dataclass(frozen=True, slots=True)
class Node:
    """A value in the text: `start` and `end` are offsets (end exclusive)."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ScalarNode(Node):
    value: Any
    """A string, number, boolean or None."""


@dataclass(frozen=True, slots=True)
class ArrayNode(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Member:
    """One `"key": value` of an object."""

    key: str
    key_start: int
    value: Node
    comma_end: int | None
    """Offset just past the comma that follows the value (None: no comma)."""


@dataclass(frozen=True, slots=True)
class ObjectNode(Node):
    members: tuple[Member, ...]

    def member(self, key: str) -> Member | None:
        """The member of that key; the last one when the key repeats (as JSON readers do)."""
        found = None
        for candidate in self.members:
            if candidate.key == key:
                found = candidate
        return found


def to_python(node: Node) -> Any:
    """The plain value of a node (dicts, lists, strings, numbers, booleans, None)."""
    if isinstance(node, ObjectNode):
        return {member.key: to_python(member.value) for member in node.members}
    if isinstance(node, ArrayNode):
        return [to_python(item) for item in node.items]
    assert isinstance(node, ScalarNode)
    return node.value


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of an offset."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


class _Parser:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.pos = 0

    def fail(self, message: str, offset: int | None = None) -> ToolFileError:
        line, column = line_column(self.text, self.pos if offset is None else offset)
        return ToolFileError(self.path, line, column, message)

    def skip_blank(self) -> None:
        """Whitespace and comments."""
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char in _WHITESPACE:
                self.pos += 1
            elif text.startswith("//", self.pos):
                newline = text.find("\n", self.pos)
                self.pos = len(text) if newline < 0 else newline + 1
            elif text.startswith("/*", self.pos):
                close = text.find("*/", self.pos + 2)
                if close < 0:
                    raise self.fail("a /* comment is never closed")
                self.pos = close + 2
            else:
                return

    def document(self) -> Node:
        self.skip_blank()
        if self.pos >= len(self.text):
            raise self.fail("the file holds no JSON value")
        root = self.value(0)
        self.skip_blank()
        if self.pos < len(self.text):
            raise self.fail("unexpected text after the end of the JSON value")
        return root

    def value(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise self.fail("values are nested too deeply")
        text = self.text
        start = self.pos
        char = text[start] if start < len(text) else ""
        if char == "{":
            return self.object(depth)
        if char == "[":
            return self.array(depth)
        if char == '"':
            string = self.string()
            return ScalarNode(start, self.pos, string)
        for word, word_value in (("true", True), ("false", False), ("null", None)):
            if text.startswith(word, start):
                self.pos = start + len(word)
                return ScalarNode(start, self.pos, word_value)
        match = _NUMBER_RE.match(text, start)
        if match and match.end() > start:
            self.pos = match.end()
            literal = match.group()
            number: Any = int(literal) if re.fullmatch(r"-?[0-9]+", literal) else float(literal)
            return ScalarNode(start, self.pos, number)
        if not char:
            raise self.fail("the file ends where a value is expected")
        raise self.fail("expected a value (a string, number, object, array, true, false or null)")

    def string(self) -> str:
        """The string that starts at `pos`; `pos` moves past it."""
        start = self.pos
        body = _STRING_BODY_RE.match(self.text, start + 1)
        end = body.end() if body else start + 1
        if end >= len(self.text):
            raise self.fail("a string is never closed", start)
        if self.text[end] != '"':
            if self.text[end] == "\\":
                raise self.fail("a string has an invalid escape", end)
            if self.text[end] == "\n":
                raise self.fail("a string is never closed on its line", start)
            raise self.fail("a string holds a control character", end)
        decoded: str = json.loads(self.text[start : end + 1])
        try:
            decoded.encode("utf-8")
        except UnicodeEncodeError:
            # `\ud800` alone is JSON but no text: nothing could write it back.
            raise self.fail(
                "a string holds an unpaired surrogate escape (\\uD800-\\uDFFF)", start
            ) from None
        self.pos = end + 1
        return decoded

    def object(self, depth: int) -> ObjectNode:
        start = self.pos
        self.pos += 1
        members: list[Member] = []
        while True:
            self.skip_blank()
            if self.pos >= len(self.text):
                raise self.fail("an object is never closed", start)
            if self.text[self.pos] == "}":
                self.pos += 1
                return ObjectNode(start, self.pos, tuple(members))
            if self.text[self.pos] != '"':
                raise self.fail("expected a quoted key or '}'")
            key_start = self.pos
            key = self.string()
            self.skip_blank()
            if self.pos >= len(self.text) or self.text[self.pos] != ":":
                raise self.fail("expected ':' after an object key")
            self.pos += 1
            self.skip_blank()
            value = self.value(depth + 1)
            self.skip_blank()
            comma_end = None
            if self.pos < len(self.text) and self.text[self.pos] == ",":
                self.pos += 1
                comma_end = self.pos
            members.append(Member(key, key_start, value, comma_end))
            if comma_end is None:
                self.skip_blank()
                if self.pos >= len(self.text):
                    raise self.fail("an object is never closed", start)
                if self.text[self.pos] != "}":
                    raise self.fail("expected ',' or '}' after an object member")

    def array(self, depth: int) -> ArrayNode:
        start = self.pos
        self.pos += 1
        items: list[Node] = []
        while True:
            self.skip_blank()
            if self.pos >= len(self.text):
                raise self.fail("an array is never closed", start)
            if self.text[self.pos] == "]":
                self.pos += 1
                return ArrayNode(start, self.pos, tuple(items))
            items.append(self.value(depth + 1))
            self.skip_blank()
            if self.pos < len(self.text) and self.text[self.pos] == ",":
                self.pos += 1
                continue
            if self.pos >= len(self.text):
                raise self.fail("an array is never closed", start)
            if self.text[self.pos] != "]":
                raise self.fail("expected ',' or ']' after an array item")


def parse(text: str, path: str) -> Node:
    """The document's root node. Raises `ToolFileError` (line:column, no file content)."""
    return _Parser(text, path).document()


def refuse_repeated_keys(root: Node, text: str, path: str) -> None:
    """Raise `ToolFileError` at the first key that repeats an earlier one of its
    object: tools read one of the two (usually the last), and an import must not
    guess which, nor leave a pasted key behind in the one `--scrub` did not see.
    The message names the lines, never the key (it may be a pasted key)."""
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, ObjectNode):
            seen: dict[str, int] = {}
            for member in node.members:
                if member.key in seen:
                    line, column = line_column(text, member.key_start)
                    first = line_column(text, seen[member.key])[0]
                    raise ToolFileError(
                        path,
                        line,
                        column,
                        f"this key repeats the one at line {first} in the same object; "
                        "keep one of them",
                    )
                seen[member.key] = member.key_start
            stack.extend(member.value for member in node.members)
        elif isinstance(node, ArrayNode):
            stack.extend(node.items)


def loads(text: str, path: str) -> Any:
    """The document as plain data."""
    return to_python(parse(text, path))


def find(root: Node, keys: Sequence[str]) -> Node | None:
    """The value at a key path (None when a key is missing or a step is not an object)."""
    node: Node = root
    for key in keys:
        if not isinstance(node, ObjectNode):
            return None
        member = node.member(key)
        if member is None:
            return None
        node = member.value
    return node


# --- Editing -----------------------------------------------------------------


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _indent_at(text: str, offset: int) -> str:
    """The whitespace that starts the line holding `offset`."""
    start = _line_start(text, offset)
    end = start
    while end < len(text) and text[end] in " \t":
        end += 1
    return text[start:end]


def _starts_its_line(text: str, offset: int) -> bool:
    return text[_line_start(text, offset) : offset].strip(" \t") == ""


def indent_unit(text: str, root: Node) -> str:
    """One level of the file's indentation: what its first nested member uses (else 2 spaces)."""
    if isinstance(root, ObjectNode) and root.members:
        first = root.members[0]
        if _starts_its_line(text, first.key_start):
            unit = _indent_at(text, first.key_start) or "  "
            return unit
    return "  "


def dumps(value: Any, unit: str, base: str) -> str:
    """`value` as JSON laid out like the file: nested lines indented by `unit`
    from `base` (the indentation of the line the value starts on)."""
    rendered = json.dumps(value, indent=unit, ensure_ascii=False)
    return rendered.replace("\n", "\n" + base)


def _child_indent(text: str, container: ObjectNode, unit: str) -> str:
    """The indentation members of `container` use (or would use)."""
    for member in container.members:
        if _starts_its_line(text, member.key_start):
            return _indent_at(text, member.key_start)
    return _indent_at(text, container.start) + unit


def _rest_of_line_is_blank(text: str, offset: int) -> int | None:
    """The end of the line (before its newline) when only spaces, a `//`
    comment or closed `/* */` comments follow `offset` on it; else None."""
    pos = offset
    while pos < len(text):
        char = text[pos]
        if char in " \t\r":
            pos += 1
        elif char == "\n":
            return pos
        elif text.startswith("//", pos):
            newline = text.find("\n", pos)
            return len(text) if newline < 0 else newline
        elif text.startswith("/*", pos):
            close = text.find("*/", pos + 2)
            if close < 0 or "\n" in text[pos:close]:
                return None
            pos = close + 2
        else:
            return None
    return pos


def replace_node(text: str, node: Node, new_value: Any, unit: str) -> str:
    """`text` with one value replaced; everything outside its span kept byte for byte."""
    base = _indent_at(text, node.start)
    return text[: node.start] + dumps(new_value, unit, base) + text[node.end :]


def insert_member(text: str, container: ObjectNode, key: str, value: Any, unit: str) -> str:
    """`text` with `"key": value` added as the last member of `container`,
    indented like its other members, the file's comma style kept."""
    indent = _child_indent(text, container, unit)
    member_text = json.dumps(key, ensure_ascii=False) + ": " + dumps(value, unit, indent)
    if not container.members:
        inner = text[container.start + 1 : container.end - 1]
        closing_indent = _indent_at(text, container.start)
        if inner.strip() == "":
            return (
                text[: container.start + 1]
                + "\n"
                + indent
                + member_text
                + "\n"
                + closing_indent
                + text[container.end - 1 :]
            )
        # Only comments inside: the member goes first, the comments stay after it.
        return (
            text[: container.start + 1]
            + "\n"
            + indent
            + member_text
            + ","
            + text[container.start + 1 :]
        )
    last = container.members[-1]
    trailing_comma = last.comma_end is not None
    after_last = last.comma_end if last.comma_end is not None else last.value.end
    line_end = _rest_of_line_is_blank(text, after_last)
    if line_end is None or not _starts_its_line(text, last.key_start):
        # A one-line object: the member follows the last one on the same line.
        if trailing_comma:
            return text[:after_last] + " " + member_text + "," + text[after_last:]
        return text[:after_last] + ", " + member_text + text[after_last:]
    head = text[: last.value.end] + ("" if trailing_comma else ",")
    middle = text[last.value.end : line_end]
    new_line = "\n" + indent + member_text + ("," if trailing_comma else "")
    return head + middle + new_line + text[line_end:]


def remove_member(text: str, container: ObjectNode, key: str) -> str:
    """`text` without the member of that key (its own lines, its comma); the rest kept."""
    for index in range(len(container.members) - 1, -1, -1):
        if container.members[index].key == key:
            break
    else:
        return text
    member = container.members[index]
    end = member.comma_end if member.comma_end is not None else member.value.end
    start = member.key_start
    line_end = _rest_of_line_is_blank(text, end)
    if _starts_its_line(text, start) and line_end is not None:
        start = _line_start(text, start)
        end = line_end + 1 if line_end < len(text) else line_end
    result = text[:start] + text[end:]
    if member.comma_end is None and index > 0:
        previous = container.members[index - 1]
        if previous.comma_end is not None:
            comma = previous.comma_end - 1
            result = result[:comma] + result[comma + 1 :]
    return result


def _crlf(text: str) -> bool:
    """True when every line of `text` ends with CRLF: edits are made on LF
    text and written back with CRLF, so a Windows file stays one."""
    return "\r\n" in text and text.count("\n") == text.count("\r\n")


def set_member(text: str, keys: Sequence[str], value: Any, path: str) -> str:
    """`text` with the value at a key path replaced, or added (with the objects
    on the way) when absent. Raises `ToolFileError` when the file cannot be
    read or a step of the path is not an object."""
    if not keys:
        raise ValueError("a key path names at least one key")
    if _crlf(text):
        edited = set_member(text.replace("\r\n", "\n"), keys, value, path)
        return edited.replace("\n", "\r\n")
    root = parse(text, path)
    unit = indent_unit(text, root)
    node = root
    for depth, key in enumerate(keys):
        if not isinstance(node, ObjectNode):
            line, column = line_column(text, node.start)
            where = "the file's top level" if depth == 0 else f"'{'.'.join(keys[:depth])}'"
            raise ToolFileError(path, line, column, f"{where} is not a JSON object")
        member = node.member(key)
        if member is None:
            nested: Any = value
            for outer in reversed(keys[depth + 1 :]):
                nested = {outer: nested}
            return insert_member(text, node, key, nested, unit)
        if depth == len(keys) - 1:
            return replace_node(text, member.value, value, unit)
        node = member.value
    raise AssertionError("unreachable")


def delete_member(text: str, keys: Sequence[str], path: str) -> str:
    """`text` without the member at a key path (unchanged when it is absent)."""
    if _crlf(text):
        return delete_member(text.replace("\r\n", "\n"), keys, path).replace("\n", "\r\n")
    root = parse(text, path)
    container = find(root, keys[:-1])
    if not isinstance(container, ObjectNode):
        return text
    return remove_member(text, container, keys[-1])


def replace_string_at(text: str, node: Node, new_value: str) -> str:
    """`text` with one string value replaced in place (for `--scrub`)."""
    return text[: node.start] + json.dumps(new_value, ensure_ascii=False) + text[node.end :]
