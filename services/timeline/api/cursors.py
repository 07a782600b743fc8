"""Keyset cursors: the sort key of a page's last row, as an opaque URL-safe token.

A token is base64url (unpadded) of the JSON list of the key's values. Clients treat it as
opaque; the API decodes it against the key of the endpoint it was given to, and refuses
anything else (not base64, not JSON, other length or types, text PostgreSQL cannot hold) with
a 422 naming ``cursor``, so a forged or mangled token never reaches a query.
"""
from __future__ import annotations

import base64
import binascii
import json
from datetime import date
from typing import Any, Callable

from .errors import invalid

PATTERN = r"^[A-Za-z0-9_-]+$"
MAX_LENGTH = 2000
DESCRIPTION = ("opaque token: the `next_cursor` of the previous page. The page starts after that row and"
               " stays stable while events arrive. A token this API did not return is refused with 422.")


class NotACursor(ValueError):
    pass


def encode(values: list[Any]) -> str:
    """The token of one sort key (dates as ISO 8601)."""
    plain = [v.isoformat() if isinstance(v, date) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def text(value: Any) -> str:
    """A string PostgreSQL can compare: no NUL, encodable as UTF-8."""
    if not isinstance(value, str) or "\x00" in value:
        raise NotACursor(value)
    value.encode()  # a lone surrogate raises UnicodeEncodeError, a ValueError
    return value


def day(value: Any) -> date:
    if not isinstance(value, str):
        raise NotACursor(value)
    return date.fromisoformat(value)


def decode(token: str, key: tuple[Callable[[Any], Any], ...]) -> tuple:
    """The sort key in ``token``, each value converted by ``key``; 422 if the API did not make it."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(key):
            raise NotACursor(token)
        return tuple(convert(v) for convert, v in zip(key, values))
    except (ValueError, binascii.Error, RecursionError):
        raise invalid(("query", "cursor"), "not a cursor this API returned", token) from None
