"""Which key names look like they hold a secret (`api_key`, `*token*`, `Authorization`...).

Owns: `SECRET_KEY_NAME_RE`, the one list both users share: the validator,
which warns about a plaintext value under such a key in a place no field
spec covers, and the log redaction, which hides the values of such keys
whatever they are.
May import: the standard library only (the redaction is installed at start,
before anything heavy is imported).
"""

from __future__ import annotations

import re

SECRET_KEY_NAME_RE = re.compile(
    r"(api[_-]?key|apikey|token|secret|password|passwd|authorization)", re.I
)


def looks_like_secret_key(name: object) -> bool:
    """True for a key name that suggests a secret value (searched anywhere in it)."""
    return isinstance(name, str) and SECRET_KEY_NAME_RE.search(name) is not None
