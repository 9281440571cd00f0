"""Comment-keeping edits of other tools' YAML files, for `--merge` and `--scrub`.

A tool's file is loaded as a ruamel.yaml round-trip document: the items provreg
owns are replaced, added or removed in place, every other item, key and comment
is kept, and the document is dumped back with the file's own indentation of
lists (as far as ruamel can follow it). Errors are `ToolFileError`s pointing at
the line and column, with a message that never repeats text from the file (a
value there may be a pasted key).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provreg.interop.base import ToolFileError
from provreg.text_encoding import BOM_CHAR

_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")


@dataclass
class RoundTripDocument:
    """A tool's YAML file, loaded for editing: `data` is the ruamel tree."""

    data: Any
    _yaml: Any
    _bom: str
    _newline: str
    _final_newline: bool

    def dump(self) -> str:
        """The edited document as text, with the original BOM and line endings."""
        out = io.StringIO()
        self._yaml.dump(self.data, out)
        text = out.getvalue()
        if not self._final_newline:
            text = text.rstrip("\n")
        if self._newline != "\n":
            text = text.replace("\n", self._newline)
        return self._bom + text


def safe_problem(problem: str | None) -> str:
    """A parser's complaint with every quoted piece of the file taken out."""
    if not problem:
        return "not valid YAML"
    return _QUOTED.sub("'…'", problem.strip().splitlines()[0])


def load_round_trip(text: str, path: str) -> RoundTripDocument:
    """Parse `text` for editing. Raises `ToolFileError` when it is not YAML."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    bom = BOM_CHAR if text.startswith(BOM_CHAR) else ""
    body = text[len(bom) :]
    newline = "\r\n" if "\r\n" in body else "\n"
    body = body.replace("\r\n", "\n")
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 1 << 30  # never fold long lines
    yaml.indent(**_indent_of(body))
    try:
        data = yaml.load(body)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        raise ToolFileError(path, line, column, safe_problem(exc.problem)) from None
    except YAMLError as exc:
        raise ToolFileError(path, 0, 0, f"not valid YAML ({type(exc).__name__})") from None
    return RoundTripDocument(data, yaml, bom, newline, body.endswith("\n") or not body)


def _indent_of(body: str) -> dict[str, int]:
    """ruamel's list indentation that matches the file's first block list item
    under a key (`key:` then `  - a: 1`, or `- a: 1` level with the key)."""
    lines = body.splitlines()
    first = next((line for line in lines if line.strip() and not line.startswith("#")), "")
    if first.startswith("-"):
        # A top-level list (llm's file): its dashes at column 0, nested lists too.
        return {"mapping": 2, "sequence": 2, "offset": 0}
    for index, line in enumerate(lines[:-1]):
        stripped = line.rstrip()
        if not stripped.endswith(":") or stripped.lstrip().startswith("#"):
            continue
        following = lines[index + 1]
        if following.lstrip().startswith("- "):
            key_column = len(line) - len(line.lstrip())
            offset = len(following) - len(following.lstrip()) - key_column
            if offset >= 0:
                return {"mapping": 2, "sequence": offset + 2, "offset": offset}
    return {"mapping": 2, "sequence": 4, "offset": 2}


def new_document(data: Any) -> str:
    """A fresh YAML file holding `data` (lists indented under their key; a
    top-level list's dashes at column 0)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.width = 1 << 30
    if isinstance(data, list):
        yaml.indent(mapping=2, sequence=2, offset=0)
    else:
        yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(to_round_trip(data), out)
    return out.getvalue()


def to_round_trip(value: Any) -> Any:
    """Plain dicts and lists as ruamel's commented types, in block style."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        return CommentedMap((key, to_round_trip(item)) for key, item in value.items())
    if isinstance(value, list | tuple):
        return CommentedSeq(to_round_trip(item) for item in value)
    return value


def position(node: Any, key: Any = None) -> tuple[int, int]:
    """1-based line and column of a ruamel node (of `key`'s value in a mapping,
    of item `key` in a list);
    (0, 0) when ruamel kept none."""
    try:
        if isinstance(key, int):
            line, column = node.lc.item(key)
        elif key is not None:
            line, column = node.lc.value(key)
        else:
            line, column = node.lc.line, node.lc.col
    except (AttributeError, KeyError, TypeError, IndexError):
        return 0, 0
    return line + 1, column + 1


def mapping_member(mapping: Any, key: str) -> Mapping[Any, Any]:
    """`mapping[key]` when both are mappings, else an empty one (a tool's file
    may hold anything where a mapping belongs; readers skip it, not crash)."""
    if not isinstance(mapping, Mapping):
        return {}
    found = mapping.get(key)
    return found if isinstance(found, Mapping) else {}


def mapping_child(mapping: Any, key: str) -> Any:
    """The ruamel mapping at `key` of `mapping`, created (at the end) when absent
    or not a mapping, for marks an edit adds to a tool's item."""
    from ruamel.yaml.comments import CommentedMap

    found = mapping.get(key)
    if not isinstance(found, CommentedMap):
        found = CommentedMap()
        mapping[key] = found
    return found


def list_under(
    document: RoundTripDocument, key: str | None, path: str, *, create: bool = True
) -> Any:
    """The list at `key` of the top-level mapping (`key=None`: the top level itself).

    An empty file is treated as an empty mapping (or list). Raises
    `ToolFileError` when the file or the key holds something else."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if key is None:
        if document.data is None:
            document.data = CommentedSeq()
        if not isinstance(document.data, CommentedSeq):
            raise ToolFileError(path, 1, 1, "the file is not a list")
        return document.data
    if document.data is None:
        document.data = CommentedMap()
    if not isinstance(document.data, CommentedMap):
        raise ToolFileError(path, 1, 1, "the file is not a mapping")
    found = document.data.get(key)
    if found is None:
        if not create:
            return CommentedSeq()
        found = CommentedSeq()
        document.data[key] = found
    if not isinstance(found, CommentedSeq):
        line, column = position(document.data, key)
        raise ToolFileError(path, line, column, f"`{key}` is not a list")
    return found


def replace_items(
    items: Any, groups: Sequence[tuple[Callable[[Any], bool], Sequence[Any]]]
) -> None:
    """Replace, in the ruamel list `items`, each group's old items by its new ones.

    A group is (which old items are its own, the new items). The new items take
    the place of the first old one and the other old ones go; a group with no
    old item is appended. Items no group claims stay where they are, with their
    comments."""
    for owns, new in groups:
        indices = [index for index, item in enumerate(items) if owns(item)]
        for index in reversed(indices[1:]):
            _remove_keeping_comments(items, index)
        fresh = [to_round_trip(item) for item in new]
        if indices:
            at = indices[0]
            if fresh:
                # The old item's last line may carry the comment that heads the
                # next item (ruamel attaches it there): it moves to the new last.
                _give_trailing(fresh[-1], _take_trailing(items[at]))
                del items[at]
            else:
                _remove_keeping_comments(items, at)
        else:
            at = len(items)
        for offset, item in enumerate(fresh):
            items.insert(at + offset, item)


def _remove_keeping_comments(items: Any, index: int) -> None:
    trailing = _take_trailing(items[index])
    del items[index]
    if trailing is not None and index > 0:
        _give_trailing(items[index - 1], trailing)


def _last_slot(node: Any) -> tuple[dict[Any, Any], Any, int] | None:
    """Where ruamel keeps the comment after a collection's last line: the comment
    slots of its deepest last scalar (mapping value: index 2; list item: 0)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap) and node:
        last = list(node.keys())[-1]
        deeper = _last_slot(node[last])
        return deeper if deeper is not None else (node.ca.items, last, 2)
    if isinstance(node, CommentedSeq) and node:
        last_index = len(node) - 1
        deeper = _last_slot(node[last_index])
        return deeper if deeper is not None else (node.ca.items, last_index, 0)
    return None


def _take_trailing(item: Any) -> Any:
    """The comment token after an item's last line (None when there is none)."""
    found = _last_slot(item)
    if found is None:
        return None
    items, key, index = found
    slot = items.get(key)
    if slot is None or len(slot) <= index or slot[index] is None:
        return None
    token = slot[index]
    slot[index] = None
    return token


def _give_trailing(item: Any, token: Any) -> None:
    found = _last_slot(item)
    if token is None or found is None:
        return
    items, key, index = found
    slot = items.setdefault(key, [None, None, None, None])
    if slot[index] is None:
        slot[index] = token
    else:
        slot[index].value = slot[index].value + token.value


def set_member(mapping: Any, key: str, value: Any) -> None:
    """Set `key` in a ruamel mapping, in place when present, else at the end."""
    mapping[key] = to_round_trip(value)


def remove_member(mapping: Any, key: str) -> None:
    """Remove `key` from a ruamel mapping when present."""
    if key in mapping:
        del mapping[key]


def replace_scalar(mapping: Any, key: str, reference: str) -> None:
    """Put a reference string where a pasted key was, keeping the line's comment."""
    mapping[key] = reference
