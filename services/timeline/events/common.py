"""Fields shared by every factual event: when, where, who, and on whose word.

Conventions: ACLED (time_precision, geo_precision, actor ``inter`` types), UCDP GED
(date_start/date_end, source_original, best/low/high), OCHA P-codes, and the
Admiralty scale for source reliability and information credibility.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DatePrecision = Literal["day", "week", "month", "year"]
Role = Literal[
    "attacker", "associated_attacker", "target", "speaker", "addressee",
    "decider", "reporter", "subject", "affected", "mentioned",
]


class Model(BaseModel):
    """Strict base: unknown fields are an error, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Location(Model):
    """Where it happened (ACLED geography; ``geo_precision`` 1 town, 2 near/part of region, 3 region)."""

    country_iso3: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3")
    admin1: str | None = None
    admin1_pcode: str | None = None
    admin2: str | None = None
    location_name: str | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    geo_precision: Literal[1, 2, 3] = 3


class ActorRef(Model):
    """An actor on an event: canonical id from the registry, the name as written, the role."""

    actor_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    name: str = Field(min_length=1, description="the name as the text writes it")
    role: Role


class SourceRef(Model):
    """Who published the text and who, per the text, made the claim (UCDP ``source_original``)."""

    publisher: str = Field(min_length=1)
    original_claimant: str = Field(min_length=1)
    url: str | None = None
    published_at: date | None = None
    source_scale: Literal["local", "national", "regional", "international"] | None = None
    reliability: Literal["A", "B", "C", "D", "E", "F"] = "F"
    credibility: Literal[1, 2, 3, 4, 5, 6] = 6


class Fact(Model):
    """Base of every factual payload: the interval it happened in, its place, actors and sources."""

    summary: str = Field(min_length=1, max_length=1000)
    occurred_start: date
    occurred_end: date
    date_precision: DatePrecision
    location: Location
    actors: list[ActorRef] = Field(min_length=1)
    sources: list[SourceRef] = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _interval_is_ordered(self) -> "Fact":
        if self.occurred_end < self.occurred_start:
            raise ValueError("occurred_end is before occurred_start")
        return self


Timestamp = datetime
