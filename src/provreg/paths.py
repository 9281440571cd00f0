"""Where provreg looks for config and keeps its state, by precedence.

Command line > environment (`PROVREG_CONFIG`) > the user config dir.
Nothing here runs at import time; directories are created by their users.
"""

from __future__ import annotations

import os

APP_NAME = "provreg"
CONFIG_ENV = "PROVREG_CONFIG"


def env_flag(name: str) -> bool:
    """A yes/no environment variable: unset, empty, 0, false and no mean no."""
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


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
