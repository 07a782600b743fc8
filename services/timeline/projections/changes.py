"""The change outbox: one row per view change, in the projector's transaction.

Each change names the event, what happened to it (created, amended, retracted), its new
version and the fields subscribers route on. Keyed by the event id so that per-key order holds.
"""
from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from ..store import bulk

COLUMNS = ("key", "change")


def change(kind: str, source: str, id_: str, version: int, type_name: str, known_at, payload: dict[str, Any]) -> tuple:
    """An outbox row (key, change JSON)."""
    body = {
        "kind": kind, "source": source, "id": id_, "version": version, "type": type_name,
        "known_at": known_at.isoformat(), "occurred_start": str(payload["occurred_start"]),
        "occurred_end": str(payload["occurred_end"]), "summary": payload["summary"],
        "country_iso3": payload["location"]["country_iso3"],
        "actor_ids": sorted({a["actor_id"] for a in payload["actors"]}),
    }
    if type_name == "border_decision":
        body.update(border=payload.get("border"), decision=payload.get("decision"))
    return id_, orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()


async def record(con: asyncpg.Connection, rows: list[tuple]) -> None:
    """Append changes to the outbox (relayed to Kafka by ``timeline relay``)."""
    await bulk.copy_rows(con, "change_outbox", COLUMNS, rows)
