"""The Textual dashboard: the only package that imports textual.

Owns: presentation and user intent. Reads store snapshots, calls
`ProviderRegistry` methods, and runs the sync engine in a worker.
May import: textual, `provreg.registry`, `provreg.sync`, `provreg.secrets`, `provreg.model`,
`provreg.field_text` (typed text to field values, shared with the command line).
"""
