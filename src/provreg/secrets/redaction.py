"""Keep secret values out of logs.

Two layers, installed once per process by `install_redaction()` (the CLI and
the dashboard call it at start):
- every value provreg resolved or stored in this process is registered, and
  any log record whose message or arguments contain one has it replaced;
- arguments passed as a mapping have the values of secret-looking keys
  (`api_key`, `*token*`, `*secret*`, `password`, ...) replaced, whatever they are.
It works at record creation (a log record factory), so it covers every
logger and handler, including third-party ones.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from typing import Any

from provreg.secret_names import looks_like_secret_key

REDACTED = "***"
MIN_LENGTH = 4
"""Shorter values are not registered: replacing every 'abc' in logs helps nobody."""

_known: set[str] = set()
_guard = threading.Lock()
_installed = False


def register_secret(value: str) -> None:
    """Remember a value so it is redacted from every later log record."""
    if len(value) >= MIN_LENGTH:
        with _guard:
            _known.add(value)


def redact_text(text: str) -> str:
    with _guard:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, REDACTED)
    return text


def _redact_value(key: Any, value: Any) -> Any:
    if looks_like_secret_key(key):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    args = record.args
    if isinstance(args, Mapping):
        record.args = {key: _redact_value(key, value) for key, value in args.items()}
    elif isinstance(args, tuple) and args:
        record.args = tuple(redact_text(a) if isinstance(a, str) else a for a in args)
    if isinstance(record.msg, str):
        record.msg = redact_text(record.msg)
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        return record
    cleaned = redact_text(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    return record


def install_redaction() -> None:
    """Wrap the log record factory once; safe to call many times."""
    global _installed
    with _guard:
        if _installed:
            return
        _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)


_NAMED_VALUE_RE = re.compile(
    r"(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)(?P<sep>\s*[:=]\s*)(?P<value>\"[^\"]*\"|'[^']*'|\S+)"
)
_TOKEN_RE = re.compile(r"[A-Za-z0-9_\-+/=.]{20,}")


def redact_message(text: str, *values: str) -> str:
    """A program's message (a secret manager's stderr) made safe to show.

    Removes `values` (what the program printed on stdout, which may be the
    key), every value registered in this process, the value of any
    `name=value` / `name: value` whose name looks like a secret key, and any
    long token-like word (20 or more letters, digits and `-_+/=.`, holding
    both letters and digits): a key echoed in an error message is one.
    """
    for value in sorted((v for v in values if v), key=len, reverse=True):
        text = text.replace(value, REDACTED)
    text = redact_text(text)

    def named(match: re.Match[str]) -> str:
        if looks_like_secret_key(match.group("name")):
            return match.group("name") + match.group("sep") + REDACTED
        return match.group(0)

    text = _NAMED_VALUE_RE.sub(named, text)

    def token(match: re.Match[str]) -> str:
        word = match.group(0)
        has_letter = any(c.isalpha() for c in word)
        has_digit = any(c.isdigit() for c in word)
        return REDACTED if has_letter and has_digit else word

    return _TOKEN_RE.sub(token, text)
