"""Benchmark the dashboard against the targets of issue 6: paint, edit and keypress latency.

Run from the repository root:

    uv run python benchmarks/bench_tui.py            # the numbers in docs/performance.md
    uv run python benchmarks/bench_tui.py --quick    # fewer runs, edits and keypresses
    uv run python benchmarks/bench_tui.py --profile  # plus cProfile of the fill and of edits

Data (deterministic, bench_check.py's generator) goes to benchmarks/.data/tui/
(git-ignored, not /tmp): a copy of sample_configs, and 10,000 instances in 100
files (100 per file). It measures:

0. First rows, what a user waits for: from just before the spawn to the first
   instance name on screen, in a real terminal (a tmux server on its own
   socket, `tmux -L`, 120x40; `capture-pane -p` polled every ~5 ms), for
   `provreg PATH` and, in the same run and alternating with it, a minimal
   Textual app (Header, a DataTable of 8 rows, Footer; a script the benchmark
   writes) as the baseline: medians and their ratio.
   With valgrind installed, also the instructions each executes from the start
   of the interpreter to its first paint (callgrind's count, in a pty of the
   same size; each process exits at its first paint): a count that other load
   on the machine does not change, where the wall-clock times above do.

1. The real `provreg PATH` executable in a real pseudo-terminal (120x40,
   TERM=xterm-256color), bytecode cached in a private PYTHONPYCACHEPREFIX filled
   by an untimed run, median of --runs runs after a warm-up:
   - first paint: when the terminal receives the header text ("provreg " and
     the path), from just before the process is spawned;
   - full table: the app's "table-full" mark, written when PROVREG_BENCH_MARKS
     names a file (ProvregApp._bench_mark; off by default) once every row has
     been added and the screen repainted. Marks are time.perf_counter() values,
     CLOCK_MONOTONIC, which processes share on Linux;
   - the process's CPU time (/proc/PID/stat) at both, which other load on the
     machine inflates much less than the wall-clock times.
   In the last 10,000-instance run, in the same terminal: single keypresses
   (down, page down; 150-300 ms apart) from writing the escape sequence to the
   first output (the table's repaint) and to the screen settling (the detail
   pane too); a held key (auto-repeat at 30/s) and how long after the last
   press the screen settles; and edits of rows on screen (one default_model
   rewritten in place: open "w", write, close) from close() to the new value
   arriving on the terminal.
2. In-process, `app.run_test(size=(120, 40))` with the sync engine running, the
   same edits from close() to the store commit and to the screen refreshed
   after the table cell changed (`Widget.wait_for_refresh`), with the CPU time
   of the whole process meanwhile; --edits edits after 5 warm-ups, 150-300 ms
   apart (seeded). Afterwards, every row is checked against one computed afresh.
3. In-process, keypress to repaint while scrolling 10,000 rows: a Key event
   posted to the app until the cursor moved (handled) and the screen refreshed
   after it, for single presses and for a held key (each press as soon as the
   last one repainted); and `pilot.press` alone and `pilot.press` +
   `pilot.pause`, which include Pilot's own idle waits (2 x 20 ms or more in
   press, 20 ms more in pause): upper bounds, for comparison.
4. Scale (`--part scale`; in `all` too): 1,000, 10,000 and 50,000 instances
   (`--sizes`), and 100,000 with `--with-100k` (slow: tens of seconds a run),
   100 per file. Per size, in tmux as in 0. (medians of --runs runs after a
   warm-up): first rows (spawn to the first instance name on screen), full
   table (the "table-full" mark), the registry open ("open-start" to
   "loaded") and the rest (secrets index, rows, repaint), and RSS at the full
   table; then in a child process (`app.run_test`, the app idle) keypress to
   repaint with CPU time: down, page down, end, `/` and keys typed into the
   filter. Each with its target and its ratio to its baseline in the same run:
   first rows at 1,000 against the minimal Textual app's, larger sizes against
   1,000's; RSS growth per instance against the growth to 10,000 (linear).
   `--base-src DIR` times another tree's code too, first on PYTHONPATH,
   alternating with this one's: before/after (`git archive main src themes |
   tar -x -C /tmp/base`, then `--base-src /tmp/base/src`: the themes beside it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import fcntl
import gc
import html
import io
import os
import pstats
import random
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _generate import DATA_ROOT, isolate_user_dirs, machine, make_set, ms, percentile, verdict
from bench_check import cached_bytecode_env
from bench_scale import FLOOR_SCRIPT

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = DATA_ROOT / "tui"
BIN_DIR = Path(sys.executable).parent
SEED = 20240606
SIZE = (120, 40)
BIG = ("10k-100f", 10_000, 100)

FIRST_PAINT_TARGET = 0.6
FULL_TABLE_TARGET = 2.0
EDIT_TARGET = 0.100
KEY_TARGET = 0.050
FIRST_ROWS_RATIO = {"sample": 1.25, "10k": 2.0}
"""First rows within this many times the minimal Textual app's (issue 12)."""

KEYS = {"down": b"\x1b[B", "pagedown": b"\x1b[6~", "ctrl+home": b"\x1b[1;5H"}
HOLD_INTERVAL = 1 / 30  # a held key's auto-repeat (X11 and macOS default to 25-30 per second)
ANSI = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]")


# --------------------------------------------------------------------------- environment


def isolate(data_dir: Path) -> None:
    """User dirs and keyring inside the data dir (as the dashboard tests do), so a
    run never reads or writes the user's own provreg state or keys."""
    isolate_user_dirs(data_dir)
    data_home = data_dir / "xdg" / "xdg_data_home"
    data_home.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ["XDG_DATA_HOME"] = str(data_home)
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
    os.environ["PROVREG_ALLOW_INSECURE_KEYRING"] = "1"
    os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
    os.environ.pop("PROVREG_READ_ONLY", None)


def sample_set() -> Path:
    """A fresh copy of sample_configs (the README's first command), never the repo's own."""
    target = DATA_DIR / "sample"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(REPO_ROOT / "sample_configs", target)
    return target


def relative(path: Path) -> str:
    return os.path.relpath(path, REPO_ROOT)


# --------------------------------------------------------------------------- 0. first rows (tmux)

MINIMAL_APP = '''\
"""Baseline for bench_tui.py's first rows: a minimal Textual app, written by the benchmark."""
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header

ROWS = {rows!r}


class Minimal(App[None]):
    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable()
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Name", "Provider", "Default model", "File:line")
        table.add_rows(ROWS)


Minimal().run()
'''
"""The issue's baseline: Header, a DataTable of 8 rows and a Footer."""


def minimal_app_script() -> Path:
    rows = [
        ("Work OpenAI", "openai", "gpt-4.1", "providers/hosted.yaml:8"),
        ("Personal Anthropic", "anthropic", "claude-sonnet-4-5", "providers/hosted.yaml:16"),
        ("Gemini (free tier)", "google-gemini", "gemini-2.5-flash", "providers/hosted.yaml:21"),
        ("Local Ollama", "ollama", "llama3.2", "providers/local.yaml:6"),
        ("GPU box (vLLM)", "openai-compatible", "acme/support-llama-8b", "providers/local.yaml:14"),
        ("ACME gateway", "acme-gateway", "gpt-4.1", "team/gateway.yaml:20"),
        ("ACME gateway (research", "acme-gateway", "claude-sonnet-4-5", "team/gateway.yaml:26"),
        ("Team OpenRouter", "openrouter", "openrouter/auto", "team/gateway.yaml:34"),
    ]
    script = DATA_DIR / "minimal_app.py"
    script.write_text(MINIMAL_APP.format(rows=rows))
    return script


PROVREG_TO_FIRST_PAINT = """\
import os
import sys

from provreg.cli import main
from provreg.tui.app import ProvregApp


def mark(self, name):
    if name == "first-paint":  # ProvregApp's own mark, after its first refresh
        os._exit(0)


ProvregApp._bench_mark = mark
sys.argv = ["provreg", *sys.argv[1:]]
main()
"""
"""Runs provreg until its first paint (its own mark, after the first refresh), then
exits: for callgrind. The minimal app's copy exits at the same point."""


def instructions_to_first_paint(command: list[str], env: dict[str, str]) -> int:
    """Instructions executed by `command` (under callgrind) until it exits."""
    master, slave = os.openpty()
    cols, rows = SIZE
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    out = DATA_DIR / "callgrind.txt"
    process = subprocess.Popen(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            f"--log-file={out}",
            *command,
        ],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**env, "TERM": "xterm-256color"},
        cwd=REPO_ROOT,
        start_new_session=True,
    )
    os.close(slave)
    try:
        while process.poll() is None:  # drain the terminal, or the app blocks writing
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                with contextlib.suppress(OSError):
                    os.read(master, 1 << 16)
    finally:
        os.close(master)
    match = re.search(r"Collected : (\d+)", out.read_text())
    if match is None:
        raise SystemExit(f"callgrind gave no count: {out.read_text()[-500:]}")
    return int(match.group(1))


def bench_first_paint_instructions(sample: Path, env: dict[str, str]) -> None:
    if shutil.which("valgrind") is None:
        print("  instructions to first paint: valgrind not found, skipped")
        return
    provreg = DATA_DIR / "first_paint_provreg.py"
    provreg.write_text(PROVREG_TO_FIRST_PAINT)
    minimal = DATA_DIR / "first_paint_minimal.py"
    minimal.write_text(
        minimal_app_script()
        .read_text()
        .replace("from textual.app", "import os\nfrom textual.app", 1)
        .replace(
            "        table.add_rows(ROWS)\n",
            "        table.add_rows(ROWS)\n        self.call_after_refresh(os._exit, 0)\n",
        )
    )
    with timed("instructions"):
        ours = instructions_to_first_paint([sys.executable, str(provreg), relative(sample)], env)
        base = instructions_to_first_paint([sys.executable, str(minimal)], env)
    print(
        f"  instructions to first paint (callgrind), sample_configs: provreg {ours / 1e6:,.0f} M; "
        f"minimal app {base / 1e6:,.0f} M; ratio {ours / base:.2f}x"
    )


def first_instance_name(root: Path) -> str:
    """The name on the table's first row: the first instance of the first file in
    the table's order (files sorted by path)."""
    for path in sorted(root.rglob("*.yaml")):
        # An instance under providers:, not a custom definition under definitions:.
        providers = path.read_text().partition("\nproviders:\n")[2]
        match = re.search(r"^    name: (.+)$", providers, re.MULTILINE)
        if match:
            return match.group(1).strip()
    raise SystemExit(f"no instance name in {root}")


class Tmux:
    """A tmux server on its own socket (`tmux -L`), never the user's default one.

    Each run is a new window whose command is the process under test, so the
    terminal is a real one (tmux's own emulator) and what counts is what
    `capture-pane -p` shows, as a user would see it.
    """

    def __init__(self, env: dict[str, str]) -> None:
        self.socket = f"provreg-bench-{os.getpid()}"
        self.env = {**env, "TERM": "xterm-256color"}
        self.env.pop("TMUX", None)
        cols, rows = SIZE
        # The idle first window keeps the server up between runs.
        self.tmux(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "bench",
            "-x",
            str(cols),
            "-y",
            str(rows),
            "sleep",
            "86400",
        )
        self.tmux("set-option", "-g", "default-terminal", "tmux-256color")
        self.tmux("set-option", "-g", "remain-on-exit", "off")

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            env=self.env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def time_to_text(self, command: list[str], text: str, timeout: float = 30) -> float | None:
        """Seconds from just before the spawn until `text` is on the pane, or None."""
        start = time.perf_counter()
        pane = self.tmux("new-window", "-d", "-P", "-F", "#{pane_id}", "-t", "bench", *command)
        pane = pane.strip()
        try:
            while time.perf_counter() - start < timeout:
                try:
                    screen = self.tmux("capture-pane", "-p", "-t", pane)
                except subprocess.CalledProcessError:  # the window closed: the process exited
                    return None
                if text in screen:
                    return time.perf_counter() - start
                time.sleep(0.005)
            return None
        finally:
            with contextlib.suppress(subprocess.CalledProcessError):
                self.tmux("kill-window", "-t", pane)

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            socket = self.tmux("display-message", "-p", "#{socket_path}").strip()
            self.tmux("kill-server")  # this socket's server only (-L)
            # tmux leaves the socket file behind: one per run would pile up.
            Path(socket).unlink(missing_ok=True)


def bench_first_rows(sample: Path, big: Path, args: argparse.Namespace) -> None:
    print("0. first rows: spawn to the first instance name on screen (tmux, capture-pane)")
    if shutil.which("tmux") is None:
        print("  tmux not found: skipped")
        return
    env = cached_bytecode_env(DATA_DIR)
    minimal = [sys.executable, str(minimal_app_script())]
    sets = [("sample_configs", sample), (f"{BIG[1]:,} instances in {BIG[2]} files", big)]
    tmux = Tmux(env)
    try:
        with timed("first rows"):
            for label, root in sets:
                provreg = [str(BIN_DIR / "provreg"), relative(root)]
                name = first_instance_name(root)
                # Warm-ups fill the .pyc and page caches; runs alternate so a busy
                # moment of the machine hits both.
                tmux.time_to_text(provreg, name)
                tmux.time_to_text(minimal, "Work OpenAI")
                times: dict[str, list[float]] = {"provreg": [], "minimal": []}
                for _ in range(args.runs):
                    for key, command, text in (
                        ("provreg", provreg, name),
                        ("minimal", minimal, "Work OpenAI"),
                    ):
                        elapsed = tmux.time_to_text(command, text)
                        if elapsed is None:
                            raise SystemExit(f"first rows, {label}, {key}: {text!r} never shown")
                        times[key].append(elapsed)
                ours, base = (statistics.median(times[k]) for k in ("provreg", "minimal"))
                limit = FIRST_ROWS_RATIO["10k" if root == big else "sample"]
                print(
                    f"  {label}: provreg median {ms(ours, 0)} (min {ms(min(times['provreg']), 0)}"
                    f", max {ms(max(times['provreg']), 0)}); minimal app median {ms(base, 0)} "
                    f"(min {ms(min(times['minimal']), 0)}, max {ms(max(times['minimal']), 0)}); "
                    f"ratio {ours / base:.2f}x   target <= {limit}x "
                    f"[{verdict(ours / base, limit)}]"
                )
    finally:
        tmux.close()
    bench_first_paint_instructions(sample, env)


# --------------------------------------------------------------------------- 1. the real process


@dataclass
class ProcessRun:
    first_paint: float | None = None
    marks: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    """CPU time (user + system, all threads) of the process when each was seen."""
    keys: dict[str, list[float]] = field(default_factory=dict)
    settled: dict[str, list[float]] = field(default_factory=dict)
    held: dict[str, float] = field(default_factory=dict)
    edits: list[float] = field(default_factory=list)
    edits_missed: int = 0
    error: str = ""


class Terminal:
    """`provreg PATH` on the slave side of a pty; we read the master side."""

    def __init__(self, path: str, env: dict[str, str], marks: Path) -> None:
        self.master, slave = os.openpty()
        cols, rows = SIZE
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = {**env, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows)}
        env["PROVREG_BENCH_MARKS"] = str(marks)
        self.marks = marks
        self.start = time.perf_counter()
        self.process = subprocess.Popen(
            [str(BIN_DIR / "provreg"), path],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=REPO_ROOT,
            start_new_session=True,
        )
        os.close(slave)
        self.screen = bytearray()  # everything received, escape sequences removed

    def read(self, timeout: float) -> tuple[bytes, float]:
        """One chunk of output (b"" on timeout) and when it arrived."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return b"", time.perf_counter()
        try:
            chunk = os.read(self.master, 1 << 16)
        except OSError:  # the child closed the terminal
            chunk = b""
        now = time.perf_counter()
        self.screen += ANSI.sub(b"", chunk)
        return chunk, now

    def wait_for_text(self, text: bytes, deadline: float) -> float | None:
        while time.perf_counter() < deadline and self.process.poll() is None:
            _, now = self.read(0.05)
            if text in self.screen:
                return now - self.start
        return None

    def cpu(self) -> float:
        """User + system CPU seconds of the child so far (/proc, 10 ms resolution)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def read_marks(self) -> dict[str, float]:
        if not self.marks.exists():
            return {}
        marks: dict[str, float] = {}
        for line in self.marks.read_text().splitlines():
            name, value = line.split()
            marks.setdefault(name, float(value) - self.start)
        return marks

    def wait_for_mark(self, name: str, deadline: float) -> dict[str, float]:
        while time.perf_counter() < deadline and self.process.poll() is None:
            self.read(0.02)
            marks = self.read_marks()
            if name in marks:
                return marks
        return self.read_marks()

    def quiet(self, seconds: float, deadline: float) -> float:
        """Read until nothing arrives for `seconds`; return when the last chunk came."""
        last = time.perf_counter()
        while time.perf_counter() < deadline:
            chunk, now = self.read(seconds)
            if not chunk:
                return last
            last = now
        return last

    def key(self, sequence: bytes) -> tuple[float, float] | None:
        """From writing a key to the first output it causes (the table's repaint)
        and to the last before 50 ms of quiet (the detail pane's too)."""
        sent = time.perf_counter()
        os.write(self.master, sequence)
        chunk, first = b"", sent
        while not chunk and time.perf_counter() - sent < 2:
            chunk, first = self.read(2)
        if not chunk:
            return None
        return first - sent, self.quiet(0.05, sent + 5) - sent

    def hold(self, sequence: bytes, count: int, interval: float) -> float:
        """Write `count` keys `interval` s apart (a held key's auto-repeat); return
        the time from the last key to the screen settling (50 ms of quiet)."""
        next_at = last = time.perf_counter()
        for _ in range(count):
            while (wait := next_at - time.perf_counter()) > 0:
                self.read(wait)
            os.write(self.master, sequence)
            last = time.perf_counter()
            next_at += interval
        chunk = b""
        while not chunk and time.perf_counter() - last < 2:
            chunk, _ = self.read(2)
        return self.quiet(0.05, last + 10) - last

    def edit(self, editor: ModelEditor, path: Path, line: int) -> float | None:
        """Rewrite one default_model in place; time from close() to the new value
        arriving on the terminal (None: not within 5 s)."""
        seen = len(self.screen)
        value, closed = editor.edit(path, line)
        while time.perf_counter() - closed < 5 and self.process.poll() is None:
            _, now = self.read(0.05)
            if value.encode() in self.screen[seen:]:
                return now - closed
        return None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self.master, b"q")
        deadline = time.perf_counter() + 10
        while self.process.poll() is None and time.perf_counter() < deadline:
            self.read(0.05)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(5)
        os.close(self.master)


def run_process(path: str, env: dict[str, str], key_presses: int = 0, edits: int = 0) -> ProcessRun:
    marks = DATA_DIR / "marks.txt"
    marks.unlink(missing_ok=True)
    term = Terminal(path, env, marks)
    result = ProcessRun()
    try:
        header = f"provreg {path}".encode()
        result.first_paint = term.wait_for_text(header, term.start + 30)
        result.cpu["first-paint"] = term.cpu()
        result.marks = term.wait_for_mark("table-full", term.start + 60)
        result.cpu["table-full"] = term.cpu()
        if "table-full" not in result.marks:
            tail = term.screen[-300:].decode(errors="replace")
            result.error = f"no table-full mark (exit {term.process.poll()}): {tail!r}"
            return result
        if key_presses:
            rng = random.Random(f"{SEED}-pty")
            term.quiet(0.5, time.perf_counter() + 10)
            for name, count in (("down", key_presses), ("pagedown", key_presses // 2)):
                first, settled = result.keys.setdefault(name, []), list[float]()
                result.settled[name] = settled
                for _ in range(count):
                    term.quiet(rng.uniform(0.15, 0.3), time.perf_counter() + 5)
                    elapsed = term.key(KEYS[name])
                    if elapsed is not None:
                        first.append(elapsed[0])
                        settled.append(elapsed[1])
            for name, count in (("down", 90), ("pagedown", 30)):
                term.quiet(0.3, time.perf_counter() + 5)
                result.held[name] = term.hold(KEYS[name], count, HOLD_INTERVAL)
        if edits:
            rng = random.Random(f"{SEED}-pty-edits")
            os.write(term.master, KEYS["ctrl+home"])  # the edited rows are the first ones
            targets = first_rows(REPO_ROOT / path, 15)
            editor = ModelEditor()
            for _ in range(edits):
                term.quiet(rng.uniform(0.15, 0.3), time.perf_counter() + 5)
                shown = term.edit(editor, *rng.choice(targets))
                if shown is None:
                    result.edits_missed += 1
                else:
                    result.edits.append(shown)
    finally:
        term.close()
    return result


def first_rows(root: Path, count: int) -> list[tuple[Path, int]]:
    """The first `count` instances of the first file (the rows on screen at the top
    of the table) that have a default_model line: (file, line of "  - id:")."""
    first = sorted(root.glob("*.yaml"))[0]
    lines = first.read_text().split("\n")
    starts = [i + 1 for i, text in enumerate(lines) if text.startswith("  - id: ")][:count]
    return [(first, line) for line in starts if has_model_line(first, line)]


def bench_process(
    label: str, path: Path, runs: int, key_presses: int = 0, edits: int = 0
) -> list[ProcessRun]:
    env = cached_bytecode_env(DATA_DIR)
    shown = relative(path)
    warm = run_process(shown, env)  # fills the .pyc cache and the page cache
    if warm.error:
        raise SystemExit(f"{label}: {warm.error}")
    results = []
    for index in range(runs):
        last = index == runs - 1
        result = run_process(shown, env, key_presses // 2 if last else 0, edits if last else 0)
        if result.error:
            raise SystemExit(f"{label}: {result.error}")
        results.append(result)
    return results


# --------------------------------------------------------------------------- 2./3. in-process


@dataclass
class InProcess:
    load: float = 0.0
    commit: list[float] = field(default_factory=list)
    painted: list[float] = field(default_factory=list)
    commit_to_painted: list[float] = field(default_factory=list)
    """The UI's share of an edit: from the store commit to the screen refreshed."""
    collections: dict[int, list[float]] = field(default_factory=dict)
    """Garbage collections during the timed edits: durations by generation."""
    missed: int = 0
    painted_cpu: list[float] = field(default_factory=list)
    shown_on_screen: bool = False
    rows_match: bool = False
    """After the edits, every row equals one computed afresh from the last state."""
    profile: str = ""
    keys: dict[str, list[float]] = field(default_factory=dict)
    keys_cpu: dict[str, list[float]] = field(default_factory=dict)
    handled: dict[str, list[float]] = field(default_factory=dict)
    pilot_press: dict[str, list[float]] = field(default_factory=dict)
    pilot_pause: dict[str, list[float]] = field(default_factory=dict)


class ModelEditor:
    """Rewrites one instance's default_model line in place (open "w", write, close)."""

    def __init__(self) -> None:
        self.texts: dict[Path, list[str]] = {}
        self.count = 0

    def edit(self, path: Path, line: int) -> tuple[str, float]:
        lines = self.texts.setdefault(path, path.read_text().split("\n"))
        index = line - 1  # the instance's first line ("  - id: ...")
        while not lines[index].startswith("    default_model: "):
            index += 1
            if lines[index].startswith("  - id: "):
                raise ValueError(f"{path}:{line} has no default_model line")
        self.count += 1
        # Short: notifications of earlier edits stack up over the right part of the
        # screen for 4 s and may hide the end of the "Default model" column.
        value = f"bm-{self.count:04d}"
        lines[index] = f"    default_model: {value}"
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines))
        return value, time.perf_counter()


def has_model_line(path: Path, line: int) -> bool:
    lines = path.read_text().split("\n")[line:]
    for text in lines:
        if text.startswith("  - id: "):
            return False
        if text.startswith("    default_model: "):
            return True
    return False


async def _until(condition: Any, timeout: float, step: float = 0.0) -> bool:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(step)
    return True


async def in_process(root: Path, args: argparse.Namespace, result: InProcess) -> None:
    from provreg.tui.app import ProvregApp
    from provreg.tui.widgets.providers_table import ProvidersTable

    rng = random.Random(f"{SEED}-edits")
    app = ProvregApp([str(root)], watch=True, audit=False)
    started = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ProvidersTable)
        if not await _until(lambda: table.row_count == BIG[1], 60, 0.005):
            raise SystemExit(f"in-process: the table has {table.row_count} rows after 60 s")
        await table.wait_for_refresh()
        result.load = time.perf_counter() - started
        await _until(lambda: getattr(app, "sync_engine", None) is not None, 10, 0.01)
        await asyncio.sleep(1.0)  # the engine's first scan and the secrets index settle

        # 3. scrolling first, from the top of the table: single presses (the app
        # idle before each), then a held key (each press as soon as the last repainted).
        for mode, count, gap in (
            ("single", args.keys // 2, (0.15, 0.3)),
            ("held", args.keys, (0.0, 0.0)),
        ):
            for name, n in (("down", count), ("pagedown", count // 2)):
                await scroll(app, table, f"{name}, {mode}", n, gap, rng, result)
        for name, count in (("down", args.keys // 2), ("pagedown", args.keys // 4)):
            press, pause = result.pilot_press.setdefault(name, []), list[float]()
            result.pilot_pause[name] = pause
            for index in range(count):
                start = time.perf_counter()
                await pilot.press(name)
                press.append(time.perf_counter() - start)
                if index % 2:
                    start = time.perf_counter()
                    await pilot.press(name)
                    await pilot.pause()
                    pause.append(time.perf_counter() - start)
        await pilot.press("ctrl+home")  # back to the top: the edits are of rows on screen
        await pilot.pause()
        if table.cursor_row != 0 or table.scroll_y != 0:
            raise SystemExit("in-process: ctrl+home did not go back to the top")
        await edits(app, table, args, rng, result)


async def scroll(
    app: Any,
    table: Any,
    label: str,
    count: int,
    gap: tuple[float, float],
    rng: random.Random,
    result: InProcess,
) -> None:
    """`count` presses of a key: post the Key event, wait until the cursor moved
    (handled) and until the screen refreshed after it (`wait_for_refresh`)."""
    from textual import events

    name = label.split(",")[0]
    keys, handled = result.keys.setdefault(label, []), result.handled.setdefault(label, [])
    cpu = result.keys_cpu.setdefault(label, [])
    for _ in range(count):
        if gap[1]:
            await asyncio.sleep(rng.uniform(*gap))
        before = table.cursor_row
        cpu_start = time.process_time()
        start = time.perf_counter()
        app.post_message(events.Key(name, None))
        if not await _until(lambda b=before: table.cursor_row != b, 5):
            raise SystemExit(f"in-process: {name} did not move the cursor")
        handled.append(time.perf_counter() - start)
        await table.wait_for_refresh()
        keys.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)


async def edits(
    app: Any,
    table: Any,
    args: argparse.Namespace,
    rng: random.Random,
    result: InProcess,
) -> None:
    """Edits of instances on screen, each from a settled app (150-300 ms apart)."""
    assert app.registry is not None and app.state is not None
    commits: list[float] = []
    app.registry.store.subscribe(lambda _state, _previous: commits.append(time.perf_counter()))
    visible = table.scrollable_content_region.height - 1  # minus the header row
    targets = []
    for instance_id in table.instance_ids[: max(1, visible - 1)]:
        instance = app.state.instances[instance_id]
        path = Path(instance.file)  # absolute, or relative to the cwd, as given
        if has_model_line(path, instance.line):
            targets.append((instance_id, path, instance.line))
    if not targets:
        raise SystemExit("in-process: no instance on screen has a default_model line")
    editor = ModelEditor()
    # With --profile, 20 more edits after the timed ones, under cProfile.
    profiler = cProfile.Profile() if args.profile else None
    timed = range(5, 5 + args.edits)
    collecting = GcTimer(result.collections)
    for index in range(5 + args.edits + (20 if profiler else 0)):
        await asyncio.sleep(rng.uniform(0.15, 0.3))
        instance_id, path, line = rng.choice(targets)
        commits.clear()
        if profiler is not None and index not in timed and index >= 5:
            profiler.enable()
        cpu_start = time.process_time()
        collecting.active = index in timed
        value, closed = editor.edit(path, line)

        def shows(i: str = instance_id, v: str = value) -> bool:
            return bool(table.get_cell(i, "model").plain == v)

        ok = await _until(shows, 5, 0.001)
        if ok:
            await table.wait_for_refresh()
        painted = time.perf_counter()
        cpu = time.process_time() - cpu_start
        if profiler is not None:
            profiler.disable()
        if index not in timed:
            continue
        if not ok:
            result.missed += 1
            continue
        result.painted.append(painted - closed)
        result.painted_cpu.append(cpu)
        if commits:
            result.commit.append(commits[0] - closed)
            result.commit_to_painted.append(painted - commits[0])
        if not result.shown_on_screen:  # once, outside the timings: the screen has it
            result.shown_on_screen = value in screen_text(app)
    collecting.stop()
    if profiler is not None:
        result.profile = profile_text(profiler, "20 edits, close() to repaint (main thread)")
    await asyncio.sleep(0.5)
    result.rows_match = rows_match(app, table)


class GcTimer:
    """Times the cyclic collector's runs (gc.callbacks) while `active`."""

    def __init__(self, durations: dict[int, list[float]]) -> None:
        self.durations = durations
        self.active = False
        self.started = 0.0
        gc.callbacks.append(self.callback)

    def callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        elif self.active:
            self.durations.setdefault(info["generation"], []).append(
                time.perf_counter() - self.started
            )

    def stop(self) -> None:
        gc.callbacks.remove(self.callback)


def rows_match(app: Any, table: Any) -> bool:
    """The table's rows (updated in place, edit after edit) equal fresh ones."""
    from provreg.tui.widgets.providers_table import row_for

    state = app.state
    for instance_id, instance in state.instances.items():
        fresh = row_for(instance, state, app.presence.trouble, table.roots).cells()
        shown = table.get_row(instance_id)
        if [(c.plain, c.style) for c in fresh] != [(c.plain, c.style) for c in shown]:
            return False
    return True


def screen_text(app: Any) -> str:
    """What the terminal shows, as plain text (from the SVG screenshot)."""
    text = re.sub(r"<[^>]+>", "", app.export_screenshot())
    return html.unescape(text).replace("\xa0", " ")


def profile_text(profiler: cProfile.Profile, what: str, top: int = 15) -> str:
    text = []
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(top)
        text.append(f"\ncProfile of {what}, top {top} by {order}:")
        text += [line for line in out.getvalue().splitlines()[6:] if line.strip()]
    return "\n".join(text)


async def profile_fill(root: Path) -> None:
    """cProfile of the in-process load and fill (the main thread only)."""
    from provreg.tui.app import ProvregApp
    from provreg.tui.widgets.providers_table import ProvidersTable

    profiler = cProfile.Profile()
    app = ProvregApp([str(root)], watch=False, audit=False)
    profiler.enable()
    async with app.run_test(size=SIZE):
        table = app.query_one(ProvidersTable)
        await _until(lambda: table.row_count == BIG[1], 60, 0.005)
        await table.wait_for_refresh()
        profiler.disable()
    print(profile_text(profiler, "mount to full table, 10,000 instances (main thread)", 20))


# --------------------------------------------------------------------------- 4. scale

SCALE_SIZES = (1_000, 10_000, 50_000)
SCALE_LARGEST = 100_000
"""With --with-100k: slow to generate and open (tens of seconds a run)."""
SCALE_PER_FILE = 100
"""Instances per file at every size (BIG's 10,000 in 100 files): 1,000 files at 100,000."""
FIRST_ROWS_SCALE_RATIO = 1.5
"""First rows at 50,000 instances within this many times the 1,000's (issue 6)."""
FILTER_KEYS = ("o", "p", "e", "n", "backspace", "backspace", "backspace", "backspace")
"""Typed into the filter: "open" letter by letter (narrowing), then erased (widening)."""


@dataclass
class ScaleRun:
    first_rows: float
    marks: dict[str, float]
    rss: int
    """Resident set size (bytes) when the table was full."""


def scale_set(count: int) -> Path:
    root, _, _ = make_set(DATA_DIR, f"scale-{count}", count, max(1, count // SCALE_PER_FILE))
    return root


def run_to_full_table(
    tmux: Tmux, command: list[str], text: str, env: dict[str, str], timeout: float = 180
) -> ScaleRun:
    """In a tmux window: spawn to `text` on screen (first rows), then to the app's
    "table-full" mark, and the process's RSS then (/proc/PID/status)."""
    marks = DATA_DIR / "scale-marks.txt"
    marks.unlink(missing_ok=True)
    extra = [f"-e{name}={value}" for name, value in env.items()]
    extra.append(f"-ePROVREG_BENCH_MARKS={marks}")
    start = time.perf_counter()
    pane, pid = (
        tmux.tmux(
            "new-window",
            "-d",
            "-P",
            "-F",
            "#{pane_id} #{pane_pid}",
            *extra,
            "-t",
            "bench",
            *command,
        )
        .strip()
        .split()
    )
    try:
        first = None
        while time.perf_counter() - start < timeout:
            if first is None:
                if text in tmux.tmux("capture-pane", "-p", "-t", pane):
                    first = time.perf_counter() - start
            found = marks.read_text() if marks.exists() else ""
            if first is not None and "table-full" in found:
                status = Path(f"/proc/{pid}/status").read_text()
                rss = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024  # type: ignore[union-attr]
                times = {}
                for line_ in found.splitlines():
                    name, value = line_.split()
                    times.setdefault(name, float(value) - start)
                return ScaleRun(first, times, rss)
            time.sleep(0.005)
        raise SystemExit(f"scale: {command} did not fill its table within {timeout} s")
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            tmux.tmux("kill-window", "-t", pane)


def base_env(args: argparse.Namespace) -> dict[str, str]:
    """PYTHONPATH putting --base-src's tree before the installed (editable) provreg."""
    return {"PYTHONPATH": str(Path(args.base_src).resolve())} if args.base_src else {}


def scale_keys(root: Path, env: dict[str, str], quick: bool) -> dict[str, list[float]]:
    """The in-process keypress timings at one size, in a child process (`--scale-keys`),
    so the code before a change (--base-src, on PYTHONPATH) can be timed the same way."""
    done = subprocess.run(
        [sys.executable, __file__, "--scale-keys", str(root), *(["--quick"] if quick else [])],
        env={**cached_bytecode_env(DATA_DIR), **env},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"scale keys over {root}: {done.stderr[-2000:]}")
    import json

    result: dict[str, list[float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def keys_in_process(root: Path, quick: bool) -> dict[str, list[float]]:
    """Keypress to repaint, once the table is full and the app idle: a Key event
    posted to the app until the table changed and the screen refreshed after it.
    down, page down, end (from the top: home first, untimed), `/` (opens the
    filter) and keys typed into the filter (FILTER_KEYS)."""
    from textual import events
    from textual.widgets import Input

    from provreg.tui.app import ProvregApp
    from provreg.tui.widgets.providers_table import ProvidersTable

    count = 10 if quick else 30
    times: dict[str, list[float]] = {}
    app = ProvregApp([str(root)], watch=False, audit=False)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ProvidersTable)
        if not await _until(lambda: table.row_count > 0 and app.state is not None, 300, 0.01):
            raise SystemExit("scale keys: the table never filled")
        await _until(lambda: len(app.state.instances) == table.row_count, 300, 0.01)  # type: ignore[union-attr]
        # The secrets index and other workers after the fill: keys are timed on an idle app.
        await _until(lambda: all(w.is_finished for w in app.workers), 60, 0.05)
        await pilot.pause(0.5)

        async def timed_key(name: str, character: str | None, moved: Any, label: str = "") -> None:
            start, cpu = time.perf_counter(), time.process_time()
            app.post_message(events.Key(name, character))
            if not await _until(moved, 5):
                raise SystemExit(f"scale keys: {name} changed nothing")
            await table.wait_for_refresh()
            times.setdefault(label or name, []).append(time.perf_counter() - start)
            # CPU time: what other load on the machine inflates much less.
            times.setdefault(f"{label or name} cpu", []).append(time.process_time() - cpu)

        for name, n in (("down", count), ("pagedown", count // 2 or 1)):
            for _ in range(n):
                before = table.cursor_row
                await timed_key(name, None, lambda b=before: table.cursor_row != b)
                await pilot.pause(0.05)
        for _ in range(count // 3 or 1):
            await pilot.press("home")
            await pilot.pause(0.05)
            await timed_key("end", None, lambda: table.cursor_row == table.row_count - 1)
            await pilot.pause(0.05)
        for _ in range(3 if quick else 6):
            await timed_key("slash", "/", lambda: isinstance(app.screen.focused, Input))
            await pilot.pause(0.05)
            text = ""
            for key in FILTER_KEYS:
                text = text[:-1] if key == "backspace" else text + key
                await timed_key(
                    key,
                    None if key == "backspace" else key,
                    lambda t=text: table.filter_text == t,
                    "filter",
                )
                await pilot.pause(0.05)
            await pilot.press("escape")
            await pilot.press("ctrl+home")
            await pilot.pause(0.1)
    return times


def bench_scale(args: argparse.Namespace) -> None:
    sizes = [int(n) for n in args.sizes.split(",")]
    sizes += [SCALE_LARGEST] if args.with_100k and SCALE_LARGEST not in sizes else []
    variants = [("after", {})]
    if args.base_src:
        variants.insert(0, ("before", base_env(args)))
    print(
        f"4. scale: {', '.join(f'{n:,}' for n in sizes)} instances ({SCALE_PER_FILE} per file); "
        f"medians of {args.runs} runs; {' vs '.join(v for v, _ in variants)}"
        + (f" (before: {args.base_src} on PYTHONPATH)" if args.base_src else "")
    )
    if shutil.which("tmux") is None:
        print("  tmux not found: skipped")
        return
    env = cached_bytecode_env(DATA_DIR)
    minimal = [sys.executable, str(minimal_app_script())]
    tmux = Tmux(env)
    results: dict[tuple[str, int], list[ScaleRun]] = {}
    keys: dict[tuple[str, int], dict[str, list[float]]] = {}
    baseline: list[float] = []
    loads: dict[int, float] = {}
    floors: dict[int, float] = {}
    try:
        with timed("scale"):
            for count in sizes:
                root = scale_set(count)
                loads[count] = os.getloadavg()[0]
                provreg = [str(BIN_DIR / "provreg"), relative(root)]
                name = first_instance_name(root)
                for _, extra in variants:  # warm-ups: .pyc and page caches
                    run_to_full_table(tmux, provreg, name, extra)
                for _ in range(args.runs):  # alternating, so a busy moment hits each
                    for variant, extra in variants:
                        run = run_to_full_table(tmux, provreg, name, extra)
                        results.setdefault((variant, count), []).append(run)
                    if count == sizes[0]:
                        elapsed = tmux.time_to_text(minimal, "Work OpenAI")
                        if elapsed is not None:
                            baseline.append(elapsed)
                for variant, extra in variants:
                    keys[variant, count] = scale_keys(root, extra, args.quick)
                floors[count] = libyaml_floor(root, env, args.runs)
                shutil.rmtree(root)
    finally:
        tmux.close()
    report_scale(sizes, variants, results, keys, baseline, loads, floors)


def libyaml_floor(root: Path, env: dict[str, str], runs: int) -> float:
    """From the spawn to the end of a Python process that loads the set's files
    with libyaml's CSafeLoader (median of `runs`): what reading them costs at
    least, before anything is checked or shown."""
    times: list[float] = []
    for _ in range(runs + 1):  # (the first warms the page cache)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", FLOOR_SCRIPT, str(root)], env=env, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def report_scale(
    sizes: list[int],
    variants: list[tuple[str, dict[str, str]]],
    results: dict[tuple[str, int], list[ScaleRun]],
    keys: dict[tuple[str, int], dict[str, list[float]]],
    baseline: list[float],
    loads: dict[int, float],
    floors: dict[int, float],
) -> None:
    minimal = statistics.median(baseline) if baseline else float("nan")
    print(f"  baseline: minimal Textual app's first rows, median {ms(minimal, 0)}")
    for variant, _ in variants:
        print(f"  {variant}:")
        first_1k = statistics.median(r.first_rows for r in results[variant, sizes[0]])
        rss_1k = statistics.median(r.rss for r in results[variant, sizes[0]])
        slope_10k = None
        for count in sizes:
            runs = results[variant, count]
            first = statistics.median(r.first_rows for r in runs)
            full = statistics.median(r.marks["table-full"] for r in runs)
            fill = statistics.median(r.marks["table-full"] - r.marks["loaded"] for r in runs)
            opens = [
                r.marks["loaded"] - r.marks["open-start"] for r in runs if "open-start" in r.marks
            ]
            rss = statistics.median(r.rss for r in runs)
            print(f"    {count:>7,} instances (load average then {loads[count]:.2f})")
            if count == sizes[0]:
                print(
                    f"      first rows  {ms(first, 0):>10}   {first / minimal:.2f}x the minimal "
                    f"app's first paint (baseline of 1,000)"
                )
            else:
                limit = f"   target <= {FIRST_ROWS_SCALE_RATIO}x" if count >= 50_000 else ""
                ok = f" [{verdict(first / first_1k, FIRST_ROWS_SCALE_RATIO)}]" if limit else ""
                print(
                    f"      first rows  {ms(first, 0):>10}   {first / first_1k:.2f}x the 1,000's"
                    + limit
                    + ok
                )
            target = f"   target < {ms(FULL_TABLE_TARGET, 0)}" if count == 50_000 else ""
            print(
                f"      full table  {ms(full, 0):>10}   "
                f"{full / first_1k:.2f}x the 1,000's first rows"
                + (f"{target} [{verdict(full, FULL_TABLE_TARGET)}]" if target else "")
            )
            opened = f"registry open {ms(statistics.median(opens), 0)}; " if opens else ""
            print(
                f"        ({opened}from opened to the table full (secrets index, rows, repaint) "
                f"{ms(fill, 0)})"
            )
            floor = floors[count]
            print(
                f"        libyaml floor {ms(floor, 0)} (a Python process loading the same files "
                f"with CSafeLoader, from its spawn); full table {full / floor:.2f}x of it"
            )
            per = (rss - rss_1k) / (count - sizes[0]) if count != sizes[0] else 0.0
            if count == 10_000:
                slope_10k = per
            linear = (
                f"   {per / slope_10k:.2f}x the per-instance growth to 10,000 "
                f"(linear: ~1x) [{verdict(per / slope_10k, 1.5)}]"
                if slope_10k and count > 10_000
                else ""
            )
            print(
                f"      RSS         {rss / 2**20:>7.0f} MiB   {rss / rss_1k:.2f}x the 1,000's"
                + (f"; {per:,.0f} B per instance more" if per else "")
                + linear
            )
            timings = keys[variant, count]
            for key, values in timings.items():
                if key.endswith(" cpu"):
                    continue
                p95, cpu = percentile(values, 95), timings.get(f"{key} cpu", [])
                print(
                    f"      key {key:<9}p95 {ms(p95):>9} (p50 {ms(percentile(values, 50))}, "
                    f"n {len(values)}; CPU p95 {ms(percentile(cpu, 95)) if cpu else '-'})   "
                    f"{p95 / KEY_TARGET:.2f}x of {ms(KEY_TARGET, 0)} [{verdict(p95, KEY_TARGET)}]"
                )


# --------------------------------------------------------------------------- report


HEADER = f"  {'':<44}{'n':>5}{'p50':>11}{'p95':>11}{'max':>11}{'cpu p50':>11}"


def line(
    label: str,
    values: list[float],
    target: float | None,
    note: str = "",
    cpu: list[float] | None = None,
) -> str:
    if not values:
        return f"  {label:<44} no samples"
    p50, p95 = percentile(values, 50), percentile(values, 95)
    text = f"  {label:<44}{len(values):>5}{ms(p50):>11}{ms(p95):>11}{ms(max(values)):>11}"
    text += f"{ms(percentile(cpu, 50)):>11}" if cpu else " " * 11
    if target is not None:
        text += f"   p95 {p95 / target:.2f}x of {ms(target, 0)} [{verdict(p95, target)}]"
    return text + (f"  {note}" if note else "")


def report_process(label: str, runs: list[ProcessRun]) -> None:
    paint = [run.first_paint for run in runs if run.first_paint is not None]
    full = [run.marks["table-full"] for run in runs]
    loaded = [run.marks["loaded"] for run in runs if "loaded" in run.marks]
    app_paint = [run.marks["first-paint"] for run in runs if "first-paint" in run.marks]
    print(f"  {label}")
    p, f = statistics.median(paint), statistics.median(full)
    cpu_p = statistics.median(run.cpu["first-paint"] for run in runs)
    cpu_f = statistics.median(run.cpu["table-full"] for run in runs)
    print(
        f"    first paint  median {ms(p, 0):>9}  (min {ms(min(paint), 0)}, max "
        f"{ms(max(paint), 0)}; CPU {ms(cpu_p, 0)})   target < {ms(FIRST_PAINT_TARGET, 0)} "
        f"[{verdict(p, FIRST_PAINT_TARGET)}]"
    )
    target = f"   target < {ms(FULL_TABLE_TARGET, 0)} [{verdict(f, FULL_TABLE_TARGET)}]"
    print(
        f"    full table   median {ms(f, 0):>9}  (min {ms(min(full), 0)}, max {ms(max(full), 0)}"
        f"; CPU {ms(cpu_f, 0)})" + (target if "10,000" in label else "")
    )
    if loaded and app_paint:
        print(
            f"    (app marks, medians: first refresh {ms(statistics.median(app_paint), 0)}, "
            f"registry opened {ms(statistics.median(loaded), 0)})"
        )


@contextlib.contextmanager
def timed(what: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    print(f"  ({what}: {time.perf_counter() - start:.0f} s)", flush=True)


def bench_processes(sample: Path, big: Path, args: argparse.Namespace) -> None:
    print("1. process start (real `provreg PATH` in a pty) to first paint and full table")
    with timed("process runs"):
        small = bench_process("sample", sample, args.runs)
        report_process("sample_configs", small)
        large = bench_process("10k", big, args.runs, args.keys, args.edits // 2)
        report_process(f"{BIG[1]:,} instances in {BIG[2]} files", large)
    run = large[-1]
    print(
        "  in the same terminal, 10,000 rows: single keypresses and edits of rows on screen,"
        " 150-300 ms apart"
    )
    print(HEADER)
    for name, values in run.keys.items():
        print(line(f"{name}: key written -> first repaint", values, KEY_TARGET))
        print(line(f"{name}: ... -> screen settled", run.settled[name], None))
    print(line("edit: close() -> new value on the terminal", run.edits, EDIT_TARGET))
    if run.edits_missed:
        print(f"  {run.edits_missed} edits MISSED (not on the terminal within 5 s)")
    for name, value in run.held.items():
        count = 90 if name == "down" else 30
        print(
            f"  held {name} ({count} presses at {1 / HOLD_INTERVAL:.0f}/s): the screen settled "
            f"{ms(value, 0)} after the last press"
        )


def bench_in_process(args: argparse.Namespace) -> None:
    print(f"\n2./3. in-process (app.run_test(size={SIZE}), sync engine running), 10,000 rows")
    big, _, _ = make_set(DATA_DIR, *BIG)  # the edits start from the generated bytes
    result = InProcess()
    with timed("in-process"):
        asyncio.run(in_process(big, args, result))
    print(f"  mount to full table painted: {ms(result.load, 0)}")
    print(HEADER)
    print(line("edit: close() -> store commit", result.commit, None))
    print(line("edit: store commit -> screen refreshed", result.commit_to_painted, None))
    print(
        line(
            "edit: close() -> screen refreshed", result.painted, EDIT_TARGET, "", result.painted_cpu
        )
    )
    if result.missed:
        print(f"  {result.missed} edits MISSED (not shown within 5 s)")
    for generation, durations in sorted(result.collections.items()):
        print(
            f"  (generation {generation} collections during the timed edits: {len(durations)}, "
            f"{ms(sum(durations))} in all, longest {ms(max(durations))})"
        )
    print(
        f"  (the new value was on the exported screen: {result.shown_on_screen}; every row "
        f"equal to one computed afresh after the edits: {result.rows_match})"
    )
    for label in result.keys:
        cpu = result.keys_cpu[label]
        print(line(f"{label}: handled", result.handled[label], None))
        print(line(f"{label}: handled + refreshed", result.keys[label], KEY_TARGET, "", cpu))
    for name in result.pilot_press:
        print(line(f"pilot.press('{name}')", result.pilot_press[name], None, "(upper bound)"))
        print(line(f"pilot.press + pilot.pause, {name}", result.pilot_pause[name], None))
    if result.profile:
        print(result.profile)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="process runs per data set")
    parser.add_argument("--edits", type=int, default=60, help="timed edits (after 5 warm-ups)")
    parser.add_argument(
        "--keys", type=int, default=100, help="down presses (and half as many page-downs)"
    )
    parser.add_argument("--quick", action="store_true", help="3 runs, 20 edits, 40 keys")
    parser.add_argument("--profile", action="store_true", help="cProfile the fill and the edits")
    parser.add_argument(
        "--part",
        choices=("all", "first-rows", "process", "in-process", "scale"),
        default="all",
        help="what to run",
    )
    parser.add_argument(
        "--with-100k", action="store_true", help="part scale: also 100,000 instances (slow)"
    )
    parser.add_argument(
        "--base-src",
        metavar="DIR",
        help="part scale: also time the code in DIR (a src tree, e.g. from `git archive main "
        "src`), put first on PYTHONPATH, alternating with this tree's: before and after",
    )
    parser.add_argument(
        "--sizes",
        default=",".join(str(n) for n in SCALE_SIZES),
        help="part scale: instance counts, comma-separated (the first is the baseline)",
    )
    parser.add_argument("--scale-keys", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scale_keys:  # the child process of scale_keys: JSON on stdout
        import json

        isolate(DATA_DIR)
        print(json.dumps(asyncio.run(keys_in_process(Path(args.scale_keys), args.quick))))
        return 0
    if args.quick:
        args.runs, args.edits, args.keys = 3, 20, 40

    started = time.perf_counter()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    isolate(DATA_DIR)
    load, cores = os.getloadavg()[0], len(os.sched_getaffinity(0))
    print(f"machine: {machine()}; load average {load:.2f}")
    if load > cores / 2:
        print(
            "  (other processes compete for the cores: wall-clock numbers are inflated, "
            "the CPU columns much less)"
        )
    sample = sample_set()
    big, _, digest = make_set(DATA_DIR, *BIG)
    print(f"data: {relative(sample)} (a copy of sample_configs) and {relative(big)}")
    print(f"  ({BIG[1]:,} instances in {BIG[2]} files, sha256 {digest})")
    print(f"terminal {SIZE[0]}x{SIZE[1]}; medians of {args.runs} runs after one warm-up\n")

    if args.part in ("all", "first-rows"):
        bench_first_rows(sample, big, args)
        print()
    if args.part in ("all", "process"):
        bench_processes(sample, big, args)
    if args.part in ("all", "in-process"):
        bench_in_process(args)
    if args.part in ("all", "scale"):
        print()
        bench_scale(args)
    if args.profile:
        big, _, _ = make_set(DATA_DIR, *BIG)
        asyncio.run(profile_fill(big))

    shutil.rmtree(DATA_DIR / BIG[0])
    (DATA_DIR / "marks.txt").unlink(missing_ok=True)
    print(f"\nload average now {os.getloadavg()[0]:.2f}")
    print(f"total benchmark time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
