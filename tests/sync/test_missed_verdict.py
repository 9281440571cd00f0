"""The self-healing's verdict "the watch missed a change" must come only from
a change the watch really never reported. A false verdict is not harmless:
it makes every later period a full rescan and warns the user to use --poll.

Each case reproduces a false verdict deterministically: the later full rescan
is simulated by aging the file's mtime (what 10 s of waiting would do) or by
holding the watch's batch back while the rescan runs."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from helpers.sync_data import A_YAML

from provreg.sync import SyncSettings

pytestmark = pytest.mark.anyio

SLOW_FULL_RESCAN = SyncSettings(
    debounce_ms=50, step_ms=10, grace_s=0.3, rescan_s=0.2, full_rescan_s=3600
)
"""Only the first (catch-up) full rescan runs on its own; the tests call the
one they judge."""


def age(path: Path, seconds: float = 3600) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


async def test_a_touch_the_watch_reported_is_no_missed_change(sync_dir: Path, watch: Any) -> None:
    """A `touch` (or a save of the same bytes) is reported, its content is what
    the registry has, so nothing is reloaded; the full rescan must not then
    take the moved mtime for a change the watch never reported."""
    async with watch(sync_dir, SLOW_FULL_RESCAN) as h:
        await h.quiet_rescans(1)
        path = sync_dir / "a.yaml"
        since = len(h.batches)
        age(path)  # a touch that sets an old time: the rescan below is "long after"
        await h.wait_for(lambda: h.batch_named(path, since), "the watch to report the touch")
        await h.wait_for(lambda: h.engine.stats.suppressed >= 1, "the touch to be suppressed")
        missed = await h.engine._healing.full_rescan()
        assert missed == set()
        h.check()


async def test_a_deletion_not_yet_delivered_by_the_watch_is_no_missed_change(
    sync_dir: Path, watch: Any
) -> None:
    """The rescan can run between a deletion and the watch's batch for it (the
    batch waits out its debounce, or the machine is busy). A vanished file has
    no mtime to tell how long ago it went: it is no evidence against the watch."""
    async with watch(sync_dir, SLOW_FULL_RESCAN) as h:
        await h.quiet_rescans(1)
        gate = anyio.Event()
        apply_batch = h.engine.apply_batch

        async def delayed(changes: Any) -> None:
            await gate.wait()
            await apply_batch(changes)

        h.engine.apply_batch = delayed
        (sync_dir / "b.yaml").unlink()
        missed = await h.engine._healing.full_rescan()
        gate.set()
        assert missed == set()
        await h.wait_for(lambda: "local-ollama" not in h.ids(), "the deletion to land")


async def test_an_edit_the_watch_never_reported_is_still_a_missed_change(
    sync_dir: Path, watch: Any
) -> None:
    """The verdict still works: content that changed long ago, never reported."""
    async with watch(sync_dir, SLOW_FULL_RESCAN) as h:
        await h.quiet_rescans(1)

        async def lost(changes: Any) -> None:
            h.batches.append(list(changes))

        h.engine.apply_batch = lost
        path = sync_dir / "a.yaml"
        path.write_text(A_YAML.replace("gpt-4.1", "gpt-5"))
        age(path)
        missed = await h.engine._healing.full_rescan()
        assert missed == {os.path.realpath(path)}
