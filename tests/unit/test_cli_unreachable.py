"""The command line with Kafka and PostgreSQL unreachable: every command that uses them exits
non-zero within a bounded time, in at most three lines that name the fix, and no traceback.

Nothing here needs the stack: the services are pointed at a closed port of the loopback."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import SEEDS

CLOSED = "127.0.0.1:1"  # nothing listens on port 1
BOUND_SECONDS = 20  # the checks wait at most 10 s for a service; this leaves room for a busy machine
COMMANDS = [
    ["migrate"],
    ["topics", "create"],
    ["publish", str(SEEDS)],
    ["publish", "-"],
    ["seed"],
    ["project"],
    ["project", "--until-caught-up"],
    ["show", "timeline"],
    ["show", "actor", "Amman"],
    ["show", "event", "e1"],
    ["dlq", "list"],
    ["dlq", "redrive"],
    ["lag"],
    ["replay"],
    ["replay", "--source", "log"],
    ["relay", "--until-empty"],
    ["checksum"],
    ["serve", "--port", "8999"],
]
BAD_ARGUMENTS = [
    ["show", "timeline", "--as-of", "2018-06-26T12:00:00"],
    ["show", "timeline", "--limit", "many"],
    ["publish", "/nonexistent/events.jsonl"],
    ["replay", "--source", "elsewhere"],
    ["no-such-command"],
]


@dataclass(frozen=True)
class Run:
    argv: list[str]
    code: int
    out: str
    seconds: float

    @property
    def lines(self) -> list[str]:
        return [line for line in self.out.splitlines() if line.strip()]


def timeline_command() -> list[str]:
    """The ``timeline`` script of this interpreter's environment."""
    beside = Path(sys.executable).with_name("timeline")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("timeline")
    if found:
        return [found]
    return [sys.executable, "-c", "from timeline.cli import app; app(prog_name='timeline')"]


def unreachable_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIMELINE_")}
    env.update(TIMELINE_KAFKA_BOOTSTRAP=CLOSED, TIMELINE_DATABASE_URL=f"postgresql://timeline@{CLOSED}/timeline",
               COLUMNS="100", **extra)
    return env


def run(argv: list[str], env: dict[str, str], cwd: Path) -> Run:
    started = time.monotonic()
    result = subprocess.run(timeline_command() + argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=60)
    return Run(argv, result.returncode, result.stdout + result.stderr, time.monotonic() - started)


def run_all(commands: list[list[str]], env: dict[str, str], cwd: Path) -> list[Run]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda argv: run(argv, env, cwd), commands))


@pytest.fixture(scope="module")
def unreachable_runs(tmp_path_factory) -> list[Run]:
    return run_all(COMMANDS, unreachable_env(), tmp_path_factory.mktemp("cli"))


@pytest.mark.parametrize("index", range(len(COMMANDS)), ids=[" ".join(c[:2]) for c in COMMANDS])
def test_a_command_with_the_services_unreachable_names_the_fix(unreachable_runs, index):
    done = unreachable_runs[index]
    shown = f"timeline {' '.join(done.argv)} -> {done.code} in {done.seconds:.1f} s:\n{done.out}"
    assert done.code != 0, shown
    assert done.seconds < BOUND_SECONDS, shown
    assert len(done.lines) <= 3, shown
    assert "Traceback" not in done.out and "Unclosed" not in done.out, shown
    assert "timeline stack up" in done.out, shown
    assert f"at {CLOSED}" in done.out, shown


def test_a_bad_argument_is_told_in_at_most_three_lines(tmp_path):
    for done in run_all(BAD_ARGUMENTS, unreachable_env(), tmp_path):
        shown = f"timeline {' '.join(done.argv)} -> {done.code}:\n{done.out}"
        assert done.code != 0, shown
        assert 1 <= len(done.lines) <= 3, shown
        assert "Traceback" not in done.out, shown


def test_debug_shows_the_traceback(tmp_path):
    with ThreadPoolExecutor(max_workers=2) as pool:
        flag = pool.submit(run, ["--debug", "show", "timeline"], unreachable_env(), tmp_path)
        setting = pool.submit(run, ["checksum"], unreachable_env(TIMELINE_DEBUG="1"), tmp_path)
        runs = [flag.result(), setting.result()]
    for done in runs:
        assert done.code != 0, done.out
        assert "Traceback (most recent call last)" in done.out, done.out
        assert "connection refused" in done.out.lower() or "Connect call failed" in done.out, done.out


def test_explained_from_the_exceptions_themselves(monkeypatch):
    """What a command meets when a service goes away after the checks, or a schema or topic is missing."""
    from aiokafka.errors import KafkaConnectionError, UnknownTopicOrPartitionError
    from asyncpg.exceptions import InvalidPasswordError, UndefinedTableError

    from timeline.cli.errors import explain

    monkeypatch.setenv("TIMELINE_DB_SCHEMA", "views")
    assert "run: timeline migrate" in explain(UndefinedTableError('relation "event_log" does not exist')).fix
    assert "'views' is not migrated" in explain(UndefinedTableError('relation "event_log" does not exist')).what[0]
    assert explain(UnknownTopicOrPartitionError()).fix == "run: timeline topics create"
    assert "timeline stack up" in explain(KafkaConnectionError("Unable to bootstrap")).fix
    assert "TIMELINE_DATABASE_URL" in explain(InvalidPasswordError("password authentication failed")).fix
    wrapped = RuntimeError("a driver's wrapper")
    wrapped.__cause__ = UndefinedTableError('relation "actor" does not exist')
    assert explain(wrapped).fix == "run: timeline migrate"
    assert explain(KeyError("a bug")) is None


async def test_a_connection_refused_inside_the_driver_is_told_as_postgresql(monkeypatch):
    import asyncpg

    from timeline.cli.errors import explain

    monkeypatch.setenv("TIMELINE_DATABASE_URL", f"postgresql://timeline@{CLOSED}/timeline")
    with pytest.raises(OSError) as refused:
        await asyncpg.connect(f"postgresql://timeline@{CLOSED}/timeline")
    problem = explain(refused.value)
    assert problem is not None
    assert problem.what == (f"cannot reach PostgreSQL at {CLOSED} (connection refused)",)


async def test_a_producer_that_cannot_start_is_stopped(monkeypatch):
    from aiokafka.errors import KafkaConnectionError

    from timeline import bootstrap
    from timeline.config import Settings

    made = []

    def make(settings):
        made.append(real(settings))
        return made[-1]

    real = bootstrap.make_producer
    monkeypatch.setattr(bootstrap, "make_producer", make)
    with pytest.raises(KafkaConnectionError):
        async with bootstrap.producer(Settings(kafka_bootstrap=CLOSED)):
            pass
    assert made and made[0]._closed
