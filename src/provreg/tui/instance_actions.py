"""The dashboard's instance actions: add, edit, duplicate, delete, keys, host,
$EDITOR.

The base of `ProvregApp`, apart from the loading, live-update and layout
code: each action turns a keypress into a screen (picker, form, confirmation,
masked input) and the answer into one `ProviderRegistry` call, run in a
worker. What it reads and updates (the state, the keys' presence, the main
screen) is `DashboardBase`'s.
"""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING, Any

from textual import work

from provreg.tui.dashboard_base import DashboardBase
from provreg.tui.screens.confirm import ConfirmScreen
from provreg.tui.screens.removed import RemovedScreen
from provreg.tui.screens.secret_input import SecretInputScreen
from provreg.tui.widgets.providers_table import ProvidersTable

if TYPE_CHECKING:
    from provreg.model import ProviderInstance
    from provreg.registry import ProviderRegistry
    from provreg.registry.undo_ops import UndoableDeletion
    from provreg.tui.screens.instance_form import FormResult


class InstanceActions(DashboardBase):
    """Actions on the selected instance; the state they read is DashboardBase's."""

    _keyring_refusal_said = False
    """The keyring's refusal was toasted once; later presses only update Details."""
    _undoable: UndoableDeletion | None = None
    """The last delete, while `u` can undo it; its stored keys are still kept."""

    # ------------------------------------------------------------------ actions

    def _writable_registry(self) -> ProviderRegistry | None:
        if self.registry is None:
            self.notify("Still loading…")
            return None
        if self.registry.read_only:
            self.notify("Read-only: press w to allow changes.", severity="warning")
            return None
        return self.registry

    def _target(self) -> ProviderInstance | None:
        """The instance an action acts on: the highlighted row, the one Details
        shows. With none (a filter that matches nothing), say so."""
        instance = self.selected_instance()
        if instance is None and self.state is not None:
            self.notify("No instance selected.", severity="warning", timeout=3)
        return instance

    def action_add(self) -> None:
        registry = self._writable_registry()
        if registry is None:
            return

        from provreg.tui.screens.provider_picker import ProviderPicker  # see _open_form

        def picked(provider: str | None) -> None:
            if provider is not None:
                self._open_form(registry.definition(provider).id, None)

        self.push_screen(ProviderPicker(registry.definitions()), picked)

    def action_edit(self) -> None:
        instance = self._target()
        if instance is None or self._writable_registry() is None:
            return
        if self._refuse_stale(instance):
            return
        self._open_form(instance.provider, instance)

    def _refuse_stale(self, instance: ProviderInstance) -> bool:
        """A stale row's file has errors, and no write goes to such a file: say so
        now (and offer the editor), not after the user filled in a form."""
        state = self.state
        if state is None or instance.id not in state.stale_ids:
            return False

        def answered(yes: bool | None) -> None:
            if yes:
                self._open_in_editor(instance.file, instance.line)

        self.push_screen(
            ConfirmScreen(
                f"{instance.file} has errors, so '{instance.name}' shows its last good "
                "version and cannot be saved until the file is fixed. Open the file in "
                "your editor?",
                "Open in editor",
            ),
            answered,
        )
        return True

    def action_duplicate(self) -> None:
        instance = self._target()
        if instance is None or self._writable_registry() is None:
            return
        if self._refuse_stale(instance):  # the copy goes into the same (broken) file
            return
        self._open_form(instance.provider, instance, duplicate=True)

    def _open_form(
        self, provider: str, instance: ProviderInstance | None, *, duplicate: bool = False
    ) -> None:
        # Imported here, as the other screens that import the models: the dashboard's
        # first rows come before pydantic and the models are loaded.
        from provreg.tui.screens.instance_form import InstanceForm

        registry = self.registry
        assert registry is not None
        definition = registry.definition(provider)
        # For a duplicate this is the original's: the form offers to copy a stored key,
        # and shows the copy itself as having none.
        presence = (
            {
                field: ("● set" if status.present else "○ missing")
                for field, status in (self.presence.statuses(instance.id) or {}).items()
            }
            if instance
            else {}
        )

        async def save(result: FormResult) -> None:
            if instance is not None and form.removed:
                # Removed on disk meanwhile, and the user chose to recreate it: the
                # same id, in the same file, with the form's values.
                await self._save_form(result, None, provider, instance, recreate=True)
                return
            await self._save_form(result, None if duplicate else instance, provider, instance)

        form = InstanceForm(
            definition,
            save,
            instance=instance,
            title=f"Duplicate {instance.name}" if duplicate and instance else None,
            prefill_name=f"{instance.name} (copy)" if duplicate and instance else None,
            secret_presence=presence,
            duplicate=duplicate,
        )
        self.push_screen(form)

    async def _save_form(
        self,
        result: FormResult,
        editing: ProviderInstance | None,
        provider: str,
        source_instance: ProviderInstance | None,
        *,
        recreate: bool = False,
    ) -> None:
        from provreg.registry import DuplicateNameError, FieldsError
        from provreg.tui.screens.instance_form import FormError  # see _open_form

        registry = self.registry
        assert registry is not None
        # A key typed in the form must be storable before anything is written: a
        # refused keyring used to leave the instance written and the form open.
        copied: dict[str, Any] = {}
        if editing is None and source_instance is not None:
            # Read before anything is written: a key that cannot be read (its host
            # not confirmed, the keyring locked) leaves no half-made copy behind.
            for field in result.copy_keys:
                copied[field] = await registry.resolve_secret(source_instance.id, field)
        if editing is None and (result.secrets or copied):
            await registry.check_keyring()
        elif editing is not None:
            for field in result.secrets:
                await registry.check_secret_target(editing.id, field)
        try:
            if editing is None:
                values = {k: v for k, v in result.values.items() if v is not None}
                file = source_instance.file if source_instance is not None else None
                same_id = source_instance.id if recreate and source_instance else None
                created = await registry.create(
                    provider, result.name, values, file, instance_id=same_id
                )
                instance_id = created.id
            else:
                current = registry.get(editing.id)
                # Only what the user changed in the form: a field changed on disk
                # since the form opened keeps its new value.
                changes: dict[str, Any] = {
                    key: value
                    for key, value in {"name": result.name, **result.values}.items()
                    if key in result.changed
                }
                await registry.update(current.id, changes)
                instance_id = current.id
            for field, value in {**copied, **result.secrets}.items():
                await registry.set_secret(instance_id, field, value)
        except DuplicateNameError as exc:
            raise FormError({"name": str(exc)}) from None
        except FieldsError as exc:
            raise FormError(exc.fields) from None
        self.presence.forget(instance_id)
        # The commit's StoreChanged message is still queued: show that state now,
        # or the new row does not exist yet and cannot be selected.
        self._show_state(registry.snapshot())
        self.query_one(ProvidersTable).select(instance_id)

    def _check_form_removed(self, instance: ProviderInstance) -> None:
        """The instance open in a form is gone from disk: ask what becomes of the edits."""
        from provreg.tui.screens.instance_form import InstanceForm  # see _open_form

        screen = self.screen
        if not isinstance(screen, InstanceForm) or screen.duplicate:
            return
        if screen.instance is None or screen.instance.id != instance.id or screen.removed:
            return
        screen.removed = True
        form = screen

        def decided(choice: str | None) -> None:
            if choice == "discard":
                form.dismiss(False)
            elif choice == "copy":
                self.copy_to_clipboard(form.values_as_text())
                self.notify(
                    "Copied your values (no keys) to the clipboard; the form stays open.",
                    timeout=6,
                )
            else:
                form.show_errors(
                    {}, general=f"Saving recreates '{instance.id}' in {instance.file}."
                )

        self.push_screen(
            RemovedScreen(
                f"'{instance.name}' was removed from {instance.file} while you were editing "
                "it. Your edits are still in the form."
            ),
            decided,
        )

    def _check_form_conflict(self, instance: ProviderInstance) -> None:
        from provreg.tui.screens.conflict import ConflictScreen  # see _open_form
        from provreg.tui.screens.instance_form import FormError, InstanceForm

        screen = self.screen
        if not isinstance(screen, InstanceForm) or screen.instance is None:
            return
        if screen.instance.id != instance.id:
            return
        try:
            mine = screen.collect()
            mine_values: dict[str, object] = {"name": mine.name, **mine.values}
        except FormError:
            mine_values = {}

        def decided(choice: str | None) -> None:
            if choice == "theirs":
                screen.refill(instance)
            else:
                screen.instance = instance  # my form wins, applied on top of the new version

        self.push_screen(
            ConflictScreen(
                f"'{instance.name}' was changed in {instance.file} while you were editing it.",
                mine_values,
                instance,
            ),
            decided,
        )

    def action_delete(self) -> None:
        instance = self._target()
        registry = self._writable_registry()
        if instance is None or registry is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._run_op(
                    self._delete(registry, instance), f"Deleted {instance.name} — u to undo"
                )

        self.push_screen(
            ConfirmScreen(
                f"Delete '{instance.name}' ({instance.id}) from {instance.file}?", "Delete"
            ),
            answered,
        )

    def _secret_target(self) -> tuple[ProviderInstance, ProviderRegistry, str] | None:
        """The selected instance, the registry when writable, and the instance's
        key field; None (after saying why) when one of them is missing."""
        instance = self._target()
        registry = self._writable_registry()
        if instance is None or registry is None:
            return None
        definition = registry.definition(instance.provider)
        fields = definition.secret_fields
        if not fields:
            self.notify(f"{definition.name} takes no key.", severity="warning")
            return None
        return instance, registry, fields[0].id

    def action_set_secret(self) -> None:
        target = self._secret_target()
        if target is None:
            return
        instance, registry, field = target
        ref = instance.secret_ref(field)
        if ref.kind != "keyring":
            self.notify(
                f"{field} comes from {ref.describe()}; change the reference in the YAML to "
                "{keyring: true} to store it here.",
                severity="warning",
                timeout=8,
            )
            return
        self._ask_secret(registry, instance, field)

    @work(group="ops", exit_on_error=False)
    async def _ask_secret(
        self, registry: ProviderRegistry, instance: ProviderInstance, field: str
    ) -> None:
        """Ask for the key only once it is known it can be stored (a refused keyring
        is said now, not after the user typed or pasted the key)."""
        try:
            await registry.check_secret_target(instance.id, field)
        except Exception as exc:
            self._say_why_not(exc, "Cannot store a key")
            return
        ref = instance.secret_ref(field)

        def entered(value: Any) -> None:
            if value is not None:
                self.presence.forget(instance.id)
                self._probe_key_changed(instance.id)
                self._run_op(
                    registry.set_secret(instance.id, field, value),
                    f"Stored {field} for {instance.name}",
                )

        self.push_screen(SecretInputScreen(instance.name, field, ref.describe()), entered)

    def action_remove_secret(self) -> None:
        target = self._secret_target()
        if target is None:
            return
        instance, registry, field = target

        def answered(yes: bool | None) -> None:
            if yes:
                self.presence.forget(instance.id)
                self._probe_key_changed(instance.id)
                self._run_op(
                    registry.remove_secret(instance.id, field),
                    f"Removed {field} of {instance.name}",
                )

        self.push_screen(
            ConfirmScreen(f"Remove the stored {field} of '{instance.name}'?", "Remove"), answered
        )

    def action_confirm_origin(self) -> None:
        instance = self._target()
        registry = self._writable_registry()
        if instance is None or registry is None:
            return
        self._ask_confirm_origin(registry, instance)

    @work(group="ops", exit_on_error=False)
    async def _ask_confirm_origin(
        self, registry: ProviderRegistry, instance: ProviderInstance
    ) -> None:
        """Ask only when confirming would change something; otherwise say why not."""
        try:
            needs = await registry.confirmation_needs(instance.id)
        except Exception as exc:  # the keyring, asked whether a key exists
            self._say_why_not(exc, "Not done")
            return
        pending = [need for need in needs if need.needed]
        if not pending:
            reasons = "; ".join(need.reason for need in needs) or "it takes no key"
            self.notify(f"Nothing to confirm for {instance.name}: {reasons}.", timeout=6)
            return
        host = pending[0].host or "(none)"
        why = "; ".join(need.reason for need in pending)

        def answered(yes: bool | None) -> None:
            if yes:
                self.presence.forget(instance.id)
                self._probe_key_changed(instance.id)
                self._run_op(registry.confirm_origin(instance.id), f"Confirmed {host}")

        self.push_screen(
            ConfirmScreen(
                f"Send {instance.name}'s key to '{host}' from now on? ({why})", "Confirm"
            ),
            answered,
        )

    async def _delete(self, registry: ProviderRegistry, instance: ProviderInstance) -> None:
        # One undo level: a new delete gives up the last one, whose keys go now.
        await self.finish_pending_delete(registry)
        deletion = await registry.delete_for_undo(instance.id)
        if deletion.entry is None:  # a storage that cannot put it back: as `provreg rm`
            await self._forget_keys(registry, deletion)
        else:
            self._undoable = deletion

    async def finish_pending_delete(
        self, registry: ProviderRegistry, *, quiet: bool = False
    ) -> None:
        """Remove the stored keys of the delete `u` could still undo, and forget it."""
        pending, self._undoable = self._undoable, None
        if pending is not None:
            await self._forget_keys(registry, pending, quiet=quiet)

    async def _forget_keys(
        self, registry: ProviderRegistry, deletion: UndoableDeletion, *, quiet: bool = False
    ) -> None:
        keys = await registry.forget_deleted_keys(deletion.instance)
        if keys.kept and not quiet:
            # Said apart from "Deleted": a key left behind on purpose is news.
            self.notify(keys.summary(), title="Key kept", timeout=8)

    def action_undo(self) -> None:
        registry = self._writable_registry()
        if registry is None:
            return
        # Taken out of the slot at once: a second `u` must not restore it twice.
        deletion, self._undoable = self._undoable, None
        if deletion is None:
            self.notify("Nothing to undo.", timeout=3)
            return
        self._restore(registry, deletion, at_end=False)

    @work(group="ops", exit_on_error=False)
    async def _restore(
        self, registry: ProviderRegistry, deletion: UndoableDeletion, *, at_end: bool
    ) -> None:
        from provreg.storage.backend import PositionGoneError

        name = deletion.instance.name
        try:
            restored = await registry.restore_deleted(deletion, at_end=at_end)
        except Exception as exc:
            kept = self._keep_undo(registry, deletion)
            if kept and not at_end and isinstance(exc, PositionGoneError):
                self._offer_append(registry, deletion, str(exc))
            else:
                self.notify(str(exc), title=f"Cannot undo the delete of {name}", severity="error")
            return
        self.notify(f"Restored {name}", timeout=3)
        self.presence.forget(restored.id)
        # As after a save: the commit's StoreChanged is still queued.
        self._show_state(registry.snapshot())
        self.query_one(ProvidersTable).select(restored.id)
        self._refresh_secret_presence()

    def _offer_append(
        self, registry: ProviderRegistry, deletion: UndoableDeletion, why: str
    ) -> None:
        file = deletion.entry.file if deletion.entry else deletion.instance.file

        def answered(yes: bool | None) -> None:
            if yes and self._undoable is deletion:
                self._undoable = None
                self._restore(registry, deletion, at_end=True)

        self.push_screen(
            ConfirmScreen(
                f"'{deletion.instance.name}' cannot go back where it was: {why}. "
                f"Append it at the end of {file} instead?",
                "Append",
            ),
            answered,
        )

    def _keep_undo(self, registry: ProviderRegistry, deletion: UndoableDeletion) -> bool:
        """A refused undo stays undoable, unless a newer delete took the slot
        meanwhile: then this one is given up and its keys go."""
        if self._undoable is None:
            self._undoable = deletion
            return True
        self._run_op(self._forget_keys(registry, deletion), "")
        return False

    def _say_why_not(self, exc: Exception, title: str) -> None:
        """A refused or absent keyring is explained once, in full, then kept in the
        Details pane: a toast on every press of k, K or o says nothing new."""
        from provreg.secrets import SecretBackendError

        if not isinstance(exc, SecretBackendError):
            self.notify(str(exc), title=title, severity="error", timeout=10)
            return
        self.presence.problem = str(exc)
        self._show_detail()
        if not self._keyring_refusal_said:
            self._keyring_refusal_said = True
            self.notify(str(exc), title=title, severity="error", timeout=10)

    @work(group="ops", exit_on_error=False)
    async def _run_op(self, operation: Any, done: str) -> None:
        try:
            await operation
        except Exception as exc:
            self._say_why_not(exc, "Not done")
            return
        if done:
            self.notify(done, timeout=3)
        self._show_detail()
        selected = self.selected_instance()
        if selected is not None:
            self._check_detail_secrets(selected.id)
        self._refresh_secret_presence()

    def action_open_editor(self) -> None:
        instance = self._target()
        if instance is None:
            return
        self._open_in_editor(instance.file, instance.line)

    def _open_in_editor(self, file: str, line: int) -> None:
        from provreg.editor import EditorError, editor_command

        # Decided before the terminal is handed over: a missing editor must not
        # leave the user at a blank screen.
        try:
            command = editor_command(file, line)
        except EditorError as exc:
            self.notify(f"Cannot open the editor: {exc}", severity="error", timeout=10)
            return
        try:
            with self.suspend():
                done = subprocess.run(command, check=False)
        except Exception as exc:  # no terminal to suspend to (tests, some drivers), or exec failed
            self.notify(f"Cannot open the editor ({command[0]}): {exc}", severity="error")
            return
        finally:
            self.refresh(layout=True)  # whatever the editor left on the terminal is redrawn
        if done.returncode != 0:
            self.notify(
                f"The editor ({command[0]}) exited with code {done.returncode}",
                severity="warning",
                timeout=6,
            )
        if self.registry is not None:
            self._run_op(self.registry.reload([os.path.realpath(file)]), f"Reloaded {file}")
