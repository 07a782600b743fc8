"""The timeline: one row per logical event with corrections applied, and every version.

A batch is applied in memory first (facts create version 1, corrections add versions to the
state of their target, corrections whose target has not arrived are held), then each table is
written once: COPY for the rows that are new, one UPDATE statement for entries that existed.
The outcome equals applying the events one by one, whatever the batch boundaries.

Pure with respect to its input: the only clock is each event's ``recordedtime``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import asyncpg
import orjson
from pydantic import ValidationError

from ..events import BY_NAME, Envelope, InvalidEvent, decode
from ..events.payloads import Correction
from ..store import bulk
from . import actors, changes

VIEW_COLUMNS = (
    "type", "occurred_start", "occurred_end", "date_precision", "country_iso3", "admin1", "location_name",
    "summary", "actor_ids", "publishers", "claimants", "payload",
)
VERSION_COLUMNS = (
    "source", "id", "version", "known_at", "action", "change_source", "change_id", "reason", "retracted",
    *VIEW_COLUMNS, "superseded_at",
)
ENTRY_COLUMNS = ("source", "id", "version", "first_known_at", "known_at", "retracted", *VIEW_COLUMNS)
ENTRY_TYPES = (
    "text", "text", "int", "timestamptz", "timestamptz", "bool", "text", "date", "date", "text", "text", "text",
    "text", "text", bulk.TEXT_ARRAY, bulk.TEXT_ARRAY, bulk.TEXT_ARRAY, "jsonb",
)
UPDATE_ENTRIES = bulk.update_sql("timeline_entry", tuple(zip(ENTRY_COLUMNS, ENTRY_TYPES, strict=True)), key=("source", "id"))
# earlier versions of an event that existed: superseded no later than the first new version's known_at
SUPERSEDE = (
    "UPDATE timeline_version AS t SET superseded_at = LEAST(t.superseded_at, u.known_at)"
    " FROM unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[]) AS u(source, id, version, known_at)"
    " WHERE t.source = u.source AND t.id = u.id AND t.version < u.version"
)


def _columns(type_name: str, data: dict[str, Any]) -> tuple:
    """The denormalised columns of one version, from its payload (JSON mode)."""
    location = data["location"]
    return (
        type_name, date.fromisoformat(data["occurred_start"]), date.fromisoformat(data["occurred_end"]),
        data["date_precision"], location["country_iso3"], location.get("admin1"), location.get("location_name"),
        data["summary"],
        sorted({a["actor_id"] for a in data["actors"]}),
        sorted({s["publisher"] for s in data["sources"]}),
        sorted({s["original_claimant"] for s in data["sources"]}),
        orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode(),
    )


@dataclass(frozen=True, slots=True)
class FactRows:
    """What a fact writes as version 1: its payload (JSON mode), columns and change."""

    payload: dict[str, Any]
    columns: tuple
    change: tuple


def fact_rows(e: Envelope) -> FactRows | None:
    """The rows of fact ``e`` (None for a correction); they depend on the event alone."""
    if isinstance(e.data, Correction):
        return None
    payload = e.data.model_dump(mode="json", exclude_none=True)
    return FactRows(payload, _columns(e.type_name, payload),
                    changes.change("created", e.source, e.id, 1, e.type_name, e.recordedtime, payload))


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
    columns: tuple = ()  # _columns of the payload (set whenever a version is added)

    def entry_row(self) -> tuple:
        return (self.source, self.id, self.version, self.first_known_at, self.known_at, self.retracted,
                *self.columns)


@dataclass
class Batch:
    """What one batch changes, accumulated in memory and written table by table."""

    states: dict[tuple[str, str], State] = field(default_factory=dict)
    versions: list[tuple] = field(default_factory=list)
    outbox: list[tuple] = field(default_factory=list)
    rejected: list[tuple] = field(default_factory=list)
    held: dict[tuple[str, str], list[Envelope]] = field(default_factory=dict)  # by target
    changed: set[tuple[str, str]] = field(default_factory=set)

    def create(self, e: Envelope, rows: FactRows) -> None:
        self.states[e.key] = State(e.source, e.id, 1, e.recordedtime, e.recordedtime, False, e.type_name,
                                   rows.payload, False, rows.columns)
        self.changed.add(e.key)
        self.versions.append((e.source, e.id, 1, e.recordedtime, "create", e.source, e.id, None, False, *rows.columns))
        self.outbox.append(rows.change)

    def correct(self, state: State, correction: Envelope) -> None:
        """Apply ``correction`` to ``state``: a new version, or a rejection kept with its reason."""
        data: Correction = correction.data
        payload = state.payload
        if data.action != "retract":
            try:
                model = BY_NAME[state.type].payload
                payload = model.model_validate({**payload, **data.changes}).model_dump(mode="json", exclude_none=True)
            except ValidationError as exc:
                self.rejected.append((correction.source, correction.id, state.source, state.id, _reason(exc)))
                return
        state.version += 1
        state.known_at = correction.recordedtime
        state.retracted = state.retracted or data.action == "retract"
        state.payload = payload
        state.columns = _columns(state.type, payload)
        self.changed.add((state.source, state.id))
        self.versions.append((state.source, state.id, state.version, state.known_at, data.action, correction.source,
                              correction.id, data.reason, state.retracted, *state.columns))
        kind = "retracted" if data.action == "retract" else "amended"
        self.outbox.append(changes.change(kind, state.source, state.id, state.version, state.type, state.known_at,
                                          payload))

    def release(self, key: tuple[str, str]) -> None:
        """Apply the corrections held for ``key`` (just created), oldest recordedtime first."""
        held = self.held.pop(key, None)
        if held:
            for correction in sorted(held, key=lambda c: (c.recordedtime, c.source, c.id)):
                self.correct(self.states[key], correction)


def _reason(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False))


def target_of(correction: Envelope) -> tuple[str, str]:
    data: Correction = correction.data
    return (data.corrects_source or correction.source, data.corrects_id)


async def apply(con: asyncpg.Connection, events: list[tuple[Envelope, FactRows | None]]) -> None:
    """Apply new events (in partition order, each with its ``fact_rows``) to the timeline and actor views."""
    batch = Batch()
    facts = {e.key for e, rows in events if rows is not None}
    await _load_targets(con, batch, {target_of(e) for e, rows in events if rows is None} - facts)
    await _load_held(con, batch, facts)
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
    await _write(con, batch)


async def _load_targets(con: asyncpg.Connection, batch: Batch, keys: set[tuple[str, str]]) -> None:
    """The current state of the existing events this batch corrects, locked for the transaction."""
    if not keys:
        return
    rows = await con.fetch(
        "SELECT source, id, version, first_known_at, known_at, retracted, type, payload FROM timeline_entry"
        " WHERE (source, id) IN (SELECT * FROM unnest($1::text[], $2::text[])) FOR UPDATE",
        [k[0] for k in keys], [k[1] for k in keys],
    )
    for r in rows:
        batch.states[(r["source"], r["id"])] = State(
            r["source"], r["id"], r["version"], r["first_known_at"], r["known_at"], r["retracted"], r["type"],
            orjson.loads(r["payload"]), True,
        )


async def _load_held(con: asyncpg.Connection, batch: Batch, facts: set[tuple[str, str]]) -> None:
    """Take the held corrections whose targets arrive in this batch out of ``pending_correction``."""
    if not facts or not await con.fetchval("SELECT EXISTS (SELECT 1 FROM pending_correction)"):
        return
    rows = await con.fetch(
        "DELETE FROM pending_correction WHERE (target_source, target_id) IN"
        " (SELECT * FROM unnest($1::text[], $2::text[])) RETURNING source, id, target_source, target_id, envelope",
        [k[0] for k in facts], [k[1] for k in facts],
    )
    for row in rows:
        try:
            correction = decode(row["envelope"].encode())
        except InvalidEvent as exc:  # held under an earlier contract that admitted it: kept with the reason
            batch.rejected.append((row["source"], row["id"], row["target_source"], row["target_id"],
                                   f"no longer valid: {exc}"))
            continue
        batch.held.setdefault(target_of(correction), []).append(correction)


def _with_superseded_at(versions: list[tuple]) -> tuple[list[tuple], list[tuple]]:
    """Each version row with its superseded_at (the earliest known_at among the later versions),
    and per event: its first version in the batch and the earliest known_at in the batch."""
    by_key: dict[tuple[str, str], list[tuple]] = {}
    for row in versions:
        by_key.setdefault((row[0], row[1]), []).append(row)
    rows, firsts = [], []
    for (source, id_), rows_of_key in by_key.items():
        earliest = None
        for row in reversed(rows_of_key):  # in version order: later versions come after
            rows.append((*row, earliest))
            earliest = row[3] if earliest is None else min(earliest, row[3])
        if rows_of_key[0][2] > 1:
            firsts.append((source, id_, rows_of_key[0][2], earliest))
    return rows, firsts


async def _write(con: asyncpg.Connection, batch: Batch) -> None:
    versions, supersede = _with_superseded_at(batch.versions)
    await bulk.copy_rows(con, "timeline_version", VERSION_COLUMNS, versions)
    if supersede:
        await con.execute(SUPERSEDE, *(list(column) for column in zip(*supersede, strict=True)))
    new = [batch.states[k] for k in batch.changed if not batch.states[k].existed]
    old = [batch.states[k] for k in batch.changed if batch.states[k].existed]
    await bulk.copy_rows(con, "timeline_entry", ENTRY_COLUMNS, [s.entry_row() for s in new])
    await bulk.update_rows(con, UPDATE_ENTRIES, ENTRY_TYPES, [s.entry_row() for s in old])
    await actors.replace(con, [(s.source, s.id, s.payload["actors"]) for s in old])
    await actors.insert(con, [(s.source, s.id, s.payload["actors"]) for s in new])
    await changes.record(con, batch.outbox)
    if batch.rejected:
        await con.executemany(
            "INSERT INTO rejected_correction (source, id, target_source, target_id, reason)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING", batch.rejected,
        )
    held = [(c.source, c.id, *target, c.recordedtime, c.model_dump_json(exclude_none=True))
            for target, corrections in batch.held.items() for c in corrections]
    if held:
        await con.executemany(
            "INSERT INTO pending_correction (source, id, target_source, target_id, recordedtime, envelope)"
            " VALUES ($1, $2, $3, $4, $5, $6::jsonb) ON CONFLICT DO NOTHING", held,
        )
