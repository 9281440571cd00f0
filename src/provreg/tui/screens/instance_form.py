"""The add/edit form, generated from the provider's field specs.

text, url, int, float and list fields are inputs; bool is a switch; choice a
select; secret fields are masked inputs whose value goes to the secret store
only. Errors show inline under each field before anything is written: first
the form's own parsing, then the registry's validation (the same rules as
`--check`). Only changed fields are written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Label, Select, Switch

from provreg.field_text import FieldTextError, models_as_text, parse_field_text
from provreg.model import (
    FieldSpec,
    FieldType,
    ModelSpec,
    ProviderDefinition,
    ProviderInstance,
    SecretRef,
)
from provreg.tui.screens.help_key import HELP_BINDING

UNSET = None


@dataclass
class FormResult:
    """What the user asked for: the name, field values (None = unset), new keys."""

    name: str
    values: dict[str, Any]
    secrets: dict[str, SecretStr] = field(default_factory=dict)
    changed: frozenset[str] = frozenset()
    """Fields (and "name") the user changed in the form. An edit writes only
    these, so a field changed on disk meanwhile is not reverted to what the
    form showed when it opened ("keep mine" keeps my edits, not my stale copy)."""
    copy_keys: frozenset[str] = frozenset()
    """Duplicate only: secret fields whose stored key the copy gets (under its own id)."""


class FormError(Exception):
    """Per-field messages to show inline."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(fields.values()))
        self.fields = fields


SaveCallback = Callable[[FormResult], Awaitable[None]]


MODELS_ROW = FieldSpec.model_construct(
    id="models",
    label="Models",
    type=FieldType.LIST,
    help="Model ids this instance serves (a, b), or a JSON list with limits: "
    '[{"id": "a", "context_window": 131072}]. Offered for the default model and exported.',
)
"""The `models:` row every form has. Built without validation: `models` is an
instance key, not a field a definition may declare."""


def _text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple) and all(isinstance(item, ModelSpec) for item in value):
        return models_as_text(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def parse_input(spec: FieldSpec, text: str) -> Any:
    """Form text to a typed value, read as the command line reads `--set`; '' means
    unset. Raises ValueError with a message."""
    stripped = text.strip()
    if not stripped:
        return UNSET
    try:
        return parse_field_text(spec, stripped)
    except FieldTextError as exc:
        detail = f" ({exc.reason})" if exc.reason else ""
        raise ValueError(f"enter {exc.expected}{detail}") from None


class InstanceForm(ModalScreen[bool]):
    """Returns True when saved, False when cancelled."""

    help_title = "The form: keys"

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
        HELP_BINDING,
    ]

    def __init__(
        self,
        definition: ProviderDefinition,
        save: SaveCallback,
        *,
        instance: ProviderInstance | None = None,
        title: str | None = None,
        prefill_name: str | None = None,
        secret_presence: dict[str, str] | None = None,
        duplicate: bool = False,
    ) -> None:
        """`instance` prefills the form; with `duplicate` it is the original of a new
        instance (which has no keys of its own: `secret_presence` is the original's)."""
        super().__init__()
        self.duplicate = duplicate
        self.removed = False
        """The instance was removed on disk while the form was open (saving recreates it)."""
        self._copied_refs: dict[str, SecretRef] = {}
        """Duplicate: references that name a key (env, file, a named keyring entry),
        carried over as they are: the copy uses the same key."""
        self.definition = definition
        self.instance = instance
        self._save = save
        self.title_text = title or (
            f"Edit {instance.name}" if instance else f"New {definition.name} instance"
        )
        self.prefill_name = (
            prefill_name if prefill_name is not None else (instance.name if instance else "")
        )
        self.secret_presence = secret_presence or {}
        self._initial: dict[str, Any] = {"name": self.prefill_name}

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide tall"):
            yield Label(self.title_text, classes="title", markup=False)
            # Above the fields: "Fix the fields marked below" must be above them, and
            # a long save error wraps here in full.
            yield Label("", id="form-error", classes="error", markup=False)
            with VerticalScroll(id="form-fields"):
                yield from self._row(
                    "name", "Name", Input(self.prefill_name, id="field-name"), None
                )
                for spec in self._rows():
                    yield from self._row(
                        spec.id, spec.display_label, self._widget_for(spec), spec.help
                    )
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")
        yield Footer()  # this screen's own keys, not the dashboard's

    def _row(
        self, field_id: str, label: str, widget: Widget, help_text: str | None
    ) -> ComposeResult:
        with Vertical(classes="form-row", id=f"row-{field_id}"):
            yield Label(label, classes="form-label", markup=False)
            yield widget
            if help_text:
                yield Label(help_text, classes="hint", markup=False)
            yield Label("", id=f"error-{field_id}", classes="error field-error", markup=False)

    def _stated(self, spec: FieldSpec) -> Any:
        if self.instance is not None and spec.id in self.instance.values:
            return self.instance.values[spec.id]
        return None

    def _widget_for(self, spec: FieldSpec) -> Widget:
        widget_id = f"field-{spec.id}"
        stated = self._stated(spec)
        if spec.type is FieldType.BOOL:
            switched = bool(stated) if stated is not None else bool(spec.default)
            self._initial[spec.id] = switched
            return Switch(value=switched, id=widget_id)
        if spec.type is FieldType.CHOICE:
            options = [(choice, choice) for choice in spec.choices or ()]
            prompt = f"(default: {spec.default})" if spec.default is not None else "(not set)"
            selected = stated if stated is not None else Select.NULL
            self._initial[spec.id] = selected
            return Select(options, value=selected, allow_blank=True, prompt=prompt, id=widget_id)
        if spec.type is FieldType.SECRET and self.duplicate and self.instance is not None:
            return self._duplicate_secret_widget(spec, widget_id)
        if spec.type is FieldType.SECRET:
            ref = self.instance.secret_ref(spec.id) if self.instance else None
            presence = self.secret_presence.get(spec.id, "")
            where = ref.describe() if ref else "keyring"
            if ref is not None and ref.kind != "keyring":
                placeholder = (
                    f"value comes from {where}; change the YAML reference to store one here"
                )
                return Input(placeholder=placeholder, password=True, id=widget_id, disabled=True)
            placeholder = f"{where} {presence} — type to store a new key".strip()
            return Input(placeholder=placeholder, password=True, id=widget_id)
        text = _text_of(stated)
        self._initial[spec.id] = text
        placeholder = f"default: {_text_of(spec.default)}" if spec.default is not None else ""
        if spec.required and spec.default is None:
            placeholder = "required"
        models = self._known_models() if spec.id == "default_model" else []
        if models:
            # Offered as you type (→ takes the suggestion); any other id may be typed.
            shown = ", ".join(models[:3]) + (", …" if len(models) > 3 else "")
            placeholder = f"{placeholder + '; ' if placeholder else ''}type to pick: {shown}"
            suggester = SuggestFromList(models, case_sensitive=False)
            return Input(text, placeholder=placeholder, id=widget_id, suggester=suggester)
        return Input(text, placeholder=placeholder, id=widget_id)

    def _duplicate_secret_widget(self, spec: FieldSpec, widget_id: str) -> Widget:
        """A copy has no key of its own: it shares a named reference, or gets a new
        key typed here, or (a switch) a copy of the original's stored key."""
        assert self.instance is not None
        ref = self.instance.secret_ref(spec.id)
        if ref.kind != "keyring" or ref.name is not None:
            self._copied_refs[spec.id] = ref
            return Input(
                placeholder=f"the same key as the original: {ref.describe()}",
                password=True,
                id=widget_id,
                disabled=True,
            )
        field_input = Input(
            placeholder="keyring ○ not set — type a key for the copy", password=True, id=widget_id
        )
        if self.secret_presence.get(spec.id) != "● set":
            return field_input
        return Vertical(
            field_input,
            Horizontal(
                Switch(value=False, id=f"copy-{spec.id}"),
                Label(
                    f"or copy {self.instance.name}'s stored key (stored under the new id)",
                    markup=False,
                ),
                classes="copy-key",
            ),
            classes="duplicate-key",
        )

    def _known_models(self) -> list[str]:
        """The instance's own `models:` list, then the definition's well-known models."""
        own = [model.id for model in self.instance.models] if self.instance is not None else []
        return list(dict.fromkeys([*own, *self.definition.models]))

    def _rows(self) -> tuple[FieldSpec, ...]:
        """The definition's fields, then the models every instance may list."""
        return (*self.definition.fields, MODELS_ROW)

    def on_mount(self) -> None:
        self.query_one("#field-name", Input).focus()

    # ------------------------------------------------------------------ reading

    def collect(self) -> FormResult:
        """The form's values, or FormError with per-field messages."""
        errors: dict[str, str] = {}
        name = self.query_one("#field-name", Input).value.strip()
        if not name:
            errors["name"] = "a name is required"
        values: dict[str, Any] = {}
        secrets: dict[str, SecretStr] = {}
        copy_keys: set[str] = set()
        changed = {"name"} if name != self._initial["name"].strip() else set()
        for spec in self._rows():
            widget = self.query_one(f"#field-{spec.id}")
            stated = self._stated(spec)
            if spec.type is FieldType.SECRET:
                if not isinstance(widget, Input):  # a duplicate's key and its copy switch
                    widget = widget.query_one(Input)
                if widget.value.strip():
                    secrets[spec.id] = SecretStr(widget.value.strip())
                elif spec.id in self._copied_refs:
                    values[spec.id] = self._copied_refs[spec.id]
                elif (
                    self.query(f"#copy-{spec.id}")
                    and self.query_one(f"#copy-{spec.id}", Switch).value
                ):
                    copy_keys.add(spec.id)
                continue
            if spec.type is FieldType.BOOL:
                assert isinstance(widget, Switch)
                if widget.value != self._initial[spec.id]:
                    changed.add(spec.id)
                if widget.value != self._initial[spec.id] or stated is not None:
                    values[spec.id] = widget.value
                continue
            if spec.type is FieldType.CHOICE:
                assert isinstance(widget, Select)
                selected = widget.value
                if selected != self._initial[spec.id]:
                    changed.add(spec.id)
                values[spec.id] = None if selected is Select.NULL else selected
                continue
            assert isinstance(widget, Input)
            if widget.value != self._initial[spec.id]:
                changed.add(spec.id)
            try:
                values[spec.id] = parse_input(spec, widget.value)
            except ValueError as exc:
                errors[spec.id] = str(exc)
        if errors:
            raise FormError(errors)
        return FormResult(name, values, secrets, frozenset(changed), frozenset(copy_keys))

    def _in_labels(self, message: str) -> str:
        """The registry names fields by id (`'base_url'`), as the CLI and `--check`
        do; the form shows the labels the user sees (`'Endpoint'`)."""
        for spec in self.definition.fields:
            if spec.display_label != spec.id:
                message = message.replace(f"'{spec.id}'", f"'{spec.display_label}'")
        return message

    def values_as_text(self) -> str:
        """The form's values as YAML-ish lines, for the clipboard: never a typed key."""
        name = self.query_one("#field-name", Input).value.strip()
        lines = [f"name: {name}", f"provider: {self.definition.id}"]
        for spec in self._rows():
            if spec.type is FieldType.SECRET:
                continue
            widget = self.query_one(f"#field-{spec.id}")
            if isinstance(widget, Switch):
                lines.append(f"{spec.id}: {'true' if widget.value else 'false'}")
            elif isinstance(widget, Select):
                if widget.value is not Select.NULL:
                    lines.append(f"{spec.id}: {widget.value}")
            elif isinstance(widget, Input) and widget.value.strip():
                lines.append(f"{spec.id}: {widget.value.strip()}")
        return "\n".join(lines) + "\n"

    def show_errors(self, fields: dict[str, str], general: str = "") -> None:
        fields = {field_id: self._in_labels(message) for field_id, message in fields.items()}
        general = self._in_labels(general)
        for label in self.query(".field-error").results(Label):
            label.update("")
        unplaced = []
        for field_id, message in fields.items():
            try:
                self.query_one(f"#error-{field_id}", Label).update(message)
            except Exception:
                unplaced.append(message)
        text = general or ("; ".join(unplaced) if unplaced else "")
        if fields and not text:
            text = "Fix the fields marked below."
        general_label = self.query_one("#form-error", Label)
        general_label.update(text)
        general_label.display = bool(text)  # no empty line above the fields
        if fields:
            first = next(iter(fields))
            try:
                self.query_one(f"#row-{first}").scroll_visible()
            except Exception:
                pass

    # ------------------------------------------------------------------ actions

    async def action_save(self) -> None:
        try:
            result = self.collect()
        except FormError as exc:
            self.show_errors(exc.fields)
            return
        try:
            await self._save(result)
        except FormError as exc:
            self.show_errors(exc.fields)
            return
        except Exception as exc:  # registry/storage errors: one clear line
            self.show_errors({}, general=str(exc))
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            await self.action_save()
        else:
            self.dismiss(False)

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        await self.action_save()

    # ------------------------------------------------------------------ live changes

    def refill(self, instance: ProviderInstance) -> None:
        """Take the latest version of the instance into the form ("take theirs")."""
        self.instance = instance
        self.query_one("#field-name", Input).value = instance.name
        self._initial["name"] = instance.name
        for spec in self._rows():
            widget = self.query_one(f"#field-{spec.id}")
            stated = self._stated(spec)
            if isinstance(widget, Switch):
                widget.value = bool(stated) if stated is not None else bool(spec.default)
                self._initial[spec.id] = widget.value
            elif isinstance(widget, Select):
                widget.value = stated if stated is not None else Select.NULL
                self._initial[spec.id] = widget.value
            elif isinstance(widget, Input) and spec.type is not FieldType.SECRET:
                widget.value = _text_of(stated)
                self._initial[spec.id] = widget.value
        self.show_errors({}, general="Took the version from disk.")
