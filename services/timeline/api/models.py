"""Response models of the HTTP API (the OpenAPI document is generated from them)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

NEXT_CURSOR = ("opaque token: pass it as `cursor` to get the next page; null on the last page."
               " Tokens this API did not return are refused with 422.")


class PlaceRef(BaseModel):
    """The gazetteer place an event resolves to (its location_name, else admin2, else admin1, in
    any spelling), beside the names as written."""

    id: str
    name: str
    pcode: str | None = Field(description="OCHA P-code, where known")
    kind: str


class Place(BaseModel):
    """One place of the gazetteer."""

    id: str
    name: str
    aliases: list[str]
    kind: str
    country_iso3: str
    pcode: str | None = Field(description="OCHA P-code, where known")
    within: str | None = Field(description="id of the place containing this one")
    latitude: float | None
    longitude: float | None


class PlacePage(BaseModel):
    items: list[Place]
    next_cursor: str | None = Field(None, description=NEXT_CURSOR)


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
    location_name: str | None = Field(description="the place name as written")
    admin2: str | None = Field(description="the second-level division as written")
    summary: str
    actor_ids: list[str]
    publishers: list[str]
    claimants: list[str]
    retracted: bool
    known_at: datetime
    place: PlaceRef | None = Field(description="the gazetteer place the names as written resolve to; null if none")


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
    location_name: str | None = Field(description="the current version's place name as written")
    place: PlaceRef | None = Field(description="the gazetteer place the current version resolves to; null if none")
    current: Version
    versions: list[Version]


class Actor(BaseModel):
    """An actor of the registry (``registered: true``), or an actor id events name that the
    registry does not hold (``registered: false``: its name is the one most often written, it has
    no aliases or type)."""

    id: str
    name: str
    aliases: list[str]
    actor_type: str | None
    acled_inter: int | None
    country_iso3: str | None
    wikidata: str | None
    registered: bool
    events: int = 0


class UnregisteredActor(BaseModel):
    """An actor id that current events name but the registry does not hold: to be added to it."""

    id: str
    names_as_written: list[str]
    roles: list[str]
    events: int


class ActorProfile(BaseModel):
    actor: Actor
    roles: dict[str, int]
    by_type: dict[str, int]
    by_month: dict[str, int]
    names_as_written: list[str]


class ActorPage(BaseModel):
    items: list[Actor | UnregisteredActor] = Field(description="registry actors, or with registered=false the "
                                                   "actors outside the registry")
    next_cursor: str | None = Field(None, description=NEXT_CURSOR)


class ClaimSource(BaseModel):
    """One source an account cites, with its Admiralty grades."""

    publisher: str
    original_claimant: str
    reliability: str = Field(description="A (completely reliable) ... E (unreliable), F (cannot be judged)")
    credibility: int = Field(description="1 (confirmed by other sources) ... 5 (improbable), 6 (cannot be judged)")
    url: str | None
    published_at: date | None


class Account(BaseModel):
    """One account of a happening: an event of its own."""

    source: str
    id: str
    version: int
    type: str
    summary: str
    occurred_start: date
    occurred_end: date
    date_precision: str
    country_iso3: str
    admin1: str | None
    location_name: str | None
    place: PlaceRef | None
    actor_ids: list[str]
    claimants: list[str]
    publishers: list[str]
    sources: list[ClaimSource]
    details: dict[str, Any] = Field(description="the type-specific fields (agreement: kind, status, parties, "
                                    "mediators, guarantors, terms ...)")
    known_at: datetime


class Happening(BaseModel):
    """A happening that events name with ``about``: its accounts at a glance."""

    about: str
    accounts: int
    types: list[str]
    claimants: list[str]
    occurred_start: date
    occurred_end: date


class HappeningPage(BaseModel):
    items: list[Happening]
    next_cursor: str | None = Field(None, description=NEXT_CURSOR)


class Claims(BaseModel):
    """The competing accounts of one happening, side by side; nothing merged."""

    about: str
    accounts: list[Account]
    disputed: list[str] = Field(description="the type-specific fields on which the accounts differ")


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
    replica_lag_s: float | None = Field(None, description="with a read replica configured: how many seconds "
                                        "its reads are behind the primary (null: unreachable); absent without one")


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
