"""API keys with scopes: ``read`` for the views, ``publish`` for ingestion.

Keys are compared as UTF-8 bytes in constant time against every configured key, so any header
value (non-ASCII included) is a key like another: unknown or missing gives 401, a key without
the scope 403.

The web page reads with a session cookie instead (``SESSION_COOKIE``, HttpOnly): it holds an
expiry, a digest of the read key it was opened with and an HMAC of both under
``Settings.ui_signing_key``, never the key itself. It counts for the ``read`` scope only, and only
while that key is still configured with the scope; publishing always needs the header."""
from __future__ import annotations

import hashlib
import hmac
import time

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from ..config import Settings

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="an API key with the needed scope")
CHALLENGE = {"WWW-Authenticate": "ApiKey"}
SESSION_COOKIE = "timeline_session"
SESSION_SCOPE = "read"


def _as_bytes(text: str) -> bytes:
    """A header value as bytes. Headers arrive decoded as Latin-1; lone surrogates cannot occur
    there, but a value that somehow holds one still yields bytes that match no key."""
    return text.encode("utf-8", "surrogatepass")


def scopes_of(known: dict[str, frozenset[str]], key: str) -> frozenset[str] | None:
    """The scopes of ``key``, or None if no configured key equals it; every key is compared."""
    given = _as_bytes(key)
    found = None
    for candidate, scopes in known.items():
        if hmac.compare_digest(_as_bytes(candidate), given):
            found = scopes
    return found


def require(scope: str):
    """A dependency that lets a request through only with a key carrying ``scope``."""

    async def check(request: Request, key: str | None = Security(api_key_header)) -> str:
        if not key and scope == SESSION_SCOPE and has_session(request.app.state.settings, request.cookies.get(SESSION_COOKIE)):
            return "session"
        if not key:
            raise HTTPException(401, "missing API key: send it in the X-API-Key header", headers=CHALLENGE)
        scopes = scopes_of(request.app.state.settings.api_key_scopes, key)
        if scopes is None:
            raise HTTPException(401, "unknown API key", headers=CHALLENGE)
        if scope not in scopes:
            raise HTTPException(403, f"this API key lacks the {scope!r} scope")
        return key

    return Depends(check)


def _key_digest(key: str) -> str:
    return hashlib.sha256(_as_bytes(key)).hexdigest()[:32]


def _signature(settings: Settings, payload: str) -> str:
    return hmac.new(settings.ui_signing_key, payload.encode(), hashlib.sha256).hexdigest()


def open_session(settings: Settings, key: str, now: float | None = None) -> str | None:
    """A session cookie's value for ``key``, or None unless ``key`` is configured with the read scope."""
    scopes = scopes_of(settings.api_key_scopes, key)
    if scopes is None or SESSION_SCOPE not in scopes:
        return None
    expires = int((now or time.time()) + settings.ui_session_hours * 3600)
    payload = f"{expires}.{_key_digest(key)}"
    return f"{payload}.{_signature(settings, payload)}"


def has_session(settings: Settings, cookie: str | None, now: float | None = None) -> bool:
    """Whether ``cookie`` is a session this server signed, not expired, whose read key is still configured."""
    if not cookie or cookie.count(".") != 2:
        return False
    expires, digest, signature = cookie.split(".")
    if not hmac.compare_digest(_as_bytes(signature), _as_bytes(_signature(settings, f"{expires}.{digest}"))):
        return False
    if not (expires.isascii() and expires.isdigit()) or int(expires) < (now or time.time()):
        return False
    return any(SESSION_SCOPE in scopes and hmac.compare_digest(_key_digest(key), digest)
               for key, scopes in settings.api_key_scopes.items())
