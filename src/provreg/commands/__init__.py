"""Command implementations behind `provreg.cli` (headless; never textual).

Each module is imported only when its command runs, so `provreg --check`
does not pay for the registry, anyio or the dashboard.
May import: every headless package (`provreg.registry`, `provreg.sync`,
`provreg.compat`, `provreg.secrets`, `provreg.config`, `provreg.catalog`,
`provreg.model`, `provreg.interop` for `export`/`import`, `provreg.probe` for
`probe`, and `provreg.storage` for the atomic write of other tools' files), the top-level helpers
(`provreg.exit_codes`, `provreg.paths`, `provreg.report`, `provreg.gc_control`,
`provreg.field_text`, `provreg.text_encoding`, `provreg.one_line` for report
lines, `provreg.editor` and `provreg.severity` for `doctor`, `provreg.terminal_text`
for width and colour), anyio, pydantic.
Never textual, never `provreg.tui`.
"""
