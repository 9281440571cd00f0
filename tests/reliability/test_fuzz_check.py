"""Property-based fuzzing of the loader and `provreg --check` (issue 11).

Mutated project YAML and generated config-shaped documents (see
fuzz_support): no exception or traceback, the exit code follows the errors,
every diagnostic is placed (file, line >= 1, column >= 1), and time and memory
stay within a bound per input byte. Hypothesis runs derandomized, so CI sees
the same inputs every time; benchmarks/fuzz_soak.py runs thousands more.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from random import Random

from helpers.cli import run_provreg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .fuzz_support import (
    check_command,
    generated_document,
    load_measured,
    mutate,
    seed_files,
)

SEEDS = seed_files()


def reproducible(examples: int) -> settings:
    """Derandomized: the same inputs on every run and machine."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def test_seeds_were_found() -> None:
    # Guards the fuzzing below: without seeds it would only mutate nothing.
    assert len(SEEDS) >= 100
    assert any(b"providers:" in seed for seed in SEEDS)


@reproducible(150)
@given(st.sampled_from(range(len(SEEDS))), st.randoms(use_true_random=False))
def test_mutated_project_files_load_within_bounds(index: int, rng: Random) -> None:
    data = mutate(SEEDS[index], rng, SEEDS)
    with tempfile.TemporaryDirectory() as tmp:
        load_measured([data], Path(tmp))


@reproducible(100)
@given(st.lists(st.randoms(use_true_random=False), min_size=1, max_size=3))
def test_generated_documents_load_within_bounds(rngs: list[Random]) -> None:
    documents = [generated_document(rng) for rng in rngs]
    with tempfile.TemporaryDirectory() as tmp:
        load_measured(documents, Path(tmp))


@reproducible(60)
@given(st.sampled_from(range(len(SEEDS))), st.randoms(use_true_random=False))
def test_check_exit_code_follows_the_errors(index: int, rng: Random) -> None:
    documents = [mutate(SEEDS[index], rng, SEEDS), generated_document(rng)]
    with tempfile.TemporaryDirectory() as tmp:
        for number, data in enumerate(documents):
            Path(tmp, f"f{number}.yaml").write_bytes(data)
        check_command(Path(tmp))


@reproducible(4)
@given(st.randoms(use_true_random=False))
def test_check_process_never_prints_a_traceback(rng: Random) -> None:
    """The real command, as CI runs it: a handful, each a new interpreter."""
    documents = [mutate(rng.choice(SEEDS), rng, SEEDS) for _ in range(3)]
    documents.append(generated_document(rng))
    with tempfile.TemporaryDirectory() as tmp:
        for number, data in enumerate(documents):
            Path(tmp, f"f{number}.yaml").write_bytes(data)
        expected = check_command(Path(tmp))
        done = run_provreg("--check", tmp, timeout=60)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr == ""
    assert done.returncode == expected
