"""The five payload types. Each cites the codebook whose vocabulary it follows."""
from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field, model_validator

from .common import Fact, Model

PloverType = Literal[
    "AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
    "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT",
]


class Fatalities(Model):
    """UCDP GED best/low/high. A missing value means unknown, never zero."""

    best: int | None = Field(default=None, ge=0)
    low: int | None = Field(default=None, ge=0)
    high: int | None = Field(default=None, ge=0)


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
    ]
    attack_kinds: list[Literal["air_strike", "shelling", "missile", "barrel_bomb", "bombing", "ground_offensive"]] = (
        Field(default_factory=list)
    )
    weapons: list[str] = Field(default_factory=list)
    area: str | None = None
    fatalities: Fatalities = Field(default_factory=Fatalities)
    first_use: list[str] = Field(default_factory=list)


class Statement(Fact):
    """What someone said and what the saying does, after PLOVER event types and modes.
    ``auxiliary`` marks statements about the future, hypotheticals and negations."""

    speaker_office: str | None = None
    act: Literal["warn", "promise", "reject", "request", "accuse", "announce_talks", "demand", "hope", "inform"]
    plover_type: PloverType
    plover_mode: str | None = None
    auxiliary: list[Literal["future", "hypothetical", "negated"]] = Field(default_factory=list)
    quote: str | None = None
    stance: Literal["supportive", "neutral", "critical", "hostile"] | None = None


class BorderDecision(Fact):
    """A state's decision about a border (PLOVER: refusing entry REJECT, expelling COERCE)."""

    border: str = Field(min_length=1, description="e.g. JOR-SYR, or an internal boundary")
    crossing: str | None = None
    decision: Literal["close", "reopen", "restrict", "refuse_entry", "expel", "seal_off_area"]
    plover_type: PloverType
    affected_population: str | None = None
    effective_from: date | None = None
    effective_until: date | None = None


class DisplacementReport(Fact):
    """A displacement figure as one organisation reported it (IDMC flow/stock, HXL tags,
    UNHCR ``coo_iso``/``coa_iso``). Competing figures are separate reports."""

    reporting_org: str = Field(min_length=1)
    figure_kind: Literal["flow", "stock"]
    population_type: Literal["idps", "refugees", "asylum_seekers", "returnees", "stranded"]
    figure: int = Field(ge=0)
    unit: Literal["person", "household"] = "person"
    quantifier: Literal["more_than", "less_than", "exact", "approximately"]
    term: str = Field(min_length=1, description="the term as written: displaced, stranded, registered")
    period_start: date | None = None
    period_end: date | None = None
    origin: str | None = None
    destination: str | None = None
    coo_iso: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    coa_iso: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")


class Correction(Model):
    """Amends or retracts an earlier event named by ``corrects_id`` (and its source, when it
    came from another producer). ``changes`` replaces top-level payload fields."""

    corrects_id: str = Field(min_length=1)
    corrects_source: str | None = None
    corrects_type: Literal["offensive_escalation", "statement", "border_decision", "displacement_report"]
    action: Literal["amend", "retract"]
    changes: dict[str, Any] = Field(default_factory=dict)
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _amend_changes_something(self) -> "Correction":
        if self.action == "amend" and not self.changes:
            raise ValueError("an amend correction must carry changes")
        return self
