"""Child of test_atomic's SIGKILL test: write contents A and B alternately, forever.

Usage: _kill_writer.py PATH SIZE. Prints "ready" once the loop is about to start.
Loads `provreg/storage/atomic.py` by file path: it imports only the standard
library, and skipping the package `__init__` (which loads the whole storage
layer) keeps each of the 20 spawns at a few tens of milliseconds.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from types import ModuleType

import provreg


def _load_atomic() -> ModuleType:
    path = os.path.join(os.path.dirname(provreg.__file__), "storage", "atomic.py")
    spec = importlib.util.spec_from_file_location("provreg_atomic_child", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def contents(letter: str, size: int) -> bytes:
    """Must match test_atomic._contents."""
    header = f"version: 1\nproviders: []\n# contents {letter}\n".encode()
    line = b"# " + letter.encode() * 76 + b"\n"
    return header + line * (size // len(line))


def main() -> None:
    path, size = sys.argv[1], int(sys.argv[2])
    atomic = _load_atomic()
    both = [contents("B", size), contents("A", size)]
    print("ready", flush=True)
    i = 0
    while True:
        atomic.atomic_write(path, both[i % 2])
        i += 1


if __name__ == "__main__":
    main()
