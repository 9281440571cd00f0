"""The stable diagnostic codes: one place that gives each its severity and title.

docs/diagnostics.md documents every code listed here, and a test keeps the two
in step. Codes never change meaning; retired codes are not reused.
"""

from __future__ import annotations

from provreg.model import Severity
from provreg.value_class import ValueClass


class Code(ValueClass, kw_only=False):
    code: str
    severity: Severity
    title: str


def _c(code: str, severity: Severity, title: str) -> Code:
    return Code(code, severity, title)


ERR, WARN, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

# File level: the bytes could not become a YAML document we accept.
YAML_SYNTAX = _c("E001", ERR, "YAML syntax error")
DUPLICATE_KEY = _c("E002", ERR, "duplicate key in a mapping")
NOT_UTF8 = _c("E003", ERR, "file is not UTF-8 text")
BINARY_FILE = _c("E004", ERR, "file is binary")
FILE_TOO_LARGE = _c("E005", ERR, "file is larger than the size limit")
ALIAS_LIMIT = _c("E006", ERR, "anchors and aliases expand beyond the limit")
TOO_DEEP = _c("E007", ERR, "nesting deeper than the limit")
MULTIPLE_DOCUMENTS = _c("E008", ERR, "more than one YAML document in a file")
UNSUPPORTED_TAG = _c("E009", ERR, "unsupported YAML tag")
EMPTY_FILE = _c("E010", ERR, "file is empty")
UNREADABLE = _c("E011", ERR, "file cannot be read")
BAD_KEY = _c("E012", ERR, "mapping key is not a plain scalar")
NUMBER_TOO_LONG = _c("E013", ERR, "whole number longer than the limit")
INTERNAL_ERROR = _c("E014", ERR, "file could not be loaded (internal error)")
UNREADABLE_DIRECTORY = _c("E015", ERR, "directory cannot be read")
WRITABLE_BY_OTHERS = _c("W016", WARN, "config writable by others")

# Document shape.
WRONG_SHAPE = _c("E101", ERR, "wrong document shape")
UNKNOWN_TOP_LEVEL_KEY = _c("E102", ERR, "unknown top-level key")
VERSION_TOO_NEW = _c("E103", ERR, "format version newer than this provreg knows")
BAD_VERSION = _c("E104", ERR, "invalid format version")
VERSION_MISSING = _c("I105", INFO, "no format version; assuming 1")
LEGACY_LAYOUT = _c("E106", ERR, "legacy layout (format version 0) needs an upgrade")

# Instances.
UNKNOWN_PROVIDER = _c("E201", ERR, "unknown provider")
MISSING_FIELD = _c("E202", ERR, "missing required field")
UNKNOWN_FIELD = _c("W203", WARN, "unknown field")
WRONG_TYPE = _c("E204", ERR, "value has the wrong type")
INVALID_URL = _c("E205", ERR, "invalid URL")
OUT_OF_RANGE = _c("E206", ERR, "value out of range")
NOT_A_CHOICE = _c("E207", ERR, "value is not one of the choices")
PATTERN_MISMATCH = _c("E208", ERR, "value does not match the field's pattern")
PLAINTEXT_SECRET = _c("E209", ERR, "plaintext value in a secret field")
BAD_SECRET_REF = _c("E210", ERR, "invalid secret reference")
INVALID_ID = _c("E211", ERR, "invalid instance id")
INVALID_NAME = _c("E212", ERR, "invalid instance name")
DUPLICATE_ID = _c("E213", ERR, "duplicate instance id")
DUPLICATE_NAME = _c("W214", WARN, "duplicate instance name")
DERIVED_ID = _c("I215", INFO, "no id; derived from the name")
NOT_FINITE = _c("E216", ERR, "number is not finite")
BAD_COMMAND_REF = _c("E217", ERR, "invalid command reference")
COMMAND_REF_REFUSED = _c("E218", ERR, "command reference in a file others can write")
DUPLICATE_MODEL = _c("W219", WARN, "model listed twice")
DEFAULT_MODEL_NOT_LISTED = _c("W220", WARN, "default model not in the instance's models")

# Custom definitions.
BAD_DEFINITION = _c("E301", ERR, "invalid provider definition")
DEFINITION_CLASHES = _c("E302", ERR, "definition id clashes with a built-in provider")
DUPLICATE_DEFINITION = _c("E303", ERR, "provider definition declared twice")
BUILTIN_KEY_DECLARED = _c("W304", WARN, "definition declares a key every instance has")

# Secrets (only with `provreg --check --secrets`).
SECRET_UNRESOLVABLE = _c("E401", ERR, "secret reference cannot be resolved")

ALL_CODES: tuple[Code, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Code))
BY_CODE: dict[str, Code] = {c.code: c for c in ALL_CODES}
