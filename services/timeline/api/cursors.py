"""Keyset cursors: the sort key of a page's last row, as an opaque URL-safe token.

A token is base64url (unpadded) of the key's values as UTF-8, separated by NUL, the one
character PostgreSQL text cannot hold. Every sort key is bounded (the contract bounds ids and
sources in bytes; long free text is keyed by a prefix and its md5, see ``read.sql.bounded``), so
every token the API returns fits ``MAX_LENGTH``. Clients treat it as opaque; the API decodes
it against the key of the endpoint it was given to and refuses anything else (not base64, not
UTF-8, another number of values, an impossible date) with a 422 naming ``cursor``, so a forged
or mangled token never reaches a query.
"""
from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import date

from .errors import invalid

PATTERN = r"^[A-Za-z0-9_-]+$"
MAX_LENGTH = 4096
SEPARATOR = "\x00"
DESCRIPTION = ("opaque token: the `next_cursor` of the previous page. The page starts after that row and"
               " stays stable while events arrive. A token this API did not return is refused with 422.")


class NotACursor(ValueError):
    pass


def encode(values: Sequence[str | date]) -> str:
    """The token of one sort key (dates as ISO 8601)."""
    plain = SEPARATOR.join(v.isoformat() if isinstance(v, date) else v for v in values)
    return base64.urlsafe_b64encode(plain.encode()).decode().rstrip("=")


def text(value: str) -> str:
    return value


def day(value: str) -> date:
    return date.fromisoformat(value)


def decode(token: str, key: tuple[Callable[[str], object], ...]) -> tuple:
    """The sort key in ``token``, each value converted by ``key``; 422 if the API did not make it."""
    try:
        values = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split(SEPARATOR)
        if len(values) != len(key):
            raise NotACursor(token)
        return tuple(convert(v) for convert, v in zip(key, values, strict=True))
    except (ValueError, binascii.Error):
        raise invalid(("query", "cursor"), "not a cursor this API returned", token) from None
