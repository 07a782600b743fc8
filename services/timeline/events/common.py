"""Fields shared by every factual event: when, where, who, and on whose word.

Conventions: ACLED (time_precision, geo_precision, actor ``inter`` types), UCDP GED
(date_start/date_end, source_original, best/low/high), OCHA P-codes, and the
Admiralty scale for source reliability and information credibility.
"""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .limits import MAX_INTERVAL_DAYS, MAX_LIST_ITEMS, ActorId, Day, EventId, Name, Text, text

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
    admin1: Text | None = None
    admin1_pcode: Text | None = None
    admin2: Text | None = None
    location_name: Text | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    geo_precision: Literal[1, 2, 3] = 3


class ActorRef(Model):
    """An actor on an event: canonical id from the registry, the name as written, the role."""

    actor_id: ActorId
    name: Name = Field(description="the name as the text writes it")
    role: Role


class SourceRef(Model):
    """Who published the text and who, per the text, made the claim (UCDP ``source_original``)."""

    publisher: Name
    original_claimant: Name
    url: Text | None = None
    published_at: Day | None = None
    source_scale: Literal["local", "national", "regional", "international"] | None = None
    reliability: Literal["A", "B", "C", "D", "E", "F"] = "F"
    credibility: Literal[1, 2, 3, 4, 5, 6] = 6


class Fact(Model):
    """Base of every factual payload: the interval it happened in, its place, actors and sources."""

    summary: text(max_chars=1000, min_chars=1)  # type: ignore[valid-type]
    occurred_start: Day
    occurred_end: Day = Field(description=f"at most {MAX_INTERVAL_DAYS} days after occurred_start")
    date_precision: DatePrecision
    location: Location
    actors: list[ActorRef] = Field(min_length=1, max_length=MAX_LIST_ITEMS)
    sources: list[SourceRef] = Field(min_length=1, max_length=MAX_LIST_ITEMS)
    tags: list[Text] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    about: EventId | None = Field(default=None, description="the happening this account describes: an id "
                                  "shared by competing accounts of it, which are shown side by side")

    @model_validator(mode="after")
    def _interval_is_ordered_and_bounded(self) -> Fact:
        if self.occurred_end < self.occurred_start:
            raise ValueError("occurred_end is before occurred_start")
        if (self.occurred_end - self.occurred_start).days > MAX_INTERVAL_DAYS:
            raise ValueError(f"the interval from occurred_start to occurred_end is over {MAX_INTERVAL_DAYS} days")
        return self


Timestamp = datetime
