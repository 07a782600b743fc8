"""What the query modules share: running a SELECT into plain rows, and sort keys of bounded
size for the keyset cursors of the displacement and border lists.

Readers write their SQL with ``:name`` parameters and run it with ``rows`` on either a
SQLAlchemy engine (the command line, tests, bench) or a ``ReadPool`` of asyncpg connections
(the HTTP API, where each request is one round trip on a prepared statement). For asyncpg,
``:name`` becomes ``$n`` once per SQL text (cached); ``::type`` casts and ``\\:`` are left alone,
as in SQLAlchemy's ``text()``."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


class NoConnection(Exception):
    """No connection of the pool came free in time."""


@dataclass(frozen=True)
class ReadPool:
    """asyncpg connections for readers; a query waits at most ``wait_s`` for a free one."""

    pool: asyncpg.Pool
    wait_s: float


Database = AsyncEngine | ReadPool

BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")  # the bind parameters of SQLAlchemy's text()


@lru_cache(maxsize=2048)
def positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """``sql`` with ``:name`` parameters as asyncpg's ``$n``, and the names in ``$n`` order."""
    names: list[str] = []

    def number(match: re.Match) -> str:
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    return BIND.sub(number, sql).replace("\\:", ":"), tuple(names)


async def rows(db: Database, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of one SELECT, as dicts by column name."""
    if isinstance(db, ReadPool):
        query, names = positional(sql)
        try:
            con = await db.pool.acquire(timeout=db.wait_s)
        except TimeoutError:
            raise NoConnection(f"no free connection within {db.wait_s} s") from None
        try:
            return [dict(r) for r in await con.fetch(query, *[params[n] for n in names])]
        finally:
            await db.pool.release(con)
    async with db.connect() as con:
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
