"""Errors of bad input. Each names the field and the reason."""
from __future__ import annotations

from pydantic import ValidationError


class InvalidEvent(ValueError):
    """An input that is not a valid event. ``kind`` classifies it for dead letters."""

    kind = "invalid_event"

    def __init__(self, reason: str, field: str | None = None):
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}" if field else reason)


class NotJson(InvalidEvent):
    kind = "not_json"


class Undecodable(InvalidEvent):
    kind = "undecodable"


class NotCloudEvent(InvalidEvent):
    kind = "not_cloudevent"


class UnknownType(InvalidEvent):
    kind = "unknown_type"


class SchemaViolation(InvalidEvent):
    kind = "schema_violation"

    @classmethod
    def from_pydantic(cls, exc: ValidationError) -> SchemaViolation:
        parts = []
        for err in exc.errors(include_url=False):
            loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-")) or "(event)"
            parts.append(f"{loc}: {err['msg']}")
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        error = cls("; ".join(parts))
        error.field = field
        return error


class Oversize(InvalidEvent):
    kind = "oversize"


class RejectedByStore(InvalidEvent):
    """A valid event that PostgreSQL (or its driver) still refused; ``sqlstate`` says why."""

    kind = "rejected_by_store"

    def __init__(self, reason: str, sqlstate: str | None = None):
        super().__init__(reason)
        self.sqlstate = sqlstate


class ConflictingDuplicate(InvalidEvent):
    """A (source, id) already logged with different content; the logged version stays."""

    kind = "conflicting_duplicate"
