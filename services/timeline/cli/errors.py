"""Errors of the command line in words: what is wrong, and the command that fixes it.

Two parts. ``require`` checks, before a command starts, that the services it uses answer
(each check bounded in time) and that its topics exist. ``FriendlyGroup`` runs the command
line and turns an unreachable service, a missing topic or schema, a bad setting or a bad
argument into at most three lines on stderr and a non-zero exit. ``--debug`` or
``TIMELINE_DEBUG=1`` shows the full traceback instead.
"""
from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import sys
import traceback
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from ..config import Settings, role_url_setting

try:  # the click that typer runs on: its own copy in recent versions
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException  # type: ignore[assignment]

CHECK_SECONDS = 10.0  # the longest a check waits for a service that does not answer
PROBE_SECONDS = 3.0  # the longest the probe that tells why Kafka did not answer waits
CONNECTION_ERRNOS = {errno.ECONNREFUSED, errno.ECONNRESET, errno.EHOSTUNREACH, errno.ENETUNREACH,
                     errno.ETIMEDOUT, errno.EADDRNOTAVAIL, errno.EHOSTDOWN}
_debug = False


def enable_debug() -> None:
    """Show tracebacks from now on (the ``--debug`` flag)."""
    global _debug
    _debug = True


def debug_enabled() -> bool:
    """``--debug`` was given, or ``TIMELINE_DEBUG`` is set to something other than 0, false or no."""
    return _debug or os.environ.get("TIMELINE_DEBUG", "").strip().lower() not in ("", "0", "false", "no")


@dataclass(frozen=True)
class Service:
    """A service the command line talks to, where it is, and the setting that says so."""

    name: str
    address: str
    setting: str


def postgres_service(settings: Settings, role: str = "owner") -> Service:
    """PostgreSQL as ``role`` reaches it (the owner, or one of ``DB_ROLES``), named by its setting."""
    return Service("PostgreSQL", f"{settings.pg_host}:{settings.pg_port}", role_url_setting(role))


def kafka_service(settings: Settings) -> Service:
    return Service("Kafka", settings.kafka_bootstrap, "TIMELINE_KAFKA_BOOTSTRAP")


class Problem(Exception):
    """An error the user can fix: what is wrong (one line each) and the fix (one line)."""

    def __init__(self, *what: str, fix: str = "", unreachable: tuple[Service, ...] = (), exit_code: int = 1):
        super().__init__("; ".join(what))
        self.what, self.fix, self.unreachable, self.exit_code = what, fix, unreachable, exit_code

    def lines(self) -> list[str]:
        """The lines to print, markup escaped: at most three."""
        lines = [f"[red]error:[/red] {escape(line)}" for line in self.what]
        return (lines + ([f"  {escape(self.fix)}"] if self.fix else []))[:3]


def unreachable(service: Service, reason: str) -> Problem:
    """``service`` does not answer, for ``reason``."""
    return Problem(f"cannot reach {service.name} at {service.address} ({reason})",
                   fix=f"start it with: timeline stack up   (or set {service.setting})", unreachable=(service,))


def all_unreachable(problems: list[Problem]) -> Problem:
    """One problem of several unreachable services: one line each, one fix."""
    services = tuple(s for p in problems for s in p.unreachable)
    if len(services) == 1:
        return problems[0]
    settings = " and ".join(s.setting for s in services)
    return Problem(*(line for p in problems for line in p.what), unreachable=services,
                   fix=f"start them with: timeline stack up   (or set {settings})")


def not_migrated(settings: Settings, detail: str, column: bool = False) -> Problem:
    state = "is not at the latest migration" if column else "is not migrated"
    return Problem(f"the schema {settings.db_schema!r} {state} ({detail})", fix="run: timeline migrate")


def missing_topics(names: list[str]) -> Problem:
    more = f" (and {len(names) - 1} more)" if len(names) > 1 else ""
    return Problem(f"topic {names[0]} does not exist{more}", fix="run: timeline topics create")


def reason(exc: BaseException, waited: float | None = None) -> str:
    """Why a connection failed, in a few words (``waited``: the seconds it was given)."""
    text = str(exc)
    if isinstance(exc, ConnectionRefusedError) or f"[Errno {errno.ECONNREFUSED}]" in text:
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return f"no answer within {waited:.0f} s" if waited else "no answer in time"
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return text or type(exc).__name__


# ---------------------------------------------------------------- checks before a command runs


async def require(settings: Settings, *, postgresql: bool = False, kafka: bool = False,
                  topics: Iterable[str] = (), role: str = "owner") -> None:
    """Raise a ``Problem`` unless every service asked for answers and every topic exists.

    PostgreSQL is reached as ``role``, the role the command connects as. The checks run at once
    and each waits at most ``CHECK_SECONDS``; when services are unreachable, all of them are named."""
    checks = ([_check_postgres(settings, role)] if postgresql else []) + \
             ([_check_kafka(settings, list(topics))] if kafka or topics else [])
    results = await asyncio.gather(*checks, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, Problem):
            raise result
    problems = [r for r in results if isinstance(r, Problem)]
    down = [p for p in problems if p.unreachable]
    if down:
        raise all_unreachable(down)
    if problems:
        raise problems[0]


async def _check_postgres(settings: Settings, role: str = "owner") -> None:
    import asyncpg

    try:
        con = await asyncpg.connect(settings.role_url(role), timeout=CHECK_SECONDS,
                                    server_settings={"application_name": "timeline"})
    except OSError as exc:  # refused, unknown host, no answer in time (asyncio.TimeoutError)
        raise unreachable(postgres_service(settings, role), reason(exc, CHECK_SECONDS)) from exc
    except Exception as exc:
        problem = _postgres_problem(settings, exc, role)
        if problem is None:
            raise
        raise problem from exc
    await con.close()


async def _check_kafka(settings: Settings, topics: list[str]) -> None:
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import KafkaError

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap,
                                request_timeout_ms=int(CHECK_SECONDS * 1000))
    with _quiet("aiokafka"):
        try:
            await asyncio.wait_for(admin.start(), CHECK_SECONDS)
            existing = set(await asyncio.wait_for(admin.list_topics(), CHECK_SECONDS))
        except (KafkaError, OSError) as exc:  # asyncio.TimeoutError is an OSError
            raise unreachable(kafka_service(settings), await _why_kafka_failed(settings, exc)) from exc
        finally:
            await admin.close()
    missing = [t for t in topics if t not in existing]
    if missing:
        raise missing_topics(missing)


async def _why_kafka_failed(settings: Settings, exc: BaseException) -> str:
    """Kafka's client does not say why it could not bootstrap: ask the first address itself."""
    if isinstance(exc, TimeoutError):
        return reason(exc, CHECK_SECONDS)
    host, _, port = settings.kafka_bootstrap.split(",")[0].strip().rpartition(":")
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host.strip("[]"), int(port)), PROBE_SECONDS)
    except (OSError, ValueError) as probe:
        return reason(probe)
    writer.close()
    return "it accepts connections but does not answer as Kafka"


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Silence a library's log while a check runs: its failure is told in words afterwards."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


# ---------------------------------------------------------------- exceptions in words


def explain(exc: BaseException) -> Problem | None:
    """The ``Problem`` that ``exc`` (or an exception it was raised from) stands for, if known."""
    for cause in _causes(exc):
        problem = _explain_one(cause)
        if problem is not None:
            return problem
    return None


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, the exceptions it was explicitly raised from, those a driver wraps, and those of a group."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [e for e in (current.__cause__, getattr(current, "orig", None)) if isinstance(e, BaseException)]
        if isinstance(current, BaseExceptionGroup):
            todo += list(current.exceptions)


def _explain_one(exc: BaseException) -> Problem | None:
    if isinstance(exc, Problem):
        return exc
    settings = _settings_or_none()
    if settings is None:
        return _bad_setting(exc)
    return (_bad_setting(exc) or _postgres_problem(settings, exc) or _kafka_problem(settings, exc)
            or _connection_problem(settings, exc) or _file_problem(exc))


def _settings_or_none() -> Settings | None:
    try:
        return Settings()
    except Exception:
        return None


def _bad_setting(exc: BaseException) -> Problem | None:
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError) or exc.title != Settings.__name__:
        return None
    first = exc.errors()[0]
    name = "TIMELINE_" + "_".join(str(part) for part in first["loc"]).upper()
    return Problem(f"bad setting {name}={first.get('input')!r}: {first['msg']}",
                   fix=f"correct the environment variable {name}")


def _postgres_problem(settings: Settings, exc: BaseException, role: str = "owner") -> Problem | None:
    """An error of PostgreSQL or of its driver that is no bug of ours (met as ``role``)."""
    from asyncpg import exceptions as pg

    where = postgres_service(settings, role)
    if isinstance(exc, (pg.UndefinedTableError, pg.InvalidSchemaNameError, pg.UndefinedFunctionError)):
        return not_migrated(settings, str(exc))
    if isinstance(exc, pg.UndefinedColumnError):
        return not_migrated(settings, str(exc), column=True)
    if isinstance(exc, pg.InvalidAuthorizationSpecificationError):
        return Problem(f"PostgreSQL at {where.address} refused the login: {exc}",
                       fix=f"check the user and password in {where.setting} (timeline stack up creates them)")
    if isinstance(exc, pg.InvalidCatalogNameError):
        return Problem(f"PostgreSQL at {where.address}: {exc}",
                       fix=f"check the database name in {where.setting} (timeline stack up creates it)")
    if isinstance(exc, pg.CannotConnectNowError):
        return Problem(f"PostgreSQL at {where.address} is starting or stopping ({exc})",
                       fix="retry in a moment; see what runs with: timeline stack status")
    if isinstance(exc, pg.TooManyConnectionsError):
        return Problem(f"PostgreSQL at {where.address} takes no more connections ({exc})",
                       fix="retry once other clients have disconnected")
    if isinstance(exc, (pg.PostgresConnectionError, pg.AdminShutdownError, pg.CrashShutdownError)):
        return Problem(f"PostgreSQL at {where.address} refused or closed the connection ({exc})",
                       fix="see what runs with: timeline stack status; start it with: timeline stack up")
    return None


def _kafka_problem(settings: Settings, exc: BaseException) -> Problem | None:
    """An error of Kafka or of its client."""
    from aiokafka import errors as kafka_errors

    where = kafka_service(settings)
    if isinstance(exc, kafka_errors.UnknownTopicOrPartitionError):
        return Problem(f"a topic does not exist on Kafka at {where.address} ({type(exc).__name__})",
                       fix="run: timeline topics create")
    if isinstance(exc, (kafka_errors.KafkaConnectionError, kafka_errors.NoBrokersAvailable,
                        kafka_errors.NodeNotReadyError)):
        return unreachable(where, "no broker answered")
    if isinstance(exc, (kafka_errors.KafkaTimeoutError, kafka_errors.RequestTimedOutError)):
        return unreachable(where, "it did not answer in time")
    if isinstance(exc, kafka_errors.BrokerResponseError):
        return Problem(f"Kafka at {where.address} answered with an error: {exc}",
                       fix="see what runs with: timeline stack status")
    return None


def _connection_problem(settings: Settings, exc: BaseException) -> Problem | None:
    """A failed connection, told apart by the library that made it (a timeout of unknown origin
    may be a bug: it keeps its traceback)."""
    if not (isinstance(exc, OSError) and _is_connection_error(exc)):
        return None
    modules = _modules_in(exc)
    if modules & {"asyncpg", "sqlalchemy", "alembic"}:
        return unreachable(postgres_service(settings), reason(exc))
    if "aiokafka" in modules:
        return unreachable(kafka_service(settings), reason(exc))
    if isinstance(exc, TimeoutError):
        return None
    return Problem(f"a connection failed ({reason(exc)})",
                   fix="see what runs with: timeline stack status; start it with: timeline stack up")


def _modules_in(exc: BaseException) -> set[str]:
    """The top-level packages of the code ``exc`` went through, and the exceptions behind it
    (a timeout's traceback ends in asyncio; the cancelled call behind it, in the driver)."""
    modules: set[str] = set()
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        modules |= {frame.f_globals.get("__name__", "").partition(".")[0]
                    for frame, _ in traceback.walk_tb(current.__traceback__)}
        current = current.__cause__ or current.__context__
    return modules


def _is_connection_error(exc: OSError) -> bool:
    """A network failure, not a file error (``asyncio.TimeoutError`` is one)."""
    if isinstance(exc, (ConnectionError, TimeoutError, socket.gaierror)):
        return True
    return exc.errno in CONNECTION_ERRNOS or (exc.errno is None and "Connect call failed" in str(exc))


def _file_problem(exc: BaseException) -> Problem | None:
    if isinstance(exc, OSError) and exc.filename is not None:
        return Problem(f"cannot open {exc.filename}: {(exc.strerror or str(exc)).lower()}",
                       fix="give the path of a readable file")
    return None


# ---------------------------------------------------------------- the command line's runner


class FriendlyGroup(TyperGroup):
    """The root command: runs the command line and says in words what went wrong."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, windows_expand_args: bool = True, **extra: Any) -> Any:
        """Run the command line. Standalone (as the ``timeline`` script), exit with its status."""

        def run() -> Any:
            return super(FriendlyGroup, self).main(args, prog_name, complete_var, False, windows_expand_args, **extra)

        if not standalone_mode:
            return run()
        try:
            result = run()
        except ClickException as exc:
            _usage_error(exc)
        except typer.Abort:
            _exit(["Aborted!"], 1)
        except Exception as exc:
            if isinstance(exc, OSError) and exc.errno == errno.EPIPE:  # the reader went away, as click does
                sys.exit(1)
            problem = None if debug_enabled() else explain(exc)
            if problem is None:  # a bug, or --debug: the traceback
                raise
            _exit(problem.lines(), problem.exit_code)
        sys.exit(result if isinstance(result, int) else 0)


def _usage_error(exc: ClickException) -> NoReturn:
    """A bad argument: the message and where to read the usage, on two lines."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # the help was printed already
        sys.exit(exc.exit_code)
    ctx = getattr(exc, "ctx", None)
    lines = [f"[red]error:[/red] {escape(exc.format_message())}"]
    if ctx is not None:
        lines.append(f"  see: {escape(ctx.command_path)} --help")
    _exit(lines, exc.exit_code)


def _exit(lines: list[str], code: int) -> NoReturn:
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    for line in lines:
        console.print(line)
    sys.exit(code)
