"""Where provreg looks for config and keeps its state, by precedence.

Command line > environment (`PROVREG_CONFIG`) > the user config dir.
Nothing here runs at import time; directories are created by their users.
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
