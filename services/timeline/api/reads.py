"""Read endpoints: timeline, one event's history, actors, displacement, borders, GeoJSON."""
from __future__ import annotations

import base64
import json
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from .. import read_models, readers
from . import models
from .security import require

router = APIRouter(dependencies=[require("read")])
FactType = Literal["offensive_escalation", "statement", "border_decision", "displacement_report"]


def encode_cursor(row: dict[str, Any]) -> str:
    key = [row["occurred_start"].isoformat(), row["occurred_end"].isoformat(), row["source"], row["id"]]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple:
    try:
        start, end, source, id_ = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return date.fromisoformat(start), date.fromisoformat(end), str(source), str(id_)
    except Exception:
        raise HTTPException(422, [{"loc": ["query", "cursor"], "msg": "not a cursor this API returned",
                                   "type": "value_error"}]) from None


def aware(moment: datetime | None, field: str) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise HTTPException(422, [{"loc": ["query", field], "msg": "give a time zone, e.g. 2018-06-26T12:00:00Z",
                                   "type": "value_error"}])
    return moment


async def _query(request: Request, **filters) -> readers.TimelineQuery:
    actor = filters.pop("actor")
    if actor:
        found = await readers.resolve_actor(request.app.state.engine, actor)
        filters["actor_id"] = found["id"] if found else actor
    cursor = filters.pop("cursor")
    filters["after"] = decode_cursor(cursor) if cursor else None
    filters["as_of"] = aware(filters["as_of"], "as_of")
    return readers.TimelineQuery(**filters)


class TimelineFilters:
    """The query parameters shared by /timeline and /timeline.geojson."""

    def __init__(
        self,
        date_from: Annotated[date | None, Query(alias="from", description="events that end on or after")] = None,
        date_to: Annotated[date | None, Query(alias="to", description="events that start on or before")] = None,
        type: FactType | None = None,
        actor: Annotated[str | None, Query(description="actor id, name or alias", max_length=200)] = None,
        country: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
        admin1: Annotated[str | None, Query(max_length=200)] = None,
        claimant: Annotated[str | None, Query(max_length=200)] = None,
        publisher: Annotated[str | None, Query(max_length=200)] = None,
        q: Annotated[str | None, Query(description="text in the summary", max_length=200)] = None,
        retracted: bool = False,
        as_of: Annotated[datetime | None, Query(description="the timeline as known at this instant")] = None,
        cursor: Annotated[str | None, Query(max_length=2000)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ):
        self.values = dict(date_from=date_from, date_to=date_to, type=type, actor=actor, country_iso3=country,
                           admin1=admin1, claimant=claimant, publisher=publisher, text=q,
                           include_retracted=retracted, as_of=as_of, cursor=cursor, limit=limit)


@router.get("/timeline", response_model=models.TimelinePage, tags=["timeline"])
async def timeline(request: Request, f: Annotated[TimelineFilters, Depends()]) -> dict:
    """The chronological timeline, filtered, with a cursor that stays stable while events arrive."""
    return await _page(request, f.values)


@router.get("/timeline.geojson", tags=["timeline"], response_model=dict[str, Any])
async def timeline_geojson(request: Request, f: Annotated[TimelineFilters, Depends()]) -> dict:
    """The timeline as a GeoJSON FeatureCollection (events with coordinates only)."""
    query = await _query(request, **f.values)
    rows = await readers.timeline(request.app.state.engine, query)
    points = await read_models.coordinates(request.app.state.engine, [(r["source"], r["id"]) for r in rows])
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": list(points[(r["source"], r["id"])])},
         "properties": models.TimelineItem(**r).model_dump(mode="json")}
        for r in rows if (r["source"], r["id"]) in points
    ]
    return {"type": "FeatureCollection", "features": features}


@router.get("/events/{id}", response_model=models.EventHistory, tags=["timeline"])
async def event(request: Request, id: str, source: Annotated[str, Query(max_length=500)]) -> dict:
    """One event, its current version and every version with the time it became known."""
    history = await readers.versions(request.app.state.engine, source, id)
    if not history:
        raise HTTPException(404, f"no event {id!r} from {source!r}")
    return {"source": source, "id": id, "current": history[-1], "versions": history}


@router.get("/actors", response_model=list[models.Actor], tags=["actors"])
async def actors(request: Request) -> list:
    """The canonical actor registry."""
    return await read_models.actors(request.app.state.engine)


async def _actor(request: Request, name: str) -> dict:
    found = await readers.resolve_actor(request.app.state.engine, name)
    if found is None:
        raise HTTPException(404, f"no actor named {name!r}")
    return found


@router.get("/actors/{name}", response_model=models.ActorProfile, tags=["actors"])
async def actor_profile(request: Request, name: str) -> dict:
    """One actor (by id, name or alias): roles, counts by type and by month, names as written."""
    found = await _actor(request, name)
    activity = await readers.actor_activity(request.app.state.engine, found["id"])
    return {"actor": found, **activity}


@router.get("/actors/{name}/timeline", response_model=models.TimelinePage, tags=["actors"])
async def actor_timeline(request: Request, name: str, f: Annotated[TimelineFilters, Depends()]) -> dict:
    """One actor's timeline (the ``actor`` filter is ignored here)."""
    found = await _actor(request, name)
    values = {**f.values, "actor": found["id"]}
    return await _page(request, values)


async def _page(request: Request, values: dict) -> dict:
    query = await _query(request, **values)
    rows = await readers.timeline(request.app.state.engine, query)
    return {"items": rows, "next_cursor": encode_cursor(rows[-1]) if len(rows) == query.limit else None}


@router.get("/displacement", response_model=list[models.CompetingClaims], tags=["displacement"])
async def displacement(
    request: Request,
    country: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    admin1: Annotated[str | None, Query(max_length=200)] = None,
    population_type: Literal["idps", "refugees", "asylum_seekers", "returnees", "stranded"] | None = None,
) -> list:
    """Displacement figures over time; competing figures for the same period, place and population
    from different claimants side by side in one group."""
    groups: dict[str, dict] = {}
    for row in await read_models.displacement(request.app.state.engine, country, admin1, population_type):
        key = row.pop("claim_group")
        group = groups.setdefault(key, {k: row[k] for k in (
            "occurred_start", "occurred_end", "country_iso3", "admin1", "location_name", "population_type",
            "figure_kind")} | {"figures": []})
        group["figures"].append(row)
    return list(groups.values())


@router.get("/borders", response_model=list[models.BorderDecision], tags=["borders"])
async def borders(request: Request) -> list:
    """Every border with its current status (its latest decision)."""
    return await read_models.borders(request.app.state.engine)


@router.get("/borders/{border}", response_model=list[models.BorderDecision], tags=["borders"])
async def border_history(request: Request, border: str) -> list:
    """Every decision about one border, oldest first."""
    rows = await read_models.border_history(request.app.state.engine, border)
    if not rows:
        raise HTTPException(404, f"no decision about border {border!r}")
    return rows
