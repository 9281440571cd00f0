"""Child of test_lock: take the write lock of PATH, say "locked", hold it until
a line arrives on stdin (or until killed), then say "released"."""

from __future__ import annotations

import sys

from provreg.storage.lock import file_write_lock


def main() -> None:
    with file_write_lock(sys.argv[1], timeout=5.0):
        print("locked", flush=True)
        sys.stdin.readline()
    print("released", flush=True)


if __name__ == "__main__":
    main()
