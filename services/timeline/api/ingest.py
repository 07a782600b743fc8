"""Ingestion over HTTP for producers that do not speak Kafka.

Validated with the same models as the topics (422 names each field), authenticated with a
``publish`` key, answered 202 only after Kafka acknowledged. Idempotent by (source, id): the
projector drops a second copy, so a client may retry freely.
"""
from __future__ import annotations

from typing import Annotated, Union

from aiokafka.errors import KafkaError
from fastapi import APIRouter, Body, HTTPException, Request
from pydantic import Field

from ..bus.producer import publish
from ..events import EVENT_TYPES
from ..events.errors import Oversize
from . import models
from .security import require

router = APIRouter(tags=["ingestion"], dependencies=[require("publish")])

AnyEvent = Annotated[Union[tuple(t.envelope for t in EVENT_TYPES)], Field(discriminator="type")]  # type: ignore[misc]
RESPONSES = {422: {"model": models.ValidationProblem, "description": "an event is invalid; each field is named"},
             413: {"description": "the body, the batch or an event is too large"},
             503: {"description": "Kafka did not acknowledge; nothing was accepted, retry"}}


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
    return await _send(request, [event])


@router.post("/events/batch", status_code=202, response_model=models.Accepted, responses=RESPONSES)
async def ingest_batch(request: Request, events: Annotated[list[AnyEvent], Body(min_length=1)]) -> dict:
    """Publish a batch of CloudEvents. The batch is validated as a whole before anything is sent;
    after a 503 some may have been written, and a retry is safe (idempotent by source and id)."""
    limit = request.app.state.settings.api_max_batch
    if len(events) > limit:
        raise HTTPException(413, f"{len(events)} events is over the batch limit of {limit}")
    return await _send(request, events)
