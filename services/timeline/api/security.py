"""API keys with scopes: ``read`` for the views, ``publish`` for ingestion.

Keys are compared as UTF-8 bytes in constant time against every configured key, so any header
value (non-ASCII included) is a key like another: unknown or missing gives 401, a key without
the scope 403."""
from __future__ import annotations

import hmac

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="an API key with the needed scope")
CHALLENGE = {"WWW-Authenticate": "ApiKey"}


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
        if not key:
            raise HTTPException(401, "missing API key: send it in the X-API-Key header", headers=CHALLENGE)
        scopes = scopes_of(request.app.state.settings.api_key_scopes, key)
        if scopes is None:
            raise HTTPException(401, "unknown API key", headers=CHALLENGE)
        if scope not in scopes:
            raise HTTPException(403, f"this API key lacks the {scope!r} scope")
        return key

    return Depends(check)
