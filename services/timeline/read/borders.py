"""Borders: the current status of every border (its latest decision) and the history of one,
computed from the current timeline entries' ``border_decision`` payloads."""
from __future__ import annotations

from typing import Any

from .sql import Database, bounded, key_text, rows

BORDER_COLUMNS = (
    "payload->>'border' AS border, payload->>'crossing' AS crossing, payload->>'decision' AS decision,"
    " actor_ids, occurred_start, occurred_end, payload->>'effective_from' AS effective_from,"
    " payload->>'effective_until' AS effective_until, summary, source, id"
)


BORDER_KEY = bounded("payload->>'border'")


async def current(engine: Database, after: tuple | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The current status of every border (its latest decision), by border (``BORDER_KEY``);
    ``after`` (a border's ``page_key``) and ``limit`` give one page."""
    key = ", ".join(BORDER_KEY)
    return await rows(engine, (
        f"SELECT DISTINCT ON ({key}) {BORDER_COLUMNS}, {key_text(BORDER_KEY)} AS page_key FROM timeline_entry"
        " WHERE type = 'border_decision' AND NOT retracted"
        + (f" AND ({key}) > (:k0, :k1)" if after is not None else "")
        + f" ORDER BY {key}, occurred_start DESC, occurred_end DESC, source DESC, id DESC LIMIT :limit"),
        {"limit": limit, **({"k0": after[0], "k1": after[1]} if after is not None else {})})


async def history(engine: Database, border: str) -> list[dict[str, Any]]:
    """Every decision about one border, oldest first."""
    return await rows(engine, (
        f"SELECT {BORDER_COLUMNS} FROM timeline_entry WHERE type = 'border_decision' AND NOT retracted"
        " AND payload->>'border' = :border ORDER BY occurred_start, occurred_end, source, id"), {"border": border})
