"""Undoing a delete (config/restore_edit.py) on every golden input.

For each entry of each file: the delete keeps the cut text and its place;
putting it back into the file as the delete left it gives the file as it
was, byte for byte; into a file changed elsewhere meanwhile, the entry comes
back at its place with that change kept; when the entry it followed is gone,
`PositionGone`, and appending at the end still keeps the entry's comments.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
import yaml

from provreg.config.edit import EditError, InstanceKey
from provreg.config.edit.restore_edit import PositionGone, delete_keeping, restore_verified

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden"


def cases() -> list[tuple[str, int]]:
    found = []
    for case in sorted(path for path in GOLDEN.iterdir() if path.is_dir()):
        text = (case / "input.yaml").read_bytes().decode("utf-8-sig")
        providers = (yaml.safe_load(text) or {}).get("providers") or []
        found += [(case.name, index) for index in range(len(providers))]
    return found


def key_at(text: str, index: int) -> InstanceKey:
    item = yaml.safe_load(text)["providers"][index]
    if "id" in item:
        return InstanceKey(item["id"], item.get("name", ""))
    return InstanceKey("derived", item["name"], id_derived=True)


@pytest.mark.parametrize(("case", "index"), cases())
def test_delete_then_restore(case: str, index: int) -> None:
    raw = (GOLDEN / case / "input.yaml").read_bytes()
    bom = raw.startswith(codecs.BOM_UTF8)
    text = raw.decode("utf-8-sig")
    try:
        edited, entry = delete_keeping(text, key_at(text, index), "f.yaml")
    except EditError:
        pytest.skip("this delete is refused (a test of config/edit.py)")
    assert entry.text_before == text and entry.text_after == edited.text
    # Unchanged since the delete: exactly the file as it was.
    assert restore_verified(edited.text, entry).text == text
    if entry.block is None or bom:
        return
    assert text.replace(entry.block, "", 1) == edited.text or text.count(entry.block) > 1
    # Changed elsewhere (a comment added at the end): the entry at its place.
    changed = edited.text + ("" if edited.text.endswith("\n") else "\n") + "# added later\n"
    restored = restore_verified(changed, entry).text
    assert yaml.safe_load(restored) == yaml.safe_load(text)
    if text.endswith("\n"):
        assert restored == text + "# added later\n"


def test_the_neighbour_gone_refuses_and_append_keeps_the_comments() -> None:
    text = (
        "version: 1\n"
        "providers:\n"
        "  - id: a\n    name: A\n    provider: openai\n\n"
        "  # the one to undo\n"
        "  - id: b\n    name: B\n    provider: openai  # trailing\n\n"
        "  - id: c\n    name: C\n    provider: openai\n"
    )
    edited, entry = delete_keeping(text, InstanceKey("b", "B"), "f.yaml")
    assert (
        entry.block
        == "  # the one to undo\n  - id: b\n    name: B\n    provider: openai  # trailing\n\n"
    )
    assert entry.after == InstanceKey("a", "A")
    without_a = edited.text.replace("  - id: a\n    name: A\n    provider: openai\n\n", "")
    with pytest.raises(PositionGone, match="'a', the entry it followed"):
        restore_verified(without_a, entry)
    appended = restore_verified(without_a, entry, at_end=True).text
    assert appended.endswith(
        "  - id: c\n    name: C\n    provider: openai\n\n"
        "  # the one to undo\n  - id: b\n    name: B\n    provider: openai  # trailing\n"
    )


def test_reindented_file_is_refused_not_written_wrong() -> None:
    text = (
        "providers:\n"
        "  - id: a\n    name: A\n    provider: openai\n"
        "  - id: b\n    name: B\n    provider: openai\n"
    )
    _, entry = delete_keeping(text, InstanceKey("b", "B"), "f.yaml")
    reindented = "providers:\n- id: a\n  name: A\n  provider: openai\n# x\n"
    with pytest.raises(PositionGone, match="no longer fits"):
        restore_verified(reindented, entry)
