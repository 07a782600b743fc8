"""Database connections. Both are made by the composition root, never at import time.

Readers use a SQLAlchemy async engine (Core, parameterised SQL); the projector writes with
an asyncpg pool, whose ``executemany`` and explicit transactions keep batches fast.
Both set ``search_path`` to the configured schema, so a test can use a schema of its own.
Both connect as the owner (``database_url``) unless given the URL of another role
(``Settings.role_url``): each entry point connects as its own.
"""
from __future__ import annotations

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ..config import REPO_ROOT, Settings, sqlalchemy_url_of


class MissingRoles(RuntimeError):
    """A migration grants to database roles that do not exist (the owner may not create them)."""


def make_engine(settings: Settings, url: str | None = None, **kw) -> AsyncEngine:
    """A SQLAlchemy engine for readers, on ``url`` (default: the owner's)."""
    return create_async_engine(
        sqlalchemy_url_of(url or settings.database_url),
        connect_args={"server_settings": {"search_path": settings.db_schema, "application_name": "timeline"}},
        pool_pre_ping=True,
        **kw,
    )


async def make_pool(settings: Settings, size: int = 4, url: str | None = None) -> asyncpg.Pool:
    """An asyncpg pool for the projector's writes, on ``url`` (default: the owner's).

    Its users leave no session state behind (no LISTEN, no SET outside a transaction, cursors
    only inside transactions; the relay releases its advisory lock itself), so a connection
    goes back to the pool without the default reset query: one round trip less per batch."""
    return await asyncpg.create_pool(
        url or settings.database_url, min_size=1, max_size=size, reset=_keep_session,
        server_settings={"search_path": settings.db_schema, "application_name": "timeline-projector"},
    )


async def _keep_session(con: asyncpg.Connection) -> None:
    return None


def alembic_config(settings: Settings):
    """The Alembic configuration that migrates ``settings.db_schema`` at ``settings.database_url``."""
    from alembic.config import Config

    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    config.cmd_opts = type("Opts", (), {"x": [f"schema={settings.db_schema}", f"url={settings.sqlalchemy_url}"]})()
    config.attributes["db_roles"] = settings.db_roles  # whom the migrations grant to (0012)
    return config


def migrate(settings: Settings, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic (the only place DDL lives)."""
    from alembic import command

    command.upgrade(alembic_config(settings), revision)
