"""The CloudEvents 1.0 envelope (structured JSON mode) with our ``recordedtime`` extension."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .limits import EventId, Instant, SourceUri, Text


def _specversion_required(schema: dict[str, Any]) -> None:
    """CloudEvents requires ``specversion`` on the wire, though the model fills it in for Python callers."""
    schema["required"] = ["specversion", *[name for name in schema.get("required", []) if name != "specversion"]]


class Envelope(BaseModel):
    """A CloudEvent. ``time`` is when it happened in the world (start of its interval);
    ``recordedtime`` is when it became known to us, the only clock projections read."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_specversion_required)

    specversion: Literal["1.0"] = "1.0"
    id: EventId
    source: SourceUri
    type: str
    time: Instant
    recordedtime: Instant
    subject: Text | None = None
    dataschema: Text | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    data: Any

    @property
    def key(self) -> tuple[str, str]:
        """The deduplication key (source, id)."""
        return (self.source, self.id)

    @property
    def type_name(self) -> str:
        """The short type name, e.g. ``displacement_report`` for ``org.timeline.displacement_report.v1``."""
        return self.type.split(".")[-2]

    def partition_key(self) -> str:
        """Kafka key: the id of the root event, so a correction follows its target."""
        fields = getattr(self.data, "__dict__", None) or {}  # a model's fields (getattr on a miss is slow)
        return fields.get("corrects_id") or self.id


def utc_iso(moment: datetime) -> str:
    """RFC 3339 text of an aware datetime."""
    return moment.isoformat().replace("+00:00", "Z")
