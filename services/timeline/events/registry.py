"""The registry of event types: each type's payload model, envelope model, topic and schema."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, create_model

from .envelope import Envelope
from .payloads import BorderDecision, Correction, DisplacementReport, OffensiveEscalation, Statement

TYPE_PREFIX = "org.timeline."
SCHEMA_BASE = "https://timeline.example.org/schemas/"


@dataclass(frozen=True)
class EventType:
    """One versioned event type."""

    name: str
    version: int
    payload: type[BaseModel]
    envelope: type[Envelope]
    topic_type: str  # the topic it travels on; a correction travels on its target's topic

    @property
    def ce_type(self) -> str:
        return f"{TYPE_PREFIX}{self.name}.v{self.version}"

    @property
    def schema_file(self) -> str:
        return f"{self.ce_type}.schema.json"

    @property
    def dataschema(self) -> str:
        return SCHEMA_BASE + self.schema_file


def _event_type(name: str, version: int, payload: type[BaseModel]) -> EventType:
    ce_type = f"{TYPE_PREFIX}{name}.v{version}"
    ce_literal: Any = Literal[ce_type]
    envelope = create_model(
        f"{payload.__name__}Event",
        __base__=Envelope,
        __doc__=f"CloudEvent carrying a {payload.__name__} ({ce_type}).",
        type=(ce_literal, ...),
        data=(payload, ...),
    )
    return EventType(name, version, payload, envelope, name)


FACT_TYPES: tuple[EventType, ...] = (
    _event_type("offensive_escalation", 1, OffensiveEscalation),
    _event_type("statement", 1, Statement),
    _event_type("border_decision", 1, BorderDecision),
    _event_type("displacement_report", 1, DisplacementReport),
)
CORRECTION = _event_type("correction", 1, Correction)
EVENT_TYPES: tuple[EventType, ...] = (*FACT_TYPES, CORRECTION)
BY_CE_TYPE: dict[str, EventType] = {t.ce_type: t for t in EVENT_TYPES}
BY_NAME: dict[str, EventType] = {t.name: t for t in EVENT_TYPES}

# Upcasters turn the JSON of an old type version into the current one, keyed by the old
# ``type``. A new version of a type adds a model and an entry here; nothing changes in place.
UPCASTERS: dict[str, Callable[[dict], dict]] = {}


def resolve(ce_type: str) -> EventType | None:
    """The registered type for a CloudEvents ``type``, or None."""
    return BY_CE_TYPE.get(ce_type)


def topic_type_of(event: Envelope) -> str:
    """The short type name whose topic carries ``event``."""
    if isinstance(event.data, Correction):
        return event.data.corrects_type
    return event.type_name
