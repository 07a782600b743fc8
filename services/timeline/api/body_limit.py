"""The request body limit (``api_max_body_bytes``), answered like every other refusal.

A body declared larger than the limit (``Content-Length``) is refused before it is read; one
sent in chunks is counted as it is read and refused as soon as it passes the limit. Either way
the answer is 413 with ``{"detail": ...}`` in JSON. Only methods that carry a body are limited:
the API reads no other body.
"""
from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import problem

METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class BodyLimit:
    """ASGI middleware: 413 for a request body over ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _detail(self, size: int | str) -> str:
        return f"the body is {size} bytes, over the limit of {self.max_bytes}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in METHODS_WITH_BODY:
            return await self.app(scope, receive, send)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > self.max_bytes:
            return await problem(413, self._detail(int(declared)))(scope, receive, send)
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, self._detail(f"more than {self.max_bytes}"))
            return message

        await self.app(scope, counted, send)
