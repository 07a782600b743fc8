from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import isolated_settings, settings_env
from tests.integration import harness
from timeline.config import Settings
from timeline.stack import Postgres
from timeline.synthetic import generate
from timeline.testing import free_port, owner_url_on

EVENTS = 20_000


class ProjectorProcess:
    """``timeline project`` as a child process, so that it can be killed like a real one."""

    def __init__(self, settings, log_dir: Path, name: str):
        self.log_path = log_dir / f"{name}.log"
        self.log = self.log_path.open("ab")
        env = settings_env(settings)
        env["TIMELINE_PROJECTOR_SYNCHRONOUS_COMMIT"] = str(settings.projector_synchronous_commit).lower()
        self.proc = subprocess.Popen(["timeline", "project"], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def interrupt(self) -> int:
        """Stop it as a user would (Ctrl-C) and return its exit status."""
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(60)

    def text(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="module")
async def fault_log():
    """20,000 generated events with unique ids (400 of them corrections) on fresh topics."""
    settings = isolated_settings(batch_max_records=500)
    await harness.prepare(settings)
    events = list(generate(EVENTS, seed=42, prefix="fault"))
    await harness.publish_events(settings, events)
    yield settings, events
    await harness.drop(settings)


@pytest.fixture
async def scenario(fault_log, tmp_path):
    """A projection of its own (schema and consumer group) over the shared fault log."""
    base, events = fault_log
    settings = isolated_settings(topic_prefix=base.topic_prefix, batch_max_records=500)
    await harness.prepare(settings)
    processes: list[ProjectorProcess] = []

    def start(name: str = "projector") -> ProjectorProcess:
        process = ProjectorProcess(settings, tmp_path, f"{name}-{len(processes)}")
        processes.append(process)
        return process

    yield settings, events, start
    for process in processes:
        if process.alive:
            process.kill9()
    con = await asyncpg.connect(settings.database_url)
    try:
        await con.execute(f'DROP SCHEMA IF EXISTS "{settings.db_schema}" CASCADE')
    finally:
        await con.close()


@pytest.fixture
def projectors(tmp_path):
    """Start ``timeline project`` processes; whatever still runs is killed at the end."""
    started: list[ProjectorProcess] = []

    def start(settings, name: str) -> ProjectorProcess:
        started.append(ProjectorProcess(settings, tmp_path, f"{name}-{len(started)}"))
        return started[-1]

    yield start
    for process in started:
        if process.alive:
            process.kill9()


class PrivatePostgres(Postgres):
    """A PostgreSQL cluster of the test's own, on a free port: crashing it touches nobody else's."""

    @property
    def pid_file(self) -> Path:
        return self.home / "data" / "postmaster.pid"

    def _children(self) -> tuple[int, list[int]]:
        postmaster = int(self.pid_file.read_text().split()[0])
        return postmaster, [pid for pid in _pids() if _parent(pid) == postmaster]

    def stall_wal_writer(self) -> None:
        """Stop the WAL writer (SIGSTOP): asynchronous commits stay in shared memory, unwritten,
        as the last ones before any crash are (until ``crash`` kills it)."""
        for pid in self._children()[1]:
            if _command(pid).startswith("postgres: walwriter"):
                os.kill(pid, signal.SIGSTOP)

    def crash(self, timeout: float = 30) -> None:
        """``kill -9`` the postmaster, then every process it had started (a crash of the server:
        nothing is shut down, WAL not yet written out of shared memory is lost)."""
        postmaster, children = self._children()
        os.kill(postmaster, signal.SIGKILL)
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        while any(_running(pid) for pid in [postmaster, *children]):
            assert time.monotonic() < deadline, "PostgreSQL's processes outlived kill -9"
            time.sleep(0.05)


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _parent(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[1]) if fields else None


def _running(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


@pytest.fixture(scope="module")
def private_postgres(tmp_path_factory):
    """A PostgreSQL cluster of this module's own (its own data directory and port), stopped and
    removed at the end; Kafka is the shared one (not touched)."""
    settings = Settings(stack_dir=tmp_path_factory.mktemp("stack"), database_url=owner_url_on(free_port()))  # type: ignore[call-arg]
    postgres = PrivatePostgres(settings)
    postgres.start()
    yield postgres
    postgres.stop("immediate")
    shutil.rmtree(postgres.home, ignore_errors=True)
