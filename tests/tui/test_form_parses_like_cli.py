"""The form reads typed text as `provreg edit --set` does: the same text gives the
same stored value, and text one refuses the other refuses too.

The command line runs first, on its own copy of the samples (it runs its own
event loop, so not inside the app's); the form then gets the same text typed
into the real dashboard, field by field, and saves it.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers.dashboard import (
    clear_and_type,
    fixed_stamp,
    open_form,
    plain,
    select,
    started,
    wait_until,
)
from helpers.files import read_tree
from helpers.paths import SAMPLE_CONFIGS
from textual.widgets import Label

from provreg.cli import main
from provreg.tui.app import ProvregApp
from provreg.tui.screens.instance_form import InstanceForm

pytestmark = pytest.mark.anyio


SAVED = [
    ("work-openai", "max_retries", "3"),
    ("work-openai", "max_retries", " 7 "),
    ("work-openai", "timeout_seconds", "2.5"),
    ("work-openai", "timeout_seconds", "90"),
    ("gpu-box-vllm", "default_model", "acme/other-8b"),
    ("gpu-box-vllm", "models", "llama-8b,  qwen-7b ,"),
    # A JSON list: an item may hold a comma (the form used to split it).
    ("gpu-box-vllm", "models", '["tier a, tier b", "c"]'),
]
"""Instance, field, text: each is a change from the one before it."""

REFUSED = [
    ("work-openai", "max_retries", "three", "a whole number"),
    ("work-openai", "timeout_seconds", "fast", "a number"),
    ("gpu-box-vllm", "models", '["a", ', "a JSON list"),
]
"""Instance, field, text, and what both say the field takes."""


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def cli_results(tmp_path: Path) -> dict[str, Any]:
    """What `provreg edit --set FIELD=TEXT` stored (or said) for each case."""
    config = tmp_path / "cli-cfg"
    shutil.copytree(SAMPLE_CONFIGS, config)
    saved = []
    for instance_id, field_id, text in SAVED:
        code, out, err = run_cli(
            "edit", instance_id, "--set", f"{field_id}={text}", "--config", str(config), "--json"
        )
        assert code == 0, err
        shown = json.loads(out)
        # `models` is every instance's own key, shown apart from the provider's fields.
        saved.append(
            shown["models"] if field_id == "models" else shown["fields"][field_id]["value"]
        )
    refused = []
    before = read_tree(config)
    for instance_id, field_id, text, _ in REFUSED:
        code, _, err = run_cli(
            "edit", instance_id, "--set", f"{field_id}={text}", "--config", str(config)
        )
        assert code == 1
        refused.append(err)
    assert read_tree(config) == before
    return {"saved": saved, "refused": refused}


async def form_saves(pilot: Any, instance_id: str, field_id: str, text: str) -> Any:
    """Type `text` into the field in the instance's edit form, save, and return what
    the registry then holds."""
    app = pilot.app
    await select(pilot, instance_id)
    await open_form(pilot, "e")
    before = app.state.instances[instance_id].values.get(field_id)
    await clear_and_type(pilot, f"#field-{field_id}", text, pasted=True)
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: not isinstance(app.screen, InstanceForm), "saved")
    changed = lambda: app.state.instances[instance_id].values.get(field_id) != before  # noqa: E731
    await wait_until(pilot, changed, f"{field_id}={text!r} stored")
    return app.state.instances[instance_id].values.get(field_id)


async def form_refuses(pilot: Any, instance_id: str, field_id: str, text: str) -> str:
    """Type `text` into the field, try to save, and return the error shown under it."""
    app = pilot.app
    await select(pilot, instance_id)
    form = await open_form(pilot, "e")
    error = form.query_one(f"#error-{field_id}", Label)
    await clear_and_type(pilot, f"#field-{field_id}", text, pasted=True)
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: plain(error.content).strip() != "", "the error")
    assert app.screen is form
    shown = plain(error.content).strip()
    await pilot.press("escape")
    await wait_until(pilot, lambda: not isinstance(app.screen, InstanceForm), "cancel")
    return shown


async def test_the_form_stores_what_the_command_line_stores(
    cfg: Path, cli_results: dict[str, Any]
) -> None:
    app = ProvregApp(["cfg"], stamp=fixed_stamp)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        for (instance_id, field_id, text), expected in zip(
            SAVED, cli_results["saved"], strict=True
        ):
            stored = await form_saves(pilot, instance_id, field_id, text)
            if field_id == "models":
                stored = [model.model_dump() for model in stored]
            assert stored == expected, (field_id, text)
            assert type(stored) is type(expected), (field_id, text)


async def test_the_form_refuses_what_the_command_line_refuses(
    cfg: Path, cli_results: dict[str, Any]
) -> None:
    before = read_tree(cfg)
    app = ProvregApp(["cfg"], stamp=fixed_stamp)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        for (instance_id, field_id, text, takes), cli_error in zip(
            REFUSED, cli_results["refused"], strict=True
        ):
            form_error = await form_refuses(pilot, instance_id, field_id, text)
            assert takes in form_error and takes in cli_error, (form_error, cli_error)
    assert read_tree(cfg) == before
