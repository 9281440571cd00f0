"""The provider catalog: which provider types exist and the fields each takes.

Owns: the built-in definitions (package data `builtin.yaml`) and the merged
view with user `definitions:` from config files.
May import: `provreg.model`, PyYAML, pydantic.
"""

from provreg.catalog.catalog import Catalog, builtin_catalog, builtin_definitions

__all__ = ["Catalog", "builtin_catalog", "builtin_definitions"]
