"""The read API under load: `timeline serve` on loopback, measured with wrk.

    .venv/bin/python bench/api.py                 # against the schema of the current settings (TIMELINE_*)
    .venv/bin/python bench/api.py --duration 10

``measure_api(settings, duration_s)`` starts `timeline serve` on a free port against ``settings``
(its schema must be projected), runs wrk (one thread: it shares the machine's cores with the
server and PostgreSQL) on `GET /timeline?limit=100`, unfiltered and filtered, at 1, 10 and 50
connections, and stops the server. For each run: requests/s, p50 and p99 latency (wrk's
latency distribution, through a Lua ``done`` hook) and errors (non-2xx answers and socket
errors). Without wrk it says how to install it and skips. bench/run.py calls it after the
queries phase."""
from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, VENV_BIN, console, settings_env, show  # noqa: E402
from timeline.config import REPO_ROOT, Settings  # noqa: E402

CONNECTIONS = (1, 10, 50)
INSTALL = "wrk is not installed: `apt-get install -y wrk` (Debian, Ubuntu) or `brew install wrk`"
DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "non2xx": %d,'
    .. ' "socket_errors": %d}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _queries(settings: Settings) -> dict[str, str]:
    """The timed requests: unfiltered, by type and date range, by the busiest actor."""
    con = await asyncpg.connect(settings.database_url, server_settings={"search_path": settings.db_schema})
    try:
        actor = await con.fetchval("SELECT actor_id FROM event_actor GROUP BY actor_id ORDER BY count(*) DESC,"
                                   " actor_id LIMIT 1")
    finally:
        await con.close()
    base = {"limit": 100}
    chosen: dict[str, dict] = {
        "unfiltered": base,
        "type + date range": {**base, "type": "statement", "from": "2014-01-01", "to": "2018-12-31"},
    }
    if actor is not None:
        chosen[f"actor {actor}"] = {**base, "actor": actor}
    return {name: "/timeline?" + urlencode(params) for name, params in chosen.items()}


async def _wrk(url: str, key: str, connections: int, seconds: int, script: Path) -> dict:
    proc = await asyncio.create_subprocess_exec(
        "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(script),
        "-H", f"X-API-Key: {key}", url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed on {url}: {out.decode()[-500:]}")
    raw = json.loads(lines[-1])
    return {"requests_per_s": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
            "p50_ms": round(raw["p50_us"] / 1000, 2), "p99_ms": round(raw["p99_us"] / 1000, 2),
            "requests": raw["requests"], "non2xx": raw["non2xx"], "socket_errors": raw["socket_errors"],
            "errors": raw["non2xx"] + raw["socket_errors"]}


def _wait_live(base: str, proc: subprocess.Popen, log: Path, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"timeline serve exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(base + "/health/live", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"timeline serve did not answer within {timeout_s:.0f} s (log: {log})")


def start_server(settings: Settings, workers: int, name: str, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """``timeline serve`` on ``settings`` on a free loopback port, with ``env`` added, once it
    answers: (the process, its base URL). Its log is ``bench/out/logs/<name>-serve.log``."""
    port = _free_port()
    log = OUT / "logs" / f"{name}-serve.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    argv = [str(VENV_BIN / "timeline"), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with open(log, "wb") as out:
        server = subprocess.Popen(argv, env={**settings_env(settings), **env}, stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, cwd=REPO_ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_live(base, server, log)
    except BaseException:
        stop_server(server)
        raise
    return server, base


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


async def measure_api(settings: Settings, duration_s: float, workers: int | None = None) -> dict:
    """wrk against `timeline serve` on ``settings`` for ``duration_s`` per run; {"skipped": why} without wrk."""
    if shutil.which("wrk") is None:
        console.print(f"  [yellow]{INSTALL}; the API phase is skipped[/yellow]")
        return {"skipped": INSTALL}
    seconds, workers = max(1, round(duration_s)), workers or settings.api_workers
    queries = await _queries(settings)
    key = f"bench-{secrets.token_hex(8)}"
    runs = []
    server, base = await asyncio.to_thread(start_server, settings, workers, "api", {"TIMELINE_API_KEYS": f"{key}:read"})
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(DONE)
        lua = Path(script.name)
        try:
            await _wrk(base + queries["unfiltered"], key, 10, seconds, lua)  # warm: every worker's pool and statements
            for name, path in queries.items():
                for connections in CONNECTIONS:
                    result = await _wrk(base + path, key, connections, seconds, lua)
                    runs.append({"query": name, "path": path, "connections": connections, **result})
                    show(f"{name}, {connections} connection{'s' if connections > 1 else ''}",
                         f"{result['requests_per_s']:,.0f} req/s",
                         f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, {result['errors']} errors")
            live = await _wrk(base + "/health/live", key, 10, seconds, lua)
        finally:
            lua.unlink()
    finally:
        stop_server(server)
    return {"workers": workers, "duration_s": seconds, "wrk": "wrk -t1 --timeout 5s, X-API-Key, keep-alive",
            "runs": runs, "health_live_per_s": live["requests_per_s"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run (5)")
    parser.add_argument("--workers", type=int, default=None, help="`timeline serve --workers` (TIMELINE_API_WORKERS)")
    args = parser.parse_args()
    settings = Settings()
    console.rule(f"the read API under load (schema {settings.db_schema})")
    result = asyncio.run(measure_api(settings, args.duration, args.workers))
    console.print_json(json.dumps(result))


if __name__ == "__main__":
    main()
