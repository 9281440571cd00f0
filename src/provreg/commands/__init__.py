"""Command implementations behind `provreg.cli` (headless; never textual).

Each module is imported only when its command runs, so `provreg --check`
does not pay for the registry, anyio or the dashboard.
May import: every headless package (`provreg.registry`, `provreg.sync`,
`provreg.compat`, `provreg.secrets`, `provreg.config`, `provreg.catalog`,
`provreg.model`) and the top-level helpers, anyio, pydantic. Never textual,
never `provreg.tui`.
"""
