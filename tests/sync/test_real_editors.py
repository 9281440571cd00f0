"""Real editors saving into a watched directory (outside the system temp
dir, where vim's `backupskip` would force the in-place path).

`.ci/run` installs vim; these tests skip only when it is missing. nano cannot
be scripted without a terminal, so it is covered by the in-place write test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(shutil.which("vim") is None, reason="vim is not installed"),
]


def vim(path: Path, *commands: str) -> None:
    """Run vim in Ex silent mode with no user config, then `:wq`."""
    argv = ["vim", "-es", "-u", "NONE", "-i", "NONE"]
    for command in commands:
        argv += ["-c", command]
    argv += ["-c", "wq", str(path)]
    done = subprocess.run(
        argv, cwd=path.parent, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)


@pytest.mark.parametrize(
    ("settings", "renames"),
    [
        pytest.param("set nocp backupcopy=no", True, id="backupcopy=no"),
        pytest.param("set nocp backupcopy=auto", True, id="backupcopy=auto"),
        pytest.param("set nocp backupcopy=yes", False, id="backupcopy=yes"),
        pytest.param(None, False, id="default"),
    ],
)
async def test_vim_save(sync_dir: Path, watch: Any, settings: str | None, renames: bool) -> None:
    path = sync_dir / "a.yaml"
    async with watch(sync_dir) as h:
        inode = path.stat().st_ino
        commands = [settings] if settings else []
        vim(path, *commands, "%s/gpt-4.1/gpt-5/")
        # Prove which path vim took: a rename-save gives the file a new inode.
        assert (path.stat().st_ino != inode) is renames
        await h.wait_value("work-openai", "default_model", "gpt-5")
        await h.quiet_rescans(1)  # past the grace period: still nothing removed
        assert sorted(os.listdir(sync_dir)) == ["a.yaml", "b.yaml", "team"]  # vim cleaned up
        h.check()


async def test_vim_writes_a_new_file(sync_dir: Path, watch: Any) -> None:
    path = sync_dir / "new.yaml"
    async with watch(sync_dir) as h:
        vim(
            path,
            "set nocp backupcopy=auto",
            "call setline(1, ['version: 1', 'providers:', '  - id: from-vim',"
            " '    name: From Vim', '    provider: openai'])",
        )
        await h.wait_for(lambda: "from-vim" in h.ids(), "the instance vim wrote")
        h.check()
