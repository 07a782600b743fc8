"""Typed events: the CloudEvents envelope, payload models, the type registry and the codec."""
from .codec import decode, decode_obj, encode
from .envelope import Envelope
from .errors import InvalidEvent
from .registry import BY_CE_TYPE, BY_NAME, CORRECTION, EVENT_TYPES, FACT_TYPES, EventType, resolve

__all__ = [
    "BY_CE_TYPE", "BY_NAME", "CORRECTION", "EVENT_TYPES", "FACT_TYPES", "Envelope", "EventType",
    "InvalidEvent", "decode", "decode_obj", "encode", "resolve",
]
