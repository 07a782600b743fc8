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
from .registry import BY_CE_TYPE, UPCASTERS, resolve

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
    """Bytes from a topic to a typed event, or an ``InvalidEvent``.

    The same as ``decode_reference``: a value that parses to an object naming a registered type
    and carrying the required attributes validates on that type's envelope (``_decode_fast``);
    anything else, and every value that fails there, goes through ``decode_reference``, which
    words every error."""
    if type(raw) is bytes and 0 < len(raw) <= max_bytes:
        event = _decode_fast(raw)
        if event is not None:
            return event
    return decode_reference(raw, max_bytes)


def decode_reference(raw: bytes | None, max_bytes: int = 1_000_000) -> Envelope:
    """Bytes from a topic to a typed event, or an ``InvalidEvent``: ``orjson`` parses, ``decode_obj`` validates."""
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


def _decode_fast(raw: bytes) -> Envelope | None:
    """``raw`` validated on the envelope of the type it names, or None when it is not JSON, not
    an object, lacks a required attribute, names no registered type (or an upcasted one) or is
    not a valid event of its type.

    It parses with orjson, as the reference does. pydantic's own JSON parser
    (``model_validate_json``) validates about 10% faster but reads what orjson refuses: NaN,
    Infinity, floats past the double range, integers of hundreds of digits, any of them hidden
    under a duplicate key that a later one overrides; finding them in the bytes costs more than
    it saves."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if type(obj) is not dict or not ("specversion" in obj and "id" in obj and "source" in obj and "type" in obj):
        return None  # the REQUIRED_ATTRIBUTES
    ce_type = obj["type"]
    if type(ce_type) is not str or ce_type in UPCASTERS:
        return None
    event_type = BY_CE_TYPE.get(ce_type)
    if event_type is None:
        return None
    try:
        return event_type.envelope.model_validate(obj)
    except ValidationError:
        return None


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
