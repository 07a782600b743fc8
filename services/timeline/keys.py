"""API keys as the settings give them: in clear or as SHA-256 digests, inline or in a file.

An entry is ``KEY:scope+scope`` or ``sha256=HEX:scope+scope``, where HEX is the 64 hex digits of
the SHA-256 of the key's UTF-8 bytes (``timeline keys new`` prints both forms). Entries are
separated by ``;`` in ``TIMELINE_API_KEYS``, or one per line in ``TIMELINE_API_KEYS_FILE``, where
``#`` starts a comment. A key may hold ``:``; its scopes follow the last one.

Only digests are kept: a configured key in clear is hashed when the settings are read, so the
API compares the digest of what a client sends with every configured digest.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from pathlib import Path

SCOPES = ("read", "publish")
DIGEST_PREFIX = "sha256="
HEX = frozenset("0123456789abcdef")

KeyTable = dict[str, frozenset[str]]  # hex SHA-256 of a key -> its scopes


class BadKeyEntry(ValueError):
    """An API key entry that cannot be read; the message names where it is and why."""


def digest(key: str) -> str:
    """The hex SHA-256 of ``key`` as UTF-8 (lone surrogates kept, so any header value has one)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def parse(entries: Iterable[tuple[str, str]]) -> KeyTable:
    """Read ``(where, entry)`` pairs into a key table; blank entries are skipped."""
    table: KeyTable = {}
    for where, entry in entries:
        if not entry.strip():
            continue
        key, colon, names = entry.strip().rpartition(":")
        key = key.strip()
        if not colon or not key:
            raise BadKeyEntry(f"{where}: expected KEY:scope+scope or {DIGEST_PREFIX}HEX:scope+scope")
        scopes = frozenset(s.strip() for s in names.split("+") if s.strip())
        unknown = sorted(scopes - set(SCOPES))
        if not scopes or unknown:
            raise BadKeyEntry(f"{where}: unknown scope {', '.join(map(repr, unknown)) or '(none given)'}; "
                              f"scopes are {' and '.join(SCOPES)}, joined with +")
        if key.startswith(DIGEST_PREFIX):
            hexdigest = key[len(DIGEST_PREFIX):].lower()
            if len(hexdigest) != 64 or not set(hexdigest) <= HEX:
                raise BadKeyEntry(f"{where}: a {DIGEST_PREFIX} digest is 64 hex digits, the SHA-256 of the key")
        else:
            hexdigest = digest(key)
        table[hexdigest] = table.get(hexdigest, frozenset()) | scopes
    return table


def from_setting(text: str, setting: str = "TIMELINE_API_KEYS") -> KeyTable:
    """The entries of a ``;``-separated setting."""
    return parse((f"{setting} entry {n}", item) for n, item in enumerate(text.split(";"), 1))


def from_file(path: Path, setting: str = "TIMELINE_API_KEYS_FILE") -> KeyTable:
    """The entries of a key file, one per line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BadKeyEntry(f"{setting}: cannot read {path}: {exc}") from None
    table = parse((f"{path}:{n}", line.split("#", 1)[0]) for n, line in enumerate(lines, 1))
    if not table:
        raise BadKeyEntry(f"{path}: holds no key; write one KEY:scope+scope or {DIGEST_PREFIX}HEX:scope+scope per line")
    return table


def new_entry(scopes: Iterable[str]) -> tuple[str, str, str]:
    """A new random key, its entry in clear and its entry as a digest."""
    key = secrets.token_urlsafe(32)
    joined = "+".join(scopes)
    return key, f"{key}:{joined}", f"{DIGEST_PREFIX}{digest(key)}:{joined}"
