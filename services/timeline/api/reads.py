"""Read endpoints: timeline, one event's history, actors (registered or not), places, claims of
one happening, displacement, borders, GeoJSON.

Every list is paged: ``limit`` rows (at most 500) and a ``next_cursor`` to pass as ``cursor`` for
the next page, null on the last one. Cursors are keyset positions, so a page does not shift
while events arrive.

Reads run on the asyncpg pool (``app.state.pool``) and answer orjson bytes of the rows
(``encoding``); each route's ``response_model`` documents the body."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response

from .. import read
from ..events import FACT_TYPES
from ..events.limits import ID_BYTES, MAX_TEXT_CHARS, SOURCE_BYTES
from ..read import claims as claim_reads
from ..read import places as place_reads
from . import cursors, errors, models
from .encoding import fields_of, json_response
from .params import Day, Flag, Moment, count
from .security import require

router = APIRouter(dependencies=[require("read")], responses=errors.READ)
if TYPE_CHECKING:
    FactType = str
else:  # the registry's fact types
    FactType = Literal[tuple(t.name for t in FACT_TYPES)]
TIMELINE_KEY = (cursors.day, cursors.day, cursors.text, cursors.text)
CLAIM_KEY = (cursors.day, cursors.day, *[cursors.text] * (len(read.displacement.CLAIM_KEY) - 2))
BORDER_KEY = (cursors.text,) * len(read.borders.BORDER_KEY)
# PostgreSQL's text cannot hold NUL, so a parameter with one could match nothing: it is refused.
# Lengths are the contract's, so that whatever was stored can be asked for.
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str | None, Query(pattern=NO_NUL, max_length=MAX_TEXT_CHARS)]
Name = Annotated[str, Path(pattern=NO_NUL, max_length=MAX_TEXT_CHARS)]
Cursor = Annotated[str | None, Query(description=cursors.DESCRIPTION, pattern=cursors.PATTERN,
                                     max_length=cursors.MAX_LENGTH)]
MAX_PAGE = 500
if TYPE_CHECKING:
    Limit = int
    GroupLimit = int
else:  # an integer in its decimal spelling only, within 1..MAX_PAGE
    Limit = Annotated[count(1, MAX_PAGE), Query(description=f"rows per page (at most {MAX_PAGE})")]
    GroupLimit = Annotated[count(1, MAX_PAGE), Query(description=f"groups per page (at most {MAX_PAGE})")]
MIN_SEARCH = 3  # the trigram index needs three characters to narrow a search


def aware(moment: datetime | None, field: str) -> datetime | None:
    """``moment`` in UTC; 422 without a time zone. Instants past what UTC can hold in a datetime
    (year 9999 west of Greenwich, year 1 east of it) are clamped: no event is known beyond them."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise errors.invalid(("query", field), "give a time zone, e.g. 2018-06-26T12:00:00Z", str(moment))
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return (datetime.max if moment.year > 1 else datetime.min).replace(tzinfo=UTC)


async def _query(request: Request, **filters) -> read.timeline.TimelineQuery:
    actor = filters.pop("actor")
    if actor:
        found = await read.actors.resolve(request.app.state.pool, actor)
        filters["actor_id"] = found["id"] if found else actor
    cursor = filters.pop("cursor")
    filters["after"] = cursors.decode(cursor, TIMELINE_KEY) if cursor else None
    filters["as_of"] = aware(filters["as_of"], "as_of")
    return read.timeline.TimelineQuery(**filters)


async def timeline_filters(
    date_from: Annotated[Day | None, Query(alias="from", description="events that end on or after")] = None,
    date_to: Annotated[Day | None, Query(alias="to", description="events that start on or before")] = None,
    type: FactType | None = None,
    actor: Annotated[str | None, Query(description="actor id, name or alias", pattern=NO_NUL,
                                       max_length=MAX_TEXT_CHARS)] = None,
    country: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    admin1: Text = None,
    claimant: Text = None,
    publisher: Text = None,
    place: Annotated[str | None, Query(description="a place of the gazetteer by id or any spelling: the events "
                                       "resolved to it or to a place within it, however they spell it; a name "
                                       "the gazetteer does not know matches the events that write it",
                                       pattern=NO_NUL, max_length=MAX_TEXT_CHARS)] = None,
    q: Annotated[str | None, Query(description=f"text in the summary, at least {MIN_SEARCH} characters; a "
                                               "place it names also matches its other spellings",
                                   min_length=MIN_SEARCH, max_length=200, pattern=NO_NUL)] = None,
    retracted: Annotated[Flag, Query(description="include retracted events")] = False,
    as_of: Annotated[Moment | None,
                     Query(description="the timeline as known at this instant (with a time zone)")] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """The query parameters shared by /timeline and /timeline.geojson (a coroutine: FastAPI runs
    a plain function in a thread)."""
    return dict(date_from=date_from, date_to=date_to, type=type, actor=actor, country_iso3=country,
                admin1=admin1, claimant=claimant, publisher=publisher, text=q, place=place,
                include_retracted=retracted, as_of=as_of, cursor=cursor, limit=limit)


TimelineFilters = Annotated[dict[str, Any], Depends(timeline_filters)]


@router.get("/timeline", response_model=models.TimelinePage, tags=["timeline"])
async def timeline(request: Request, f: TimelineFilters) -> Response:
    """The chronological timeline, filtered, with a cursor that stays stable while events arrive."""
    return json_response(await _page(request, f))


@router.get("/timeline.geojson", tags=["timeline"], response_model=dict[str, Any])
async def timeline_geojson(request: Request, f: TimelineFilters) -> Response:
    """The timeline as a GeoJSON FeatureCollection (events with coordinates only)."""
    query = await _query(request, **f)
    rows = await read.timeline.entries(request.app.state.pool, query)
    points = await read.timeline.coordinates(request.app.state.pool, [(r["source"], r["id"]) for r in rows])
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": list(points[(r["source"], r["id"])])},
         "properties": r}
        for r in rows if (r["source"], r["id"]) in points
    ]
    return json_response({"type": "FeatureCollection", "features": features})


@router.get("/events/{id}", response_model=models.EventHistory, tags=["timeline"],
            responses=errors.not_found("event"))
async def event(request: Request, id: Annotated[str, Path(pattern=NO_NUL, max_length=ID_BYTES)],
                source: Annotated[str, Query(pattern=NO_NUL, max_length=SOURCE_BYTES)]) -> Response:
    """One event, its current version and every version with the time it became known."""
    history = await read.events.versions(request.app.state.pool, source, id)
    if not history:
        raise HTTPException(404, f"no event {id!r} from {source!r}")
    location = history[-1]["payload"].get("location", {})
    place = await place_reads.of_location(request.app.state.pool, location)
    return json_response({"source": source, "id": id, "location_name": location.get("location_name"),
                          "place": place, "current": history[-1], "versions": history})


def _paged(rows: list[dict], limit: int, key) -> dict:
    """The first ``limit`` rows (``limit + 1`` were read) and the cursor after the last, if more follow."""
    more = len(rows) > limit
    items = rows[:limit]
    return {"items": items, "next_cursor": cursors.encode(key(items[-1])) if more else None}


def _without_key(page: dict) -> dict:
    """The page with its items' sort keys dropped: the cursor carries the last one."""
    for item in page["items"]:
        del item["page_key"]
    return page


@router.get("/actors", response_model=models.ActorPage, tags=["actors"])
async def actors(
    request: Request,
    registered: Annotated[Flag, Query(description="true: the canonical actor registry; false: the actor ids "
                                      "events name that the registry does not hold, with their names as "
                                      "written, to be added to it")] = True,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> Response:
    """The canonical actor registry, by id; with ``registered=false``, the actors outside it."""
    after = cursors.decode(cursor, (cursors.text,))[0] if cursor else None
    listing = read.actors.listing if registered else read.actors.unregistered
    rows = await listing(request.app.state.pool, after, limit + 1)
    return json_response(_paged(rows, limit, lambda r: [r["id"]]))


async def _actor(request: Request, name: str) -> dict:
    found = await read.actors.resolve(request.app.state.pool, name)
    if found is None:
        raise HTTPException(404, f"no actor named {name!r}")
    return found


@router.get("/actors/{name}", response_model=models.ActorProfile, tags=["actors"],
            responses=errors.not_found("actor"))
async def actor_profile(request: Request, name: Name) -> Response:
    """One actor (by id, name or alias): roles, counts by type and by month, names as written. An
    actor id events name that the registry does not hold has a profile too, with
    ``registered: false``."""
    found = await _actor(request, name)
    activity = await read.actors.activity(request.app.state.pool, found["id"])
    return json_response({"actor": fields_of(models.Actor, found), **activity})


@router.get("/actors/{name}/timeline", response_model=models.TimelinePage, tags=["actors"],
            responses=errors.not_found("actor"))
async def actor_timeline(request: Request, name: Name, f: TimelineFilters) -> Response:
    """One actor's timeline (the ``actor`` filter is ignored here)."""
    found = await _actor(request, name)
    values = {**f, "actor": found["id"]}
    return json_response(await _page(request, values))


@router.get("/places", response_model=models.PlacePage, tags=["places"])
async def places(request: Request, cursor: Cursor = None, limit: Limit = 100) -> Response:
    """The gazetteer, by id: names, aliases, OCHA P-codes where known, coordinates."""
    after = cursors.decode(cursor, (cursors.text,))[0] if cursor else None
    rows = await place_reads.listing(request.app.state.pool, after, limit + 1)
    return json_response(_paged(rows, limit, lambda r: [r["id"]]))


@router.get("/places/{name}", response_model=models.Place, tags=["places"], responses=errors.not_found("place"))
async def place(request: Request, name: Name) -> Response:
    """One place of the gazetteer, by id or any spelling (ignoring case)."""
    found = await place_reads.find(request.app.state.pool, name)
    if found is None:
        raise HTTPException(404, f"no place named {name!r}")
    return json_response(found)


@router.get("/claims", response_model=models.HappeningPage, tags=["claims"])
async def happenings(request: Request, cursor: Cursor = None, limit: Limit = 100) -> Response:
    """Every happening that events name (``about``), by id, with its number of accounts, their
    types and claimants: where to look for competing accounts."""
    after = cursors.decode(cursor, (cursors.text,))[0] if cursor else None
    rows = await claim_reads.happenings(request.app.state.pool, after, limit + 1)
    return json_response(_paged(rows, limit, lambda r: [r["about"]]))


@router.get("/claims/{about}", response_model=models.Claims, tags=["claims"],
            responses=errors.not_found("happening"))
async def claims(request: Request, about: Annotated[str, Path(pattern=NO_NUL, max_length=ID_BYTES)]) -> Response:
    """The competing accounts of one happening (the events whose ``about`` is this id), side by
    side: summary, type, type-specific fields, claimants, publishers and Admiralty grades, and
    the fields on which they disagree."""
    accounts = await claim_reads.accounts(request.app.state.pool, about)
    if not accounts:
        raise HTTPException(404, f"no account of {about!r}")
    return json_response({"about": about, "accounts": accounts, "disputed": claim_reads.disputed(accounts)})


async def _page(request: Request, values: dict) -> dict:
    query = await _query(request, **values)
    rows = await read.timeline.entries(request.app.state.pool, replace(query, limit=query.limit + 1))
    return _paged(rows, query.limit, lambda r: [r["occurred_start"], r["occurred_end"], r["source"], r["id"]])


GROUP_FIELDS = ("occurred_start", "occurred_end", "country_iso3", "admin1", "location_name", "population_type",
                "figure_kind")


@router.get("/displacement", response_model=models.DisplacementPage, tags=["displacement"])
async def displacement(
    request: Request,
    country: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    admin1: Text = None,
    population_type: Literal["idps", "refugees", "asylum_seekers", "returnees", "stranded"] | None = None,
    cursor: Cursor = None,
    limit: GroupLimit = 100,
) -> Response:
    """Displacement figures over time; competing figures for the same period, place and population
    from different claimants side by side in one group. Paged by group."""
    after = cursors.decode(cursor, CLAIM_KEY) if cursor else None
    rows = await read.displacement.series(request.app.state.pool, country, admin1, population_type,
                                         after, limit + 1)
    groups: dict[tuple, dict] = {}
    for row in rows:
        key = tuple(row.pop("page_key"))
        group = groups.setdefault(key, {k: row[k] for k in GROUP_FIELDS} | {"figures": [], "page_key": key})
        group["figures"].append(row)
    return json_response(_without_key(_paged(list(groups.values()), limit, lambda g: g["page_key"])))


@router.get("/borders", response_model=models.BorderPage, tags=["borders"])
async def borders(request: Request, cursor: Cursor = None, limit: Limit = 100) -> Response:
    """Every border with its current status (its latest decision), by border."""
    after = cursors.decode(cursor, BORDER_KEY) if cursor else None
    rows = await read.borders.current(request.app.state.pool, after, limit + 1)
    return json_response(_without_key(_paged(rows, limit, lambda r: r["page_key"])))


@router.get("/borders/{border}", response_model=list[models.BorderDecision], tags=["borders"],
            responses=errors.not_found("border"))
async def border_history(request: Request, border: Name) -> Response:
    """Every decision about one border, oldest first."""
    rows = await read.borders.history(request.app.state.pool, border)
    if not rows:
        raise HTTPException(404, f"no decision about border {border!r}")
    return json_response(rows)
