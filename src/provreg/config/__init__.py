"""Config files: discovery, parsing with positions, validation, diagnostics, schema, edits.

Owns: everything between bytes on disk and validated `ProviderInstance`s, and
the text edits that write them back. Split by direction:
- `provreg.config.read`: bytes to instances and diagnostics (discovery,
  parsing, validation, linking, loading a set, the schema);
- `provreg.config.edit`: instances' changes to file text (splices, the
  round-trip fallback, restoring a delete, format upgrades);
- shared low-level modules here: `codes` (diagnostic codes), `ids` (instance
  ids and the ids a derived one tries), `yaml_tags` (YAML tag constants).
The shared modules import neither direction; `read` never imports `edit`;
`edit` may import `read` (every edit is verified by reparsing).
May import: `provreg.model`, `provreg.catalog`, PyYAML, ruamel.yaml, pydantic,
`provreg.definition_schema` (only for a file's `definitions:`), `provreg.value_class`
(the records' base), and the
standard-library-only helpers `provreg.one_line`, `provreg.text_encoding`,
`provreg.secret_names`, `provreg.gc_control`. Never textual.
"""
