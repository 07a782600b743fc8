"""Ingestion over HTTP for producers that do not speak Kafka.

Validated with the same models as the topics (422 names each field), authenticated with a
``publish`` key, answered 202 only after Kafka acknowledged. Idempotent by (source, id): the
projector drops a second copy, so a client may retry freely.

The body is validated twice: FastAPI's pass (lax: it documents the body and reads ``0`` as a
date) and then pydantic's strict JSON mode, which admits only the JSON types the document
names, so a producer cannot rely on a coercion that other consumers of the schema would refuse.
"""
from __future__ import annotations

from typing import Annotated, Any, Union

from aiokafka.errors import KafkaError
from fastapi import APIRouter, Body, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import Field, TypeAdapter, ValidationError

from ..bus.producer import publish
from ..events import EVENT_TYPES
from ..events.errors import Oversize
from . import errors, models
from .security import require

router = APIRouter(tags=["ingestion"], dependencies=[require("publish")])

AnyEvent = Annotated[Union[tuple(t.envelope for t in EVENT_TYPES)], Field(discriminator="type")]  # type: ignore[misc]
ONE = TypeAdapter(AnyEvent)
BATCH = TypeAdapter(list[AnyEvent])
RESPONSES = {**errors.UNAUTHORIZED,
             422: {"model": models.ValidationProblem, "description": "an event is invalid; each field is named"},
             413: {"model": models.Problem, "description": "the body, the batch or an event is too large"},
             503: {"model": models.Problem, "description": "Kafka did not acknowledge; nothing was accepted, retry"}}


async def _strict(request: Request, adapter: TypeAdapter) -> Any:
    """The body validated again in strict JSON mode; 422 with the same error shape as FastAPI's."""
    try:
        return adapter.validate_json(await request.body(), strict=True)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]) from None


async def _send(request: Request, events: list) -> dict:
    state = request.app.state
    try:
        await publish(state.producer, state.settings, events)
    except Oversize as exc:
        raise HTTPException(413, str(exc)) from None
    except KafkaError as exc:
        raise HTTPException(503, f"Kafka did not acknowledge: {type(exc).__name__}") from None
    state.metrics.ingested.inc(len(events))
    return {"accepted": len(events), "ids": [e.id for e in events]}


@router.post("/events", status_code=202, response_model=models.Accepted, responses=RESPONSES)
async def ingest_one(request: Request, event: Annotated[AnyEvent, Body()]) -> dict:
    """Publish one CloudEvent (structured JSON)."""
    return await _send(request, [await _strict(request, ONE)])


@router.post("/events/batch", status_code=202, response_model=models.Accepted, responses=RESPONSES)
async def ingest_batch(request: Request, events: Annotated[list[AnyEvent], Body(min_length=1)]) -> dict:
    """Publish a batch of CloudEvents. The batch is validated as a whole before anything is sent;
    after a 503 some may have been written, and a retry is safe (idempotent by source and id)."""
    limit = request.app.state.settings.api_max_batch
    if len(events) > limit:
        raise HTTPException(413, f"{len(events)} events is over the batch limit of {limit}")
    return await _send(request, await _strict(request, BATCH))
