"""The provider catalog: which provider types exist and the fields each takes.

Owns: the built-in definitions (package data `builtin.yaml`) and the merged
view with user `definitions:` from config files.
May import: `provreg.model`, PyYAML. Never pydantic: the built-in entries are
our own data, built directly (tests check them with `provreg.definition_schema`).
"""

from provreg.catalog.catalog import Catalog, builtin_catalog, builtin_definitions

__all__ = ["Catalog", "builtin_catalog", "builtin_definitions"]
