"""The projection core: how a batch of events changes the timeline, computed in memory.

Facts create version 1; corrections add versions to the state of their target; corrections
whose target has not arrived are held, and applied (oldest ``recordedtime`` first) when it
does. The outcome equals applying the events one by one, whatever the batch boundaries.

A fact is written once, as its entry. Version rows are written for corrected events only: the
first correction of an event writes its version 1 beside version 2 (migration 0008).

This module does no I/O: it imports no database or Kafka client. ``timeline.py`` loads the
states a batch needs, hands them to ``apply_events``, and writes the rows it returns. Rows are
named tuples: their fields are the column lists, and COPY takes them as they are.

Pure with respect to its input: the only clock is each event's ``recordedtime``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

import orjson
from pydantic import ValidationError

from ..events import BY_NAME, Envelope
from ..events.payloads import Correction


class ViewColumns(NamedTuple):
    """The denormalised columns of one version, from its payload."""

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
    payload: str  # the payload as JSON, keys sorted


class VersionRow(NamedTuple):
    """A row of ``timeline_version``: one version of one corrected event."""

    source: str
    id: str
    version: int
    known_at: datetime
    action: str  # create, amend or retract
    change_source: str
    change_id: str
    reason: str | None
    retracted: bool
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
    payload: str
    superseded_at: datetime | None = None  # the earliest known_at of a later version


class EntryRow(NamedTuple):
    """A row of ``timeline_entry``: the current version of one event."""

    source: str
    id: str
    version: int
    first_known_at: datetime
    known_at: datetime
    retracted: bool
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
    payload: str


class ChangeRow(NamedTuple):
    """A row of the change outbox: the event's id (the key on the change feed) and the change."""

    key: str
    change: str


class RejectedRow(NamedTuple):
    """A correction that does not fit its target, kept with the reason."""

    source: str
    id: str
    target_source: str
    target_id: str
    reason: str


VIEW_COLUMNS = ViewColumns._fields
VERSION_COLUMNS = VersionRow._fields
ENTRY_COLUMNS = EntryRow._fields
CHANGE_COLUMNS = ChangeRow._fields


def view_columns(type_name: str, data: dict[str, Any]) -> ViewColumns:
    """The denormalised columns of one version, from its payload (JSON mode)."""
    location = data["location"]
    return ViewColumns(
        type_name, date.fromisoformat(data["occurred_start"]), date.fromisoformat(data["occurred_end"]),
        data["date_precision"], location["country_iso3"], location.get("admin1"), location.get("location_name"),
        data["summary"],
        sorted({a["actor_id"] for a in data["actors"]}),
        sorted({s["publisher"] for s in data["sources"]}),
        sorted({s["original_claimant"] for s in data["sources"]}),
        orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode(),
    )


def change(kind: str, source: str, id_: str, version: int, type_name: str, known_at: datetime,
           payload: dict[str, Any]) -> ChangeRow:
    """The outbox row of one view change: what happened to the event (created, amended,
    retracted), its new version and the fields subscribers route on."""
    body = {
        "kind": kind, "source": source, "id": id_, "version": version, "type": type_name,
        "known_at": known_at.isoformat(), "occurred_start": str(payload["occurred_start"]),
        "occurred_end": str(payload["occurred_end"]), "summary": payload["summary"],
        "country_iso3": payload["location"]["country_iso3"],
        "actor_ids": sorted({a["actor_id"] for a in payload["actors"]}),
    }
    body.update({name: payload.get(name) for name in BY_NAME[type_name].change_fields})
    return ChangeRow(id_, orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode())


@dataclass(frozen=True, slots=True)
class FactRows:
    """What a fact writes as version 1: its payload (JSON mode), columns and change."""

    payload: dict[str, Any]
    columns: ViewColumns
    change: ChangeRow


def fact_rows(e: Envelope) -> FactRows | None:
    """The rows of fact ``e`` (None for a correction); they depend on the event alone."""
    if isinstance(e.data, Correction):
        return None
    payload = e.data.model_dump(mode="json", exclude_none=True)
    return FactRows(payload, view_columns(e.type_name, payload),
                    change("created", e.source, e.id, 1, e.type_name, e.recordedtime, payload))


@dataclass(slots=True)
class State:
    """The current version of one logical event while a batch is applied."""

    source: str
    id: str
    version: int
    first_known_at: datetime
    known_at: datetime
    retracted: bool
    type: str
    payload: dict[str, Any]
    existed: bool  # in timeline_entry before this batch
    columns: ViewColumns | None = None  # view_columns of the payload (set whenever a version is added)

    def entry_row(self) -> EntryRow:
        assert self.columns is not None, "an entry is written only after a version was added"
        return EntryRow(self.source, self.id, self.version, self.first_known_at, self.known_at, self.retracted,
                        *self.columns)


@dataclass
class Batch:
    """What one batch changes, accumulated in memory and written table by table.

    ``states`` starts with the stored states of the events the batch corrects, and ``held``
    with the stored corrections whose targets arrive in the batch."""

    states: dict[tuple[str, str], State] = field(default_factory=dict)
    versions: list[VersionRow] = field(default_factory=list)
    outbox: list[ChangeRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    held: dict[tuple[str, str], list[Envelope]] = field(default_factory=dict)  # by target
    changed: set[tuple[str, str]] = field(default_factory=set)

    def create(self, e: Envelope, rows: FactRows) -> None:
        self.states[e.key] = State(e.source, e.id, 1, e.recordedtime, e.recordedtime, False, e.type_name,
                                   rows.payload, False, rows.columns)
        self.changed.add(e.key)
        self.outbox.append(rows.change)

    def correct(self, state: State, correction: Envelope) -> None:
        """Apply ``correction`` to ``state``: a new version, or a rejection kept with its reason."""
        data = correction.data
        assert isinstance(data, Correction)
        payload = state.payload
        if data.action != "retract":
            try:
                model = BY_NAME[state.type].payload
                payload = model.model_validate({**payload, **data.changes}).model_dump(mode="json", exclude_none=True)
            except ValidationError as exc:
                self.rejected.append(RejectedRow(correction.source, correction.id, state.source, state.id, _reason(exc)))
                return
        if state.version == 1:  # its first correction: version 1, held by the entry alone so far, joins the history
            columns = state.columns or view_columns(state.type, state.payload)
            self.versions.append(VersionRow(state.source, state.id, 1, state.first_known_at, "create", state.source,
                                            state.id, None, False, *columns))
        state.version += 1
        state.known_at = correction.recordedtime
        state.retracted = state.retracted or data.action == "retract"
        state.payload = payload
        state.columns = view_columns(state.type, payload)
        self.changed.add((state.source, state.id))
        self.versions.append(VersionRow(state.source, state.id, state.version, state.known_at, data.action,
                                        correction.source, correction.id, data.reason, state.retracted, *state.columns))
        kind = "retracted" if data.action == "retract" else "amended"
        self.outbox.append(change(kind, state.source, state.id, state.version, state.type, state.known_at, payload))

    def release(self, key: tuple[str, str]) -> None:
        """Apply the corrections held for ``key`` (just created), oldest recordedtime first."""
        held = self.held.pop(key, None)
        if held:
            for correction in sorted(held, key=lambda c: (c.recordedtime, c.source, c.id)):
                self.correct(self.states[key], correction)

    def created(self) -> list[State]:
        """The states of events new in the timeline (their entries are inserted)."""
        return [self.states[k] for k in sorted(self.changed) if not self.states[k].existed]

    def updated(self) -> list[State]:
        """The states of events that existed and changed (their entries are updated)."""
        return [self.states[k] for k in sorted(self.changed) if self.states[k].existed]

    def held_corrections(self) -> list[tuple[tuple[str, str], Envelope]]:
        """The corrections still waiting for their targets, by target."""
        return [(target, c) for target, corrections in self.held.items() for c in corrections]


def _reason(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False))


def target_of(correction: Envelope) -> tuple[str, str]:
    data = correction.data
    assert isinstance(data, Correction)
    return (data.corrects_source or correction.source, data.corrects_id)


def targets_to_load(events: list[tuple[Envelope, FactRows | None]]) -> set[tuple[str, str]]:
    """The existing events a batch corrects: those its corrections name and it does not create."""
    facts = {e.key for e, rows in events if rows is not None}
    return {target_of(e) for e, rows in events if rows is None} - facts


def facts_of(events: list[tuple[Envelope, FactRows | None]]) -> set[tuple[str, str]]:
    """The events a batch creates (their held corrections are to be released)."""
    return {e.key for e, rows in events if rows is not None}


def apply_events(batch: Batch, events: list[tuple[Envelope, FactRows | None]]) -> Batch:
    """Apply new events (in partition order, each with its ``fact_rows``) to ``batch``, whose
    states and held corrections were loaded from the store."""
    for e, rows in events:
        if rows is None:
            target = target_of(e)
            if target in batch.states:
                batch.correct(batch.states[target], e)
            else:
                batch.held.setdefault(target, []).append(e)
        else:
            batch.create(e, rows)
            batch.release(e.key)
    return batch


def with_superseded_at(versions: list[VersionRow]) -> tuple[list[VersionRow], list[tuple[str, str, int, datetime]]]:
    """Each version row with its superseded_at (the earliest known_at among the later versions),
    and per event whose first version in the batch is not its first: that version and the
    earliest known_at in the batch (the stored versions before it are superseded by then)."""
    by_key: dict[tuple[str, str], list[VersionRow]] = {}
    for row in versions:
        by_key.setdefault((row.source, row.id), []).append(row)
    rows: list[VersionRow] = []
    firsts: list[tuple[str, str, int, datetime]] = []
    for (source, id_), rows_of_key in by_key.items():
        earliest: datetime | None = None
        for row in reversed(rows_of_key):  # in version order: later versions come after
            rows.append(row._replace(superseded_at=earliest))
            earliest = row.known_at if earliest is None else min(earliest, row.known_at)
        if rows_of_key[0].version > 1:
            assert earliest is not None
            firsts.append((source, id_, rows_of_key[0].version, earliest))
    return rows, firsts
