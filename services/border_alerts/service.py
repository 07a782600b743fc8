"""The border-alerts service: change feed in, alerts out."""
from __future__ import annotations

from faststream import AckPolicy, FastStream
from faststream.kafka import KafkaBroker
from pydantic import BaseModel

from timeline.bus.relay import ChangeMessage
from timeline.bus.topics import alerts_topic, changes_topic
from timeline.config import Settings

ALERTING = {"close", "restrict", "refuse_entry", "expel", "seal_off_area"}


class Alert(BaseModel):
    """A border was closed or restricted. ``change_seq`` lets a reader drop a repeated alert."""

    change_seq: int
    border: str
    decision: str
    summary: str
    occurred_start: str
    source: str
    id: str
    version: int


def alert_for(change: ChangeMessage) -> Alert | None:
    """The alert a change calls for, if any (pure: no I/O)."""
    if change.type != "border_decision" or change.kind == "retracted" or change.decision not in ALERTING:
        return None
    return Alert(change_seq=change.seq, border=change.border or "", decision=change.decision,
                 summary=change.summary, occurred_start=change.occurred_start.isoformat(), source=change.source,
                 id=change.id, version=change.version)


def build_app(settings: Settings) -> tuple[FastStream, KafkaBroker]:
    """The FastStream application and its broker; nothing connects until it starts."""
    broker = KafkaBroker(settings.kafka_bootstrap)
    alerts = broker.publisher(alerts_topic(settings), title="border alerts")

    # acknowledged after the alert is published (at least once; Alert.change_seq deduplicates)
    @broker.subscriber(changes_topic(settings), group_id=f"{settings.consumer_group}-border-alerts",
                       auto_offset_reset="earliest", ack_policy=AckPolicy.ACK)
    async def on_change(change: ChangeMessage) -> None:
        alert = alert_for(change)
        if alert is not None:
            await alerts.publish(alert, key=change.id.encode())

    return FastStream(broker), broker
