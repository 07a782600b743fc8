"""Wire format: CloudEvents structured JSON mode, plus the binding's ``ce_`` headers for routing.

``decode`` is the only way bytes become an event; every failure is an ``InvalidEvent``
subclass naming the field and the reason, which the projector routes to a dead-letter topic.
"""
from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError

from .envelope import Envelope
from .errors import NotCloudEvent, NotJson, Oversize, SchemaViolation, Undecodable, UnknownType
from .registry import UPCASTERS, resolve

CONTENT_TYPE = b"application/cloudevents+json; charset=utf-8"
REQUIRED_ATTRIBUTES = ("specversion", "id", "source", "type")


def encode(event: Envelope) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The Kafka value and headers of ``event``."""
    value = event.model_dump_json(exclude_none=True).encode()
    headers = [
        ("content-type", CONTENT_TYPE),
        ("ce_specversion", b"1.0"),
        ("ce_id", event.id.encode()),
        ("ce_source", event.source.encode()),
        ("ce_type", event.type.encode()),
    ]
    return value, headers


def decode(raw: bytes | None, max_bytes: int = 1_000_000) -> Envelope:
    """Bytes from a topic to a typed event, or an ``InvalidEvent``."""
    if raw is None or raw == b"":
        raise NotCloudEvent("the record has no value")
    if len(raw) > max_bytes:
        raise Oversize(f"{len(raw)} bytes is over the limit of {max_bytes}")
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Undecodable("the value is not UTF-8 text") from None
        raise NotJson(f"the value is not JSON ({exc})") from None
    return decode_obj(obj)


def decode_obj(obj: Any) -> Envelope:
    """A parsed JSON value to a typed event, or an ``InvalidEvent``."""
    if not isinstance(obj, dict):
        raise NotCloudEvent(f"a CloudEvent is a JSON object, not {type(obj).__name__}")
    for attribute in REQUIRED_ATTRIBUTES:
        if attribute not in obj:
            raise NotCloudEvent("required CloudEvents attribute is missing", field=attribute)
    ce_type = obj["type"]
    while isinstance(ce_type, str) and ce_type in UPCASTERS:
        obj = UPCASTERS[ce_type](obj)
        ce_type = obj["type"]
    event_type = resolve(ce_type) if isinstance(ce_type, str) else None
    if event_type is None:
        raise UnknownType(f"unknown event type {ce_type!r}", field="type")
    try:
        return event_type.envelope.model_validate(obj)
    except ValidationError as exc:
        raise SchemaViolation.from_pydantic(exc) from None
