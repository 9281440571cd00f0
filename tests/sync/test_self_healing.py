"""The two safety nets behind the watcher: the cheap check every `rescan_s`
(watched directories replaced, symlinked files' targets changed: what a
directory watch cannot report) and the full stat rescan every
`full_rescan_s` (events the kernel or the watcher lost).

Where a test is about the cheap check, the periodic full rescan is pushed
out of reach (after the one on the first tick, which catches up with what
changed between the load and the watch), so only the check can have done
the work.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from helpers.sync_data import A_IDS, A_YAML, B_IDS, C_IDS, openai, providers_yaml

from provreg.sync import SyncSettings

pytestmark = pytest.mark.anyio

CHECKS_ONLY = SyncSettings(debounce_ms=50, step_ms=10, grace_s=0.3, rescan_s=0.2, full_rescan_s=600)
"""The cheap check every 0.2 s; no full rescan within a test after the first tick's."""


def linked_dotfile(sync_dir: Path, sync_base: Path) -> Path:
    """`linked.yaml -> dotfiles/llm.yaml` (outside the watched tree), the target
    declaring dotfiles-openai on gpt-4.1; returns the target."""
    elsewhere = sync_base / "dotfiles"
    elsewhere.mkdir()
    target = elsewhere / "llm.yaml"
    target.write_text(providers_yaml(openai("dotfiles-openai", "gpt-4.1")))
    (sync_dir / "linked.yaml").symlink_to(target)
    return target


async def test_symlinked_file_edited_at_its_target(
    sync_dir: Path, sync_base: Path, watch: Any
) -> None:
    """`providers.yaml -> ~/dotfiles/llm.yaml`: inotify on the config directory
    never hears of an edit to the target; the cheap check does."""
    target = linked_dotfile(sync_dir, sync_base)
    async with watch(sync_dir, CHECKS_ONLY) as h:
        assert h.value("dotfiles-openai", "default_model") == "gpt-4.1"
        await h.quiet_rescans(1)  # the first tick's
        batches, checks = len(h.batches), h.engine.stats.checks
        target.write_text(providers_yaml(openai("dotfiles-openai", "gpt-5")))
        await h.wait_value("dotfiles-openai", "default_model", "gpt-5")
        assert len(h.batches) == batches, "the watcher saw the target after all"
        assert h.engine.stats.rescans == 1
        assert h.engine.stats.checks > checks
        h.check()


async def test_symlinked_file_target_removed(sync_dir: Path, sync_base: Path, watch: Any) -> None:
    target = linked_dotfile(sync_dir, sync_base)
    async with watch(sync_dir, CHECKS_ONLY) as h:
        await h.quiet_rescans(1)  # the first tick's
        target.unlink()
        await h.wait_for(lambda: "dotfiles-openai" not in h.ids(), "the dangling link's instance")
        assert h.engine.stats.rescans == 1
        assert (sync_dir / "linked.yaml").is_symlink()
        (sync_dir / "linked.yaml").unlink()  # a dangling link is a read error otherwise
        await h.settled()
        h.check(removed={"dotfiles-openai"})


async def test_directory_swap_found_by_the_check(
    sync_dir: Path, sync_base: Path, watch: Any
) -> None:
    """The cheap check notices the replaced directory and re-establishes the
    watch; the full rescan that follows a re-established watch reads the new
    tree at once, not `full_rescan_s` later."""
    new = sync_base / "config.new"
    shutil.copytree(sync_dir, new)
    (new / "a.yaml").write_text(A_YAML.replace("gpt-4.1", "gpt-5"))
    async with watch(sync_dir, CHECKS_ONLY) as h:
        await h.swap_directory(sync_dir, sync_base, new)
        h.check()


async def test_lost_events_are_healed_by_the_full_rescan(sync_dir: Path, watch: Any) -> None:
    """The watcher loses every event (as on an inotify queue overflow): the full
    rescan still brings edits, new files and deletions in."""
    settings = SyncSettings(
        debounce_ms=50, step_ms=10, grace_s=0.3, rescan_s=0.2, full_rescan_s=0.6
    )
    async with watch(sync_dir, settings) as h:

        async def lost(changes: Any) -> None:
            h.batches.append(list(changes))

        h.engine.apply_batch = lost
        (sync_dir / "a.yaml").write_text(A_YAML.replace("gpt-4.1", "gpt-5"))
        (sync_dir / "new.yaml").write_text(providers_yaml(openai("fresh-openai")))
        (sync_dir / "b.yaml").unlink()
        await h.wait_value("work-openai", "default_model", "gpt-5")
        await h.wait_for(lambda: "fresh-openai" in h.ids(), "the new file")
        await h.wait_for(lambda: not (B_IDS & h.ids()), "the deleted file's instances")
        assert h.engine.stats.rescans >= 1
        h.check(removed=B_IDS)
        assert A_IDS | C_IDS | {"fresh-openai"} == h.ids()


async def test_a_missed_change_makes_every_period_a_full_rescan(sync_dir: Path, watch: Any) -> None:
    """A file system whose notifications never arrive (and no `--poll`): once a
    full rescan finds a change the watch should long have reported, every
    period is a full rescan, so the next missed edit is not `full_rescan_s`
    away. A change made moments ago may still be on its way through the
    watcher: it is no verdict."""
    settings = SyncSettings(
        debounce_ms=50, step_ms=10, grace_s=0.3, rescan_s=0.2, full_rescan_s=0.6
    )
    async with watch(sync_dir, settings) as h:
        await h.quiet_rescans(1)  # the first tick's: it catches up, it is no verdict

        async def lost(changes: Any) -> None:
            h.batches.append(list(changes))

        h.engine.apply_batch = lost
        path = sync_dir / "a.yaml"
        path.write_text(A_YAML.replace("gpt-4.1", "gpt-5"))
        await h.wait_value("work-openai", "default_model", "gpt-5")
        assert h.engine.stats.missed_by_watch == 0

        path.write_text(A_YAML.replace("gpt-4.1", "gpt-5.1"))
        an_hour_ago = time.time() - 3600
        os.utime(path, (an_hour_ago, an_hour_ago))
        await h.wait_value("work-openai", "default_model", "gpt-5.1")
        assert h.engine.stats.missed_by_watch == 1

        checks = h.engine.stats.checks
        await h.quiet_rescans(3)
        assert h.engine.stats.checks == checks, "a cheap check where a full rescan was due"
        h.check()


async def test_a_symlink_target_found_by_the_full_rescan_is_no_verdict(
    sync_dir: Path, sync_base: Path, watch: Any
) -> None:
    """The watch cannot see a link's target: a full rescan that finds it changed
    (before a check did) says nothing about the watch's health."""
    settings = SyncSettings(
        debounce_ms=50, step_ms=10, grace_s=0.3, rescan_s=0.2, full_rescan_s=0.2
    )
    target = linked_dotfile(sync_dir, sync_base)
    async with watch(sync_dir, settings) as h:
        await h.quiet_rescans(1)
        target.write_text(providers_yaml(openai("dotfiles-openai", "gpt-5")))
        an_hour_ago = time.time() - 3600
        os.utime(target, (an_hour_ago, an_hour_ago))
        await h.wait_value("dotfiles-openai", "default_model", "gpt-5")
        assert h.engine.stats.checks == 0
        assert h.engine.stats.missed_by_watch == 0
        h.check()


async def test_polling_rescans_fully_every_period(sync_dir: Path, watch: Any) -> None:
    """With `--poll` every period is a full rescan: the poller misses a save in
    the same second, so the rescan is more than a safety net there."""
    settings = SyncSettings(
        debounce_ms=50, step_ms=10, grace_s=0.3, rescan_s=0.1, full_rescan_s=600, poll=True
    )
    async with watch(sync_dir, settings) as h:
        await h.quiet_rescans(3)
        assert h.engine.stats.checks == 0
