"""Each way editors and tools save a file, reproduced with real file
operations in a real directory while the engine runs (issue 4, "Must show").

Every test ends with `h.check(...)`: the registry equals a fresh load, no
instance was reported removed while a file still had it (and the removed ids
are exactly the expected ones), and no editor temp file was ever read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from helpers.sync_data import A_IDS, A_YAML, B_IDS, B_YAML, C_IDS, C_YAML, openai, providers_yaml

from provreg.registry.events import InstanceAdded, InstanceUpdated, ReloadFailed

pytestmark = pytest.mark.anyio

A_EDITED = A_YAML.replace("gpt-4.1", "gpt-5")


def pause() -> None:
    """A short pause *inside* a file operation (not a wait for the engine):
    long enough that the watcher closes a batch in between (step is 10 ms),
    well inside the 300 ms grace period."""
    time.sleep(0.08)


# --------------------------------------------------------------------------- in place


async def test_in_place_write(sync_dir: Path, watch: Any) -> None:
    async with watch(sync_dir) as h:
        inode = (sync_dir / "a.yaml").stat().st_ino
        (sync_dir / "a.yaml").write_text(A_EDITED)
        assert (sync_dir / "a.yaml").stat().st_ino == inode
        await h.wait_value("work-openai", "default_model", "gpt-5")
        updated = h.of_type(InstanceUpdated)
        assert [(e.instance.id, e.changed_fields, e.source) for e in updated] == [
            ("work-openai", ("default_model",), "external")
        ]
        h.check()


async def test_truncate_pause_write_keeps_instances(sync_dir: Path, watch: Any) -> None:
    path = sync_dir / "a.yaml"
    async with watch(sync_dir) as h:
        with open(path, "w") as handle:  # truncate, then stop: an editor mid-save
            handle.flush()
            # A batch sees the empty file before the content arrives.
            await h.wait_for(
                lambda: any(e.file == str(path) for e in h.of_type(ReloadFailed)),
                "the engine to see the empty file",
            )
            state = h.registry.snapshot()
            assert A_IDS <= set(state.instances)
            assert state.stale_ids == frozenset(A_IDS)
            assert state.files[str(path)].stale
            assert h.removed_ids() == set()
            handle.write(A_EDITED[:40])  # half-written
            handle.flush()
            pause()
            handle.write(A_EDITED[40:])
        await h.wait_value("work-openai", "default_model", "gpt-5")
        await h.wait_for(lambda: not h.registry.snapshot().stale_ids, "the file to recover")
        assert not any(isinstance(e, InstanceAdded) for e in h.events)
        h.check()


# --------------------------------------------------------------------------- rename saves


async def test_rename_save_with_tilde_backup(sync_dir: Path, watch: Any) -> None:
    """vim `backupcopy=no`: new text in a temp file, original renamed to `x~`,
    temp renamed to `x`, backup deleted."""
    path = sync_dir / "a.yaml"
    async with watch(sync_dir) as h:
        inode = path.stat().st_ino
        temp = sync_dir / "a.yaml.tmp4913"
        temp.write_text(A_EDITED)
        os.rename(path, sync_dir / "a.yaml~")
        pause()  # the original is gone for a moment
        os.rename(temp, path)
        os.remove(sync_dir / "a.yaml~")
        assert path.stat().st_ino != inode
        await h.wait_value("work-openai", "default_model", "gpt-5")
        await h.quiet_rescans(1)  # past the grace period: still nothing removed
        h.check()


async def test_slow_rename_save_across_batches(sync_dir: Path, watch: Any) -> None:
    """emacs: rename the original to `x~`, then (hundreds of ms later) write
    a new `x`. The `-x` and `+x` arrive in separate batches."""
    path = sync_dir / "a.yaml"
    async with watch(sync_dir) as h:
        os.rename(path, sync_dir / "a.yaml~")
        await h.wait_for(lambda: h.batches != [], "the watcher to report the rename")
        time.sleep(0.1)  # well inside the 300 ms grace period
        path.write_text(A_EDITED)
        await h.wait_value("work-openai", "default_model", "gpt-5")
        await h.quiet_rescans(1)
        assert A_IDS <= h.ids()
        h.check()


async def test_jetbrains_safe_write(sync_dir: Path, watch: Any) -> None:
    path = sync_dir / "a.yaml"
    async with watch(sync_dir) as h:
        temp = sync_dir / "a.yaml___jb_tmp___"
        old = sync_dir / "a.yaml___jb_old___"
        temp.write_text(A_EDITED)
        os.rename(path, old)
        os.rename(temp, path)
        os.remove(old)
        await h.wait_value("work-openai", "default_model", "gpt-5")
        await h.quiet_rescans(1)
        h.check()


@pytest.mark.skipif(shutil.which("sed") is None, reason="sed is not installed")
async def test_sed_in_place(sync_dir: Path, watch: Any) -> None:
    path = sync_dir / "a.yaml"
    async with watch(sync_dir) as h:
        inode = path.stat().st_ino
        subprocess.run(["sed", "-i", "s/gpt-4.1/gpt-5/", str(path)], check=True)
        assert path.stat().st_ino != inode  # sed wrote sedXXXXXX and renamed it over
        await h.wait_value("work-openai", "default_model", "gpt-5")
        await h.quiet_rescans(1)
        h.check()


# --------------------------------------------------------------------------- git


def git(root: Path, *args: str) -> str:
    command = [
        "git",
        "-c",
        "user.name=provreg tests",
        "-c",
        "user.email=tests@provreg.invalid",
        "-c",
        "commit.gpgsign=false",
        "-c",
        "init.defaultBranch=main",
        *args,
    ]
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(command, cwd=root, check=True, capture_output=True, text=True, env=env)
    return done.stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
async def test_git_checkout_of_another_version(sync_dir: Path, watch: Any) -> None:
    """Several files change at once, one appears and one disappears."""
    git(sync_dir, "init", "-q")
    git(sync_dir, "add", "-A")
    git(sync_dir, "commit", "-q", "-m", "v1")
    v1 = git(sync_dir, "rev-parse", "HEAD")
    (sync_dir / "a.yaml").write_text(A_EDITED)
    (sync_dir / "b.yaml").write_text(B_YAML.replace("llama3.2", "qwen3"))
    (sync_dir / "team" / "c.yaml").unlink()
    (sync_dir / "d.yaml").write_text(providers_yaml(openai("only-in-v2")))
    git(sync_dir, "add", "-A")
    git(sync_dir, "commit", "-q", "-m", "v2")
    async with watch(sync_dir) as h:
        assert "only-in-v2" in h.ids()
        git(sync_dir, "checkout", "-q", v1)
        await h.wait_value("work-openai", "default_model", "gpt-4.1")
        await h.wait_value("local-ollama", "default_model", "llama3.2")
        await h.wait_for(lambda: C_IDS <= h.ids(), "team/c.yaml to come back")
        await h.wait_for(lambda: "only-in-v2" not in h.ids(), "d.yaml to go")
        await h.settled()
        git(sync_dir, "checkout", "-q", "main")
        await h.wait_for(lambda: "only-in-v2" in h.ids(), "d.yaml to come back")
        await h.wait_for(lambda: not (C_IDS & h.ids()), "team/c.yaml to go again")
        await h.settled()
        h.check(removed={"only-in-v2", *C_IDS})


# --------------------------------------------------------------------------- mv, rm


async def test_mv_in_and_out(sync_dir: Path, sync_base: Path, watch: Any) -> None:
    outside = sync_base / "outside.yaml"
    outside.write_text(providers_yaml(openai("moved-in")))
    async with watch(sync_dir) as h:
        os.rename(outside, sync_dir / "moved.yaml")
        await h.wait_for(lambda: "moved-in" in h.ids(), "the file moved in")
        os.rename(sync_dir / "moved.yaml", outside)
        await h.wait_for(lambda: "moved-in" not in h.ids(), "the file moved out")
        h.check(removed={"moved-in"})


async def test_rm(sync_dir: Path, watch: Any) -> None:
    async with watch(sync_dir) as h:
        (sync_dir / "b.yaml").unlink()
        await h.wait_for(lambda: not (B_IDS & h.ids()), "b.yaml's instances to go")
        assert str(sync_dir / "b.yaml") not in h.registry.snapshot().files
        h.check(removed=B_IDS)


# --------------------------------------------------------------------------- directories


async def test_mkdir_p_with_files_already_inside(
    sync_dir: Path, sync_base: Path, watch: Any
) -> None:
    """A tree built elsewhere and moved in: no event ever names its files."""
    built = sync_base / "built"
    (built / "dir").mkdir(parents=True)
    (built / "dir" / "deep.yaml").write_text(providers_yaml(openai("deep-one")))
    (built / "shallow.yaml").write_text(providers_yaml(openai("shallow-one")))
    async with watch(sync_dir) as h:
        os.rename(built, sync_dir / "sub")
        await h.wait_for(lambda: {"deep-one", "shallow-one"} <= h.ids(), "the moved-in tree")
        h.check()


async def test_mkdir_p_then_files_created_in_place(sync_dir: Path, watch: Any) -> None:
    """Files written the instant a new directory exists, before any watch on it."""
    async with watch(sync_dir) as h:
        deep = sync_dir / "new" / "sub" / "dir"
        deep.mkdir(parents=True)
        (deep / "x.yaml").write_text(providers_yaml(openai("fresh-x")))
        (sync_dir / "new" / "y.yml").write_text(providers_yaml(openai("fresh-y")))
        await h.wait_for(lambda: {"fresh-x", "fresh-y"} <= h.ids(), "the new files")
        # A later edit inside the new directory arrives too.
        (deep / "x.yaml").write_text(providers_yaml(openai("fresh-x", "gpt-5")))
        await h.wait_value("fresh-x", "default_model", "gpt-5")
        h.check()


async def test_watched_directory_removed_and_recreated(sync_dir: Path, watch: Any) -> None:
    async with watch(sync_dir) as h:
        shutil.rmtree(sync_dir)
        await h.wait_for(lambda: not h.ids(), "everything to be removed with the directory")
        sync_dir.mkdir()
        (sync_dir / "a.yaml").write_text(A_YAML)
        await h.wait_for(lambda: A_IDS <= h.ids(), "the recreated directory's file")
        # The watch is re-established: later edits arrive through the watcher.
        seen = await h.edit_until_watched(
            sync_dir / "a.yaml", lambda n: A_YAML.replace("gpt-4.1", f"gpt-5.{n}")
        )
        await h.wait_value("work-openai", "default_model", f"gpt-5.{seen}")
        h.check(removed=A_IDS | B_IDS | C_IDS)


async def test_watched_directory_swapped(sync_dir: Path, sync_base: Path, watch: Any) -> None:
    """A deploy-style swap: the new tree renamed into place in a moment.
    Nothing is removed (the grace period covers the gap) and edits to the
    new directory arrive through the re-established watch."""
    new = sync_base / "config.new"
    shutil.copytree(sync_dir, new)
    (new / "a.yaml").write_text(A_EDITED)
    async with watch(sync_dir) as h:
        await h.swap_directory(sync_dir, sync_base, new)
        h.check()


# --------------------------------------------------------------------------- moves


def _moved_gemini() -> tuple[str, str]:
    """b.yaml without gemini, and a.yaml with it appended."""
    b_without = B_YAML[: B_YAML.index("\n  - id: gemini")] + "\n"
    a_with = A_YAML + B_YAML[B_YAML.index("\n  - id: gemini") :]
    return a_with, b_without


def _assert_moved(h: Any, sync_dir: Path) -> None:
    gemini = h.instance("gemini")
    assert gemini is not None and gemini.file == str(sync_dir / "a.yaml")
    moves = [e for e in h.of_type(InstanceUpdated) if e.instance.id == "gemini"]
    assert moves and all("file" in e.changed_fields for e in moves)
    assert not [e for e in h.of_type(InstanceAdded) if e.instance.id == "gemini"]


async def test_id_moved_between_files_in_one_batch(sync_dir: Path, watch: Any) -> None:
    a_with, b_without = _moved_gemini()
    async with watch(sync_dir) as h:
        (sync_dir / "b.yaml").write_text(b_without)
        (sync_dir / "a.yaml").write_text(a_with)
        await h.wait_for(
            lambda: (i := h.instance("gemini")) is not None and i.file.endswith("a.yaml"),
            "gemini to move to a.yaml",
        )
        await h.settled()
        _assert_moved(h, sync_dir)
        h.check()


@pytest.mark.parametrize("order", ["cut-first", "paste-first"])
async def test_id_moved_between_files_in_two_saves(sync_dir: Path, watch: Any, order: str) -> None:
    """Cut from one file and save, paste into the other and save, inside the
    grace period: still a move, not a removal and an addition."""
    a_with, b_without = _moved_gemini()
    steps = [("b.yaml", b_without), ("a.yaml", a_with)]
    if order == "paste-first":
        steps.reverse()
    async with watch(sync_dir) as h:
        (sync_dir / steps[0][0]).write_text(steps[0][1])
        await h.wait_for(lambda: h.batches != [], "the first save to be seen")
        pause()
        (sync_dir / steps[1][0]).write_text(steps[1][1])
        await h.wait_for(
            lambda: (i := h.instance("gemini")) is not None and i.file.endswith("a.yaml"),
            "gemini to move to a.yaml",
        )
        await h.settled()
        await h.quiet_rescans(1)
        _assert_moved(h, sync_dir)
        h.check()


async def test_file_renamed_keeps_its_instances(sync_dir: Path, watch: Any) -> None:
    """`mv a.yaml hosted.yaml`: every id moves; none is removed."""
    async with watch(sync_dir) as h:
        os.rename(sync_dir / "a.yaml", sync_dir / "hosted.yaml")
        await h.wait_for(
            lambda: all(
                (i := h.instance(x)) is not None and i.file.endswith("hosted.yaml") for x in A_IDS
            ),
            "a.yaml's instances to follow the rename",
        )
        await h.quiet_rescans(1)
        h.check()


async def test_c_file_unchanged_by_others(sync_dir: Path, watch: Any) -> None:
    """Only the changed files are re-read."""
    async with watch(sync_dir) as h:
        h.reads.clear()
        (sync_dir / "a.yaml").write_text(A_EDITED)
        await h.wait_value("work-openai", "default_model", "gpt-5")
        assert {os.path.basename(p) for p in h.reads} == {"a.yaml"}
        assert C_YAML == (sync_dir / "team" / "c.yaml").read_text()
        h.check()
