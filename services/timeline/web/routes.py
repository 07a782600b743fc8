"""Routes of the web page: pages, static files, npm libraries, the login and the live feed.

A page is served to a visitor with a read session (the ``timeline_session`` cookie). Without
one, the server opens it with ``Settings.ui_read_key`` when that names a configured read key,
and otherwise sends the visitor to the login form. No page or script holds a key."""
from __future__ import annotations

import gzip
import html
import mimetypes
import time
from collections.abc import AsyncIterator
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs, quote

from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, StreamingResponse

from ..api.security import SESSION_COOKIE, has_session, open_session, require
from ..bus.topics import changes_topic
from ..config import REPO_ROOT, Settings
from ..read.sql import rows

STATIC = Path(__file__).parent / "static"
NODE_MODULES = REPO_ROOT / "web" / "node_modules"
PAGES = {"": "index.html", "event": "event.html", "actor": "actor.html", "displacement": "displacement.html",
         "borders": "borders.html", "map": "map.html"}
# the npm files a page may load, by the name it asks for (nothing else of node_modules is served)
VENDOR = {
    "d3.min.js": "d3/dist/d3.min.js",
    "topojson-client.min.js": "topojson-client/dist/topojson-client.min.js",
    "countries-110m.json": "world-atlas/countries-110m.json",
    "axe.min.js": "axe-core/axe.min.js",
}
COMPRESSED = frozenset({".js", ".css", ".json", ".html"})
HEARTBEAT_S = 15
# pages and scripts change with the code only: a short cache keeps reloads cheap and edits visible
CACHE = {"Cache-Control": "max-age=60"}

router = APIRouter(prefix="/ui", include_in_schema=False)


def _session_cookie(response: Response, settings: Settings, value: str) -> None:
    response.set_cookie(SESSION_COOKIE, value, max_age=int(settings.ui_session_hours * 3600), path="/",
                        httponly=True, samesite="strict")


def _page(request: Request, name: str) -> Response:
    file = STATIC / PAGES[name]
    if not file.is_file():
        raise HTTPException(404, f"no page {name!r}")
    settings: Settings = request.app.state.settings
    if has_session(settings, request.cookies.get(SESSION_COOKIE)):
        return FileResponse(file, headers={"Cache-Control": "no-cache"})
    opened = open_session(settings, settings.ui_read_key) if settings.ui_read_key else None
    if opened is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/ui/login?next={quote(target, safe='')}", status_code=303)
    response = FileResponse(file, headers={"Cache-Control": "no-cache"})
    _session_cookie(response, settings, opened)
    return response


@router.get("/")
async def timeline_page(request: Request) -> Response:
    """The timeline."""
    return _page(request, "")


def _inside(root: Path, relative: str) -> Path:
    file = (root / relative).resolve()
    if not file.is_relative_to(root.resolve()) or not file.is_file():
        raise HTTPException(404, "no such file")
    return file


@lru_cache(maxsize=64)
def _gzipped(file: Path, modified: float) -> bytes:
    return gzip.compress(file.read_bytes(), compresslevel=9, mtime=0)


def _file(request: Request, file: Path, headers: dict[str, str]) -> Response:
    """``file``, gzipped once and kept when the browser accepts it (d3: 280 kB, 93 kB gzipped)."""
    if "gzip" not in request.headers.get("accept-encoding", "") or file.suffix not in COMPRESSED:
        return FileResponse(file, headers=headers)
    media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    return Response(_gzipped(file, file.stat().st_mtime), media_type=media_type,
                    headers={**headers, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"})


@router.get("/static/{path:path}")
async def static(request: Request, path: str) -> Response:
    """The pages' scripts and styles."""
    return _file(request, _inside(STATIC, path), CACHE)


@router.get("/vendor/{name}")
async def vendor(request: Request, name: str) -> Response:
    """An npm file of the whitelist, from web/node_modules (installed by deploy/env.sh)."""
    if name not in VENDOR:
        raise HTTPException(404, f"no vendor file {name!r}")
    file = NODE_MODULES / VENDOR[name]
    if not file.is_file():
        raise HTTPException(404, f"{VENDOR[name]} is not installed: run `npm ci --prefix web`")
    return _file(request, file, {"Cache-Control": "max-age=86400"})


def _next(target: str | None) -> str:
    """Where to go after the login: a page of /ui/ only, never another site."""
    if target and target.startswith("/ui/") and not target.startswith("//"):
        return target
    return "/ui/"


def _login_form(target: str, message: str = "") -> str:
    alert = f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · timeline</title><link rel="stylesheet" href="/ui/static/css/app.css"></head>
<body><main class="login"><h1>Conflict timeline</h1>
<form method="post" action="/ui/login">
<p>Give a read key to open a read session. It is kept on the server; this browser holds a session cookie only.</p>
{alert}
<label for="key">Read key</label>
<input id="key" name="key" type="password" autocomplete="current-password" required>
<input type="hidden" name="next" value="{html.escape(target)}">
<button type="submit">Sign in</button>
</form></main></body></html>"""


@router.get("/login")
async def login_form(next: str | None = None) -> HTMLResponse:
    """The login form."""
    return HTMLResponse(_login_form(_next(next)))


@router.post("/login")
async def login(request: Request) -> Response:
    """A read key in, an HttpOnly session cookie out; any other key is refused with the form again."""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    key, target = (form.get("key") or [""])[0], _next((form.get("next") or [""])[0])
    value = open_session(request.app.state.settings, key) if key else None
    if value is None:
        return HTMLResponse(_login_form(target, "This key does not open a read session."), status_code=401)
    response = RedirectResponse(target, status_code=303)
    _session_cookie(response, request.app.state.settings, value)
    return response


@router.post("/logout")
async def logout() -> Response:
    """End the session."""
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


KNOWN_RANGE = ("SELECT least((SELECT min(known_at) FROM timeline_entry), (SELECT min(known_at) FROM timeline_version))"
               " AS earliest")


@router.get("/known-range", dependencies=[require("read")])
async def known_range(request: Request) -> dict:
    """The earliest ``recordedtime`` of any version: where the "as known on" slider starts."""
    found = await rows(request.app.state.pool, KNOWN_RANGE, {})
    earliest = found[0]["earliest"] if found else None
    return {"earliest": earliest.isoformat() if earliest else None}


@router.get("/live", dependencies=[require("read")])
async def live(request: Request) -> StreamingResponse:
    """The change feed from now on, as server-sent events: one ``data:`` line of JSON per change
    (the relay's ChangeMessage), a ``ready`` event once the feed is read from its end, and a
    comment every 15 s so that proxies keep the connection."""
    return StreamingResponse(_changes(request), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def _changes(request: Request) -> AsyncIterator[bytes]:
    settings: Settings = request.app.state.settings
    tp = TopicPartition(changes_topic(settings), 0)
    # no group: each connection reads the end of the one partition for itself and commits nothing
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([tp])
        await consumer.seek_to_end(tp)
        await consumer.position(tp)  # resolves the end now, so nothing published after `ready` is missed
        yield b"retry: 1000\nevent: ready\ndata: {}\n\n"
        beat = time.monotonic()
        while not await request.is_disconnected():
            batch = await consumer.getmany(tp, timeout_ms=1000, max_records=500)
            for message in batch.get(tp, []):
                yield b"data: " + message.value.replace(b"\n", b" ") + b"\n\n"
            if time.monotonic() - beat >= HEARTBEAT_S:
                beat = time.monotonic()
                yield b": heartbeat\n\n"
    finally:
        await consumer.stop()


# last, so that the fixed paths above win over a page's name
@router.get("/{name}")
async def named_page(request: Request, name: str) -> Response:
    """One of the other pages (event, actor, displacement, borders, map)."""
    if name not in PAGES or not name:
        raise HTTPException(404, f"no page {name!r}")
    return _page(request, name)
