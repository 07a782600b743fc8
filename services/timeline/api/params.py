"""Query parameter types that accept exactly what the OpenAPI document says.

pydantic's lax parsing reads ``0`` as 1970-01-01, ``yes`` as true and ``5.0`` or ``1_0`` as
integers; the document promises ISO 8601 dates, RFC 3339 instants, ``true``/``false`` and
decimal integers, so anything else is refused with 422 before pydantic reads it.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from annotated_types import Interval
from pydantic import BeforeValidator


def _spelled(pattern: str, what: str):
    regex = re.compile(pattern)

    def check(value: Any) -> Any:
        if isinstance(value, str) and not regex.fullmatch(value):
            raise ValueError(f"must be {what}")
        return value

    return BeforeValidator(check)


# the offset is optional here so that an instant without one gets its own message (see reads.aware)
Day = Annotated[date, _spelled(r"\d{4}-\d{2}-\d{2}", "a date as YYYY-MM-DD")]
Moment = Annotated[datetime, _spelled(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?",
                                      "an RFC 3339 instant, e.g. 2018-06-26T12:00:00Z")]
Flag = Annotated[bool, _spelled(r"true|false", "true or false")]


def count(minimum: int, maximum: int) -> Any:
    """A decimal integer within [minimum, maximum] (the bounds sit inside the validator, so that
    the document shows them as ``minimum`` and ``maximum``)."""
    return Annotated[int, Interval(ge=minimum, le=maximum), _spelled(r"[0-9]{1,9}", "a decimal integer")]
