"""Ingestion over HTTP for producers that do not speak Kafka.

Validated with the same models as the topics (422 names each field), authenticated with a
``publish`` key, answered 202 only after Kafka acknowledged. Idempotent by (source, id): the
projector drops a second copy, so a client may retry freely.

The body is validated twice: FastAPI's pass (lax: it documents the body and reads ``0`` as a
date) and then pydantic's strict JSON mode, which admits only the JSON types the document
names, so a producer cannot rely on a coercion that other consumers of the schema would refuse.
CloudEvents attributes that the models fill in for Python callers (``specversion``) must be on
the wire, as the document and the topics' decoder require.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union

from aiokafka.errors import KafkaError
from fastapi import APIRouter, Body, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import Field, TypeAdapter, ValidationError

from ..bus.producer import publish
from ..events import EVENT_TYPES, Envelope
from ..events.codec import REQUIRED_ATTRIBUTES
from ..events.errors import Oversize
from . import errors, models
from .security import require

router = APIRouter(tags=["ingestion"], dependencies=[require("publish")])

if TYPE_CHECKING:
    AnyEvent = Envelope
else:  # one of the registered types, chosen by ``type``
    AnyEvent = Annotated[Union[tuple(t.envelope for t in EVENT_TYPES)], Field(discriminator="type")]  # noqa: UP007
DEFAULTED_ATTRIBUTES = tuple(a for a in REQUIRED_ATTRIBUTES if not Envelope.model_fields[a].is_required())
ONE: TypeAdapter[Envelope] = TypeAdapter(AnyEvent)
BATCH: TypeAdapter[list[Envelope]] = TypeAdapter(list[AnyEvent])
RESPONSES: errors.Responses = {400: {"model": models.Problem, "description": "the body cannot be read as text (not UTF-8)"},
             **errors.UNAUTHORIZED,
             422: {"model": models.ValidationProblem, "description": "an event is invalid; each field is named"},
             413: {"model": models.Problem, "description": "the body, the batch or an event is too large"},
             503: {"model": models.Problem, "description": "Kafka did not acknowledge; nothing was accepted, retry"}}


def _absent_attributes(body: Any, batch: bool) -> list[dict]:
    """A "missing" error for each defaulted CloudEvents attribute an event of the body lacks."""
    events = enumerate(body) if batch else [(None, body)]
    return [{"type": "missing", "loc": ("body", *([] if i is None else [i]), name), "msg": "Field required",
             "input": event}
            for i, event in events if isinstance(event, dict) for name in DEFAULTED_ATTRIBUTES if name not in event]


async def _strict(request: Request, adapter: TypeAdapter, batch: bool) -> Any:
    """The body validated again in strict JSON mode, CloudEvents attributes present; 422 with the
    same error shape as FastAPI's."""
    problems = _absent_attributes(await request.json(), batch)
    try:
        events = adapter.validate_json(await request.body(), strict=True)
    except ValidationError as exc:
        problems += [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
    if problems:
        raise RequestValidationError(problems)
    return events


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
    return await _send(request, [await _strict(request, ONE, batch=False)])


@router.post("/events/batch", status_code=202, response_model=models.Accepted, responses=RESPONSES)
async def ingest_batch(request: Request, events: Annotated[list[AnyEvent], Body(min_length=1)]) -> dict:
    """Publish a batch of CloudEvents. The batch is validated as a whole before anything is sent;
    after a 503 some may have been written, and a retry is safe (idempotent by source and id)."""
    limit = request.app.state.settings.api_max_batch
    if len(events) > limit:
        raise HTTPException(413, f"{len(events)} events is over the batch limit of {limit}")
    return await _send(request, await _strict(request, BATCH, batch=True))
