"""API keys with scopes: ``read`` for the views, ``publish`` for ingestion.

Only the SHA-256 of each configured key is held (see ``timeline.keys``: keys may be configured
in clear or as digests, inline or in a file). The digest of the header value (its UTF-8 bytes,
so any value, non-ASCII included, is a key like another) is compared in constant time with every
configured digest: unknown or missing gives 401, a key without the scope 403.

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
from ..keys import KeyTable, digest

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="an API key with the needed scope")
CHALLENGE = {"WWW-Authenticate": "ApiKey"}
SESSION_COOKIE = "timeline_session"
SESSION_SCOPE = "read"


def scopes_of(known: KeyTable, key: str) -> frozenset[str] | None:
    """The scopes of ``key``, or None if no configured key equals it. The key's digest is
    compared with every configured digest in constant time."""
    given = digest(key).encode()
    found = None
    for candidate, scopes in known.items():
        if hmac.compare_digest(candidate.encode(), given):
            found = scopes
    return found


def require(scope: str):
    """A dependency that lets a request through only with a key carrying ``scope``."""

    async def check(request: Request, key: str | None = Security(api_key_header)) -> str:
        if not key and scope == SESSION_SCOPE and has_session(request.app.state.settings, request.cookies.get(SESSION_COOKIE)):
            return "session"
        if not key:
            raise HTTPException(401, "missing API key: send it in the X-API-Key header", headers=CHALLENGE)
        scopes = scopes_of(request.app.state.settings.api_key_digests, key)
        if scopes is None:
            raise HTTPException(401, "unknown API key", headers=CHALLENGE)
        if scope not in scopes:
            raise HTTPException(403, f"this API key lacks the {scope!r} scope")
        return key

    return Depends(check)


def _key_digest(key: str) -> str:
    return digest(key)[:32]


def _signature(settings: Settings, payload: str) -> str:
    return hmac.new(settings.ui_signing_key, payload.encode(), hashlib.sha256).hexdigest()


def open_session(settings: Settings, key: str, now: float | None = None) -> str | None:
    """A session cookie's value for ``key``, or None unless ``key`` is configured with the read scope."""
    scopes = scopes_of(settings.api_key_digests, key)
    if scopes is None or SESSION_SCOPE not in scopes:
        return None
    expires = int((now or time.time()) + settings.ui_session_hours * 3600)
    payload = f"{expires}.{_key_digest(key)}"
    return f"{payload}.{_signature(settings, payload)}"


def has_session(settings: Settings, cookie: str | None, now: float | None = None) -> bool:
    """Whether ``cookie`` is a session this server signed, not expired, whose read key is still configured."""
    if not cookie or cookie.count(".") != 2:
        return False
    expires, key_digest, signature = cookie.split(".")
    expected = _signature(settings, f"{expires}.{key_digest}")
    if not hmac.compare_digest(signature.encode("utf-8", "surrogatepass"), expected.encode()):
        return False
    if not (expires.isascii() and expires.isdigit()) or int(expires) < (now or time.time()):
        return False
    return any(SESSION_SCOPE in scopes and hmac.compare_digest(known[:32].encode(), key_digest.encode("utf-8", "surrogatepass"))
               for known, scopes in settings.api_key_digests.items())
