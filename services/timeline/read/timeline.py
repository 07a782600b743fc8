"""The timeline: current entries in chronological order, filtered, paged by a keyset cursor,
or as known at an instant (``as_of``); and the coordinates of its entries, for GeoJSON.

Each entry comes with the gazetteer place it resolves to (``places``) beside the names as
written; a filter on a place, or a text search naming one, finds every spelling of it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from . import places
from .sql import Database, rows

ORDER = "occurred_start, occurred_end, source, id"


@dataclass(frozen=True)
class TimelineQuery:
    """Filters of the timeline. ``as_of`` gives the timeline as it was known at that instant;
    ``after`` is a keyset cursor (occurred_start, occurred_end, source, id) of the last row seen."""

    actor_id: str | None = None
    type: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    as_of: datetime | None = None
    include_retracted: bool = False
    country_iso3: str | None = None
    admin1: str | None = None
    claimant: str | None = None
    publisher: str | None = None
    text: str | None = None
    place: str | None = None
    after: tuple | None = None
    limit: int = 1000


COLUMNS = (
    "source, id, version, type, occurred_start, occurred_end, date_precision, country_iso3, admin1,"
    " location_name, payload->'location'->>'admin2' AS admin2, summary, actor_ids, publishers, claimants,"
    " retracted, known_at"
)


def _filters(q: TimelineQuery) -> tuple[list[str], dict[str, Any]]:
    where, params = [], {}
    simple = {"actor_id": "actor_ids @> ARRAY[CAST(:actor_id AS text)]", "type": "type = :type",
              "country_iso3": "country_iso3 = :country_iso3", "admin1": "admin1 = :admin1",
              "claimant": ":claimant = ANY(claimants)", "publisher": ":publisher = ANY(publishers)",
              "date_from": "occurred_end >= :date_from", "date_to": "occurred_start <= :date_to"}
    for name, clause in simple.items():
        value = getattr(q, name)
        if value is not None:
            where.append(clause)
            params[name] = value
    if not q.include_retracted:
        where.append("NOT retracted")
    if q.after is not None:
        where.append("(occurred_start, occurred_end, source, id) > (:a_start, :a_end, :a_source, :a_id)")
        params.update(a_start=q.after[0], a_end=q.after[1], a_source=q.after[2], a_id=q.after[3])
    return where, params


async def entries(engine: Database, q: TimelineQuery) -> list[dict[str, Any]]:
    """The chronological timeline: by interval start, then interval end (narrower first), then
    (source, id), so events known only to the week or month sort stably among exact ones."""
    where, params = _filters(q)
    params["limit"] = q.limit
    if q.place is not None:
        clause, more = await places.filter_for(engine, q.place)
        where.append(clause)
        params.update(more)
    if q.text:
        clauses, more = await text_conditions(engine, q.text, words=q.as_of is None)
        where += clauses
        params.update(more)
    if q.as_of is not None:
        return await rows(engine, _with_place(_as_of(where)), {**params, "as_of": q.as_of})
    if q.date_from is not None:
        # no event overlapping the range starts earlier than this (migration 0007): it bounds
        # the index scan from below, where occurred_end >= date_from alone could not
        where.append("occurred_start >= CAST(:date_from AS date)"
                     " - (SELECT coalesce(max(occurred_end - occurred_start), 0) FROM timeline_entry)")
    return await rows(engine, _with_place(_select("timeline_entry", where)), params)


def _with_place(sql: str) -> str:
    # the page's rows with their resolved place, looked up for those rows only
    return places.with_place(sql, ORDER)


def _pattern(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def text_conditions(engine: Database, text: str, words: bool = True) -> tuple[list[str], dict[str, Any]]:
    """Conditions that hold for the entries whose summary contains ``text``, or ``text`` with a
    place it names spelled another way (``places.search_spellings``), ignoring case; with
    ``words``, narrowed by the word index (``word_conditions``)."""
    spellings = await places.search_spellings(engine, text)
    branches: list[list[str]] = []
    params: dict[str, Any] = {}
    for i, spelling in enumerate(spellings):
        suffix = "" if len(spellings) == 1 else f"_{i}"
        branch, more = await word_conditions(engine, spelling, suffix) if words else ([], {})
        branches.append([*branch, f"summary ILIKE :text{suffix}"])
        params.update(more, **{f"text{suffix}": _pattern(spelling)})
    if len(branches) == 1:
        return branches[0], params
    return ["(" + " OR ".join("(" + " AND ".join(b) + ")" for b in branches) + ")"], params


def _select(table: str, where: list[str]) -> str:
    return f"SELECT {COLUMNS} FROM {table} {'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY {ORDER} LIMIT :limit"


def _as_of(where: list[str]) -> str:
    """The one version per event with known_at <= as_of < superseded_at (migrations 0005, 0008):
    the entries never corrected, and the versions of the others, each walked in timeline order
    on its own chronology index and merged (``timeline_history`` with the same filters, but a
    plan that stops after ``limit`` rows of each)."""
    entries = [*where, "version = 1", "known_at <= :as_of"]
    versions = [*where, "known_at <= :as_of", "(superseded_at IS NULL OR superseded_at > :as_of)"]
    return (f"SELECT * FROM (({_select('timeline_entry', entries)}) UNION ALL ({_select('timeline_version', versions)}))"
            f" AS h ORDER BY {ORDER} LIMIT :limit")


# The text split as summaries are (the expression of timeline_entry.words), and the words of the
# vocabulary containing its first and its last word, up to CANDIDATES + 1 of each.
TOKENS = """
WITH t AS (SELECT array_remove(regexp_split_to_array(lower(:q), '\\W+'), '') AS w,
                  lower(:q) ~ '^\\W' AS open_start, lower(:q) ~ '\\W$' AS open_end)
SELECT t.w AS words, t.open_start, t.open_end,
       ARRAY(SELECT word FROM search_word WHERE length(t.w[1]) >= :part_min
              AND word LIKE '%' || replace(t.w[1], '_', '\\_') || '%' LIMIT :candidates + 1) AS first_in,
       ARRAY(SELECT word FROM search_word WHERE length(t.w[cardinality(t.w)]) >= :part_min
              AND word LIKE '%' || replace(t.w[cardinality(t.w)], '_', '\\_') || '%' LIMIT :candidates + 1) AS last_in
  FROM t"""
PART_MIN = 3  # a shorter part of a word cannot use the vocabulary's trigram index
CANDIDATES = 500  # a part found in more words than this narrows too little to help


async def word_conditions(engine: Database, text: str, suffix: str = "") -> tuple[list[str], dict[str, Any]]:
    """Conditions on ``timeline_entry.words`` (migration 0010) that every entry whose summary
    contains ``text`` meets: they narrow the search to the index, ``summary ILIKE`` decides.

    PostgreSQL splits the text as it splits summaries. A word of the text with a separator (or
    the text's edge next to a separator) on both sides is a whole word of the summary; the first
    and last may be parts of longer words, so one of the summary's words contains them: the
    words of the vocabulary that do are passed as values, so that the planner weighs them with
    the column's statistics (a common word walks the timeline in order, a rare one the index).
    ``suffix`` ends the names of the parameters, so that several searches combine."""
    found = (await rows(engine, TOKENS, {"q": text, "part_min": PART_MIN, "candidates": CANDIDATES}))[0]
    words: list[str] = found["words"]
    last = len(words) - 1
    whole = [w for i, w in enumerate(words) if (i > 0 or found["open_start"]) and (i < last or found["open_end"])]
    where: list[str] = []
    params: dict[str, Any] = {}
    if whole:
        where.append(f"words @> CAST(:whole_words{suffix} AS text[])")
        params[f"whole_words{suffix}"] = sorted(set(whole))
    parts = {0: found["first_in"], last: found["last_in"]} if words else {}
    for n, (i, containing) in enumerate(sorted(parts.items())):
        if words[i] in whole or len(words[i]) < PART_MIN or len(containing) > CANDIDATES:
            continue
        where.append(f"words && CAST(:part_{n}{suffix} AS text[])")
        params[f"part_{n}{suffix}"] = containing
    return where, params


async def coordinates(engine: Database, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple]:
    """(longitude, latitude) of events that have them."""
    if not keys:
        return {}
    found = await rows(engine, (
        "SELECT source, id, (payload->'location'->>'longitude')::float AS lon,"
        " (payload->'location'->>'latitude')::float AS lat FROM timeline_entry"
        " WHERE (source, id) IN (SELECT * FROM unnest(CAST(:s AS text[]), CAST(:i AS text[])))"
        " AND payload->'location' ? 'latitude' AND payload->'location' ? 'longitude'"),
        {"s": [k[0] for k in keys], "i": [k[1] for k in keys]})
    return {(r["source"], r["id"]): (r["lon"], r["lat"]) for r in found}
