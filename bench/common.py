"""Shared pieces of the benchmark: settings, output, schema and topic lifecycle, watched subprocesses."""
from __future__ import annotations

import asyncio
import resource
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from rich.console import Console

from timeline import testing
from timeline.config import REPO_ROOT, Settings
from timeline.testing import drop, isolated_settings, prepare, settings_env  # noqa: F401 - shared with the tests

BENCH = REPO_ROOT / "bench"
OUT = BENCH / "out"
VENV_BIN = REPO_ROOT / ".venv" / "bin"
SAMPLE_S = 0.5
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def fresh_settings(tag: str, **overrides) -> Settings:
    """Settings of a schema, topic prefix and consumer group nobody else uses."""
    return isolated_settings(tag, **overrides)


def new_tag() -> str:
    return testing.new_tag("bench")


def show(label: str, value: str, note: str = "") -> None:
    """Print one figure as soon as it is measured."""
    console.print(f"  [bold]{label:<46}[/bold] {value}" + (f"  [dim]{note}[/dim]" if note else ""))


def rate(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0


def kafka_pid(settings: Settings) -> int | None:
    try:
        return int((settings.stack_dir / "kafka" / "kafka.pid").read_text())
    except (OSError, ValueError):
        return None


def postgres_pid(settings: Settings) -> int | None:
    from timeline.stack import Postgres

    try:
        return int((Postgres(settings).home / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


class CpuWindow:
    """CPU seconds that Kafka and PostgreSQL (postmaster and every backend) spend over a window.

    Sampled: a backend that ends between two samples loses at most one interval of CPU."""

    def __init__(self, settings: Settings):
        self.kafka, self.pg = kafka_pid(settings), postgres_pid(settings)
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.group: dict[int, str] = {}
        self.sample(initial=True)

    def _procs(self):
        for pid, name in ((self.kafka, "kafka"), (self.pg, "postgresql")):
            if pid is None:
                continue
            try:
                root = psutil.Process(pid)
                yield name, root
                for child in root.children(recursive=True):
                    yield name, child
            except psutil.Error:
                continue

    def sample(self, initial: bool = False) -> None:
        for name, proc in self._procs():
            try:
                t = proc.cpu_times()
            except psutil.Error:
                continue
            self.group[proc.pid] = name
            self.first.setdefault(proc.pid, (t.user + t.system) if initial else 0.0)
            self.last[proc.pid] = t.user + t.system

    def totals(self) -> dict[str, float]:
        out = {"kafka": 0.0, "postgresql": 0.0}
        for pid, last in self.last.items():
            out[self.group[pid]] += max(0.0, last - self.first.get(pid, 0.0))
        return {k: round(v, 2) for k, v in out.items()}


def _peak_rss(proc: psutil.Process) -> int:
    """The process's high-water mark of resident memory (VmHWM), else its current RSS."""
    try:
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return proc.memory_info().rss
    except (OSError, psutil.Error):
        return 0


@dataclass
class Watched:
    """What a watched subprocess cost."""

    argv: list[str]
    returncode: int = 0
    seconds: float = 0.0
    cpu_s: float = 0.0
    peak_rss: int = 0
    samples: list[tuple[float, float]] = field(default_factory=list)  # (seconds since start, probe value)
    stack_cpu: dict[str, float] = field(default_factory=dict)

    @property
    def peak_rss_mb(self) -> float:
        return self.peak_rss / 2**20


async def run_watched(argv: list[str], settings: Settings, log: Path, timeout: float,
                      probe: Callable[[], Awaitable[float | None]] | None = None) -> Watched:
    """Run ``argv`` with the bench settings; every 0.5 s sample its memory, the stack's CPU and ``probe``.

    CPU seconds are exact (the children's rusage); peak RSS is the kernel's high-water mark."""
    log.parent.mkdir(parents=True, exist_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu, w = CpuWindow(settings), Watched(argv)
    started = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, env=settings_env(settings), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=REPO_ROOT)
    handle = psutil.Process(proc.pid)
    next_sample = started
    try:
        while proc.poll() is None:
            now = time.monotonic()
            if now - started > timeout:
                raise TimeoutError(f"{' '.join(argv)} ran over {timeout:.0f} s (log: {log})")
            if now >= next_sample:
                next_sample = now + SAMPLE_S
                w.peak_rss = max(w.peak_rss, _peak_rss(handle))
                cpu.sample()
                if probe is not None and (value := await probe()) is not None:
                    w.samples.append((time.monotonic() - started, value))
            await asyncio.sleep(0.02)  # notice the exit promptly: the wall time is the figure
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    w.seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    w.cpu_s = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    w.returncode, w.stack_cpu = proc.returncode, cpu.totals()
    if w.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {w.returncode} (log: {log})")
    return w
