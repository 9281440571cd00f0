"""`--poll` (network file systems): the poller, not inotify, picks edits up.

The poller (notify's PollWatcher) compares modification times in whole
seconds: a save in the same second as the file's previous change is
invisible to it, and only the periodic rescan (size and mtime_ns) catches it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from helpers.sync_data import A_YAML

from provreg.sync import SyncEngine, SyncSettings

pytestmark = pytest.mark.anyio

# The rescan is pushed out of reach so that only the poller can see the edit.
POLL = SyncSettings(
    debounce_ms=50, step_ms=10, grace_s=0.3, rescan_s=60, poll=True, poll_delay_ms=50
)


def backdate(root: Path, seconds: float = 10.0) -> None:
    """Files last changed a while ago (not in the second the poller starts)."""
    then = time.time() - seconds
    for path in root.rglob("*.yaml"):
        os.utime(path, (then, then))


async def test_polling_picks_up_an_edit(sync_dir: Path, watch: Any) -> None:
    backdate(sync_dir)
    async with watch(sync_dir, POLL) as h:
        assert h.registry.snapshot().watch == "polling"
        (sync_dir / "a.yaml").write_text(A_YAML.replace("gpt-4.1", "gpt-5"))
        await h.wait_value("work-openai", "default_model", "gpt-5")
        assert h.batches, "the edit did not come through the poller"
        assert h.engine.stats.rescans == 0
        (sync_dir / "b.yaml").unlink()
        await h.wait_for(lambda: "gemini" not in h.ids(), "the deletion, polled")
        h.check(removed={"local-ollama", "gemini"})
    assert h.registry.snapshot().watch == "stopped"


async def test_same_second_save_is_caught_by_the_rescan(sync_dir: Path, watch: Any) -> None:
    """The documented limit of polling, and what heals it."""
    settings = SyncSettings(
        debounce_ms=50, step_ms=10, grace_s=0.3, rescan_s=0.3, poll=True, poll_delay_ms=50
    )
    path = sync_dir / "a.yaml"
    stamp = time.time() - 10
    os.utime(path, (stamp, stamp))
    async with watch(sync_dir, settings) as h:
        path.write_text(A_YAML.replace("gpt-4.1", "gpt-5"))
        os.utime(path, ns=(int(stamp * 1e9) + 1, int(stamp * 1e9) + 1))  # same second
        await h.wait_value("work-openai", "default_model", "gpt-5")
        h.check()


async def test_poll_from_environment(
    sync_dir: Path, watch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROVREG_POLL", "1")
    async with watch(sync_dir, None) as h:
        assert isinstance(h.engine, SyncEngine)
        assert h.engine.settings.poll
        assert h.registry.snapshot().watch == "polling"
