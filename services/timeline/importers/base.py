"""What every importer shares: row errors, stable ids, actor resolution, streaming, publishing.

A format module yields, per row of its file, an ``Envelope`` or a ``RowError``; it never holds
more than one row. ``run`` publishes the events in batches as they come, so a file of any size
is imported in flat memory, and reports each bad row with its file, line, column and reason.
With ``strict``, a first pass reads the whole file and nothing is published if any row is bad.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ..events import Envelope, InvalidEvent
from ..events.actors import Actor
from ..events.codec import decode_obj
from ..events.registry import BY_NAME

BATCH = 2_000


@dataclass(frozen=True)
class RowError:
    """A row that could not become an event: where it is and why."""

    file: str
    line: int
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where}: {self.column}: {self.reason}" if self.column else f"{where}: {self.reason}"


class BadRow(ValueError):
    """Raised by a format's row mapping: ``column`` is the source column at fault."""

    def __init__(self, column: str | None, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


def stable_id(prefix: str, source_id: str) -> str:
    """The event id derived from the source's own row id, so that importing twice changes nothing."""
    return f"{prefix}-{source_id.strip()}"


def slug(name: str, max_bytes: int = 120) -> str:
    """An actor id for a name outside the registry: lower-case ASCII words joined by hyphens,
    or a hash of the name when it has no ASCII letters."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    if not words:
        return "x-" + hashlib.sha1(name.encode()).hexdigest()[:16]
    return words[:max_bytes].rstrip("-")


_ACLED_PERIOD = re.compile(r"\s*\(\d{4}-(\d{4})?\)\s*$")


class ActorResolver:
    """Names as written to registry ids, through ids, display names and aliases (any case, and
    without ACLED's period: "Government of Syria" finds "Government of Syria (2000-)").
    A name the registry lacks gets a stable slug id; it shows as ``registered: false``."""

    def __init__(self, registry: Iterable[Actor]) -> None:
        self._ids: dict[str, str] = {}
        actors = list(registry)
        for actor in actors:
            for name in (actor.id, actor.name, *actor.aliases):
                self._ids.setdefault(name.casefold().strip(), actor.id)
        # ACLED dates its state actors ("Government of Syria (2000-)"); UCDP and GDELT do not
        for actor in actors:
            for name in (actor.name, *actor.aliases):
                self._ids.setdefault(_ACLED_PERIOD.sub("", name).casefold().strip(), actor.id)

    def resolve(self, name: str) -> tuple[str, bool]:
        """(actor id, whether the registry knows it)."""
        known = self._ids.get(name.casefold().strip())
        return (known, True) if known else (slug(name), False)

    def id(self, name: str) -> str:
        return self.resolve(name)[0]


@dataclass
class ImportContext:
    """What a format's ``read`` gets: the file's display name, the actor resolver, and the
    instant used as ``recordedtime`` where the source gives none."""

    file: str
    actors: ActorResolver
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    advance: Callable[[int], Any] | None = None  # told of the bytes read, for the progress bar

    def open(self, path: Path, encoding: str = "utf-8-sig") -> IO[str]:
        return open_text(path, self.advance, encoding)


class CountingReader(io.RawIOBase):
    """A binary file that counts the bytes read from it, for the progress bar."""

    def __init__(self, raw: IO[bytes], advance: Callable[[int], Any] | None = None) -> None:
        self._raw = raw
        self._advance = advance
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        if n:
            self.count += n
            if self._advance:
                self._advance(n)
        return n or 0

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_text(path: Path, advance: Callable[[int], Any] | None = None, encoding: str = "utf-8-sig") -> IO[str]:
    """``path`` as text, read in buffered chunks; ``advance`` is told of every chunk's bytes."""
    raw = CountingReader(path.open("rb", buffering=0), advance)
    return io.TextIOWrapper(io.BufferedReader(raw, 1 << 20), encoding=encoding, newline="", errors="strict")


def csv_rows(text: IO[str], file: str, delimiter: str = ",") -> Iterator[tuple[int, dict[str, str]] | RowError]:
    """(line, row by column name) for each data row of a CSV with a header line. A row with
    the wrong number of cells, or bytes that are not UTF-8, is a ``RowError``; reading goes on."""
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    header = [h.strip() for h in header]
    line = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            yield RowError(file, reader.line_num + 1, None, f"not UTF-8 text ({exc.reason})")
            return  # the decoder cannot resynchronise reliably
        except csv.Error as exc:
            yield RowError(file, reader.line_num, None, f"not valid CSV ({exc})")
            continue
        start, line = line + 1, reader.line_num
        if not cells or cells == [""]:
            continue
        if len(cells) != len(header):
            yield RowError(file, start, None, f"{len(cells)} cells where the header has {len(header)}")
            continue
        yield start, dict(zip(header, cells, strict=True))


def number(row: dict[str, str], column: str, low: float, high: float) -> float | None:
    """The cell as a number within [low, high]; an empty cell is None (unknown)."""
    cell = row[column].strip()
    if not cell:
        return None
    try:
        value = float(cell)
    except ValueError:
        raise BadRow(column, f"{cell!r} is not a number") from None
    if not low <= value <= high:
        raise BadRow(column, f"{value} is out of range ({low:g} to {high:g})")
    return value


def count(row: dict[str, str], column: str) -> int | None:
    """The cell as a whole number from 0; an empty cell is None (unknown, never zero)."""
    cell = row[column].strip()
    if not cell:
        return None
    if not (cell.isascii() and cell.isdigit()):
        raise BadRow(column, f"{cell!r} is not a count (a whole number from 0)")
    return int(cell)


def event(type_name: str, source: str, id: str, time: datetime | str, recordedtime: datetime | str | None,
          subject: str | None, data: dict[str, Any]) -> Envelope:
    """A CloudEvent of ``type_name``, validated as every other way in validates it."""
    t = BY_NAME[type_name]
    obj = {"specversion": "1.0", "id": id, "source": source, "type": t.ce_type, "time": _iso(time),
           "datacontenttype": "application/json", "dataschema": t.dataschema, "data": data}
    if recordedtime is not None:
        obj["recordedtime"] = _iso(recordedtime)
    if subject:
        obj["subject"] = subject
    return decode_obj(obj)


def _iso(value: datetime | str) -> str:
    return value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else value


def checked(file: str, line: int, build: Callable[[], Envelope]) -> Envelope | RowError:
    """``build()``, or the ``RowError`` naming the column (``BadRow``) or field (``InvalidEvent``)."""
    try:
        return build()
    except BadRow as exc:
        return RowError(file, line, exc.column, exc.reason)
    except InvalidEvent as exc:
        return RowError(file, line, exc.field, exc.reason)


@dataclass
class ImportReport:
    """What an import did."""

    rows: int = 0
    published: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    def add_error(self, error: RowError, keep: int = 1000) -> None:
        self.error_count += 1
        if len(self.errors) < keep:
            self.errors.append(error)


Stream = Iterator[Envelope | RowError]
Transform = Callable[[Iterator[Envelope]], Iterator[Envelope]]


def batches(stream: Stream, report: ImportReport, size: int = BATCH) -> Iterator[list[Envelope]]:
    """The events of ``stream`` in lists of ``size``; its errors go to ``report``."""
    batch: list[Envelope] = []
    for item in stream:
        report.rows += 1
        if isinstance(item, RowError):
            report.add_error(item)
            continue
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def events_of(stream: Stream, report: ImportReport) -> Iterator[Envelope]:
    for batch in batches(stream, report):
        yield from batch


Reader = Callable[[Path, ImportContext], Stream]


async def run(settings: Any, read: Reader, path: Path, actors: ActorResolver, *, strict: bool = False,
              transform: Transform | None = None, progress: bool = True) -> ImportReport:
    """Import ``path``: read it with ``read``, pass the events through ``transform`` (a snapshot
    comparison, say) and publish them in batches. With ``strict``, a first pass checks every row
    and nothing is published when one is bad."""
    from .. import bootstrap
    from ..bus.producer import publish

    context = ImportContext(file=str(path), actors=actors)
    if strict:
        check = ImportReport()
        with _progress(path, "checking", progress) as advance:
            context.advance = advance
            for _ in events_of(read(path, context), check):
                pass
        if check.error_count:
            return check
    report = ImportReport()
    async with bootstrap.producer(settings) as producer:
        with _progress(path, "importing", progress) as advance:
            context.advance = advance
            events = events_of(read(path, context), report)
            if transform is not None:
                events = transform(events)
            batch: list[Envelope] = []
            for item in events:
                batch.append(item)
                if len(batch) >= BATCH:
                    report.published += await publish(producer, settings, batch)
                    batch = []
            if batch:
                report.published += await publish(producer, settings, batch)
    return report


class _progress:
    """A rich progress bar over the bytes of ``path`` (nothing when ``show`` is false)."""

    def __init__(self, path: Path, label: str, show: bool) -> None:
        self._bar: Any = None
        if show:
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

            self._bar = Progress(TextColumn(f"{label} {path.name}"), BarColumn(), DownloadColumn(),
                                 TransferSpeedColumn(), TimeRemainingColumn(), transient=True)
            self._task = self._bar.add_task(label, total=path.stat().st_size)

    def __enter__(self) -> Callable[[int], Any] | None:
        if self._bar is None:
            return None
        self._bar.start()
        return lambda n: self._bar.advance(self._task, n)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
