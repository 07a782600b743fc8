"""The API fuzzed from its own OpenAPI document (schemathesis): no input gives a server error."""
from __future__ import annotations

import re
import socket
import subprocess
import time

import httpx
import pytest

from tests.conftest import settings_env

pytestmark = pytest.mark.integration
KEY = {"X-API-Key": "local-publisher"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(stack_settings):
    port = _free_port()
    proc = subprocess.Popen(["timeline", "serve", "--port", str(port)], env=settings_env(stack_settings),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/health/live", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "the API did not start"
        time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(30)


def test_no_input_gives_a_server_error(server, tmp_path):
    """schemathesis's own runner, every operation, the not_a_server_error check, a fixed seed."""
    result = subprocess.run(
        ["schemathesis", "run", f"{server}/openapi.json", "--checks", "not_a_server_error",
         "--header", f"X-API-Key: {KEY['X-API-Key']}", "--max-examples", "25", "--seed", "1",
         "--phases", "examples,coverage,fuzzing", "--request-timeout", "30", "--generation-database", "none"],
        capture_output=True, text=True, timeout=900, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    passed = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert passed and int(passed.group(2)) == int(passed.group(1)) >= 100, result.stdout[-3000:]
