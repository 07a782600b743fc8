"""Response models of the HTTP API (the OpenAPI document is generated from them)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel


class TimelineItem(BaseModel):
    source: str
    id: str
    version: int
    type: str
    occurred_start: date
    occurred_end: date
    date_precision: str
    country_iso3: str
    admin1: str | None
    location_name: str | None
    summary: str
    actor_ids: list[str]
    publishers: list[str]
    claimants: list[str]
    retracted: bool
    known_at: datetime


class TimelinePage(BaseModel):
    items: list[TimelineItem]
    next_cursor: str | None = None


class Version(BaseModel):
    version: int
    known_at: datetime
    action: str
    change_source: str
    change_id: str
    reason: str | None
    retracted: bool
    summary: str
    payload: dict[str, Any]


class EventHistory(BaseModel):
    source: str
    id: str
    current: Version
    versions: list[Version]


class Actor(BaseModel):
    id: str
    name: str
    aliases: list[str]
    actor_type: str
    acled_inter: int | None
    country_iso3: str | None
    wikidata: str | None
    events: int = 0


class ActorProfile(BaseModel):
    actor: Actor
    roles: dict[str, int]
    by_type: dict[str, int]
    by_month: dict[str, int]
    names_as_written: list[str]


class DisplacementFigure(BaseModel):
    source: str
    id: str
    occurred_start: date
    occurred_end: date
    country_iso3: str
    admin1: str | None
    location_name: str | None
    population_type: str
    figure_kind: str
    figure: int
    unit: str | None
    quantifier: str
    term: str
    reporting_org: str
    claimants: list[str]
    publishers: list[str]


class CompetingClaims(BaseModel):
    """Figures for the same period, place and population, one per claim, side by side."""

    occurred_start: date
    occurred_end: date
    country_iso3: str
    admin1: str | None
    location_name: str | None
    population_type: str
    figure_kind: str
    figures: list[DisplacementFigure]


class BorderDecision(BaseModel):
    border: str
    crossing: str | None
    decision: str
    actor_ids: list[str]
    occurred_start: date
    occurred_end: date
    effective_from: str | None
    effective_until: str | None
    summary: str
    source: str
    id: str


class Accepted(BaseModel):
    """The events Kafka acknowledged, by (source, id)."""

    accepted: int
    ids: list[str]


class FieldError(BaseModel):
    loc: list[str]
    msg: str
    type: str


class ValidationProblem(BaseModel):
    detail: list[FieldError]
