"""Config files: discovery, parsing with positions, validation, diagnostics, schema.

Owns: everything between bytes on disk and validated `ProviderInstance`s.
May import: `provreg.model`, `provreg.catalog`, PyYAML, ruamel.yaml, pydantic, and the
standard-library-only helpers `provreg.one_line`, `provreg.text_encoding`,
`provreg.secret_names`, `provreg.gc_control`. Never textual.
"""
