"""Reading a key from a `{command: ...}` reference: run a program, take its stdout.

The program runs with no shell (the argv as written), its standard input
closed (/dev/null) and in a new session, so it has no controlling terminal
and cannot prompt; `interactive: true` lets it use the terminal when the
caller allows it (the CLI only). It runs under its timeout; on timeout its
whole process group is killed. An interactive program inherits provreg's stdin
and stderr (its prompts are the user's to see) when stdin is a terminal.
Its standard output, stripped of surrounding
white space, is the key. Any failure names the instance, the field and the
program, with the first line of its standard error after redaction (a
secret manager may echo the key there).

Before anything runs, the config file that declared the reference must be
the user's own and writable by no one else (`command_refusal`).
"""

from __future__ import annotations

import os
import signal
import subprocess

from provreg.config.read.path_checks import command_refusal
from provreg.model import SecretRef
from provreg.secrets.errors import SecretCommandError
from provreg.secrets.redaction import redact_message

DEFAULT_COMMAND_TIMEOUT = 10.0
MAX_OUTPUT_BYTES = 64 * 1024
"""A key is a line of text; more output is not a key."""
MAX_SHOWN_STDERR = 200


def command_timeout(ref: SecretRef) -> float:
    return ref.timeout if ref.timeout is not None else DEFAULT_COMMAND_TIMEOUT


def refuse_unsafe_source(
    instance_id: str, field: str, ref: SecretRef, config_file: str | None
) -> None:
    """Raise unless the config file that declared `ref` may run commands.

    Raises:
        SecretCommandError
    """
    reason: str | None = "comes from no known config file"
    if config_file is not None:
        reason = command_refusal(os.path.abspath(os.path.expanduser(config_file)))
    if reason is not None:
        raise SecretCommandError(
            instance_id,
            field,
            ref.program,
            f"was not run: {reason} (a file others can write must not run programs)",
        )


def run_command(
    instance_id: str,
    field: str,
    ref: SecretRef,
    config_file: str | None,
    *,
    allow_terminal: bool = False,
) -> str:
    """The key a command reference prints (blocking; call from a worker thread).

    Raises:
        SecretCommandError: refused, program missing, timeout, non-zero exit,
            empty or oversized output, not UTF-8.
    """
    refuse_unsafe_source(instance_id, field, ref, config_file)
    program = ref.program
    timeout = command_timeout(ref)
    # Only with a terminal on provreg's stdin: otherwise `interactive` would hand the
    # program whatever is piped in (`... | provreg exec ID -- cmd`), meant for `cmd`.
    interactive = ref.interactive and allow_terminal and _stdin_is_terminal()

    def failed(what: str) -> SecretCommandError:
        return SecretCommandError(instance_id, field, program, what)

    argv = list(ref.argv)
    argv[0] = os.path.expanduser(argv[0])
    try:
        process = subprocess.Popen(  # noqa: S603 - the argv is the user's own config, no shell
            argv,
            stdin=None if interactive else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=None if interactive else subprocess.PIPE,
            start_new_session=not interactive,
            close_fds=True,
        )
    except FileNotFoundError:
        raise failed("was not found (is it installed and on PATH?)") from None
    except PermissionError:
        raise failed("cannot be run (permission denied)") from None
    except OSError as exc:
        raise failed(f"cannot be run ({exc.strerror or type(exc).__name__})") from None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(process, group=not interactive)
        raise failed(f"did not finish within {timeout:g} s and was stopped") from None
    text = stdout[: MAX_OUTPUT_BYTES + 1].decode("utf-8", errors="replace")
    value = text.strip()
    if process.returncode != 0:
        how = (
            f"was killed by signal {-process.returncode}"
            if process.returncode < 0
            else f"failed (exit status {process.returncode})"
        )
        raise failed(how + _first_line(stderr, value))
    if len(stdout) > MAX_OUTPUT_BYTES:
        raise failed(f"printed over {MAX_OUTPUT_BYTES // 1024} KiB, so its output is not a key")
    try:
        value = stdout.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise failed("printed something that is not UTF-8 text, so it is not a key") from None
    if not value:
        raise failed("printed nothing on standard output" + _first_line(stderr, ""))
    if "\x00" in value:
        raise failed("printed a NUL byte, so its output is not a key")
    return value


def _stdin_is_terminal() -> bool:
    try:
        return os.isatty(0)
    except OSError:
        return False


def _first_line(stderr: bytes | None, value: str) -> str:
    """`: <first line of stderr>`, redacted and printable, or nothing."""
    if not stderr:
        return ""
    text = stderr[:4096].decode("utf-8", errors="replace")
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    line = "".join(ch if ch.isprintable() else "?" for ch in line)
    # Redacted before it is cut: a cut could leave a prefix of the key unmatched.
    line = redact_message(line, value)
    if len(line) > MAX_SHOWN_STDERR:
        line = line[:MAX_SHOWN_STDERR] + "…"
    return f": {line}" if line else ""


def _kill(process: subprocess.Popen[bytes], *, group: bool) -> None:
    """Stop the program and whatever it started (its process group), and reap it."""
    try:
        if group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.communicate(timeout=2)
    except (subprocess.TimeoutExpired, OSError, ValueError):
        # A descendant that left the group still holds the pipes: do not wait on it.
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        try:
            process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            pass
