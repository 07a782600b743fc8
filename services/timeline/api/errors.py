"""Error bodies of the API: one shape for every refusal, documented on every operation.

Every error answers ``{"detail": ...}``: a sentence for 401, 403, 404, 413 and 503, and for 422
the list of field errors FastAPI itself emits (``loc``, ``msg``, ``type``, and ``input`` and
``ctx`` where pydantic gives them). The API's own 422s (a cursor it never returned, an instant
without a time zone) are raised as the same validation error, so they look alike.
"""
from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from . import models


class SafeJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped: an echoed input may hold lone surrogates, which UTF-8 cannot encode."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def problem(status: int, detail: Any, headers: dict[str, str] | None = None) -> SafeJSONResponse:
    """An error response ``{"detail": detail}``."""
    return SafeJSONResponse({"detail": jsonable_encoder(detail)}, status_code=status, headers=headers)


def invalid(location: tuple[str, ...], message: str, value: Any = None) -> RequestValidationError:
    """A 422 naming one parameter, shaped like FastAPI's own validation errors."""
    return RequestValidationError([{"loc": location, "msg": message, "type": "value_error", "input": value}])


async def http_error(request: Request, exc: HTTPException) -> SafeJSONResponse:
    return problem(exc.status_code, exc.detail, headers=getattr(exc, "headers", None))


async def validation_error(request: Request, exc: RequestValidationError) -> SafeJSONResponse:
    return problem(422, exc.errors())


def _problem(description: str) -> dict[str, Any]:
    return {"model": models.Problem, "description": description}


Responses = dict[int | str, dict[str, Any]]  # an operation's documented statuses, as FastAPI takes them

UNAUTHORIZED: Responses = {401: _problem("no API key, or one this API does not know"),
                403: _problem("the API key lacks the scope this operation needs")}
INVALID: Responses = {422: {"model": models.ValidationProblem, "description": "a parameter or the body is invalid; each is named"}}
UNAVAILABLE: Responses = {503: _problem("statement or lock timeout, or PostgreSQL unreachable: the reason is in detail; retry")}
READ: Responses = {**UNAUTHORIZED, **INVALID, **UNAVAILABLE}


def not_found(what: str) -> Responses:
    """The 404 of an operation that looks one thing up."""
    return {404: _problem(f"no such {what}")}
