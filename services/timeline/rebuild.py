"""Replay from the log as a set-based rebuild, inside PostgreSQL.

Under one snapshot of the live event log (exported, so that several connections share it):

1. the log is copied into the shadow (the catch-up after the fill finds duplicates there);
2. every canonical fact (``event_log.canonical``, migration 0009) becomes its entry in one
   ``INSERT ... SELECT`` per slice of the log, the slices in parallel: the view columns are
   derived from the envelope's ``data`` in SQL, as ``core.view_columns`` derives them;
3. the rest (corrections, facts another producer wrote in its own spacing or key order, types
   that need an upcaster) goes through the projection code, in log order, from the entries just
   made: a correction's version 1 and its versions, held and rejected corrections;
4. ``event_actor`` and the search vocabulary are derived from the entries in one statement each.

The rows are the ones the projector writes; the replay verifies them against the live views
before any swap, so a difference refuses the swap instead of reaching the readers.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg

from .events import BY_CE_TYPE, decode
from .events.payloads import Correction
from .projections import core, timeline
from .store.checkpoints import load_offsets

SLICES = 2  # parallel INSERT ... SELECT statements (the machine's cores)
CHUNK = 4000  # events per transaction of the ordered pass

ENTRY = """
INSERT INTO {shadow}.timeline_entry (source, id, version, first_known_at, known_at, retracted, type,
    occurred_start, occurred_end, date_precision, country_iso3, admin1, location_name, summary,
    actor_ids, publishers, claimants, payload)
SELECT l.source, l.id, 1, l.recordedtime, l.recordedtime, false, t.name,
       (d->>'occurred_start')::date, (d->>'occurred_end')::date, d->>'date_precision',
       d->'location'->>'country_iso3', d->'location'->>'admin1', d->'location'->>'location_name', d->>'summary',
       ARRAY(SELECT DISTINCT (a->>'actor_id') COLLATE "C" FROM jsonb_array_elements(d->'actors') a ORDER BY 1),
       ARRAY(SELECT DISTINCT (s->>'publisher') COLLATE "C" FROM jsonb_array_elements(d->'sources') s ORDER BY 1),
       ARRAY(SELECT DISTINCT (s->>'original_claimant') COLLATE "C" FROM jsonb_array_elements(d->'sources') s ORDER BY 1),
       d
  FROM {live}.event_log l
  JOIN unnest($1::text[], $2::text[]) AS t(ce_type, name) ON t.ce_type = l.type
 CROSS JOIN LATERAL (SELECT (l.envelope::jsonb)->'data' AS d OFFSET 0) AS x  -- OFFSET 0: parsed once, not per use
 WHERE l.canonical AND l.ctid >= format('(%s,0)', $3::bigint)::tid AND l.ctid < format('(%s,0)', $4::bigint)::tid
"""
LOG = """
INSERT INTO {shadow}.event_log SELECT * FROM {live}.event_log l
 WHERE l.ctid >= format('(%s,0)', $1::bigint)::tid AND l.ctid < format('(%s,0)', $2::bigint)::tid
"""
ACTORS = """
INSERT INTO {shadow}.event_actor (source, id, actor_id, role, name_as_written)
SELECT DISTINCT ON (e.source, e.id, a->>'actor_id', a->>'role') e.source, e.id, a->>'actor_id', a->>'role', a->>'name'
  FROM {shadow}.timeline_entry e, jsonb_array_elements(e.payload->'actors') WITH ORDINALITY AS x(a, n)
 ORDER BY e.source, e.id, a->>'actor_id', a->>'role', x.n DESC
"""
WORDS = """
INSERT INTO {shadow}.search_word (word) SELECT DISTINCT w FROM {shadow}.timeline_entry e, unnest(e.words) AS w
ON CONFLICT DO NOTHING
"""
ORDERED = ("SELECT envelope FROM {live}.event_log WHERE NOT canonical"
           " ORDER BY topic, kafka_partition, kafka_offset")

Progress = Callable[[int, int], None]


def _q(schema: str) -> str:
    return '"' + schema.replace('"', '""') + '"'


async def rebuild_from_log(live: asyncpg.Pool, shadow: asyncpg.Pool, live_schema: str, shadow_schema: str,
                           projection: str, on_progress: Progress | None = None) -> tuple[int, dict, dict[str, float]]:
    """Fill the shadow's views from the live log in one snapshot; return (events, the log's stored
    offsets in that snapshot, seconds per step)."""
    names = {"live": _q(live_schema), "shadow": _q(shadow_schema)}
    facts = [(t.ce_type, t.name) for t in BY_CE_TYPE.values() if t.payload is not Correction]
    steps: dict[str, float] = {}
    loop = asyncio.get_running_loop()
    async with live.acquire() as con, con.transaction(isolation="repeatable_read", readonly=True):
        snapshot = await con.fetchval("SELECT pg_export_snapshot()")
        targets = await load_offsets(con, projection)
        total = await con.fetchval("SELECT count(*) FROM event_log")
        blocks = await con.fetchval("SELECT pg_relation_size('event_log') / current_setting('block_size')::int + 1")
        bounds = [blocks * i // SLICES for i in range(SLICES)] + [blocks + 1]

        async def sliced(sql: str, extra: tuple, i: int) -> None:
            async with shadow.acquire() as s, s.transaction(isolation="repeatable_read"):
                await s.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                await s.execute(sql.format(**names), *extra, bounds[i], bounds[i + 1])

        mark = loop.time()
        await asyncio.gather(*(sliced(LOG, (), i) for i in range(SLICES)))
        steps["copy the log"] = round(loop.time() - mark, 1)
        mark = loop.time()
        await asyncio.gather(*(sliced(ENTRY, ([f[0] for f in facts], [f[1] for f in facts]), i)
                               for i in range(SLICES)))
        steps["entries in SQL"] = round(loop.time() - mark, 1)
        done = total - await con.fetchval("SELECT count(*) FROM event_log WHERE NOT canonical")
        if on_progress:
            on_progress(done, total)
        mark = loop.time()
        chunk: list = []
        async for row in con.cursor(ORDERED.format(**names), prefetch=CHUNK):
            event = decode(row["envelope"].encode())
            chunk.append((event, core.fact_rows(event)))
            if len(chunk) >= CHUNK:
                done += await _apply(shadow, chunk)
                chunk = []
                if on_progress:
                    on_progress(done, total)
        done += await _apply(shadow, chunk)
        steps["the rest in log order"] = round(loop.time() - mark, 1)
    mark = loop.time()
    async with shadow.acquire() as s, s.transaction():
        await s.execute(f"TRUNCATE {names['shadow']}.event_actor")
        await s.execute(ACTORS.format(**names))
        await s.execute(WORDS.format(**names))
    steps["actors and words in SQL"] = round(loop.time() - mark, 1)
    if on_progress:
        on_progress(total, total)
    return total, targets, steps


async def _apply(shadow: asyncpg.Pool, chunk: list) -> int:
    if chunk:
        async with shadow.acquire() as con, con.transaction():
            await timeline.apply(con, chunk)
    return len(chunk)
