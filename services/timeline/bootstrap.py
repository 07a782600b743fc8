"""The composition root: builds engines, pools and Kafka clients from settings."""
from __future__ import annotations

from contextlib import asynccontextmanager

from .bus.producer import make_producer
from .config import Settings
from .projector import Projector
from .store.engine import make_engine, make_pool


@asynccontextmanager
async def projector(settings: Settings):
    """A ready Projector with its pool and dead-letter producer, closed on exit."""
    pool = await make_pool(settings)
    producer = make_producer(settings)
    await producer.start()
    try:
        yield Projector(settings, pool, producer)
    finally:
        await producer.stop()
        await pool.close()


@asynccontextmanager
async def producer(settings: Settings):
    p = make_producer(settings)
    await p.start()
    try:
        yield p
    finally:
        await p.stop()


@asynccontextmanager
async def engine(settings: Settings):
    e = make_engine(settings)
    try:
        yield e
    finally:
        await e.dispose()
