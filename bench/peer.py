"""The peer: what a user would write without us.

A FastStream ``KafkaBroker`` subscriber takes one message at a time, decodes it with
``timeline.events.decode`` and writes it with a SQLAlchemy 2 async ORM session, committing
per message: the event_log row and the timeline_entry row (a correction updates its target's
entry). It runs on the bench topics into a separate fresh schema, until that schema's event
log holds the wanted number of rows. Per-message logging of FastStream is switched off, which
only helps the peer.
"""
from __future__ import annotations

import asyncio
import json
import time
from datetime import date, datetime

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from sqlalchemy import DateTime, Text, func, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from common import rate, show
from timeline.bus.topics import event_topics
from timeline.config import Settings
from timeline.events import decode
from timeline.events.payloads import Correction
from timeline.store.engine import make_engine


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True)}


class EventLog(Base):
    __tablename__ = "event_log"
    source: Mapped[str] = mapped_column(primary_key=True)
    id: Mapped[str] = mapped_column(primary_key=True)
    type: Mapped[str]
    subject: Mapped[str | None]
    time: Mapped[datetime]
    recordedtime: Mapped[datetime]
    root_id: Mapped[str]
    topic: Mapped[str]
    kafka_partition: Mapped[int]
    kafka_offset: Mapped[int]
    envelope: Mapped[dict] = mapped_column(JSONB)


class TimelineEntry(Base):
    __tablename__ = "timeline_entry"
    source: Mapped[str] = mapped_column(primary_key=True)
    id: Mapped[str] = mapped_column(primary_key=True)
    version: Mapped[int]
    first_known_at: Mapped[datetime]
    known_at: Mapped[datetime]
    retracted: Mapped[bool]
    type: Mapped[str]
    occurred_start: Mapped[date]
    occurred_end: Mapped[date]
    date_precision: Mapped[str]
    country_iso3: Mapped[str]
    admin1: Mapped[str | None]
    location_name: Mapped[str | None]
    summary: Mapped[str]
    actor_ids: Mapped[list[str]] = mapped_column(ARRAY(Text))
    publishers: Mapped[list[str]] = mapped_column(ARRAY(Text))
    claimants: Mapped[list[str]] = mapped_column(ARRAY(Text))
    payload: Mapped[dict] = mapped_column(JSONB)


def _entry_fields(payload: dict) -> dict:
    location = payload["location"]
    return dict(
        occurred_start=date.fromisoformat(payload["occurred_start"]),
        occurred_end=date.fromisoformat(payload["occurred_end"]), date_precision=payload["date_precision"],
        country_iso3=location["country_iso3"], admin1=location.get("admin1"),
        location_name=location.get("location_name"), summary=payload["summary"],
        actor_ids=sorted({a["actor_id"] for a in payload["actors"]}),
        publishers=sorted({s["publisher"] for s in payload["sources"]}),
        claimants=sorted({s["original_claimant"] for s in payload["sources"]}), payload=payload)


async def _apply(session: AsyncSession, event, msg) -> None:
    """One message: its event_log row, and a new or updated timeline_entry row."""
    session.add(EventLog(source=event.source, id=event.id, type=event.type, subject=event.subject, time=event.time,
                         recordedtime=event.recordedtime, root_id=event.partition_key(), topic=msg.raw_message.topic,
                         kafka_partition=msg.raw_message.partition, kafka_offset=msg.raw_message.offset,
                         envelope=json.loads(event.model_dump_json(exclude_none=True))))
    if isinstance(event.data, Correction):
        target = await session.get(TimelineEntry, (event.data.corrects_source or event.source, event.data.corrects_id))
        if target is not None:
            target.version, target.known_at = target.version + 1, event.recordedtime
            if event.data.action == "retract":
                target.retracted = True
            else:
                for name, value in _entry_fields({**target.payload, **event.data.changes}).items():
                    setattr(target, name, value)
    else:
        payload = event.data.model_dump(mode="json", exclude_none=True)
        session.add(TimelineEntry(source=event.source, id=event.id, version=1, first_known_at=event.recordedtime,
                                  known_at=event.recordedtime, retracted=False, type=event.type_name,
                                  **_entry_fields(payload)))
    await session.commit()


def build_broker(settings: Settings, peer: Settings, sessions: async_sessionmaker, tally: dict) -> KafkaBroker:
    """The peer's broker; ``tally`` counts committed messages and keeps errors (no polling of the table)."""
    broker = KafkaBroker(settings.kafka_bootstrap, logger=None)

    @broker.subscriber(*event_topics(settings), group_id=f"{peer.consumer_group}-peer", auto_offset_reset="earliest")
    async def handle(msg: KafkaMessage) -> None:
        try:
            event = decode(msg.body)
            async with sessions() as session:
                await _apply(session, event, msg)
            tally["committed"] += 1
        except Exception as exc:  # the bench stops on the first one (FastStream's logging is off)
            tally["errors"].append(exc)
            raise

    return broker


async def _rows(sessions: async_sessionmaker) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(EventLog))


async def run_peer(settings: Settings, peer: Settings, events: int, timeout: float) -> dict:
    """Run the peer on the bench topics until it committed ``events`` messages (or ``timeout``)."""
    engine = make_engine(peer, pool_size=2)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    tally: dict = {"committed": 0, "errors": []}
    broker = build_broker(settings, peer, sessions, tally)
    started = time.monotonic()
    await broker.start()
    try:
        while tally["committed"] < events and time.monotonic() - started < timeout:
            await asyncio.sleep(0.01)
            if tally["errors"]:
                raise RuntimeError(f"the peer failed: {tally['errors'][0]!r}") from tally["errors"][0]
        seconds, committed = time.monotonic() - started, tally["committed"]
    finally:
        await broker.stop()
    try:
        rows = await _rows(sessions)  # its event log once it stopped: at least what it committed
    finally:
        await engine.dispose()
    result = {"events": committed, "rows_after_stop": rows, "wanted": events, "seconds": round(seconds, 2),
              "events_per_s": rate(committed, seconds), "timed_out": committed < events}
    show("peer (FastStream + SQLAlchemy ORM, commit per message)", f"{result['events_per_s']:,.0f} events/s",
         f"{committed:,} events in {seconds:.1f} s (broker start to the last commit)"
         + (" (timed out)" if committed < events else ""))
    return result
