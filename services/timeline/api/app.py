"""The HTTP API: read endpoints, ingestion, health, lag and Prometheus metrics.

Request bodies over ``api_max_body_bytes`` are refused with 413 (``body_limit``), in JSON.
Metrics are labelled from closed sets: a known method name or ``other``, a route template or
``unmatched``, so no request can add a series. Served by several worker processes
(``timeline serve --workers``), the metrics are prometheus-client's multiprocess ones
(``PROMETHEUS_MULTIPROC_DIR``, set by ``serve``): ``/metrics`` answers the sum over the workers."""
from __future__ import annotations

import asyncio
import os
import time
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import exc as sa
from sqlalchemy import text
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import web
from ..bus.producer import make_producer
from ..bus.topics import event_topics
from ..bus.watch import KafkaWatch
from ..config import Settings
from ..read import lag as lag_of
from ..read.sql import NoConnection
from . import errors, ingest, models, reads
from .body_limit import BodyLimit
from .database import database_error, make_api_engine, make_read_pool, replica_lag

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass
class Metrics:
    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    ingested: Counter
    kafka_up: Gauge
    kafka_since_contact: Gauge

    @classmethod
    def create(cls) -> Metrics:
        registry = CollectorRegistry()
        return cls(
            registry,
            Counter("timeline_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=registry),
            Histogram("timeline_http_request_seconds", "HTTP request latency", ["route"], registry=registry),
            Counter("timeline_ingested_events_total", "events accepted over HTTP", registry=registry),
            # across workers: down if any worker finds Kafka down, the longest time without contact
            Gauge("timeline_kafka_up", "1 while a Kafka broker answered within kafka_down_after_s, else 0",
                  registry=registry, multiprocess_mode="livemin"),
            Gauge("timeline_kafka_seconds_since_contact", "seconds since a Kafka broker last answered",
                  registry=registry, multiprocess_mode="livemax"),
        )

    def observe_kafka(self, watch: KafkaWatch) -> None:
        """The Kafka gauges from ``watch`` (after each of its probes)."""
        self.kafka_up.set(1 if watch.up else 0)
        self.kafka_since_contact.set(round(watch.since_contact(), 3))

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        """Count one request under labels from closed sets."""
        method = scope["method"] if scope["method"] in METHODS else "other"
        route = getattr(scope.get("route"), "path", "unmatched")
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def exposition(self) -> bytes:
        """The text format of every metric: this process's, or every worker's in multiprocess mode."""
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            return generate_latest(self.registry)
        workers = CollectorRegistry()
        MultiProcessCollector(workers)
        return generate_latest(workers)


class Measure:
    """ASGI middleware: every HTTP request counted with its status and latency."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.metrics.observe(scope, status, time.perf_counter() - started)


def create_app(settings: Settings) -> FastAPI:
    """The application; database pools and Kafka clients are made when it starts, not at import."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.engine = make_api_engine(settings)
        app.state.pool = await make_read_pool(settings)
        app.state.producer = make_producer(settings)
        app.state.consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
        await app.state.producer.start()
        await app.state.consumer.start()
        # probed in the background, so that the metric tells an outage even when nobody asks /health/ready
        app.state.kafka = KafkaWatch(app.state.producer.client, settings)
        watching = asyncio.create_task(app.state.kafka.run(app.state.metrics.observe_kafka))
        try:
            yield
        finally:
            watching.cancel()
            await app.state.consumer.stop()
            await app.state.producer.stop()
            await app.state.pool.pool.close()
            await app.state.engine.dispose()

    app = FastAPI(title="timeline", version="1.0.0", lifespan=lifespan,
                  description="Read and ingest the event-sourced conflict timeline. Send an API key in X-API-Key.")
    app.state.settings = settings
    app.state.metrics = Metrics.create()
    if settings.read_database_url:
        # the worker that answers a probe or a scrape measures; the most recent reading is exported
        app.state.replica_lag = Gauge("timeline_replica_lag_seconds", "how far the read replica is behind the "
                                      "primary (NaN: unreachable)", registry=app.state.metrics.registry,
                                      multiprocess_mode="livemostrecent")
    # ingestion first: for a method neither allows, /events/batch answers 405 with its own Allow
    # header instead of that of /events/{id}, which the same path also matches
    app.include_router(ingest.router)
    app.include_router(reads.router)
    app.include_router(web.router)  # the web page under /ui/, left out of the OpenAPI document
    _operations(app)
    _error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(Measure, metrics=app.state.metrics)
    return app


def from_environment() -> FastAPI:
    """The application on settings from the environment: what each worker of ``timeline serve``
    builds (``uvicorn timeline.api.app:from_environment --factory``)."""
    return create_app(Settings())


def _error_handlers(app: FastAPI) -> None:
    """Every error as ``{"detail": ...}``; an exhausted database or an unreachable broker as 503."""
    # Starlette types a handler as taking any Exception; each of these takes the one it is registered for
    app.add_exception_handler(HTTPException, errors.http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, errors.validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(sa.DBAPIError, database_error)
    app.add_exception_handler(sa.TimeoutError, database_error)
    app.add_exception_handler(ConnectionError, database_error)
    app.add_exception_handler(asyncpg.PostgresError, database_error)
    app.add_exception_handler(asyncpg.InterfaceError, database_error)
    app.add_exception_handler(NoConnection, database_error)
    app.add_exception_handler(KafkaError, _kafka_error)


async def _kafka_error(request: Request, exc: KafkaError):
    return errors.problem(503, f"Kafka did not answer: {type(exc).__name__}; retry", headers={"Retry-After": "1"})


def _operations(app: FastAPI) -> None:
    @app.get("/health/live", tags=["operations"])
    async def live() -> dict:
        """The process answers."""
        return {"status": "ok"}

    @app.get("/health/ready", tags=["operations"], response_model=models.Readiness, response_model_exclude_unset=True,
             responses={503: {"model": models.Readiness, "description": "a dependency is unreachable"}})
    async def ready(request: Request, response: Response) -> dict:
        """Kafka and PostgreSQL are reachable, and the read replica (when configured) lags at most
        ``replica_max_lag_s`` behind the primary."""
        checks = {"postgresql": await _check(_pg(request)), "kafka": await _check(_kafka(request))}
        extra = {}
        if request.app.state.settings.read_database_url:
            checks["replica"], extra["replica_lag_s"] = await _replica(request)
        ok = all(v == "ok" for v in checks.values())
        response.status_code = 200 if ok else 503
        return {"status": "ready" if ok else "not ready", "checks": checks, **extra}

    @app.get("/lag", tags=["operations"], response_model=models.Lag, responses=errors.UNAVAILABLE)
    async def lag(request: Request) -> dict:
        """Per partition: end offset, stored offset, and the projector's lag."""
        settings = request.app.state.settings
        try:
            partitions = await lag_of.per_partition(request.app.state.engine, request.app.state.producer,
                                                    request.app.state.consumer, event_topics(settings),
                                                    settings.projection_name)
        except lag_of.TopicsMissing:
            raise HTTPException(503, "the event topics are missing: run `timeline topics create`") from None
        return {"total_lag": sum(p.lag for p in partitions), "partitions": [asdict(p) for p in partitions]}

    @app.get("/metrics", tags=["operations"], response_class=Response)
    async def metrics(request: Request) -> Response:
        """Prometheus metrics."""
        if request.app.state.settings.read_database_url:
            await _replica(request)
        return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


async def _check(probe) -> str:
    try:
        await asyncio.wait_for(probe, 3)
        return "ok"
    except Exception as exc:  # any failure means not ready; the reason is reported
        return f"{type(exc).__name__}: {exc}"[:200]


async def _replica(request: Request) -> tuple[str, float | None]:
    """The replica's check and lag in seconds (None when it cannot be measured); sets the gauge."""
    settings = request.app.state.settings
    lag: float | None = None
    try:
        lag = await asyncio.wait_for(replica_lag(request.app.state.pool, request.app.state.engine), 3)
        check = "ok" if lag <= settings.replica_max_lag_s else (
            f"replica lags {lag:.1f} s behind the primary, more than replica_max_lag_s = {settings.replica_max_lag_s:g} s")
    except Exception as exc:  # any failure means not ready; the reason is reported
        check = f"replica unreachable: {type(exc).__name__}: {exc}"[:200]
    request.app.state.replica_lag.set(float("nan") if lag is None else lag)
    return check, None if lag is None else round(lag, 3)


async def _pg(request: Request) -> None:
    async with request.app.state.engine.connect() as con:
        await con.execute(text("SELECT 1"))


async def _kafka(request: Request) -> None:
    """A metadata request answered (within ``kafka_probe_timeout_s``; a stopped broker refuses at once)."""
    watch: KafkaWatch = request.app.state.kafka
    try:
        await watch.probe()
    finally:
        request.app.state.metrics.observe_kafka(watch)
