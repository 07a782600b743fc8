"""What the query modules share: running a SELECT into plain rows, and sort keys of bounded
size for the keyset cursors of the displacement and border lists."""
from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def rows(engine: AsyncEngine, sql: str, params: dict) -> list[dict[str, Any]]:
    async with engine.connect() as con:
        return [dict(r._mapping) for r in await con.execute(text(sql), params)]


PREFIX_CHARS = 100


def bounded(expression: str) -> list[str]:
    """A sort key of bounded size for free text: its first characters, then its md5 (which
    orders texts sharing that prefix and tells them apart), so that a cursor stays short
    whatever the text's length while ordinary texts still sort alphabetically."""
    return [f"left({expression}, {PREFIX_CHARS})", f"md5({expression})"]


DATES = frozenset({"occurred_start", "occurred_end"})


def key_text(parts: list[str]) -> str:
    """The key as one text array, dates in ISO 8601: what a cursor carries."""
    return "ARRAY[" + ", ".join(f"to_char({p}, 'YYYY-MM-DD')" if p in DATES else p for p in parts) + "]"
