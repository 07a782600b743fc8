"""A source's full re-download compared with what we hold: changed rows become corrections.

Sources such as ACLED and UCDP GED overwrite a corrected row in place and drop deleted ones.
``compare`` turns a re-import into versioned history instead:

- an event we do not hold is published as it is;
- an event we hold, equal on every payload field, publishes nothing;
- an event we hold that differs becomes an ``amend`` correction carrying only the changed
  top-level fields, known at the source's own timestamp (the incoming ``recordedtime``);
- with a declared scope (countries, date range), each held, unretracted event of the scope
  that the file lacked becomes a ``retract`` after the file, known at the import's instant.

Memory: for each held event in scope, its id, type, version, retracted flag, ``known_at`` and
one 8-byte digest per top-level payload field, never the payload itself (about 400 bytes per
event; the file's events stream through).

Scope: the held events read are those of the source whose interval overlaps the date range
and whose country is one of the countries. Only those whose interval lies wholly inside the
range are retracted when missing, so that an event a source's date filter may have cut at the
range's edge is never retracted. Without any scope nothing is retracted.  An event of the file outside the
scope is passed on as it is (new if we do not hold it; if we do, a duplicate that changes nothing)
and counted apart.

Re-running a snapshot changes nothing: a correction's id derives from the event's id and the
source timestamp (``amend``) or the held version (``retract``), so a repeat is a duplicate,
and once projected the held version equals the file's.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

import asyncpg
import orjson

from ..events import Envelope
from ..events.registry import BY_NAME
from .base import event

HELD = """
SELECT id, type, version, retracted, known_at, payload,
       ($2::date IS NULL OR occurred_start >= $2) AND ($3::date IS NULL OR occurred_end <= $3) AS inside
  FROM timeline_entry
 WHERE source = $1
   AND ($2::date IS NULL OR occurred_end >= $2)
   AND ($3::date IS NULL OR occurred_start <= $3)
   AND ($4::text[] IS NULL OR country_iso3 = ANY($4))
"""
FETCH = 5_000  # rows per round trip of the server-side cursor


class Held(NamedTuple):
    """What we keep of one held event: enough to compare and to name a correction."""

    type: str
    version: int
    retracted: bool
    known_at: datetime
    inside: bool  # wholly inside the declared scope: retracted when the file lacks it
    digests: bytes  # 8 bytes per top-level field of the type, in the model's field order


def held_event(type_name: str, version: int, retracted: bool, known_at: datetime, inside: bool, payload: Any) -> Held:
    """What we keep of one held event whose current payload is ``payload``."""
    return Held(type_name, version, retracted, known_at, inside, _digests(type_name, _dump(type_name, payload)))


def _dump(type_name: str, data: Any) -> dict[str, Any]:
    """The payload as the projector stores it (JSON mode, without None)."""
    model = BY_NAME[type_name].payload
    value = data if isinstance(data, model) else model.model_validate(data)
    return value.model_dump(mode="json", exclude_none=True)


def _digests(type_name: str, payload: dict[str, Any]) -> bytes:
    fields = BY_NAME[type_name].payload.model_fields
    return b"".join(hashlib.blake2b(orjson.dumps(payload.get(name), option=orjson.OPT_SORT_KEYS), digest_size=8).digest()
                    for name in fields)


def changed_fields(type_name: str, held: bytes, payload: dict[str, Any]) -> dict[str, Any]:
    """The top-level fields of ``payload`` whose digests differ from ``held``, with their new values
    (None for a field the new payload lacks)."""
    incoming = _digests(type_name, payload)
    names = list(BY_NAME[type_name].payload.model_fields)
    return {name: payload.get(name) for i, name in enumerate(names) if incoming[8 * i:8 * i + 8] != held[8 * i:8 * i + 8]}


@dataclass
class Snapshot:
    """The comparison of one source's file with the events we hold; call it on the file's events.

    ``summary()`` tells what it did: "N new, N amended, N retracted, N unchanged"."""

    source: str
    held: dict[str, Held]
    scoped: bool
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    countries: frozenset[str] | None = None  # the scope, when declared
    date_from: date | None = None
    date_to: date | None = None
    new: int = 0
    amended: int = 0
    retracted: int = 0
    unchanged: int = 0
    kept: int = 0  # held as retracted, or held with another type: a correction cannot change either
    outside: int = 0  # events of the file outside the declared scope: passed on as they are

    def __call__(self, events: Iterator[Envelope]) -> Iterator[Envelope]:
        for incoming in events:
            held = self.held.pop(incoming.id, None) if incoming.source == self.source else None
            if held is None:
                if self._outside(incoming):
                    self.outside += 1
                else:
                    self.new += 1
                yield incoming
                continue
            correction = self._compare(incoming, held)
            if correction is not None:
                yield correction
        if self.scoped:
            yield from self._retractions()

    def _outside(self, incoming: Envelope) -> bool:
        """Whether ``incoming`` lies outside the declared scope, where we read no held events: it
        is passed on as it is, new if we do not hold it, a duplicate (which changes nothing) if we do."""
        data = incoming.data
        return bool((self.countries is not None and data.location.country_iso3 not in self.countries)
                    or (self.date_from is not None and data.occurred_end < self.date_from)
                    or (self.date_to is not None and data.occurred_start > self.date_to))

    def _compare(self, incoming: Envelope, held: Held) -> Envelope | None:
        if held.retracted or held.type != incoming.type_name:
            self.kept += 1
            return None
        changes = changed_fields(held.type, held.digests, _dump(held.type, incoming.data))
        if not changes:
            self.unchanged += 1
            return None
        self.amended += 1
        stamp = incoming.recordedtime
        known = stamp if stamp > held.known_at else max(self.now, held.known_at + timedelta(microseconds=1))
        return event("correction", self.source, f"{incoming.id}.amend.{_unix(stamp)}", known, known, None, {
            "corrects_id": incoming.id, "corrects_source": self.source, "corrects_type": held.type,
            "action": "amend", "changes": changes,
            "reason": f"re-import of {self.source}: changed at the source ({stamp.isoformat().replace('+00:00', 'Z')})",
        })

    def _retractions(self) -> Iterator[Envelope]:
        for id_, held in sorted(self.held.items()):
            if held.retracted or not held.inside:
                continue
            self.retracted += 1
            known = max(self.now, held.known_at + timedelta(microseconds=1))
            yield event("correction", self.source, f"{id_}.retract.v{held.version}", known, known, None, {
                "corrects_id": id_, "corrects_source": self.source, "corrects_type": held.type,
                "action": "retract", "reason": f"re-import of {self.source}: no longer in the source's snapshot of this scope",
            })
        self.held.clear()

    def summary(self) -> str:
        text = f"{self.new} new, {self.amended} amended, {self.retracted} retracted, {self.unchanged} unchanged"
        if self.kept:
            text += f", {self.kept} left as held (retracted, or of another type)"
        if self.outside:
            text += f", {self.outside} outside the scope (imported as they are: a held one does not change)"
        return text


def _unix(moment: datetime) -> str:
    seconds = moment.timestamp()
    return str(int(seconds)) if seconds == int(seconds) else f"{seconds:.6f}"


async def compare(settings: Any, source: str, *, country: Sequence[str] = (), date_from: date | None = None,
                  date_to: date | None = None) -> Snapshot:
    """The snapshot comparison for ``source`` in the scope of ``country`` (ISO alpha-3 codes) and
    the date range, with the digests of the events we hold in it read from PostgreSQL."""
    countries = [c.strip().upper() for c in country] or None
    held: dict[str, Held] = {}
    con = await asyncpg.connect(settings.database_url, server_settings={"search_path": settings.db_schema})
    try:
        async with con.transaction(readonly=True):
            async for row in con.cursor(HELD, source, date_from, date_to, countries, prefetch=FETCH):
                payload = orjson.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
                held[row["id"]] = held_event(row["type"], row["version"], row["retracted"], row["known_at"], row["inside"],
                                             payload)
    finally:
        await con.close()
    scoped = bool(countries or date_from or date_to)
    return Snapshot(source, held, scoped, countries=frozenset(countries) if countries else None,
                    date_from=date_from, date_to=date_to)
