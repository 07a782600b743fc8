"""Response models of the HTTP API (the OpenAPI document is generated from them)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

NEXT_CURSOR = ("opaque token: pass it as `cursor` to get the next page; null on the last page."
               " Tokens this API did not return are refused with 422.")


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
    next_cursor: str | None = Field(None, description=NEXT_CURSOR)


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


class ActorPage(BaseModel):
    items: list[Actor]
    next_cursor: str | None = Field(None, description=NEXT_CURSOR)


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


class DisplacementPage(BaseModel):
    items: list[CompetingClaims]
    next_cursor: str | None = Field(None, description=NEXT_CURSOR)


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


class BorderPage(BaseModel):
    items: list[BorderDecision]
    next_cursor: str | None = Field(None, description=NEXT_CURSOR)


class Readiness(BaseModel):
    """``ready`` with 200 when every dependency answered, ``not ready`` with 503 and the failures."""

    status: str
    checks: dict[str, str]


class PartitionLag(BaseModel):
    topic: str
    partition: int
    end_offset: int
    stored_offset: int
    lag: int


class Lag(BaseModel):
    total_lag: int
    partitions: list[PartitionLag]


class Accepted(BaseModel):
    """The events Kafka acknowledged, by (source, id)."""

    accepted: int
    ids: list[str]


class Problem(BaseModel):
    """Every refusal but 422: the reason in one sentence."""

    detail: str


class FieldError(BaseModel):
    """One invalid field, as FastAPI reports it: where (``["query", "cursor"]``, ``["body", 0, "data"]``),
    what is wrong, the error type, and the offending input and context where known."""

    loc: list[str | int]
    msg: str
    type: str
    input: Any = None
    ctx: dict[str, Any] | None = None


class ValidationProblem(BaseModel):
    """422: every invalid field of the request."""

    detail: list[FieldError]
