"""The root command, its sub-apps and what every command shares: consoles, settings, checks."""
from __future__ import annotations

import asyncio
from datetime import datetime

import typer
from rich.console import Console

from ..config import Settings
from .errors import FriendlyGroup, enable_debug, require

app = typer.Typer(help="Event-sourced conflict timeline: Kafka in, PostgreSQL views out.", no_args_is_help=True,
                  pretty_exceptions_enable=False, cls=FriendlyGroup)
stack_app = typer.Typer(help="The local stack: Apache Kafka (KRaft) and PostgreSQL 15, no Docker.")
topics_app = typer.Typer(help="Kafka topics.")
show_app = typer.Typer(help="Read the views.")
dlq_app = typer.Typer(help="Dead-letter topics.")
schemas_app = typer.Typer(help="JSON Schema files of the event types.")
app.add_typer(stack_app, name="stack")
app.add_typer(topics_app, name="topics")
app.add_typer(show_app, name="show")
app.add_typer(dlq_app, name="dlq")
app.add_typer(schemas_app, name="schemas")
console = Console()
err = Console(stderr=True)


def load_settings() -> Settings:
    return Settings()


@app.callback()
def _options(debug: bool = typer.Option(False, "--debug", help="on an error, show the full traceback "
                                        "(or set TIMELINE_DEBUG=1)")) -> None:
    """Options of every command."""
    if debug:
        enable_debug()


def require_services(settings: Settings, postgresql: bool = False, kafka: bool = False, topics: list[str] | None = None,
                     role: str = "owner") -> None:
    """Stop with the fix in words unless the services a command uses answer (PostgreSQL as the
    ``role`` the command connects as) and its topics exist."""
    asyncio.run(require(settings, postgresql=postgresql, kafka=kafka, topics=topics or (), role=role))


def event_topic_names(settings: Settings) -> list[str]:
    from ..bus.topics import event_topics

    return event_topics(settings)


def dead_letter_topic_names(settings: Settings) -> list[str]:
    from ..bus.topics import dead_letter_topic

    return [dead_letter_topic(t) for t in event_topic_names(settings)]



def parse_instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise typer.BadParameter(f"{value!r}: give a time zone, e.g. 2018-06-26T12:00:00Z", param_hint="--as-of")
    return moment


