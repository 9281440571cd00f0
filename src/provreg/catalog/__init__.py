"""The provider catalog: which provider types exist and the fields each takes.

Owns: the built-in definitions (package data: `builtin.yaml`, which maintainers
edit, and `builtin.json`, the same data, which provreg reads) and the merged
view with user `definitions:` from config files.
May import: `provreg.model`, the standard library. Never pydantic: the built-in entries are
our own data, built directly (tests check them with `provreg.definition_schema`).
"""

from provreg.catalog.catalog import Catalog, builtin_catalog, builtin_definitions

__all__ = ["Catalog", "builtin_catalog", "builtin_definitions"]
