"""Forms that tell the truth and lose nothing: each test here failed before its fix.

A key typed into a form is stored with the instance or nothing is written; a
duplicate shows its own key status; errors use the labels the form shows; a
stale row says its file is broken before the user fills anything in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.dashboard import (
    RunDashboard,
    clear_and_type,
    open_form,
    paste,
    plain,
    select,
    table_of,
    type_text,
    wait_until,
)
from helpers.files import read_tree
from textual.widgets import Input, Label, OptionList, Switch

from provreg.tui.screens.confirm import ConfirmScreen
from provreg.tui.screens.instance_form import InstanceForm
from provreg.tui.screens.provider_picker import ProviderPicker

pytestmark = pytest.mark.anyio


async def pick(pilot: Any, provider: str) -> InstanceForm:
    app = pilot.app
    await pilot.press("a")
    await wait_until(pilot, lambda: isinstance(app.screen, ProviderPicker), "the picker")
    options = app.screen.query_one(OptionList)
    ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
    if options.highlighted is None:
        await pilot.press("down")
    await pilot.press(*["down"] * (ids.index(provider) - (options.highlighted or 0)))
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, InstanceForm), "the form")
    form = app.screen
    assert isinstance(form, InstanceForm)
    return form


def error_text(form: InstanceForm, field_id: str) -> str:
    return plain(form.query_one(f"#error-{field_id}", Label).content).strip()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_add_with_a_key_while_the_keyring_is_refused_writes_nothing(
    cfg: Path, run_dashboard: RunDashboard, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The instance was written, the form stayed open with a cut-off error, and saving
    again said the name was taken."""
    monkeypatch.delenv("PROVREG_ALLOW_INSECURE_KEYRING")  # the plaintext keyring: refused
    before = read_tree(cfg)
    async with run_dashboard(size) as (app, pilot, _):
        form = await pick(pilot, "openai")
        await type_text(pilot, "Team OpenAI")
        await clear_and_type(pilot, "#field-api_key", "sk-typed-1234", pasted=True)
        general = form.query_one("#form-error", Label)
        for _ in range(2):  # and again: still nothing written, no "name taken"
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: "not secure" in plain(general.content), "the reason")
            text = " ".join(plain(general.content).split())
            assert "PROVREG_ALLOW_INSECURE_KEYRING" in text  # the whole message, not a cut
            assert "already" not in text
            assert general.region.height > 1
            assert isinstance(app.screen, InstanceForm)
            assert read_tree(cfg) == before
        assert "team-openai" not in table_of(pilot).instance_ids


async def test_a_duplicate_shows_its_own_key_status_and_can_copy_the_key(
    cfg: Path, run_dashboard: RunDashboard, plaintext_keyring: Any
) -> None:
    """Duplicate showed the original's `keyring ● set` although the copy had none."""
    from pydantic import SecretStr

    from provreg.registry import ProviderRegistry

    registry = await ProviderRegistry.open([str(cfg)])
    await registry.set_secret("work-openai", "api_key", SecretStr("sk-original-key"))
    async with run_dashboard((120, 40)) as (app, pilot, _):
        await select(pilot, "work-openai")
        pane_ready = lambda: app.presence.statuses("work-openai")  # noqa: E731
        await wait_until(pilot, pane_ready, "the key checked")
        form = await open_form(pilot, "c")
        key_input = form.query_one("#field-api_key", Input)
        assert "● set" not in key_input.placeholder
        assert "not set" in key_input.placeholder
        copy = form.query_one("#copy-api_key", Switch)
        copy.value = True
        await pilot.pause()
        name = form.query_one("#field-name", Input)
        assert name.value == "Work OpenAI (copy)"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, InstanceForm), "saved")
        await wait_until(
            pilot, lambda: "work-openai-copy" in table_of(pilot).instance_ids, "the copy"
        )
    assert plaintext_keyring.get_password("provreg", "work-openai-copy/api_key") == (
        "sk-original-key"
    )
    fresh = await ProviderRegistry.open([str(cfg)])
    copied = await fresh.resolve_secret("work-openai-copy")
    assert copied.get_secret_value() == "sk-original-key"


async def test_a_duplicate_keeps_a_reference_that_names_its_key(
    cfg: Path, run_dashboard: RunDashboard
) -> None:
    """A copy of `api_key: {env: GEMINI_API_KEY}` uses the same variable."""
    async with run_dashboard((120, 40)) as (app, pilot, _):
        await select(pilot, "gemini")
        form = await open_form(pilot, "c")
        key_input = form.query_one("#field-api_key", Input)
        assert key_input.disabled and "env GEMINI_API_KEY" in key_input.placeholder
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, InstanceForm), "saved")
    hosted = yaml.safe_load((cfg / "providers" / "hosted.yaml").read_text())
    [copy] = [p for p in hosted["providers"] if p["name"] == "Gemini (free tier) (copy)"]
    assert copy["api_key"] == {"env": "GEMINI_API_KEY"}


async def test_form_errors_use_the_labels_the_form_shows(
    cfg: Path, run_dashboard: RunDashboard
) -> None:
    """ "missing required field 'base_url'" under a field labelled "Endpoint"."""
    before = read_tree(cfg)
    async with run_dashboard((120, 40)) as (app, pilot, _):
        form = await pick(pilot, "azure-openai")
        await type_text(pilot, "Azure work")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: error_text(form, "base_url"), "the field's error")
        assert "'Endpoint'" in error_text(form, "base_url")
        assert "base_url" not in error_text(form, "base_url")
    assert read_tree(cfg) == before


async def test_a_stale_row_says_its_file_is_broken_before_a_form_opens(
    cfg: Path, run_dashboard: RunDashboard
) -> None:
    """It opened for editing with no warning, and failed on save."""
    local = cfg / "providers" / "local.yaml"
    async with run_dashboard((80, 24)) as (app, pilot, _):
        text = local.read_text()
        local.write_text(text.replace("default_model: llama3.2", "default_model: [llama3.2"))
        assert app.registry is not None
        await app.registry.reload()
        await wait_until(pilot, lambda: "local-ollama" in app.state.stale_ids, "stale")  # type: ignore[union-attr]
        await select(pilot, "local-ollama")
        for key in ("e", "c"):
            await pilot.press(key)
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
            assert "providers/local.yaml has errors" in app.screen.question
            assert "Open the file in your editor?" in app.screen.question
            await pilot.press("escape")
            await wait_until(pilot, lambda: len(app.screen_stack) == 1, "closed")
            assert not isinstance(app.screen, InstanceForm)


async def test_default_model_offers_the_definitions_models_and_takes_any(
    cfg: Path, run_dashboard: RunDashboard
) -> None:
    """The help promised models "offered when picking a model"; it was free text only."""
    async with run_dashboard((120, 40)) as (app, pilot, _):
        await select(pilot, "work-openai")
        form = await open_form(pilot, "e")
        model = form.query_one("#field-default_model", Input)
        assert "type to pick:" in model.placeholder
        model.focus()
        await pilot.press("home", "ctrl+k")
        await type_text(pilot, "o4-m")
        await pilot.pause(0.2)  # the suggestion is looked up in a worker
        await pilot.press("right")  # at the end of the text: takes the suggestion
        await wait_until(pilot, lambda: model.value == "o4-mini", "the suggestion taken")
        await pilot.press("home", "ctrl+k")
        await paste(pilot, "my-own-finetune")
        assert model.value == "my-own-finetune"
