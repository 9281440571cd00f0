"""Editor and tool droppings never trigger a reload and are never read."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from provreg.config.read.discovery import is_config_name

pytestmark = pytest.mark.anyio

GARBAGE = "version: 1\nproviders: [ {{{ not yaml\n\x00\x01"

DROPPINGS = [
    ".a.yaml.swp",  # vim swap
    ".a.yaml.swx",  # vim second swap
    "4913",  # vim's "can I write here" probe
    "a.yaml~",  # vim/emacs backup
    "#a.yaml#",  # emacs autosave
    "a.yaml___jb_tmp___",  # JetBrains safe-write
    "a.yaml___jb_old___",
    "sedAbc123",  # sed -i
    ".provreg-tmp-abc123.tmp",  # our own atomic-write temp file
    ".a.yaml.kate-swp",
    "a.yaml.orig",
]


@pytest.mark.parametrize("name", [*DROPPINGS, ".#a.yaml"])
def test_dropping_names_are_not_config_names(name: str) -> None:
    assert not is_config_name(name)


async def test_droppings_cause_no_reload_and_are_never_read(sync_dir: Path, watch: Any) -> None:
    async with watch(sync_dir) as h:
        h.reads.clear()
        for directory in (sync_dir, sync_dir / "team"):
            for name in DROPPINGS:
                (directory / name).write_text(GARBAGE)
            # emacs' lock file is a dangling symlink named like the file.
            os.symlink("user@host.1234:1700000000", directory / ".#a.yaml")
        for directory in (sync_dir, sync_dir / "team"):
            for name in DROPPINGS:
                with open(directory / name, "a") as handle:
                    handle.write("more garbage\n")
        for directory in (sync_dir, sync_dir / "team"):
            for name in [*DROPPINGS, ".#a.yaml"]:
                os.unlink(directory / name)
        # A hidden directory full of YAML is not config either (`.git`, `.idea`).
        hidden = sync_dir / ".idea"
        hidden.mkdir()
        (hidden / "workspace.yaml").write_text(GARBAGE)
        (hidden / "objects" / "ab").mkdir(parents=True)  # like `.git/objects/ab`
        (hidden / "objects" / "ab" / "x.yaml").write_text(GARBAGE)

        await h.quiet_rescans(2)  # every batch and two full rescans have passed
        assert h.batches == [], "the filter let an editor dropping through"
        assert h.engine.stats.reloads == 0
        assert h.reads == []
        assert h.events == []
        h.check()
