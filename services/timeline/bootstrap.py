"""The composition root: builds engines, pools and Kafka clients from settings."""
from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack, asynccontextmanager

from aiokafka.errors import KafkaConnectionError

from .bus.producer import make_producer
from .config import Settings
from .projector import Projector
from .store.engine import make_engine, make_pool

START_SECONDS = 15.0  # the longest a Kafka client may take to start: Kafka does not answer after that


@asynccontextmanager
async def projector(settings: Settings):
    """A ready Projector with its pool (as the projector's role) and dead-letter producer, closed on exit."""
    async with AsyncExitStack() as stack:
        pool = await make_pool(settings, url=settings.role_url("projector"))
        stack.push_async_callback(pool.close)
        producer = await stack.enter_async_context(started(make_producer(settings), settings))
        yield Projector(settings, pool, producer)


@asynccontextmanager
async def producer(settings: Settings):
    """A started idempotent producer, stopped on exit."""
    async with started(make_producer(settings), settings) as p:
        yield p


@asynccontextmanager
async def started(client, settings: Settings):
    """``client`` (an aiokafka producer or consumer) started within ``START_SECONDS``, and always
    stopped, even when it did not start."""
    try:
        try:
            await asyncio.wait_for(client.start(), START_SECONDS)
        except TimeoutError as exc:  # asyncio.TimeoutError
            raise KafkaConnectionError(
                f"Kafka at {settings.kafka_bootstrap} did not answer within {START_SECONDS:.0f} s") from exc
        yield client
    finally:
        await client.stop()


@asynccontextmanager
async def engine(settings: Settings):
    e = make_engine(settings)
    try:
        yield e
    finally:
        await e.dispose()
