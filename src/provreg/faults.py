"""Named crash points for the reliability suite: kill -9 at an exact step.

`reach("write:after-temp")` does nothing unless `$PROVREG_KILL_AT` names that
point, in which case the process sends itself SIGKILL there: no `finally`,
no atexit, no flush, exactly what a power cut or an OOM kill does. The suite
(tests/reliability/) runs a CLI command once per point and checks what the
files, the audit log and the keyring look like afterwards. The variable is
read at each point (a few ns; points sit on write paths only), so nothing
happens at import time and a normal run never pays more than a dict lookup.
"""

from __future__ import annotations

import os
import signal

KILL_AT_ENV = "PROVREG_KILL_AT"


def reach(point: str) -> None:
    """Die here, as if killed -9, when `$PROVREG_KILL_AT` is `point`."""
    if os.environ.get(KILL_AT_ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)


# The points on the write path of a config file, in the order a write reaches
# them. Code and tests name them through these constants only, so a renamed
# point cannot leave a test waiting for a kill that never comes.
WRITE_BEFORE_TEMP = "write:before-temp"
"""Nothing written yet (the lock is held)."""
WRITE_AFTER_TEMP = "write:after-temp"
"""The temp file is complete and fsynced; the config file is untouched."""
AUDIT_AFTER_INTENT = "audit:after-intent"
"""The audit log holds the write's intent; the rename has not happened."""
WRITE_AFTER_RENAME = "write:after-rename"
"""The config file holds the new bytes; the audit log has only the intent."""
AUDIT_AFTER_OUTCOME = "audit:after-outcome"
"""The audit log holds the change's line (its outcome): the write is complete."""

WRITE_PATH_POINTS = (
    WRITE_BEFORE_TEMP,
    WRITE_AFTER_TEMP,
    AUDIT_AFTER_INTENT,
    WRITE_AFTER_RENAME,
    AUDIT_AFTER_OUTCOME,
)
"""Every point a `provreg add`, `edit` or `rm` passes, in order."""

# The points of `provreg secret set`: the pin is recorded before the key is stored.
SECRET_SET_AFTER_PIN = "secret-set:after-pin"
"""The key's host is pinned in the index; the keyring does not hold the key yet."""
SECRET_SET_AFTER_STORE = "secret-set:after-store"
"""The keyring holds the key, with its pin."""
