"""API keys with scopes: ``read`` for the views, ``publish`` for ingestion."""
from __future__ import annotations

import secrets

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="an API key with the needed scope")


def require(scope: str):
    """A dependency that lets a request through only with a key carrying ``scope``."""

    async def check(request: Request, key: str | None = Security(api_key_header)) -> str:
        if not key:
            raise HTTPException(401, "missing API key: send it in the X-API-Key header",
                                headers={"WWW-Authenticate": "ApiKey"})
        known = request.app.state.settings.api_key_scopes
        match = next((scopes for k, scopes in known.items() if secrets.compare_digest(k, key)), None)
        if match is None:
            raise HTTPException(401, "unknown API key", headers={"WWW-Authenticate": "ApiKey"})
        if scope not in match:
            raise HTTPException(403, f"this API key lacks the {scope!r} scope")
        return key

    return Depends(check)
