"""Benchmark loading and `provreg --check` against the targets of issue 2.

Run from the repository root:

    uv run python benchmarks/bench_check.py                 # the numbers in docs/performance.md
    uv run python benchmarks/bench_check.py --no-gc-pause   # same, without the GC pause
    uv run python benchmarks/bench_check.py --profile       # plus cProfile of the big load

It generates two deterministic data sets under benchmarks/.data/check/ (git-ignored):
1,000 instances over 100 files and 10,000 instances in 10 files, with several
providers, comments, secret references and one custom definition. It then
measures, for each set:

- cold `provreg --check`: the whole process through the venv's `provreg`
  executable (median and min), with bytecode cached in a private
  PYTHONPYCACHEPREFIX filled by one untimed run, as on a user's second run;
  and once more in the inherited environment (which may forbid .pyc files);
- in-process `provreg.config.read.load_set.load_paths` (median after one warm-up);
- `check-jsonschema --schemafile <exported schema> <files...>` on the same
  files, and its ratio to the cold check;

plus, once: ruamel.yaml round-trip (and pure safe) loading of the 1,000
instance set for comparison, and `python -X importtime` of the cold check
summed by top-level package.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import hashlib
import io
import os
import platform
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT / "benchmarks" / ".data" / "check"
BIN_DIR = Path(sys.executable).parent
SEED = 20240601
DEFAULT_MAX_FILE_SIZE = 1024 * 1024

# Reproduces `provreg.gc_control.gc_paused` as a no-op in a child process.
# The loader binds the name at import, so both modules are patched.
NO_GC_PAUSE_PRELUDE = """
import contextlib
import provreg.config.read.load_set as _loader
import provreg.gc_control as _source
_source.gc_paused = _loader.gc_paused = contextlib.nullcontext
"""


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class DataSet:
    key: str
    label: str
    instances: int
    files: int


SETS = (
    DataSet("1k", "1,000 in 100 files", 1_000, 100),
    DataSet("10k", "10,000 in 10 files", 10_000, 10),
)

CUSTOM_DEFINITION = """\
definitions:
  # The company gateway: a provider type of our own.
  - id: acme-gateway
    name: ACME LLM Gateway
    description: The company's internal gateway in front of every hosted model.
    models: [gpt-4.1, claude-sonnet-4-5, llama-3.3-70b]
    fields:
      - {id: base_url, type: url, required: true, default: "https://llm.acme.internal/v1"}
      - {id: api_key, type: secret, required: true, env: ACME_LLM_KEY}
      - {id: team, type: choice, choices: [platform, research, support], required: true}
      - {id: default_model, type: text, default: gpt-4.1}
      - {id: max_tokens_per_day, type: int, min: 1000, help: "Budget the gateway enforces."}

"""

TEAMS = ("platform", "research", "support", "sales", "infra", "data", "mobile", "web")


def _instance(rng: random.Random, n: int) -> str:
    """One provider instance as YAML text (indented list item), varied like real files."""
    team = rng.choice(TEAMS)
    ident = f"{team}-{n:05d}"
    kind = rng.choices(
        (
            "openai",
            "anthropic",
            "google-gemini",
            "azure-openai",
            "mistral",
            "groq",
            "deepseek",
            "openrouter",
            "ollama",
            "openai-compatible",
            "acme-gateway",
        ),
        weights=(20, 15, 8, 8, 5, 5, 4, 6, 10, 12, 7),
    )[0]
    lines = [f"  - id: {kind.split('-')[0]}-{ident}", f"    name: {team.title()} {kind} {n:05d}"]
    add = lines.append
    add(f"    provider: {kind}")
    if kind == "openai":
        add(f"    organization: org-{team}{n % 7}          # billing goes to the {team} org")
        if rng.random() < 0.5:
            add(f"    project: proj_{team}_{n % 13}")
        add(f"    default_model: {rng.choice(['gpt-4.1', 'gpt-5', 'gpt-4o', 'o4-mini'])}")
        if rng.random() < 0.4:
            add(f"    timeout_seconds: {rng.choice([30, 60.0, 120, 300.5])}")
            add(f"    max_retries: {rng.randint(0, 10)}")
        if rng.random() < 0.3:
            add(f"    api_key: {{env: OPENAI_API_KEY_{team.upper()}}}")
    elif kind == "anthropic":
        add(f"    default_model: {rng.choice(['claude-sonnet-4-5', 'claude-opus-4-5'])}")
        if rng.random() < 0.3:
            add("    use_auth_header: true")
            add(f"    base_url: https://llm-proxy-{n % 5}.example.com")
        add(f"    api_key: {{keyring: anthropic-{team}}}   # shared with the CLI tools")
    elif kind == "google-gemini":
        add('    default_model: "gemini-2.5-flash"')
        add("    api_key: {env: GEMINI_API_KEY}")
    elif kind == "azure-openai":
        add(f"    base_url: https://{team}-{n % 11}.openai.azure.com")
        add('    api_version: "2024-10-21"')
        add(f"    deployment: gpt-41-{team}")
        add(f"    api_key: {{file: ~/.secrets/azure-{team}.key}}")
    elif kind in ("mistral", "groq", "deepseek"):
        model = {
            "mistral": "mistral-large-latest",
            "groq": "llama-3.3-70b-versatile",
            "deepseek": "deepseek-reasoner",
        }[kind]
        add(f"    default_model: {model}")
    elif kind == "openrouter":
        add("    default_model: openrouter/auto")
        add(f"    http_referer: https://{team}.example.com/app")
        add(f"    app_title: {team.title()} assistant")
    elif kind == "ollama":
        add(f"    base_url: http://gpu-{n % 17}.lan:11434")
        add(f"    default_model: {rng.choice(['llama3.2', 'qwen3', 'gemma3'])}")
        keep_alive = rng.choice(["10m", "1h", '"-1"', '"0"'])  # quoted: the field is text
        add(f"    keep_alive: {keep_alive}")
    elif kind == "openai-compatible":
        add("    # vLLM on the team's GPU box")
        add(f"    base_url: http://vllm-{n % 9}.{team}.lan:8000/v1")
        add(f"    default_model: acme/{team}-llama-8b")
        add(f"    models: [acme/{team}-llama-8b, acme/{team}-qwen-7b]")
        if rng.random() < 0.5:
            add(f"    api_key: {{file: ~/.config/vllm/{team}.token}}")
    else:
        add(f"    team: {rng.choice(['platform', 'research', 'support'])}")
        if rng.random() < 0.5:
            add(f"    max_tokens_per_day: {rng.randint(1, 500) * 10_000}")
        add("    api_key: {env: ACME_LLM_KEY}")
    return "\n".join(lines) + "\n"


def generate(data_dir: Path, data_set: DataSet) -> tuple[Path, list[Path], str]:
    """Write the data set (deterministic for SEED); return its dir, files and digest."""
    root = data_dir / data_set.key
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    rng = random.Random(f"{SEED}-{data_set.key}")
    per_file = data_set.instances // data_set.files
    digest = hashlib.sha256()
    files = []
    n = 0
    for index in range(data_set.files):
        parts = [
            f"# Generated by benchmarks/bench_check.py (set {data_set.key}, file {index}).\n",
            "# API keys are not here: an absent api_key means the OS keyring.\n",
            "version: 1\n\n",
        ]
        if index == 0:
            parts.append(CUSTOM_DEFINITION)
        parts.append("providers:\n")
        for _ in range(per_file):
            parts.append(_instance(rng, n))
            parts.append("\n")
            n += 1
        data = "".join(parts).encode()
        path = root / f"providers-{index:03d}.yaml"
        path.write_bytes(data)
        digest.update(data)
        files.append(path)
    return root, files, digest.hexdigest()[:12]


# --------------------------------------------------------------------------- timing


def cached_bytecode_env(data_dir: Path) -> dict[str, str]:
    """Child environment with a private, writable .pyc cache (filled by a first run).

    uv installs without compiling bytecode, and a sandbox may set
    PYTHONDONTWRITEBYTECODE: then every process compiles pydantic and PyYAML
    from source. A user's second run has .pyc files; so do these runs.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(data_dir / "pycache")
    return env


def venv_pyc_count() -> int:
    return sum(1 for _ in Path(sys.prefix).rglob("*.pyc"))


@dataclass
class Timing:
    """Wall-clock and CPU seconds (user + system) of each run.

    CPU time hardly moves when other work shares the machine; wall time does.
    On an idle machine the two agree for these single-threaded runs.
    """

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)


def run_quiet(command: list[str], env: dict[str, str]) -> int:
    return subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False
    ).returncode


def time_process(command: list[str], runs: int, env: dict[str, str]) -> Timing:
    timing = Timing()
    for _ in range(runs):
        start = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        _, status, usage = os.wait4(process.pid, 0)
        timing.wall.append(time.perf_counter() - start)
        timing.cpu.append(usage.ru_utime + usage.ru_stime)
        process.returncode = os.waitstatus_to_exitcode(status)
    return timing


def time_call(call: Callable[[], object], runs: int, warmup: int = 1) -> Timing:
    for _ in range(warmup):
        call()
    timing = Timing()
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        timing.wall.append(time.perf_counter() - start)
        timing.cpu.append(time.process_time() - start_cpu)
    return timing


class GcClock:
    """Sums the time the cyclic collector runs (gc.callbacks), to say what part of a
    load is garbage collection."""

    def __init__(self) -> None:
        self.total = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._start

    @contextlib.contextmanager
    def running(self) -> Iterator[GcClock]:
        gc.callbacks.append(self)
        try:
            yield self
        finally:
            gc.callbacks.remove(self)


@contextlib.contextmanager
def gc_pause_disabled(disabled: bool) -> Iterator[None]:
    """Make the loader's GC pause a no-op (both bindings of the name)."""
    if not disabled:
        yield
        return
    import provreg.config.read.load_set as loader
    import provreg.gc_control as source

    modules = (source, loader)
    saved = [getattr(module, "gc_paused") for module in modules]  # noqa: B009
    for module in modules:
        setattr(module, "gc_paused", contextlib.nullcontext)  # noqa: B010
    try:
        yield
    finally:
        for module, original in zip(modules, saved, strict=True):
            setattr(module, "gc_paused", original)  # noqa: B010


def check_command(paths: list[str], no_gc_pause: bool) -> list[str]:
    if no_gc_pause:
        code = NO_GC_PAUSE_PRELUDE + "from provreg.cli import main\nraise SystemExit(main())\n"
        return [sys.executable, "-c", code, "--check", *paths]
    return [str(BIN_DIR / "provreg"), "--check", *paths]


def importtime(
    command_args: list[str], env: dict[str, str], runs: int = 3
) -> list[tuple[str, float]]:
    """Self import time (ms) per top-level package for `provreg --check`, median of runs."""
    per_package: dict[str, list[float]] = {}
    for run in range(runs):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "provreg", "--check", *command_args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        sums: dict[str, float] = {}
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "[us]" in line:
                continue
            # "import time:   self_us |   cumulative_us | <indent>package.module"
            self_us, _cumulative, name = line.split(":", 1)[1].split("|")
            top = name.strip().split(".")[0]
            sums[top] = sums.get(top, 0.0) + int(self_us) / 1000
        for top in set(per_package) | set(sums):
            per_package.setdefault(top, [0.0] * run).append(sums.get(top, 0.0))
    medians = [(top, statistics.median(values)) for top, values in per_package.items()]
    return sorted(medians, key=lambda item: item[1], reverse=True)


# --------------------------------------------------------------------------- one data set


@dataclass
class Result:
    data_set: DataSet
    file_bytes: int
    max_file_bytes: int
    digest: str
    cold: Timing = field(default_factory=Timing)
    cold_no_pyc: Timing = field(default_factory=Timing)
    load: Timing = field(default_factory=Timing)
    load_gc: float = 0.0
    cjs: Timing = field(default_factory=Timing)
    extra_args: list[str] = field(default_factory=list)
    summary: str = ""


def bench_set(
    data_dir: Path, data_set: DataSet, args: argparse.Namespace
) -> tuple[Result, list[Path]]:
    from provreg.config.read.load_set import load_paths
    from provreg.config.read.yaml_source import Limits
    from provreg.model import Severity

    env = cached_bytecode_env(data_dir)
    root, files, digest = generate(data_dir, data_set)
    sizes = [path.stat().st_size for path in files]
    result = Result(data_set, sum(sizes), max(sizes), digest)
    limits = Limits()
    if max(sizes) > DEFAULT_MAX_FILE_SIZE:
        size = 1 << (max(sizes) - 1).bit_length()
        result.extra_args = ["--max-file-size", str(size)]
        limits = Limits(max_bytes=size)

    # The data must be valid for both tools, or we would time error paths.
    with gc_pause_disabled(args.no_gc_pause):
        loaded = load_paths([str(root)], limits)
    problems = loaded.count(Severity.ERROR) + loaded.count(Severity.WARNING)
    if problems or len(loaded.instances) != data_set.instances:
        first = "\n".join(str(d) for d in loaded.diagnostics[:3])
        raise SystemExit(f"generated set {data_set.key} does not check clean:\n{first}")
    result.summary = f"{len(loaded.files)} files, {len(loaded.instances):,} instances, clean"
    del loaded  # that load was also the warm-up (pydantic field models built and cached)
    schema = data_dir / f"{data_set.key}.schema.json"
    export = [str(BIN_DIR / "provreg"), "schema", "--config", str(root), "-o", str(schema)]
    if run_quiet(export, env):
        raise SystemExit("provreg schema failed")

    check = check_command([*result.extra_args, str(root)], args.no_gc_pause)
    if run_quiet(check, env) != 0:  # also the untimed first run that writes the .pyc files
        raise SystemExit(f"provreg --check failed on set {data_set.key}")
    result.cold = time_process(check, args.runs, env)
    result.cold_no_pyc = time_process(check, 3, dict(os.environ))

    load_runs = args.load_runs if data_set.instances <= 1_000 else max(3, args.load_runs // 2)
    with gc_pause_disabled(args.no_gc_pause), GcClock().running() as clock:
        result.load = time_call(lambda: load_paths([str(root)], limits), load_runs, warmup=0)
    result.load_gc = clock.total / load_runs

    if not args.skip_check_jsonschema:
        cjs = [str(BIN_DIR / "check-jsonschema"), "--schemafile", str(schema)]
        cjs += [str(path) for path in files]
        if run_quiet(cjs, env) != 0:
            raise SystemExit(f"check-jsonschema rejects set {data_set.key}")
        result.cjs = time_process(cjs, args.cjs_runs, env)

    if args.profile:
        profile_load(root, limits, args.no_gc_pause)
    return result, files


def profile_load(root: Path, limits: Any, no_gc_pause: bool) -> None:
    from provreg.config.read.load_set import load_paths

    profiler = cProfile.Profile()
    with gc_pause_disabled(no_gc_pause):
        profiler.runcall(load_paths, [str(root)], limits)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(15)
    print(f"\ncProfile of load_paths({root.name}), top 15 by own time:")
    print("\n".join(out.getvalue().splitlines()[6:]))


# --------------------------------------------------------------------------- comparisons


def ruamel_loads(files: list[Path], runs: int) -> dict[str, Timing]:
    from ruamel.yaml import YAML

    timings = {}
    for typ, pure in (("rt", False), ("safe", True)):

        def load_all(typ: str = typ, pure: bool = pure) -> None:
            yaml = YAML(typ=typ, pure=pure)
            for path in files:
                yaml.load(path.read_bytes())

        label = f"ruamel.yaml typ={typ!r}" + (", pure" if pure else "")
        timings[label] = time_call(load_all, runs)
    return timings


def libyaml_compose(files: list[Path], runs: int) -> Timing:
    import yaml

    def compose_all() -> None:
        for path in files:
            loader = yaml.CSafeLoader(path.read_bytes().decode())
            try:
                loader.get_single_node()
            finally:
                loader.dispose()

    gc.disable()  # as the loader does
    try:
        return time_call(compose_all, runs)
    finally:
        gc.enable()


# --------------------------------------------------------------------------- report


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def verdict(value: float, limit: float, *, at_least: bool = False) -> str:
    good = value >= limit if at_least else value < limit
    return "ok" if good else "MISSED"


def report(results: list[Result], args: argparse.Namespace, baseline: Timing) -> None:
    small, big = results
    print()
    print(f"machine: nproc {len(os.sched_getaffinity(0))}, ", end="")
    print(f"Python {platform.python_version()} on {platform.system()} {platform.machine()}")
    print(f"gc pause during load: {'DISABLED (--no-gc-pause)' if args.no_gc_pause else 'on'}")
    print(
        "child processes: private .pyc cache (PYTHONPYCACHEPREFIX) filled by an untimed run; "
        f"inherited env: PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}"
        f", {venv_pyc_count():,} .pyc files in the venv"
    )
    print(f"interpreter start (`python -c pass`): median {ms(baseline.median)}")
    for result in results:
        extra = " ".join(result.extra_args) or "none needed"
        print(
            f"set {result.data_set.label}: {result.summary}, {result.file_bytes:,} bytes, "
            f"largest file {result.max_file_bytes:,} bytes "
            f"(cap {DEFAULT_MAX_FILE_SIZE:,}; extra args: {extra}), sha256 {result.digest}"
        )
    print()
    header = f"{'measurement':<40}{'1,000 / 100 files':>19}{'10,000 / 10 files':>19}   target"
    print(header)
    print("-" * (len(header) + 30))

    def row(label: str, one: str, two: str, target: str = "") -> None:
        print(f"{label:<40}{one:>19}{two:>19}   {target}".rstrip())

    for kind in ("wall", "cpu"):
        cold1, cold2 = (r.cold.median if kind == "wall" else r.cold.cpu_median for r in results)
        row(
            f"cold --check, {kind} median of {args.runs}",
            ms(cold1),
            ms(cold2),
            f"< 350 ms on 1,000 [{verdict(cold1, 0.35)}]",
        )
    row("cold --check, wall min", ms(min(small.cold.wall)), ms(min(big.cold.wall)))
    row(
        "cold --check, inherited env, wall med 3",
        ms(small.cold_no_pyc.median),
        ms(big.cold_no_pyc.median),
        "(no target: see the env line above)",
    )
    for kind in ("wall", "cpu"):
        load1, load2 = (r.load.median if kind == "wall" else r.load.cpu_median for r in results)
        row(
            f"in-process load_paths, {kind} median",
            ms(load1),
            ms(load2),
            f"< 120 ms [{verdict(load1, 0.12)}]; < 1 s [{verdict(load2, 1.0)}]",
        )
    row("in-process load_paths, wall min", ms(min(small.load.wall)), ms(min(big.load.wall)))
    row("  of which cyclic GC, mean", ms(small.load_gc), ms(big.load_gc))
    if not (small.cjs.wall and big.cjs.wall):
        return
    for kind in ("wall", "cpu"):
        if kind == "wall":
            cjs1, cjs2 = small.cjs.median, big.cjs.median
            cold1, cold2 = small.cold.median, big.cold.median
        else:
            cjs1, cjs2 = small.cjs.cpu_median, big.cjs.cpu_median
            cold1, cold2 = small.cold.cpu_median, big.cold.cpu_median
        row(f"check-jsonschema, {kind} median of {args.cjs_runs}", ms(cjs1), ms(cjs2))
        ratio1, ratio2 = cjs1 / cold1, cjs2 / cold2
        row(
            f"ratio check-jsonschema / --check ({kind})",
            f"{ratio1:.1f}x",
            f"{ratio2:.1f}x",
            f">= 2x [{verdict(ratio1, 2, at_least=True)}]; "
            f">= 3x [{verdict(ratio2, 3, at_least=True)}]",
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7, help="cold --check runs (default 7)")
    parser.add_argument("--load-runs", type=int, default=9, help="in-process runs on 1,000")
    parser.add_argument("--cjs-runs", type=int, default=3, help="check-jsonschema runs")
    parser.add_argument(
        "--no-gc-pause",
        action="store_true",
        help="make provreg.gc_control.gc_paused a no-op (measure its effect)",
    )
    parser.add_argument("--skip-check-jsonschema", action="store_true")
    parser.add_argument("--profile", action="store_true", help="print cProfile of each load")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args(argv)
    data_dir = args.data_dir.resolve()

    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    env = cached_bytecode_env(data_dir)
    run_quiet([sys.executable, "-c", "pass"], env)
    baseline = time_process([sys.executable, "-c", "pass"], args.runs, env)
    results = []
    small_files: list[Path] = []
    for data_set in SETS:
        print(f"benchmarking {data_set.label} ...", flush=True)
        result, files = bench_set(data_dir, data_set, args)
        results.append(result)
        if data_set.key == "1k":
            small_files = files
    report(results, args, baseline)

    print("\nthe same 1,000 instances (100 files) through other parsers, medians:")
    timings = {"libyaml compose only (CSafeLoader)": libyaml_compose(small_files, 5)}
    timings.update(ruamel_loads(small_files, 3))
    for label, timing in timings.items():
        print(f"  {label:<40}{ms(timing.median):>10} wall{ms(timing.cpu_median):>10} cpu")

    print("\npython -X importtime of cold --check on 1,000: self time by package, median of 3")
    print("(-X importtime inflates each import; compare the sums, not with the wall time)")
    ranked = importtime([str(data_dir / SETS[0].key)], env)
    total = sum(value for _, value in ranked)
    for top, value in ranked[:12]:
        print(f"  {top:<24}{value:>8.1f} ms")
    print(f"  {'(all imports)':<24}{total:>8.1f} ms")

    print(f"\ntotal benchmark time {time.perf_counter() - started:.0f} s")
    load_after = os.getloadavg()[0]
    print(f"load average (1 min) before {load_before:.2f}, after {load_after:.2f}")
    # Single-threaded runs: wall time well above CPU time means we waited for a CPU.
    stretch = max(r.cold.median / r.cold.cpu_median for r in results)
    stretch = max(stretch, *(r.load.median / r.load.cpu_median for r in results))
    print(f"wall / cpu time, worst median: {stretch:.2f}")
    if stretch > 1.1:
        print("warning: other work competed for the CPUs; the wall times are not reliable")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
