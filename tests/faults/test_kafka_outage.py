"""A lost broker is announced within seconds, and its return is noticed.

A private single-node Kafka (its own ports and data directory) serves a ``timeline project``
process and ``timeline serve``; the database is the shared PostgreSQL (a schema of its own).
The broker is killed with kill -9: the projector must log ``waiting waiting_for=kafka``,
``/health/ready`` must answer 503 naming kafka, and ``timeline_kafka_up`` must read 0, each
within ``BOUND_S``. Then the broker is started again: ready answers 200, the metric reads 1,
and an event published after the restart is projected.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import time

import httpx
import pytest

from tests.conftest import isolated_settings, settings_env
from tests.faults.conftest import ProjectorProcess
from tests.integration import harness
from timeline.config import Settings
from timeline.stack import Kafka
from timeline.synthetic import generate

pytestmark = pytest.mark.faults

KAFKA_PORT, CONTROLLER_PORT, API_PORT = 19201, 19202, 19210
BOUND_S = 10.0  # the longest an outage may go unannounced (kafka_down_after_s is 3 s)
API = f"http://127.0.0.1:{API_PORT}"


@pytest.fixture(scope="module")
def private_kafka(tmp_path_factory):
    """A broker of this module's own, killed and deleted at the end whatever happened."""
    stack_dir = tmp_path_factory.mktemp("kafka-stack")
    settings = Settings(stack_dir=stack_dir, kafka_bootstrap=f"127.0.0.1:{KAFKA_PORT}",  # type: ignore[call-arg]
                        kafka_controller_port=CONTROLLER_PORT, kafka_heap="256m")
    kafka = Kafka(settings)
    try:
        kafka.start()
        yield kafka
    finally:
        kafka.stop(kill=True)
        shutil.rmtree(stack_dir, ignore_errors=True)


@pytest.fixture
async def outage_settings(private_kafka):
    settings = isolated_settings(kafka_bootstrap=private_kafka.settings.kafka_bootstrap,
                                 kafka_controller_port=CONTROLLER_PORT, batch_max_records=100)
    await harness.prepare(settings)
    yield settings
    await harness.drop(settings, topics=False)


def get(path: str) -> httpx.Response | None:
    try:
        return httpx.get(API + path, timeout=5)
    except httpx.HTTPError:
        return None


def kafka_up_metric() -> float | None:
    response = get("/metrics")
    found = response and re.search(r"^timeline_kafka_up (\S+)$", response.text, re.MULTILINE)
    return float(found.group(1)) if found else None


def ready() -> tuple[int, dict] | None:
    response = get("/health/ready")
    return (response.status_code, response.json()) if response is not None else None


def until(what: str, predicate, timeout: float, started: float, *processes) -> float:
    """Poll ``predicate`` until true; return the seconds since ``started``; fail after ``timeout``."""
    while not predicate():
        for process in processes:
            assert process.poll() is None, f"a process died while waiting for {what}"
        assert time.monotonic() - started < timeout, f"{what}: not within {timeout} s"
        time.sleep(0.1)
    return round(time.monotonic() - started, 2)


def first_true(checks: dict, timeout: float, started: float, *processes) -> dict[str, float]:
    """Poll every check together; the seconds since ``started`` at which each first held."""
    seen: dict[str, float] = {}
    while len(seen) < len(checks):
        for name, check in checks.items():
            if name not in seen and check():
                seen[name] = round(time.monotonic() - started, 2)
        for process in processes:
            assert process.poll() is None, "a process died during the outage"
        missing = [name for name in checks if name not in seen]
        assert time.monotonic() - started < timeout, f"not within {timeout} s: {missing}"
        time.sleep(0.1)
    return seen


async def test_a_killed_broker_is_announced_within_seconds_and_its_return_noticed(
        private_kafka, outage_settings, tmp_path):
    settings = outage_settings
    projector = ProjectorProcess(settings, tmp_path, "projector")
    serve_log = (tmp_path / "serve.log").open("ab")
    serve = subprocess.Popen(["timeline", "serve", "--workers", "1", "--port", str(API_PORT)],
                             env=settings_env(settings), stdout=serve_log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
    events = list(generate(2, seed=6, correction_every=0, prefix="outage"))
    figures: dict[str, float] = {}
    try:
        until("the API ready", lambda: (ready() or (0, {}))[0] == 200, 90, time.monotonic(), serve, projector.proc)
        await harness.publish_events(settings, events[:1])

        async def projected(n: int) -> bool:
            assert projector.alive, projector.text()[-3000:]
            return len(await harness.fetch(settings, "SELECT 1 FROM event_log")) >= n
        await harness.wait_for(lambda: projected(1), timeout=90, what="the first event projected")
        assert kafka_up_metric() == 1.0
        assert "waiting_for=kafka" not in projector.text()

        def not_ready() -> bool:
            answer = ready()
            return answer is not None and answer[0] == 503 and answer[1]["checks"]["kafka"] != "ok"
        killed = time.monotonic()
        private_kafka.stop(kill=True)
        figures.update(first_true({
            "projector logs waiting_for=kafka": lambda: "waiting_for=kafka" in projector.text(),
            "/health/ready answers 503 (kafka)": not_ready,
            "timeline_kafka_up reads 0": lambda: kafka_up_metric() == 0.0,
        }, BOUND_S, killed, serve, projector.proc))
        status, body = ready() or (0, {})
        assert status == 503 and body["checks"]["postgresql"] == "ok", body

        restarted = time.monotonic()
        private_kafka.start()
        figures["broker restart (JVM start until it answers)"] = round(time.monotonic() - restarted, 2)
        back = time.monotonic()
        figures.update(first_true({
            "ready answers 200 after the broker answers": lambda: (ready() or (0, {}))[0] == 200,
            "timeline_kafka_up reads 1 after the broker answers": lambda: kafka_up_metric() == 1.0,
        }, BOUND_S, back, serve, projector.proc))
        await harness.publish_events(settings, events[1:])
        await harness.wait_for(lambda: projected(2), timeout=90, what="the event published after the restart")
        figures["event published after the restart projected"] = round(time.monotonic() - back, 2)
        assert "kafka is back" in projector.text()
        assert projector.interrupt() == 0, projector.text()[-3000:]
    finally:
        if projector.alive:
            projector.kill9()
        serve.terminate()
        try:
            serve.wait(30)
        except subprocess.TimeoutExpired:
            serve.kill()
        print("\nKafka outage, seconds:", *(f"  {k}: {v}" for k, v in figures.items()), sep="\n")
