"""The built-in themes are read without validation at start (pydantic would cost
~70 ms before the first rows): this is where they are validated."""

from __future__ import annotations

from provreg.tui.themes import _builtin_dir, builtin_theme, load_theme_file


def test_every_builtin_theme_passes_the_user_theme_checks_unchanged() -> None:
    directory = _builtin_dir()
    assert directory is not None
    paths = sorted(directory.glob("*.yaml"))
    assert len(paths) >= 3
    for path in paths:
        assert builtin_theme(path) == load_theme_file(path), path.name
