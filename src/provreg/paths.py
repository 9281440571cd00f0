"""Where provreg looks for config and keeps its state, by precedence.

Command line > environment (`PROVREG_CONFIG`) > the user config dir.
Nothing here runs at import time; directories are created by their users,
through `make_private_dirs`: provreg's state (the audit log, the keyring
index, the write locks) is nobody else's business, so its directories are 0700.
"""

from __future__ import annotations

import os

APP_NAME = "provreg"
CONFIG_ENV = "PROVREG_CONFIG"


ENV_YES = ("1", "true", "yes", "on")
ENV_NO = ("", "0", "false", "no", "off")


def env_flag(name: str, *, unknown: bool = False) -> bool:
    """A yes/no environment variable: 1, true, yes, on mean yes; unset, empty, 0,
    false, no, off mean no (any case).

    Any other value (`PROVREG_ALLOW_INSECURE_KEYRING=maybe`) is `unknown`: each
    caller passes the safer reading, so a typo never opts in to something risky.
    """
    raw = os.environ.get(name, "").strip().lower()
    if raw in ENV_YES:
        return True
    if raw in ENV_NO:
        return False
    return unknown


def env_flag_is_unclear(name: str) -> bool:
    """Set to something that is neither a yes nor a no (worth saying so)."""
    return os.environ.get(name, "").strip().lower() not in ENV_YES + ENV_NO


def default_config_paths() -> list[str]:
    """`$PROVREG_CONFIG` (os.pathsep-separated), else the platform's user config dir."""
    from_env = os.environ.get(CONFIG_ENV, "").strip()
    if from_env:
        return [part for part in from_env.split(os.pathsep) if part]
    return [user_config_dir()]


def user_config_dir() -> str:
    import platformdirs

    return platformdirs.user_config_dir(APP_NAME, appauthor=False)


def user_state_dir() -> str:
    import platformdirs

    return platformdirs.user_state_dir(APP_NAME, appauthor=False)


def user_lock_dir() -> str:
    """Where the write locks live: the user runtime dir (`$XDG_RUNTIME_DIR`,
    cleared at logout) when there is one, else `run/` in the state dir; never
    in a watched config dir (taking a lock must not be a file event there)."""
    import platformdirs

    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base = (
        platformdirs.user_runtime_dir(APP_NAME, appauthor=False)
        if runtime
        else os.path.join(user_state_dir(), "run")
    )
    return os.path.join(base, "locks")


def make_private_dirs(path: str) -> None:
    """Create `path` and its missing parents inside provreg's own directory
    (a component named `provreg`) with mode 0700; parents above it (such as
    `~/.local/state`) are created as usual. `os.makedirs(mode=...)` gives the
    mode to the last directory only, so the app directory itself came out 0755
    when a deeper one (`run/locks`) was created first."""
    path = os.path.abspath(path)
    if os.path.isdir(path):
        return
    parts = path.split(os.sep)
    own = len(parts) - 1 - parts[::-1].index(APP_NAME) if APP_NAME in parts else len(parts) - 1
    outer = os.sep.join(parts[:own]) or os.sep
    os.makedirs(outer, exist_ok=True)
    for end in range(own + 1, len(parts) + 1):
        try:
            os.mkdir(os.sep.join(parts[:end]), 0o700)
        except FileExistsError:
            continue
