"""The payload types. Each cites the codebook whose vocabulary it follows."""
from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal

import orjson
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError, ValidationInfo, field_validator, model_validator

from .common import Fact, Model
from .limits import (
    MAX_CHANGES_BYTES,
    MAX_CHANGES_DEPTH,
    MAX_LIST_ITEMS,
    ActorId,
    Count,
    Day,
    EventId,
    Name,
    SourceUri,
    Text,
    deeper_than,
)

PloverType = Literal[
    "AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
    "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT",
]


class Fatalities(Model):
    """UCDP GED best/low/high. A missing value means unknown, never zero."""

    best: Count | None = None
    low: Count | None = None
    high: Count | None = None


class OffensiveEscalation(Fact):
    """An attack or escalation. ACLED event and sub-event types; weapons no sub-type names
    (barrel bombs) in ``weapons``; ``first_use`` lists weapons used here for the first time."""

    acled_event_type: Literal[
        "Battles", "Explosions/Remote violence", "Violence against civilians", "Strategic developments",
    ]
    acled_sub_event_type: Literal[
        "Air/drone strike", "Shelling/artillery/missile attack", "Remote explosive/landmine/IED",
        "Armed clash", "Government regains territory", "Non-state actor overtakes territory",
        "Agreement", "Non-violent transfer of territory", "Other",
        "Chemical weapon", "Suicide bomb", "Grenade",
        "Attack", "Abduction/forced disappearance", "Sexual violence", "Looting/property destruction",
    ]
    attack_kinds: list[Literal["air_strike", "shelling", "missile", "barrel_bomb", "bombing", "ground_offensive"]] = (
        Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    )
    weapons: list[Text] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    area: Text | None = None
    fatalities: Fatalities = Field(default_factory=Fatalities)
    first_use: list[Text] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)


class Statement(Fact):
    """What someone said and what the saying does, after PLOVER event types and modes.
    ``auxiliary`` marks statements about the future, hypotheticals and negations."""

    speaker_office: Text | None = None
    act: Literal["warn", "promise", "reject", "request", "accuse", "announce_talks", "demand", "hope", "inform"]
    plover_type: PloverType
    plover_mode: Text | None = None
    auxiliary: list[Literal["future", "hypothetical", "negated"]] = Field(default_factory=list, max_length=3)
    quote: Text | None = None
    stance: Literal["supportive", "neutral", "critical", "hostile"] | None = None


class BorderDecision(Fact):
    """A state's decision about a border (PLOVER: refusing entry REJECT, expelling COERCE)."""

    border: Name = Field(description="e.g. JOR-SYR, or an internal boundary")
    crossing: Text | None = None
    decision: Literal["close", "reopen", "restrict", "refuse_entry", "expel", "seal_off_area"]
    plover_type: PloverType
    affected_population: Text | None = None
    effective_from: Day | None = None
    effective_until: Day | None = None


class DisplacementReport(Fact):
    """A displacement figure as one organisation reported it (IDMC flow/stock, HXL tags,
    UNHCR ``coo_iso``/``coa_iso``). Competing figures are separate reports."""

    reporting_org: Name
    figure_kind: Literal["flow", "stock"]
    population_type: Literal["idps", "refugees", "asylum_seekers", "returnees", "stranded"]
    figure: Count
    unit: Literal["person", "household"] = "person"
    quantifier: Literal["more_than", "less_than", "exact", "approximately"]
    term: Name = Field(description="the term as written: displaced, stranded, registered")
    period_start: Day | None = None
    period_end: Day | None = None
    origin: Text | None = None
    destination: Text | None = None
    coo_iso: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    coa_iso: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")


def _named_actors(fact: Fact, *fields: str) -> None:
    """Each actor id in ``fields`` must be one of the fact's ``actors``, where its name as
    written and its role are kept."""
    named = {a.actor_id for a in fact.actors}
    for field in fields:
        value = getattr(fact, field)
        for actor_id in value if isinstance(value, list) else [value] if value else []:
            if actor_id not in named:
                raise ValueError(f"{field}: {actor_id!r} is not one of the event's actors")


class Agreement(Fact):
    """A ceasefire, deal, surrender or agreed talks: ACLED "Strategic developments / Agreement",
    PLOVER AGREE (CONSULT when ``kind`` is talks). ``parties`` made it; ``mediators`` brokered it;
    ``guarantors`` vouch for it. Accounts that disagree (on who brokered it, say) are separate
    events sharing ``about``."""

    kind: Literal["ceasefire", "truce", "peace_deal", "surrender", "evacuation", "withdrawal", "talks", "other"]
    status: Literal["proposed", "announced", "in_force", "collapsed"]
    parties: list[ActorId] = Field(min_length=1, max_length=MAX_LIST_ITEMS)
    mediators: list[ActorId] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    guarantors: list[ActorId] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    terms: list[Text] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    plover_type: PloverType = "AGREE"
    acled_sub_event_type: Literal["Agreement"] | None = None
    effective_from: Day | None = None
    effective_until: Day | None = None

    @model_validator(mode="after")
    def _actors_are_named(self) -> Agreement:
        _named_actors(self, "parties", "mediators", "guarantors")
        return self


class TerritorialChange(Fact):
    """Control of a place or crossing passes from one actor to another: ACLED "Battles /
    Government regains territory", "Battles / Non-state actor overtakes territory" and
    "Strategic developments / Non-violent transfer of territory"; PLOVER ASSAULT or RETREAT."""

    place: Name = Field(description="the place or crossing as written")
    crossing: Text | None = Field(default=None, description="the border crossing, when the place is one")
    from_actor: ActorId | None = Field(default=None, description="who held it; none when not known")
    to_actor: ActorId = Field(description="who holds it now")
    acled_sub_event_type: Literal[
        "Government regains territory", "Non-state actor overtakes territory", "Non-violent transfer of territory",
    ] | None = None
    means: Literal["military", "negotiated", "withdrawal", "unknown"] = "unknown"
    plover_type: PloverType | None = None
    fatalities: Fatalities = Field(default_factory=Fatalities)

    @model_validator(mode="after")
    def _actors_are_named(self) -> TerritorialChange:
        _named_actors(self, "from_actor", "to_actor")
        if self.from_actor is not None and self.from_actor == self.to_actor:
            raise ValueError("from_actor and to_actor are the same actor")
        return self


class SupportChange(Fact):
    """One actor starts, increases, reduces or ends its support of others: PLOVER AID or SUPPORT
    when support is given, SANCTION when it is cut (``plover_mode`` as the codebook words it).
    ACLED has no event type for it; it is a behaviour, not what someone said about it."""

    supporter: ActorId
    supported: list[ActorId] = Field(min_length=1, max_length=MAX_LIST_ITEMS)
    direction: Literal["start", "increase", "reduce", "end"]
    support_kinds: list[Literal["military", "financial", "political", "logistic", "humanitarian", "other"]] = (
        Field(default_factory=list, max_length=6)
    )
    plover_type: PloverType
    plover_mode: Text | None = None

    @model_validator(mode="after")
    def _actors_are_named(self) -> SupportChange:
        _named_actors(self, "supporter", "supported")
        return self


def _fact_model(type_name: str) -> type[Model]:
    from .registry import BY_NAME  # the registry imports this module; it is the one list of types

    return BY_NAME[type_name].payload  # type: ignore[return-value]


@cache
def _field_adapter(type_name: str, field: str) -> TypeAdapter:
    info = _fact_model(type_name).model_fields[field]
    annotation: Any = info.annotation
    if info.metadata:  # the field's constraints (lengths, patterns, bounds) go with its type
        annotation = Annotated.__class_getitem__((annotation, *info.metadata))  # type: ignore[attr-defined]
    return TypeAdapter(annotation)


def _fact_type_names(schema: dict[str, Any]) -> None:
    from .registry import FACT_TYPES

    schema["enum"] = [t.name for t in FACT_TYPES]


def _changes_schema(schema: dict[str, Any]) -> None:
    """Per target type, the JSON Schema of ``changes`` names the fields it may carry."""
    from .registry import FACT_TYPES

    schema["allOf"] = [
        {"if": {"properties": {"corrects_type": {"const": t.name}}},
         "then": {"properties": {"changes": {"propertyNames": {"enum": sorted(t.payload.model_fields)}}}}}
        for t in FACT_TYPES
    ]


class Correction(Model):
    """Amends or retracts an earlier event named by ``corrects_id`` (and its source, when it
    came from another producer). ``changes`` replaces top-level payload fields of the target's
    type; each changed value must be valid as that field."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_changes_schema)

    corrects_id: EventId
    corrects_source: SourceUri | None = None
    corrects_type: str = Field(description="the target's type, one of the registry's fact types",
                               json_schema_extra=_fact_type_names)
    action: Literal["amend", "retract"]
    changes: dict[str, Any] = Field(
        default_factory=dict,
        description=f"top-level fields of the target's type and their new values; nested at most "
                    f"{MAX_CHANGES_DEPTH} levels, at most {MAX_CHANGES_BYTES} bytes as JSON",
        json_schema_extra={"x-max-depth": MAX_CHANGES_DEPTH, "x-max-json-bytes": MAX_CHANGES_BYTES},
    )
    reason: Name

    @field_validator("corrects_type")
    @classmethod
    def _a_fact_type(cls, name: str) -> str:
        from .registry import FACT_TYPES

        names = [t.name for t in FACT_TYPES]
        if name not in names:
            raise ValueError(f"should be one of {', '.join(names)}")
        return name

    @field_validator("changes")
    @classmethod
    def _changes_fit_the_target(cls, changes: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if deeper_than(changes, MAX_CHANGES_DEPTH):
            raise ValueError(f"nested deeper than {MAX_CHANGES_DEPTH} levels")
        try:
            size = len(orjson.dumps(changes))
        except TypeError as exc:  # orjson.JSONEncodeError: e.g. an integer past 64 bits
            raise ValueError(f"not representable as JSON ({exc})") from None
        if size > MAX_CHANGES_BYTES:
            raise ValueError(f"{size} bytes as JSON, over the limit of {MAX_CHANGES_BYTES}")
        target = info.data.get("corrects_type")
        if target is None:
            return changes  # corrects_type is invalid and already reported
        fields = _fact_model(target).model_fields
        for name, value in changes.items():
            if name not in fields:
                raise ValueError(f"{name!r} is not a field of {target}")
            try:
                _field_adapter(target, name).validate_python(value)
            except ValidationError as exc:
                first = exc.errors(include_url=False)[0]
                where = ".".join(str(p) for p in (name, *first["loc"]))
                raise ValueError(f"{where}: {first['msg']}") from None
        return changes

    @model_validator(mode="after")
    def _amend_changes_something(self) -> Correction:
        if self.action == "amend" and not self.changes:
            raise ValueError("an amend correction must carry changes")
        return self
