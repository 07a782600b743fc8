"""``timeline export geojson``: a GeoJSON FeatureCollection (RFC 7946) of the events that have
coordinates, each a Point ``[longitude, latitude]`` with the properties of ``GET
/timeline.geojson``: the entry's row of the timeline (source, id, version, type, dates, place
names and the resolved place, summary, actor ids, publishers, claimants, retracted, known_at),
or, for an entry that does not carry it, those columns derived from its payload.

The collection is written feature by feature as the entries come, never built in memory.
Events without both coordinates are left out (``SKIPS`` says so on the command line). The
coordinates are those of the version exported, so ``--as-of`` places an event where it was
then believed to be."""
from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

import orjson

from . import ExportEntry

SKIPS = "events without coordinates"


def properties(e: ExportEntry) -> dict[str, Any]:
    """The timeline's columns of one event: its row, or derived from its payload as the projection
    derives them."""
    if "timeline" in e:
        return e["timeline"]
    p = e["payload"]
    location = p["location"]
    return {
        "source": e["source"], "id": e["id"], "version": e["version"], "type": e["type"],
        "occurred_start": p["occurred_start"], "occurred_end": p["occurred_end"],
        "date_precision": p["date_precision"], "country_iso3": location["country_iso3"],
        "admin1": location.get("admin1"), "location_name": location.get("location_name"), "summary": p["summary"],
        "actor_ids": sorted({a["actor_id"] for a in p["actors"]}),
        "publishers": sorted({s["publisher"] for s in p["sources"]}),
        "claimants": sorted({s["original_claimant"] for s in p["sources"]}),
        "retracted": e["retracted"], "known_at": e["known_at"],
    }


def feature(e: ExportEntry) -> dict[str, Any] | None:
    """The event as a Point feature, or None when it has no coordinates."""
    location = e["payload"].get("location", {})
    lon, lat = location.get("longitude"), location.get("latitude")
    if lon is None or lat is None:
        return None
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties(e)}


def write(entries: Iterable[ExportEntry], out: IO[str]) -> int:
    """Write the FeatureCollection to ``out``, one feature per line; return the number of features."""
    out.write('{"type":"FeatureCollection","features":[')
    n = 0
    for e in entries:
        f = feature(e)
        if f is None:
            continue
        out.write(("\n" if n == 0 else ",\n") + orjson.dumps(f, option=orjson.OPT_UTC_Z).decode())
        n += 1
    out.write("\n]}\n")
    return n
