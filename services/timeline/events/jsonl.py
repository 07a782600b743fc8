"""Reading events from JSON Lines, with errors that name the line, the field and the reason."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from .codec import decode_obj
from .envelope import Envelope
from .errors import InvalidEvent


@dataclass(frozen=True)
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def read_events(lines: Iterable[str]) -> tuple[list[Envelope], list[LineError]]:
    """Validate every line; blank lines are skipped. Returns the events and the errors."""
    events, errors = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            errors.append(LineError(number, f"not valid JSON ({exc})"))
            continue
        try:
            events.append(decode_obj(obj))
        except InvalidEvent as exc:
            errors.append(LineError(number, str(exc)))
    return events, errors
