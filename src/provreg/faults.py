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
