"""Bulk writes: one statement per table per batch.

New rows travel with binary COPY (``copy_records_to_table``), the cheapest way into
PostgreSQL; rows that change travel as one array parameter per column that ``unnest`` turns
back into rows, so a batch of thousands of updates is a single UPDATE.
"""
from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import orjson

# a column of type text[] cannot ride in a two-dimensional array (rows differ in length):
# it travels as jsonb and is turned back into text[] in the SELECT
TEXT_ARRAY = "text[]"


def _unnest(columns: Sequence[tuple[str, str]]) -> tuple[list[str], str]:
    selects, params = [], []
    for i, (_, type_) in enumerate(columns, start=1):
        if type_ == TEXT_ARRAY:
            params.append(f"${i}::jsonb[]")
            selects.append(f"ARRAY(SELECT jsonb_array_elements_text(u.c{i}))")
        else:
            params.append(f"${i}::{type_}[]")
            selects.append(f"u.c{i}")
    aliases = ", ".join(f"c{i}" for i in range(1, len(columns) + 1))
    return selects, f"unnest({', '.join(params)}) AS u({aliases})"


def update_sql(table: str, columns: Sequence[tuple[str, str]], key: Sequence[str]) -> str:
    """``UPDATE table SET ... FROM unnest(...)`` matching rows on the ``key`` columns."""
    selects, source = _unnest(columns)
    names = [name for name, _ in columns]
    sets = ", ".join(f"{n} = {s}" for n, s in zip(names, selects, strict=True) if n not in key)
    match = " AND ".join(f"t.{k} = u.c{names.index(k) + 1}" for k in key)
    return f"UPDATE {table} AS t SET {sets} FROM {source} WHERE {match}"


async def update_rows(con: asyncpg.Connection, sql: str, types: Sequence[str], rows: Sequence[tuple]) -> None:
    """Run an ``update_sql`` statement with ``rows`` (tuples in column order)."""
    if not rows:
        return
    arrays = [list(values) for values in zip(*rows, strict=True)]
    for i, type_ in enumerate(types):
        if type_ == TEXT_ARRAY:
            arrays[i] = [orjson.dumps(v).decode() for v in arrays[i]]
    await con.execute(sql, *arrays)


async def copy_rows(con: asyncpg.Connection, table: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Append ``rows`` (tuples in ``columns`` order) to ``table`` with binary COPY."""
    if rows:
        await con.copy_records_to_table(table, records=rows, columns=list(columns))
