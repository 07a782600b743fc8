"""What the store can hold, as constrained types every model uses.

PostgreSQL and asyncpg refuse or distort some values that JSON admits. Each limit here is
written into the generated JSON Schemas, so that producers in any language see it, and is
checked by ``timeline publish``, ``POST /events`` and the projector's decoder alike:

- text: no NUL character (``text`` and ``jsonb`` cannot store ``\\u0000``), at most
  ``MAX_TEXT_CHARS`` characters;
- identifiers (``id``, ``source``, ``corrects_id``, ``corrects_source``, ``actor_id``): at
  most a number of UTF-8 **bytes**, so that the composite btree keys they form stay well under
  PostgreSQL's index row limit of about 2,700 bytes;
- dates and instants: from ``EARLIEST`` to ``LATEST`` (instants compared in UTC). asyncpg
  turns ``0001-01-01`` and ``9999-12-31`` into ±infinity, and an offset such as ``+01:00``
  pushes the edges of the calendar out of range;
- counts (fatalities, figures): integers from 0 to 2**53 - 1, exact in every JSON parser
  and in PostgreSQL's ``bigint``;
- an event's interval: at most ``MAX_INTERVAL_DAYS`` long, so that date arithmetic on the
  timeline never leaves the calendar;
- lists: at most ``MAX_LIST_ITEMS`` items;
- a correction's ``changes``: only the target type's own top-level fields, each valid as that
  field, nested at most ``MAX_CHANGES_DEPTH`` levels and at most ``MAX_CHANGES_BYTES`` as JSON.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, Field, WithJsonSchema

NO_NUL = r"^[^\u0000]*$"
MAX_TEXT_CHARS = 10_000
MAX_LIST_ITEMS = 100
EARLIEST = date(1000, 1, 1)
LATEST = date(2999, 12, 31)
EARLIEST_INSTANT = datetime(1000, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
MAX_INTERVAL_DAYS = 36_525  # a century
MAX_COUNT = 2**53 - 1
MAX_CHANGES_DEPTH = 8
MAX_CHANGES_BYTES = 65_536
ID_BYTES = 256
SOURCE_BYTES = 1024
ACTOR_ID_BYTES = 128


def _within_bytes(limit: int):
    def check(value: str) -> str:
        size = len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass"))
        if size > limit:
            raise ValueError(f"is {size} UTF-8 bytes long, over the limit of {limit}")
        return value
    return check


def identifier(limit: int, pattern: str = NO_NUL, description: str = "") -> Any:
    """A string of at most ``limit`` UTF-8 bytes (so at most ``limit`` characters), without NUL."""
    note = f"at most {limit} UTF-8 bytes"
    return Annotated[
        str,
        Field(min_length=1, max_length=limit, pattern=pattern,
              description=f"{description}; {note}" if description else note,
              json_schema_extra={"x-max-utf8-bytes": limit}),
        AfterValidator(_within_bytes(limit)),
    ]


def text(max_chars: int = MAX_TEXT_CHARS, min_chars: int = 0, description: str | None = None) -> Any:
    """Free text without NUL, of bounded length."""
    return Annotated[str, Field(min_length=min_chars, max_length=max_chars, pattern=NO_NUL, description=description)]


def _date_in_range(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"must be between {EARLIEST} and {LATEST}")
    return value


_SURELY_IN_RANGE_FROM, _SURELY_IN_RANGE_UNTIL = EARLIEST_INSTANT.year, LATEST_INSTANT.year


def _instant_in_range(value: datetime) -> datetime:
    if _SURELY_IN_RANGE_FROM < value.year < _SURELY_IN_RANGE_UNTIL:
        return value  # a UTC offset is under a day: no need to compare in UTC
    if not EARLIEST_INSTANT <= value <= LATEST_INSTANT:
        raise ValueError(f"must be between {EARLIEST_INSTANT.isoformat()} and {LATEST_INSTANT.isoformat()} in UTC")
    return value


Text = text()
Name = text(min_chars=1)
Day = Annotated[
    date, AfterValidator(_date_in_range),
    WithJsonSchema({"type": "string", "format": "date", "x-minimum": EARLIEST.isoformat(),
                    "x-maximum": LATEST.isoformat(),
                    "description": f"a date from {EARLIEST} to {LATEST}"}),
]
Instant = Annotated[
    AwareDatetime, AfterValidator(_instant_in_range),
    WithJsonSchema({"type": "string", "format": "date-time", "x-minimum": EARLIEST_INSTANT.isoformat(),
                    "x-maximum": LATEST_INSTANT.isoformat(),
                    "description": f"an instant with its UTC offset, from {EARLIEST_INSTANT.isoformat()} to "
                                   f"{LATEST_INSTANT.isoformat()} in UTC"}),
]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
EventId = identifier(ID_BYTES, description="unique per source")
SourceUri = identifier(SOURCE_BYTES, description="URI-reference of the producer or publication")
ActorId = identifier(ACTOR_ID_BYTES, pattern=r"^[a-z0-9][a-z0-9_.-]*$", description="canonical id in the registry")


def deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists and objects more than ``limit`` levels (a scalar is 0),
    found without recursion, so that no input can exhaust the stack."""
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            if level + 1 > limit:
                return True
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return False
