"""What the consumer hands to projections: a decoded event with its Kafka coordinates.

``prepared`` holds what the event writes if it turns out to be new, computed from the event
alone (see ``projections.prepare``): the projector computes it while the previous batch is
being written, so that this work overlaps PostgreSQL's."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..events import Envelope


@dataclass(slots=True)
class Record:
    topic: str
    partition: int
    offset: int
    event: Envelope
    prepared: Any = None
    received: str | None = None  # the envelope's JSON as it arrived, kept in the event log
    message: Any = None  # the Kafka record it came from, for a dead letter should the store refuse it
