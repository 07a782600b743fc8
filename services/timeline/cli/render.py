"""Rendering the views in the terminal."""
from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .. import bootstrap
from ..config import Settings
from ..read import actors, events, timeline


def _plain(*cells: object) -> list[Text]:
    """Table cells taken literally: event text such as ``[/bold]`` is shown, never read as markup."""
    return [Text(str(cell)) for cell in cells]


def _when(row) -> str:
    start, end, precision = row["occurred_start"], row["occurred_end"], row["date_precision"]
    return str(start) if start == end else f"{start}…{end} ({precision})"


def _where(row) -> str:
    """The names as written, then the gazetteer place they resolve to (with its P-code)."""
    written = ", ".join(x for x in (row["location_name"], row["admin1"], row["country_iso3"]) if x)
    place = row.get("place")
    if not place:
        return written
    return f"{written} → {place['name']}" + (f" ({place['pcode']})" if place["pcode"] else "")


async def print_timeline(settings: Settings, console: Console, actor, type_, date_from, date_to, as_of,
                         retracted, limit, place=None) -> None:
    async with bootstrap.engine(settings) as engine:
        actor_id = None
        if actor:
            found = await actors.resolve(engine, actor)
            actor_id = found["id"] if found else actor
        rows = await timeline.entries(engine, timeline.TimelineQuery(
            actor_id=actor_id, type=type_, date_from=date_from, date_to=date_to, as_of=as_of,
            include_retracted=retracted, place=place, limit=limit))
    table = Table("when", "type", "where", "what", "actors", "sources", title="Timeline" + (f" as of {as_of}" if as_of else ""))
    for r in rows:
        what = r["summary"] + (" [retracted]" if r["retracted"] else "") + (f" (v{r['version']})" if r["version"] > 1 else "")
        where = _where(r)
        table.add_row(*_plain(_when(r), r["type"], where, what, ", ".join(r["actor_ids"]),
                              "; ".join(f"{p} (claim: {c})" for p, c in zip(r["publishers"], r["claimants"], strict=True))
                              if len(r["publishers"]) == len(r["claimants"])
                              else "; ".join(r["publishers"]) + " (claims: " + ", ".join(r["claimants"]) + ")"))
    console.print(table)
    console.print(f"{len(rows)} events")


async def print_actor(settings: Settings, console: Console, name: str) -> bool:
    async with bootstrap.engine(settings) as engine:
        actor = await actors.resolve(engine, name)
        if actor is None:
            return False
        activity = await actors.activity(engine, actor["id"])
        rows = await timeline.entries(engine, timeline.TimelineQuery(actor_id=actor["id"]))
    console.print(f"[bold]{escape(actor['name'])}[/bold] ({escape(actor['id'])})"
                  + (f", {escape(actor['actor_type'])}" if actor["actor_type"] else "")
                  + (f", {escape(actor['country_iso3'])}" if actor["country_iso3"] else "")
                  + (", registered" if actor["registered"] else ", not registered: named by events only"))
    for label, text in (
        ("aliases", ", ".join(actor["aliases"])),
        ("named in the texts as", ", ".join(activity["names_as_written"])),
        ("roles", ", ".join(f"{k} {v}" for k, v in activity["roles"].items())),
        ("by type", ", ".join(f"{k} {v}" for k, v in activity["by_type"].items())),
        ("by month", ", ".join(f"{k} {v}" for k, v in activity["by_month"].items())),
    ):
        console.print(Text(f"{label}: {text}"))
    table = Table("when", "type", "what")
    for r in rows:
        table.add_row(*_plain(_when(r), r["type"], r["summary"]))
    console.print(table)
    return True


async def print_versions(settings: Settings, console: Console, source: str, id_: str) -> bool:
    async with bootstrap.engine(settings) as engine:
        rows = await events.versions(engine, source, id_)
    if not rows:
        return False
    table = Table("version", "known at", "action", "by", "reason", "retracted", "summary")
    for r in rows:
        table.add_row(*_plain(r["version"], r["known_at"].isoformat(), r["action"], r["change_id"], r["reason"] or "",
                              "yes" if r["retracted"] else "", r["summary"]))
    console.print(table)
    return True


async def print_lag(settings: Settings, console: Console) -> None:
    from aiokafka import AIOKafkaConsumer

    from ..bus.topics import event_topics
    from ..read import lag

    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    async with (bootstrap.engine(settings) as engine, bootstrap.producer(settings) as producer,
                bootstrap.started(consumer, settings)):
        partitions = await lag.per_partition(engine, producer, consumer, event_topics(settings),
                                             settings.projection_name)
    table = Table("topic", "partition", "lag")
    for p in partitions:
        table.add_row(*_plain(p.topic, p.partition, p.lag))
    console.print(table)
    console.print(f"total lag {sum(p.lag for p in partitions)}")
