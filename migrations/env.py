"""Alembic environment: migrates the schema named by TIMELINE_DB_SCHEMA (or -x schema=...)."""
from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from timeline.config import Settings

settings = Settings()
arguments = context.get_x_argument(as_dictionary=True)
schema = arguments.get("schema", settings.db_schema)
url = arguments.get("url", settings.sqlalchemy_url)


def run(connection) -> None:
    connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    connection.execute(text(f'SET search_path TO "{schema}"'))
    connection.dialect.default_schema_name = schema
    context.configure(connection=connection, version_table_schema=schema)
    with context.begin_transaction():
        context.run_migrations(schema=schema)


async def main() -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(run)
    await engine.dispose()


asyncio.run(main())
