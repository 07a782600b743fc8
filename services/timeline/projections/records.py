"""What the consumer hands to projections: a decoded event with its Kafka coordinates."""
from __future__ import annotations

from dataclasses import dataclass

from ..events import Envelope


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    partition: int
    offset: int
    event: Envelope
