"""Bulk inserts: one statement per table per batch.

``executemany`` runs one statement per row, and PostgreSQL's per-statement work dominated the
projector's time. Here every column travels as one array parameter and ``unnest`` turns them
back into rows, so a batch of thousands of rows is a single INSERT.
"""
from __future__ import annotations

import json
from collections.abc import Sequence

import asyncpg

# a column of type text[] cannot ride in a two-dimensional array (rows differ in length):
# it travels as jsonb and is turned back into text[] in the SELECT
TEXT_ARRAY = "text[]"


def insert_sql(table: str, columns: Sequence[tuple[str, str]], suffix: str = "") -> str:
    """``INSERT INTO table (...) SELECT ... FROM unnest($1::t1[], ...)`` for (name, type) columns."""
    params, selects = [], []
    for i, (name, type_) in enumerate(columns, start=1):
        if type_ == TEXT_ARRAY:
            params.append(f"${i}::jsonb[]")
            selects.append(f"ARRAY(SELECT jsonb_array_elements_text(u.c{i}))")
        else:
            params.append(f"${i}::{type_}[]")
            selects.append(f"u.c{i}")
    aliases = ", ".join(f"c{i}" for i in range(1, len(columns) + 1))
    return (f"INSERT INTO {table} ({', '.join(name for name, _ in columns)})"
            f" SELECT {', '.join(selects)} FROM unnest({', '.join(params)}) AS u({aliases}) {suffix}").strip()


async def insert_rows(con: asyncpg.Connection, sql: str, columns: Sequence[tuple[str, str]], rows: list[tuple]) -> None:
    """Run an ``insert_sql`` statement with ``rows`` (tuples in column order)."""
    if not rows:
        return
    arrays = [list(values) for values in zip(*rows)]
    for i, (_, type_) in enumerate(columns):
        if type_ == TEXT_ARRAY:
            arrays[i] = [json.dumps(v) for v in arrays[i]]
    await con.execute(sql, *arrays)
