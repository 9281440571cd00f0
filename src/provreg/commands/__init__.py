"""Command implementations behind `provreg.cli` (headless; never textual).

Each module is imported only when its command runs, so `provreg --check`
does not pay for the registry, anyio or the dashboard.
"""
