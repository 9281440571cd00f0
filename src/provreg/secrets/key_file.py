"""Reading a key from a `{file: PATH}` reference, refusing what is not a key file.

A reference can name any path, so the file is checked on the opened
descriptor: a regular file (a FIFO would block, a device never end), not
readable by group or others, at most 64 KiB of UTF-8 text with no NUL byte
(`/proc/self/environ` is a regular file full of them).
"""

from __future__ import annotations

import os
import stat

from provreg.model import SecretRef
from provreg.secrets.errors import InsecureSecretFileError, SecretError, SecretMissingError

MAX_FILE_KEY_BYTES = 64 * 1024
"""A key is a line of text; a bigger file is not a key file (and is not read whole)."""


def read_key_file(instance_id: str, field: str, ref: SecretRef) -> str:
    """The key in a `{file: PATH}`: a regular file, private to the user, one line.

    Raises:
        SecretMissingError: absent, empty, unreadable, not a regular file, too big.
        InsecureSecretFileError: readable by group or others.
        SecretError: it holds a NUL byte.
    """
    assert ref.name is not None
    path = os.path.expanduser(ref.name)

    def missing(hint: str) -> SecretMissingError:
        return SecretMissingError(instance_id, field, f"the file {path}", hint)

    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; the type is
        # checked on the opened descriptor, so a swap after a stat cannot fool it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise missing("create it with the key as its only content") from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "the path holds a NUL byte"
        raise missing(f"it cannot be read ({reason})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise missing(f"it is not a regular file ({_file_type(info.st_mode)})")
        if info.st_mode & (stat.S_IRGRP | stat.S_IROTH):
            raise InsecureSecretFileError(
                f"{instance_id}.{field}: {path} is readable by group or others "
                f"(mode {stat.S_IMODE(info.st_mode):04o}); run `chmod 600 {path}`"
            )
        try:
            data = os.read(fd, MAX_FILE_KEY_BYTES + 1)
        except OSError as exc:
            raise missing(f"it cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_KEY_BYTES:
        raise missing(f"it is over {MAX_FILE_KEY_BYTES // 1024} KiB, so it is not a key file")
    try:
        value = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise missing("it is not UTF-8 text") from None
    if not value:
        raise missing("the file is empty")
    refuse_nul(instance_id, field, ref, value)
    return value


def refuse_nul(instance_id: str, field: str, ref: SecretRef, value: str) -> None:
    if "\x00" in value:
        # No program can take it (exec's environment, an HTTP header), and no real
        # key holds one: the reference points at something else (/proc/self/environ).
        raise SecretError(
            f"{instance_id}.{field}: the value in {ref.describe()} holds a NUL byte, "
            "so it is not a key"
        )


def _file_type(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a plain file"
