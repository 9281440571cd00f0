"""Which keyring backends provreg accepts, and the message when it refuses one.

Refused always: keyring's `fail` and `null` backends (there is no keyring).
Refused unless opted in: keyrings.alt backends (plaintext files, or ones that
prompt for a password on the terminal, which would hang the dashboard).
"""

from __future__ import annotations

import os
from typing import Any

from provreg.paths import env_flag, env_flag_is_unclear

ALLOW_INSECURE_ENV = "PROVREG_ALLOW_INSECURE_KEYRING"

NO_KEYRING_OPTIONS = (
    "Options: run a Secret Service (gnome-keyring or KeePassXC; over SSH start one with "
    "`dbus-run-session -- sh` and `gnome-keyring-daemon --unlock`), or reference keys with "
    "{env: VAR} or {file: PATH} in the YAML instead. See docs/secrets.md."
)
WHAT_TO_DO = NO_KEYRING_OPTIONS.replace(
    " See docs/secrets.md.",
    f" Or opt in to this backend with {ALLOW_INSECURE_ENV}=1. See docs/secrets.md.",
)


def backend_name(backend: Any) -> str:
    """`keyring.backends.SecretService.Keyring`; for a chainer, the backends it chains."""
    leaves = [leaf for leaf in _leaves(backend) if not _is_unusable(leaf)]
    if len(leaves) == 1 or (leaves and leaves[0] is not backend):
        names = [_class_name(leaf) for leaf in leaves]
        return names[0] if len(names) == 1 else " + ".join(names)
    return _class_name(backend)


def _class_name(backend: Any) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _leaves(backend: Any) -> list[Any]:
    # isinstance, not the class name: a subclass of keyring's chainer (a plugin's,
    # or one with a fixed list) chains too, and was passed through whole, so its
    # get_password fell through to a plaintext backend the user never opted in to.
    from keyring.backends.chainer import ChainerBackend

    if isinstance(backend, ChainerBackend):
        return list(backend.backends)
    return [backend]


def _is_unusable(backend: Any) -> bool:
    module = type(backend).__module__
    return module in ("keyring.backends.fail", "keyring.backends.null")


def _is_insecure(backend: Any) -> bool:
    return type(backend).__module__.startswith("keyrings.alt")


def without_options(message: str) -> str:
    """A refusal without its list of options: for a table cell or a detail line,
    where the options (docs/secrets.md, `provreg secret status`) do not fit."""
    return message.split(" Options:")[0].rstrip(".")


def allow_insecure_from_env() -> bool:
    return env_flag(ALLOW_INSECURE_ENV)


def refusal(backend: Any, allow_insecure: bool) -> str | None:
    """Why `backend` must not be used, or None when it is acceptable."""
    leaves = [leaf for leaf in _leaves(backend) if not _is_unusable(leaf)]
    if not leaves:
        return (
            f"no usable keyring backend (keyring chose {backend_name(backend)}). "
            f"{NO_KEYRING_OPTIONS}"
        )
    if all(_is_insecure(leaf) for leaf in leaves) and not allow_insecure:
        unclear = (
            f" ({ALLOW_INSECURE_ENV}={os.environ.get(ALLOW_INSECURE_ENV, '')!r} is neither a yes "
            "nor a no, so it counts as no)"
            if env_flag_is_unclear(ALLOW_INSECURE_ENV)
            else ""
        )
        return (
            f"the keyring backend {backend_name(leaves[0])} is not secure (plaintext or "
            f"terminal prompts), so provreg refuses it{unclear}. {WHAT_TO_DO}"
        )
    return None


def choose_backend(backend: Any, allow_insecure: bool) -> Any:
    """The one backend to use: a chainer's best acceptable leaf, else `backend` itself."""
    leaves = [leaf for leaf in _leaves(backend) if not _is_unusable(leaf)]
    if not allow_insecure:
        leaves = [leaf for leaf in leaves if not _is_insecure(leaf)]
    if not leaves or (len(leaves) == 1 and leaves[0] is backend):
        return backend
    return max(leaves, key=lambda leaf: getattr(leaf, "priority", 0))
