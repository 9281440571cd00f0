"""Config files: discovery, parsing with positions, validation, diagnostics, schema.

Owns: everything between bytes on disk and validated `ProviderInstance`s.
May import: `provreg.model`, `provreg.catalog`, PyYAML, pydantic. Never textual.
"""
