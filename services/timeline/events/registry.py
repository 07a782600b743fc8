"""The registry of event types: each type's payload model, envelope model, topic and schema.

It is the only list of event types. Topics and dead-letter topics, the JSON Schema files, the
AsyncAPI and OpenAPI documents, the API's ``type`` filter and ingestion body, the correction's
``corrects_type`` and the projections all read it (see docs/adding-an-event-type.md).

A type is registered here, with one line in ``FACT_TYPES``. ``register`` adds one from outside
(a plugin, a test); it must run before the modules that copy the list when they are imported
(``timeline.api``, ``timeline.bus``, ``timeline.events.schemas``, ``timeline.synthetic``, ...),
which see only the types registered before them.
"""
from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, create_model

from .common import Fact
from .envelope import Envelope
from .payloads import (
    Agreement,
    BorderDecision,
    Correction,
    DisplacementReport,
    OffensiveEscalation,
    Statement,
    SupportChange,
    TerritorialChange,
)

TYPE_PREFIX = "org.timeline."
SCHEMA_BASE = "https://timeline.example.org/schemas/"
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*")  # a type name is part of topic names and of the CloudEvents type


@dataclass(frozen=True)
class EventType:
    """One versioned event type."""

    name: str
    version: int
    payload: type[BaseModel]
    envelope: type[Envelope]
    topic_type: str  # the topic it travels on; a correction travels on its target's topic
    # payload fields a change on the change feed carries besides the common ones, for routing
    change_fields: tuple[str, ...] = ()

    @property
    def ce_type(self) -> str:
        return f"{TYPE_PREFIX}{self.name}.v{self.version}"

    @property
    def schema_file(self) -> str:
        return f"{self.ce_type}.schema.json"

    @property
    def dataschema(self) -> str:
        return SCHEMA_BASE + self.schema_file


# The keys every change on the change feed has (projections/core.py ``change``): a type's
# ``change_fields`` must not shadow them.
CHANGE_KEYS = frozenset({"kind", "source", "id", "version", "type", "known_at", "occurred_start", "occurred_end",
                         "summary", "country_iso3", "actor_ids"})


def _event_type(name: str, version: int, payload: type[BaseModel], change_fields: tuple[str, ...] = ()) -> EventType:
    if clash := CHANGE_KEYS.intersection(change_fields):
        raise ValueError(f"change_fields of {name}: {', '.join(sorted(clash))} would shadow the change's own keys")
    ce_type = f"{TYPE_PREFIX}{name}.v{version}"
    ce_literal: Any = Literal[ce_type]
    envelope = create_model(
        f"{payload.__name__}Event",
        __base__=Envelope,
        __doc__=f"CloudEvent carrying a {payload.__name__} ({ce_type}).",
        type=(ce_literal, ...),
        data=(payload, ...),
    )
    return EventType(name, version, payload, envelope, name, change_fields)


FACT_TYPES: tuple[EventType, ...] = (
    _event_type("offensive_escalation", 1, OffensiveEscalation),
    _event_type("statement", 1, Statement),
    _event_type("border_decision", 1, BorderDecision, change_fields=("border", "decision")),
    _event_type("displacement_report", 1, DisplacementReport),
    _event_type("agreement", 1, Agreement, change_fields=("status", "parties", "mediators")),
    _event_type("territorial_change", 1, TerritorialChange, change_fields=("place", "to_actor")),
    _event_type("support_change", 1, SupportChange, change_fields=("supporter", "direction")),
)
CORRECTION = _event_type("correction", 1, Correction)
EVENT_TYPES: tuple[EventType, ...] = (*FACT_TYPES, CORRECTION)
BY_CE_TYPE: dict[str, EventType] = {t.ce_type: t for t in EVENT_TYPES}
BY_NAME: dict[str, EventType] = {t.name: t for t in EVENT_TYPES}


def register(name: str, version: int, payload: type[Fact]) -> EventType:
    """Add a fact type after those of ``FACT_TYPES`` and return it.

    The normal way to add a type is a line in ``FACT_TYPES`` above; this is for plugins and
    tests. ``FACT_TYPES`` and ``EVENT_TYPES`` (the correction stays last) are replaced by longer
    tuples, here and in ``timeline.events``, which re-exports them; ``BY_CE_TYPE`` and ``BY_NAME``
    are updated in place. Modules imported before the call keep the lists they copied then.
    A name is registered once: a new version of a type is a new model and an upcaster, and it
    replaces its entry in ``FACT_TYPES``."""
    global FACT_TYPES, EVENT_TYPES
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"type name {name!r} should match {NAME_PATTERN.pattern}")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"version should be a positive integer, not {version!r}")
    if not (isinstance(payload, type) and issubclass(payload, Fact)):
        raise TypeError(f"the payload model of a fact type should subclass Fact, not {payload!r}")
    if name in BY_NAME:
        raise ValueError(f"{name!r} is registered already")
    event_type = _event_type(name, version, payload)
    previous = {"FACT_TYPES": FACT_TYPES, "EVENT_TYPES": EVENT_TYPES}
    FACT_TYPES = (*FACT_TYPES, event_type)
    EVENT_TYPES = (*FACT_TYPES, CORRECTION)
    BY_CE_TYPE.clear()  # rebuilt in EVENT_TYPES order, as at import
    BY_CE_TYPE.update({t.ce_type: t for t in EVENT_TYPES})
    BY_NAME.clear()
    BY_NAME.update({t.name: t for t in EVENT_TYPES})
    package = sys.modules.get(__name__.rpartition(".")[0])
    for attribute, old in previous.items():
        if getattr(package, attribute, None) is old:
            setattr(package, attribute, globals()[attribute])
    return event_type


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
