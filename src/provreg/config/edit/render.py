"""Render Python values as YAML text that parses back to exactly the same value.

Owns: scalar, flow and block-item rendering for the text splicer (`edit.py`).
May import: PyYAML's resolver (to know when a plain scalar would change type),
`provreg.config.yaml_tags`.

Plain style is used only when the fast parser would read the text back as
the same string; anything else is quoted. The splicer verifies every result
by reparsing, so a mistake here costs a fallback, never a wrong file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from yaml import ScalarNode
from yaml.resolver import Resolver

from provreg.config.yaml_tags import STR_TAG

_RESOLVER = Resolver()
_PLAIN_BLOCK = re.compile(r"^[A-Za-z0-9_/.$~(][A-Za-z0-9 _./:~+@$()%=?&,*!-]*$")
_PLAIN_FLOW = re.compile(r"^[A-Za-z0-9_/.$~(][A-Za-z0-9 _./:~+@$()%=?&*!-]*$")


def _is_yaml_printable(ch: str) -> bool:
    code = ord(ch)
    return (
        code in (0x09, 0x0A, 0x0D)
        or 0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    ) and code not in (0x2028, 0x2029, 0xFEFF)


def plain_ok(text: str, flow: bool = False) -> bool:
    """Whether `text` written plain reads back (YAML 1.1, as provreg reads) as this string."""
    pattern = _PLAIN_FLOW if flow else _PLAIN_BLOCK
    if not text or not pattern.match(text) or text != text.strip():
        return False
    if ": " in text or text.endswith(":") or " #" in text:
        return False
    tag: str = _RESOLVER.resolve(ScalarNode, text, (True, False))
    return tag == STR_TAG


def double_quoted(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch != "\n" and _is_yaml_printable(ch) and ch not in "\x09\x0a\x0d":
            out.append(ch)
        else:
            code = ord(ch)
            if code <= 0xFF:
                out.append(f"\\x{code:02x}")
            elif code <= 0xFFFF:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _single_quoted(text: str) -> str | None:
    if all(_is_yaml_printable(ch) and ch not in "\r\n\t" for ch in text):
        return "'" + text.replace("'", "''") + "'"
    return None


def render_string(text: str, *, flow: bool = False, prefer_quote: str | None = None) -> str:
    if prefer_quote == "'":
        single = _single_quoted(text)
        if single is not None:
            return single
    if prefer_quote == '"':
        return double_quoted(text)
    if plain_ok(text, flow):
        return text
    return double_quoted(text)


def render_float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "e" not in text:
        return text
    # YAML 1.1 floats need a dot in the mantissa and a signed exponent:
    # repr's `1e-05` and `1e+20` would read back as strings.
    mantissa, exponent = text.split("e")
    if "." not in mantissa:
        mantissa += ".0"
    sign = "-" if exponent.startswith("-") else "+"
    return f"{mantissa}e{sign}{exponent.lstrip('+-')}"


def render_value(value: Any, *, flow: bool = False, prefer_quote: str | None = None) -> str:
    """One value as inline YAML: a scalar, or a flow list/mapping."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return render_float(value)
    if isinstance(value, str):
        return render_string(value, flow=flow, prefer_quote=prefer_quote)
    to_yaml = getattr(value, "to_yaml", None)
    if callable(to_yaml):
        return render_value(to_yaml(), flow=flow, prefer_quote=prefer_quote)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(render_value(item, flow=True) for item in value) + "]"
    if isinstance(value, Mapping):
        pairs = (f"{render_key(k)}: {render_value(v, flow=True)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    raise TypeError(f"cannot render a {type(value).__name__} as YAML")


def render_key(key: Any) -> str:
    return render_value(key, flow=True)


def render_block_item(item: Mapping[str, Any], dash_column: int, newline: str) -> str:
    """A sequence item as block-mapping lines: `- key: value` then aligned keys."""
    lines = []
    for index, (key, value) in enumerate(item.items()):
        lead = " " * dash_column + "- " if index == 0 else " " * (dash_column + 2)
        lines.append(f"{lead}{render_key(key)}: {render_value(value)}")
    return newline.join(lines) + newline
