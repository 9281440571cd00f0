"""Resolve, set and remove secret values behind references.

Every method here is blocking (a keyring call can wait on D-Bus or a
prompt): the registry runs them in worker threads under a timeout. Values
are `SecretStr` from the moment they are read; nothing here logs, prints or
puts a value in an exception message.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import SecretStr

from provreg import faults
from provreg.model import SecretRef
from provreg.secrets.command import command_timeout, run_command
from provreg.secrets.errors import (
    InsecureSecretFileError,
    SecretBackendError,
    SecretCommandError,
    SecretError,
    SecretMissingError,
)
from provreg.secrets.index import KeyLocation, SecretIndex
from provreg.secrets.key_file import read_key_file, refuse_nul
from provreg.secrets.pinning import ConfirmationNeed, Pins, keyring_user
from provreg.secrets.policy import (
    NO_KEYRING_OPTIONS,
    allow_insecure_from_env,
    backend_name,
    choose_backend,
    refusal,
)
from provreg.secrets.redaction import register_secret

SERVICE = "provreg"
DEFAULT_TIMEOUT = 5.0

TIMEOUT_ENV = "PROVREG_SECRET_TIMEOUT"

NOT_CHECKED = "not checked: commands run only when the key is used, or with --check --secrets"


def timeout_from_env() -> float:
    """Seconds to wait for the keyring: `$PROVREG_SECRET_TIMEOUT`, else 5."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if 0 < value < float("inf") else DEFAULT_TIMEOUT


def timeout_message(timeout: float) -> str:
    return (
        f"the keyring did not answer within {timeout:g} s (is it locked and waiting for a "
        "password?); unlock it, or use {env: ...} / {file: ...} references"
        f" ({TIMEOUT_ENV} sets the wait)"
    )


@dataclass(frozen=True, slots=True)
class SecretStatus:
    """What `provreg secret status` shows for one field. Never a value."""

    instance_id: str
    field: str
    kind: Literal["keyring", "env", "file", "command"]
    target: str
    """Keyring user, variable name, file path or a command's program name."""
    present: bool | None
    """True/False when checked; None when it could not be checked (see `problem`)."""
    backend: str | None
    problem: str | None = None
    unconfirmed: bool = False
    """The key exists but is not confirmed for the instance's host (`problem` says
    which hosts it may go to); `provreg secret confirm` (the dashboard's `o`) fixes it."""


class SecretStore:
    """The secret chain: keyring (default), env, file."""

    def __init__(
        self,
        *,
        backend: Any = None,
        index: SecretIndex | None = None,
        allow_insecure: bool | None = None,
        timeout: float | None = None,
        service: str = SERVICE,
    ) -> None:
        self._backend = backend
        self.index = index if index is not None else SecretIndex()
        self.allow_insecure = (
            allow_insecure_from_env() if allow_insecure is None else allow_insecure
        )
        self.timeout = timeout_from_env() if timeout is None else timeout
        self.service = service
        self._cache: dict[
            tuple[str, str], tuple[SecretRef, str | None, SecretStr, float | None]
        ] = {}
        self._guard = threading.Lock()
        self.allow_terminal = False
        """Whether `{command: ..., interactive: true}` programs may use the terminal:
        set by the CLI only (the dashboard owns the terminal)."""

    def timeout_for(self, ref: SecretRef) -> float:
        """How long a caller waits for a call about `ref`: the store's timeout, or for
        a command its own timeout plus a moment to stop it."""
        if ref.kind == "command":
            return max(self.timeout, command_timeout(ref) + 3.0)
        return self.timeout

    # ------------------------------------------------------------------ backend

    @property
    def pins(self) -> Pins:
        return Pins(self.index, self.service)

    def key_location(self, instance_id: str, field: str, ref: SecretRef) -> KeyLocation | None:
        """Where the key lives, the identity its pin belongs to; None for `{env: ...}`."""
        return self.pins.location(instance_id, field, ref)

    def origin_problem(
        self, instance_id: str, field: str, ref: SecretRef, host: str | None
    ) -> str | None:
        """Why an existing key would not be released to `host`, from the index only."""
        return self.pins.problem(instance_id, field, ref, host)

    def confirmation_need(
        self, instance_id: str, field: str, ref: SecretRef, host: str | None
    ) -> ConfirmationNeed:
        """What confirming `host` would change (blocking: may ask the keyring whether
        a key with no pin exists)."""

        def exists() -> bool:
            if ref.kind == "file":
                return os.path.exists(os.path.expanduser(ref.name or ""))
            if ref.kind == "command":
                # Confirming does not run the program: the pin is on its argv.
                return True
            user = keyring_user(instance_id, field, ref)
            return bool(
                self._keyring_call("read the key", lambda b: b.get_password(self.service, user))
            )

        return self.pins.need(instance_id, field, ref, host, exists)

    def confirm(self, instance_id: str, field: str, ref: SecretRef, host: str | None) -> bool:
        """Let the field's key go to `host` too, if there is a key to send; False when
        there is nothing to confirm (see `confirmation_need`)."""
        if not self.confirmation_need(instance_id, field, ref, host).needed:
            return False
        changed = self.pins.allow(instance_id, field, ref, host)
        self.invalidate()
        return changed

    def backend(self) -> Any:
        """The keyring backend, checked against the policy.

        Raises:
            SecretBackendError: no usable backend, or an insecure one not opted in.
        """
        if self._backend is None:
            try:
                import keyring

                self._backend = keyring.get_keyring()
            except Exception as exc:  # keyring's own init can fail in many ways
                raise SecretBackendError(startup_failure(exc)) from None
        reason = refusal(self._backend, self.allow_insecure)
        if reason is not None:
            raise SecretBackendError(reason)
        # keyring's chainer reads from every backend it chains; never let it fall
        # through to a plaintext one the user did not opt in to.
        return choose_backend(self._backend, self.allow_insecure)

    def backend_description(self) -> str:
        try:
            return backend_name(self.backend())
        except SecretBackendError:
            return backend_name(self._backend) + " (refused)" if self._backend else "none"

    def _keyring_call(self, what: str, call: Any, *args: Any, secret: str | None = None) -> Any:
        backend = self.backend()
        try:
            return call(backend, *args)
        except SecretError:
            raise
        except Exception as exc:
            failure = _backend_failure(what, backend, exc, secret)
        # Raised outside the `except` block so the backend's exception is not kept
        # as `__context__` either: its text may quote what it was given.
        raise failure

    # ------------------------------------------------------------------ cache

    def cached(
        self, instance_id: str, field: str, ref: SecretRef, host: str | None
    ) -> SecretStr | None:
        with self._guard:
            hit = self._cache.get((instance_id, field))
        if hit is None or hit[0] != ref or hit[1] != host:
            return None
        if hit[3] is not None and time.monotonic() >= hit[3]:
            with self._guard:
                if self._cache.get((instance_id, field)) is hit:
                    del self._cache[(instance_id, field)]
            return None
        return hit[2]

    def invalidate(self, instance_id: str | None = None) -> None:
        with self._guard:
            if instance_id is None:
                self._cache.clear()
            else:
                for key in [k for k in self._cache if k[0] == instance_id]:
                    del self._cache[key]

    # ------------------------------------------------------------------ operations

    def resolve(
        self,
        instance_id: str,
        field: str,
        ref: SecretRef,
        host: str | None,
        *,
        config_file: str | None = None,
    ) -> SecretStr:
        """The value behind `ref` (blocking; call from a worker thread).

        `config_file` is the file that declared the reference: a `{command: ...}`
        one runs only when that file is the user's own and writable by no one else.

        Raises:
            SecretMissingError, SecretBackendError, InsecureSecretFileError,
            OriginChangedError, UnpinnedKeyError, SecretCommandError.
        """
        cached = self.cached(instance_id, field, ref, host)
        if cached is not None:
            return cached
        if ref.kind == "keyring":
            value = self._resolve_keyring(instance_id, field, ref, host)
        elif ref.kind == "env":
            value = self._resolve_env(instance_id, field, ref)
        elif ref.kind == "command":
            # The pin is checked before the program runs: a command whose key is not
            # confirmed for this host is not worth running (nor its side effects).
            found = self.pins.lookup(instance_id, field, ref)
            self.pins.check(instance_id, field, host, found, present=True)
            value = run_command(
                instance_id, field, ref, config_file, allow_terminal=self.allow_terminal
            )
        else:
            value = read_key_file(instance_id, field, ref)
            found = self.pins.lookup(instance_id, field, ref)
            self.pins.check(instance_id, field, host, found, present=True)
        refuse_nul(instance_id, field, ref, value)
        register_secret(value)
        secret = SecretStr(value)
        if ref.kind in ("keyring", "command"):
            # Only keyring and command values are cached (a backend call or a program
            # is slow); env and file values are cheap to re-read, so a rotated one is
            # seen at once. A command's `cache:` bounds how long its value is kept.
            expires = (
                time.monotonic() + ref.cache
                if ref.kind == "command" and ref.cache is not None
                else None
            )
            with self._guard:
                self._cache[(instance_id, field)] = (ref, host, secret, expires)
        return secret

    def _resolve_keyring(
        self, instance_id: str, field: str, ref: SecretRef, host: str | None
    ) -> str:
        user = keyring_user(instance_id, field, ref)
        found = self.pins.lookup(instance_id, field, ref)
        self.pins.check(instance_id, field, host, found, present=False)
        value = self._keyring_call("read the key", lambda b: b.get_password(self.service, user))
        if not value:
            raise SecretMissingError(
                instance_id,
                field,
                f"the keyring (service '{self.service}', user '{user}')",
                f"set it with `provreg secret set {instance_id} {field}`",
            )
        self.pins.check(instance_id, field, host, found, present=True)
        return str(value)

    def _resolve_env(self, instance_id: str, field: str, ref: SecretRef) -> str:
        assert ref.name is not None
        value = os.environ.get(ref.name)
        if not value:
            raise SecretMissingError(
                instance_id,
                field,
                f"the environment variable {ref.name}",
                f"export {ref.name} before running provreg",
            )
        return value

    def set(
        self, instance_id: str, field: str, ref: SecretRef, value: SecretStr, host: str | None
    ) -> str:
        """Store a value in the keyring; returns the keyring user written.

        Raises:
            SecretError: the reference is not a keyring one, or the backend failed.
        """
        self.check_writable_ref(instance_id, field, ref)
        secret = value.get_secret_value()
        register_secret(secret)
        if not secret:
            raise SecretError(f"{instance_id}.{field}: refusing to store an empty key")
        user = keyring_user(instance_id, field, ref)
        key = KeyLocation("keyring", self.service, user)
        # The pin first: a crash between the two leaves a pin without a key
        # (harmless), never a key without a pin that any host could then get.
        previous, _ = self.index.pin(key, host, instance_id, field, stored=True)
        faults.reach(faults.SECRET_SET_AFTER_PIN)
        try:
            self._keyring_call(
                "store the key", lambda b: b.set_password(self.service, user, secret), secret=secret
            )
        except BaseException:
            self.index.restore(key, previous)
            raise
        faults.reach(faults.SECRET_SET_AFTER_STORE)
        self.invalidate()
        return user

    def check_writable_ref(self, instance_id: str, field: str, ref: SecretRef) -> None:
        """Refuse a reference provreg cannot store a value behind (env, file).

        Raises:
            SecretError
        """
        if ref.kind == "command":
            raise SecretError(
                f"{instance_id}.{field} references {ref.describe()}: the key lives in that "
                "program's store; change it there, or change the reference to {keyring: true}"
            )
        if ref.kind != "keyring":
            raise SecretError(
                f"{instance_id}.{field} references {ref.describe()}: provreg does not write "
                "there; set the variable or file yourself, or change the reference to "
                "{keyring: true}"
            )

    def holds_other_value(self, instance_id: str, field: str, ref: SecretRef, value: str) -> bool:
        """Whether the keyring holds a different, non-empty value for the field.

        For moving a key in (`migrate --upgrade`): never overwrite someone
        else's key. Compares without releasing anything, so no pin applies.
        """
        user = keyring_user(instance_id, field, ref)
        held = self._keyring_call("read the key", lambda b: b.get_password(self.service, user))
        return bool(held) and held != value

    def delete(self, instance_id: str, field: str, ref: SecretRef) -> bool:
        """Remove a keyring value; False when there was none."""
        if ref.kind != "keyring":
            raise SecretError(
                f"{instance_id}.{field} references {ref.describe()}: "
                "nothing in the keyring to remove"
            )
        user = keyring_user(instance_id, field, ref)
        existed = (
            self._keyring_call("read the key", lambda b: b.get_password(self.service, user))
            is not None
        )
        if existed:
            self._keyring_call("remove the key", lambda b: b.delete_password(self.service, user))
        self.index.remove(KeyLocation("keyring", self.service, user))
        self.invalidate()
        return existed

    def delete_entry(self, service: str, user: str) -> None:
        """Remove one keyring entry by its coordinates (for `prune`)."""
        present = self._keyring_call("read the key", lambda b: b.get_password(service, user))
        if present is not None:
            self._keyring_call("remove the key", lambda b: b.delete_password(service, user))
        self.index.remove(KeyLocation("keyring", service, user))
        self.invalidate()

    def status(
        self,
        instance_id: str,
        field: str,
        ref: SecretRef,
        *,
        check_keyring: bool = True,
        run_commands: bool = False,
        config_file: str | None = None,
    ) -> SecretStatus:
        """Whether the value exists, without returning it.

        A `{command: ...}` reference is run only with `run_commands` (`--check
        --secrets`); otherwise its presence is "not checked" (None).
        """
        if ref.kind == "command":
            return self._command_status(instance_id, field, ref, run_commands, config_file)
        if ref.kind == "env":
            assert ref.name is not None
            return SecretStatus(
                instance_id, field, "env", ref.name, bool(os.environ.get(ref.name)), None
            )
        if ref.kind == "file":
            assert ref.name is not None
            path = os.path.expanduser(ref.name)
            # The same checks as resolving (a file holding only a newline is empty,
            # a group-readable one is refused), so `--check --secrets` agrees with
            # what `resolve_secret` will do; the value read is dropped at once.
            try:
                read_key_file(instance_id, field, ref)
            except InsecureSecretFileError:
                return SecretStatus(
                    instance_id,
                    field,
                    "file",
                    path,
                    True,
                    None,
                    f"readable by group or others; run `chmod 600 {path}`",
                )
            except SecretMissingError as exc:
                exists = os.path.isfile(path)
                return SecretStatus(
                    instance_id,
                    field,
                    "file",
                    path,
                    False,
                    None,
                    exc.hint if exists else None,
                )
            return SecretStatus(instance_id, field, "file", path, True, None)
        user = keyring_user(instance_id, field, ref)
        if not check_keyring:
            indexed = any(
                e.user == user and e.service == self.service for e in self.index.stored_entries()
            )
            return SecretStatus(instance_id, field, "keyring", user, indexed, None)
        try:
            backend = self.backend()
            value = self._keyring_call("read the key", lambda b: b.get_password(self.service, user))
            return SecretStatus(
                instance_id, field, "keyring", user, value is not None, backend_name(backend)
            )
        except SecretError as exc:
            return SecretStatus(
                instance_id, field, "keyring", user, None, self.backend_description(), str(exc)
            )

    def _command_status(
        self,
        instance_id: str,
        field: str,
        ref: SecretRef,
        run: bool,
        config_file: str | None,
    ) -> SecretStatus:
        from provreg.secrets.command import refuse_unsafe_source

        try:
            refuse_unsafe_source(instance_id, field, ref, config_file)
        except SecretCommandError as exc:
            return SecretStatus(instance_id, field, "command", ref.program, None, None, str(exc))
        if not run:
            return SecretStatus(instance_id, field, "command", ref.program, None, None, NOT_CHECKED)
        try:
            # The value is dropped at once; only whether there was one is kept.
            register_secret(run_command(instance_id, field, ref, config_file))
        except SecretCommandError as exc:
            return SecretStatus(instance_id, field, "command", ref.program, False, None, str(exc))
        return SecretStatus(instance_id, field, "command", ref.program, True, None)

    def unanswered_status(self, instance_id: str, field: str, ref: SecretRef) -> SecretStatus:
        """The status of a field whose backend did not answer in time."""
        if ref.kind == "command":
            return SecretStatus(
                instance_id,
                field,
                "command",
                ref.program,
                None,
                None,
                f"did not answer within {self.timeout_for(ref):g} s",
            )
        if ref.kind != "keyring":
            target = os.path.expanduser(ref.name or "") if ref.kind == "file" else ref.name
            return SecretStatus(
                instance_id, field, ref.kind, target or "", None, None, "did not answer in time"
            )
        return SecretStatus(
            instance_id,
            field,
            "keyring",
            keyring_user(instance_id, field, ref),
            None,
            backend_name(self._backend) if self._backend is not None else None,
            timeout_message(self.timeout),
        )


def startup_failure(exc: Exception) -> str:
    """Why the keyring backend could not start, and what to do when that is known.

    Nothing has been stored or read yet, so the exception cannot hold a key:
    its first line is shown (keyring's reasons are short and useful).
    """
    detail = str(exc).splitlines()[0][:200] if str(exc) else ""
    message = f"the keyring could not start: {type(exc).__name__}" + (
        f": {detail}" if detail else ""
    )
    # keyrings.alt's EncryptedKeyring raises RuntimeError('pycryptodome/x required').
    package = "pycryptodome" if "pycryptodome" in detail.lower() else None
    if isinstance(exc, ModuleNotFoundError):
        package = exc.name
    if package:
        message += (
            f" (this backend needs the optional package {package}, which is not installed: "
            f"install it into provreg's environment, or choose another backend). "
            f"{NO_KEYRING_OPTIONS}"
        )
    return message


def _backend_failure(what: str, backend: Any, exc: Exception, secret: str | None) -> SecretError:
    """One typed error for whatever a backend raised (KeyringLocked, InitError, D-Bus ...)."""
    # The type and first line are enough; a value the backend was handed is cut out.
    detail = str(exc).splitlines()[0][:200] if str(exc) else ""
    if secret and secret in str(exc):
        detail = "(details withheld: they quote the key)"
    return SecretBackendError(
        f"the keyring ({backend_name(backend)}) failed to {what}: "
        f"{type(exc).__name__}{': ' + detail if detail else ''}"
    )
