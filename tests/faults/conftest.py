from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import isolated_settings, settings_env
from tests.integration import harness
from timeline.synthetic import generate

EVENTS = 20_000


class ProjectorProcess:
    """``timeline project`` as a child process, so that it can be killed like a real one."""

    def __init__(self, settings, log_dir: Path, name: str):
        self.log_path = log_dir / f"{name}.log"
        self.log = self.log_path.open("ab")
        self.proc = subprocess.Popen(["timeline", "project"], env=settings_env(settings),
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
