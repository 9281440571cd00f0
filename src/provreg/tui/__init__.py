"""The Textual dashboard: the only package that imports textual.

Owns: presentation and user intent. Reads store snapshots, calls
`ProviderRegistry` methods, and runs the sync engine in a worker.
May import: textual, rich, `provreg.registry`, `provreg.sync`, `provreg.secrets`,
`provreg.probe` (live probes, imported on the first one), `provreg.storage` and
`provreg.config` (their errors and the preview's reading),
`provreg.model`, `provreg.paths`, `provreg.report`, `provreg.severity`,
`provreg.key_trouble`, `provreg.gc_control`, `provreg.editor` (which editor `v` runs),
`provreg.one_line`, `provreg.field_text` (typed text to field values, shared with
the command line), PyYAML, pydantic.
"""
