"""An in-memory twin of the timeline's tables, driving the projection core as ``timeline.py``
does with PostgreSQL: load the states a batch needs, apply it in memory, store its rows. For
unit tests of the core only; the integration tests run the real store."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from timeline.events import Envelope
from timeline.projections.core import (
    Batch,
    ChangeRow,
    EntryRow,
    RejectedRow,
    State,
    VersionRow,
    apply_events,
    fact_rows,
    facts_of,
    targets_to_load,
    with_superseded_at,
)


@dataclass
class MemoryStore:
    logged: set[tuple[str, str]] = field(default_factory=set)
    entries: dict[tuple[str, str], EntryRow] = field(default_factory=dict)
    versions: dict[tuple[str, str, int], VersionRow] = field(default_factory=dict)
    pending: dict[tuple[str, str], dict[tuple[str, str], Envelope]] = field(default_factory=dict)
    rejected: set[RejectedRow] = field(default_factory=set)
    outbox: list[ChangeRow] = field(default_factory=list)

    def project(self, events: list[Envelope]) -> int:
        """One batch, in partition order; duplicates of logged events change nothing."""
        fresh = []
        for e in events:
            if e.key not in self.logged:
                self.logged.add(e.key)
                fresh.append(e)
        with_rows = [(e, fact_rows(e)) for e in fresh]
        batch = Batch()
        for key in targets_to_load(with_rows):
            if key in self.entries:
                r = self.entries[key]
                batch.states[key] = State(r.source, r.id, r.version, r.first_known_at, r.known_at, r.retracted, r.type,
                                          orjson.loads(r.payload), True)
        for key in facts_of(with_rows):
            if key in self.pending:
                batch.held[key] = list(self.pending.pop(key).values())
        self._store(apply_events(batch, with_rows))
        return len(fresh)

    def _store(self, batch: Batch) -> None:
        versions, supersede = with_superseded_at(batch.versions)
        for v in versions:
            self.versions[(v.source, v.id, v.version)] = v
        for source, id_, version, known_at in supersede:
            for key, v in self.versions.items():
                if (v.source, v.id) == (source, id_) and v.version < version:
                    at = known_at if v.superseded_at is None else min(v.superseded_at, known_at)
                    self.versions[key] = v._replace(superseded_at=at)
        for state in batch.created() + batch.updated():
            self.entries[(state.source, state.id)] = state.entry_row()
        for target, correction in batch.held_corrections():
            self.pending.setdefault(target, {}).setdefault(correction.key, correction)
        self.rejected.update(batch.rejected)
        self.outbox.extend(batch.outbox)

    def history(self) -> list[VersionRow]:
        """Every version of every event, as the view ``timeline_history``: version 1 of the entries
        never corrected, and the stored versions of the others."""
        firsts = [VersionRow(e.source, e.id, 1, e.known_at, "create", e.source, e.id, None, e.retracted, e.type,
                             e.occurred_start, e.occurred_end, e.date_precision, e.country_iso3, e.admin1,
                             e.location_name, e.summary, e.actor_ids, e.publishers, e.claimants, e.payload)
                  for e in self.entries.values() if e.version == 1]
        return firsts + list(self.versions.values())

    def timeline(self, as_of: datetime | None = None, retracted: bool = False) -> list[tuple[str, int, str]]:
        """(id, version, summary) in timeline order: the entries, or the versions valid at ``as_of``."""
        if as_of is None:
            rows: list[Any] = list(self.entries.values())
        else:
            rows = [v for v in self.history()
                    if v.known_at <= as_of and (v.superseded_at is None or v.superseded_at > as_of)]
        rows = [r for r in rows if retracted or not r.retracted]
        rows.sort(key=lambda r: (r.occurred_start, r.occurred_end, r.source, r.id))
        return [(r.id, r.version, r.summary) for r in rows]

    def known_at(self, instant: datetime) -> list[tuple[str, int]]:
        """The definition of "as known at": per event, the highest version with known_at <= instant."""
        latest: dict[tuple[str, str], int] = {}
        for v in self.history():
            if v.known_at <= instant:
                latest[(v.source, v.id)] = max(latest.get((v.source, v.id), 0), v.version)
        return sorted((key[1], version) for key, version in latest.items())

    def snapshot(self) -> tuple:
        """Every stored row, order-free, to compare two projections."""
        return (
            sorted(self.entries.items()), sorted(self.versions.items()),
            sorted((t, sorted(c)) for t, c in self.pending.items()), sorted(self.rejected), sorted(self.outbox),
        )
