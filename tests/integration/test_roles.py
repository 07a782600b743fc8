"""Least privilege in PostgreSQL: each role, logged in over TCP with its password from the
settings, can do its job and nothing more (migration 0012, README "Database roles").

The cluster is this module's own, made by the stack code (what `timeline stack up` runs), so
that the roles, their passwords, the access rules and the socket directory are the ones the
stack makes; Kafka is the shared one, with topics of this module's own."""
from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import stat
import subprocess
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from asyncpg.exceptions import InsufficientPrivilegeError, InvalidAuthorizationSpecificationError, InvalidPasswordError

from tests.conftest import SEEDS, isolated_settings, settings_env
from tests.integration import harness
from timeline.config import DB_ROLES, Settings
from timeline.events.jsonl import read_events
from timeline.stack import Postgres
from timeline.testing import free_port, owner_url_on

pytestmark = pytest.mark.integration

RUNTIME = list(DB_ROLES)  # projector, api, relay, reporting
# What each runtime role may do on each table and view of the schema at head ("" nothing). A new
# table is listed here on purpose, with its grants in the migration that makes it.
GRANTED = {
    #                     projector  api  relay
    "event_log":           ("arwd", "", ""),
    "timeline_entry":      ("arwd", "r", ""),
    "timeline_version":    ("arwd", "r", ""),
    "timeline_history":    ("", "r", ""),
    "event_actor":         ("arwd", "r", ""),
    "pending_correction":  ("arwd", "", ""),
    "rejected_correction": ("arwd", "", ""),
    "search_word":         ("arwd", "r", ""),
    "projection_offset":   ("arwd", "r", ""),
    "projection_version":  ("arwd", "", ""),
    "change_outbox":       ("a", "", "rd"),
    "change_seq":          ("rw", "", ""),
    "actor":               ("", "r", ""),
    "place":               ("", "r", ""),
    "place_name":          ("", "r", ""),
    "alembic_version":     ("", "", ""),
}
PRIVILEGES = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "D": "TRUNCATE", "x": "REFERENCES",
              "t": "TRIGGER"}


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.username}:{password}@{parts.hostname}:{parts.port}"))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A PostgreSQL cluster of this module's own, started by the stack code; removed at the end."""
    settings = isolated_settings(stack_dir=tmp_path_factory.mktemp("stack"), database_url=owner_url_on(free_port()))
    postgres = Postgres(settings)
    postgres.start()
    yield postgres
    postgres.stop("immediate")
    shutil.rmtree(postgres.home, ignore_errors=True)


@pytest.fixture(scope="module")
async def seeded(cluster):
    """The seed article migrated (as the owner) and projected (as the projector) on the cluster."""
    settings = cluster.settings
    await harness.prepare(settings)
    await harness.seed_and_project(settings)
    yield settings
    await harness.drop(settings)


async def connect(settings: Settings, role: str) -> asyncpg.Connection:
    return await asyncpg.connect(settings.role_url(role), server_settings={"search_path": settings.db_schema})


async def denied(con: asyncpg.Connection, sql: str, *args) -> None:
    """``sql`` is refused for want of a privilege; nothing it tried stays."""
    with pytest.raises(InsufficientPrivilegeError):
        async with con.transaction():
            await con.execute(sql, *args)


async def allowed(con: asyncpg.Connection, sql: str, *args) -> str:
    """``sql`` runs, in a transaction rolled back afterwards; its status (e.g. ``DELETE 28``)."""
    tr = con.transaction()
    await tr.start()
    try:
        return await con.execute(sql, *args)
    finally:
        await tr.rollback()


def seed_facts() -> int:
    events, errors = read_events(SEEDS.read_text().splitlines())
    assert not errors
    return sum(1 for e in events if e.type_name != "correction")


async def test_no_role_can_create_roles_or_databases(seeded):
    for role in ["owner", *RUNTIME]:
        con = await connect(seeded, role)
        try:
            me = await con.fetchrow("SELECT current_user AS name, rolsuper, rolcreaterole, rolcreatedb, rolreplication,"
                                    " rolbypassrls FROM pg_roles WHERE rolname = current_user")
            assert me["name"] == seeded.db_roles[role]
            assert not any(me[k] for k in ("rolsuper", "rolcreaterole", "rolcreatedb", "rolreplication", "rolbypassrls")), me
            await denied(con, "CREATE ROLE intruder LOGIN")
            with pytest.raises(InsufficientPrivilegeError):  # CREATE DATABASE cannot run in a transaction
                await con.execute("CREATE DATABASE intruder")
        finally:
            await con.close()


async def test_passwords_come_from_the_settings_and_a_wrong_one_is_refused(seeded):
    for role in ["owner", *RUNTIME]:
        url, name = seeded.role_url(role), seeded.db_roles[role]
        assert urlsplit(url).password not in (None, "", name), f"{name}'s password is its name"
        for wrong in (name, "timeline", "wrong"):
            with pytest.raises(InvalidPasswordError):
                await asyncpg.connect(with_password(url, wrong))


async def test_the_api_role_reads_what_the_api_serves_and_nothing_else(seeded):
    con = await connect(seeded, "api")
    try:
        assert await con.fetchval("SELECT count(*) FROM timeline_entry") == seed_facts()
        assert await con.fetchval("SELECT count(*) FROM projection_offset") > 0  # /lag
        assert await con.fetchval("SELECT count(*) FROM actor") > 0
        await denied(con, "INSERT INTO timeline_entry (source, id) VALUES ('x', 'x')")
        await denied(con, "UPDATE timeline_entry SET summary = 'changed'")
        await denied(con, "DELETE FROM projection_offset")
        for internal in ("change_outbox", "event_log", "pending_correction", "rejected_correction",
                         "projection_version", "alembic_version"):
            await denied(con, f"SELECT * FROM {internal}")
        await denied(con, "CREATE TABLE mine (x int)")
        await denied(con, "CREATE TEMPORARY TABLE mine (x int)")
    finally:
        await con.close()


async def test_the_projector_writes_the_views_and_runs_no_ddl(seeded):
    con = await connect(seeded, "projector")
    try:
        assert await allowed(con, "UPDATE projection_offset SET next_offset = next_offset") != "UPDATE 0"
        assert await allowed(con, "DELETE FROM event_actor") != "DELETE 0"
        await allowed(con, "INSERT INTO change_outbox (seq, key, change) VALUES (-1, 'k', '{}')")
        await denied(con, "SELECT * FROM change_outbox")  # appends only: the relay reads it
        await denied(con, "DELETE FROM change_outbox")
        await denied(con, "CREATE TABLE mine (x int)")
        await denied(con, "CREATE TABLE public.mine (x int)")
        await denied(con, "CREATE TEMPORARY TABLE mine (x int)")
        await denied(con, "CREATE INDEX ON timeline_entry (summary)")
        await denied(con, "ALTER TABLE timeline_entry ADD COLUMN x int")
        await denied(con, "DROP TABLE event_log")
        await denied(con, "TRUNCATE event_log")
        await denied(con, "INSERT INTO actor (id, name, actor_type) VALUES ('x', 'x', 'x')")  # reference data: the owner's
    finally:
        await con.close()


async def test_the_relay_reads_and_deletes_the_outbox_only(seeded):
    con = await connect(seeded, "relay")
    try:
        rows = await con.fetchval("SELECT count(*) FROM change_outbox")
        assert rows > 0
        assert await allowed(con, "DELETE FROM change_outbox") == f"DELETE {rows}"
        await denied(con, "INSERT INTO change_outbox (seq, key, change) VALUES (-1, 'k', '{}')")
        await denied(con, "UPDATE change_outbox SET key = 'k'")
        await denied(con, "SELECT * FROM timeline_entry")
        await denied(con, "DELETE FROM timeline_entry")
        await denied(con, "CREATE TABLE mine (x int)")
    finally:
        await con.close()


async def test_the_reporting_role_reads_the_reporting_views_only(seeded):
    reporting = "reporting" if seeded.db_schema == "timeline" else f"{seeded.db_schema}_reporting"
    con = await connect(seeded, "reporting")
    try:
        assert await con.fetchval(f'SELECT count(*) FROM "{reporting}".timeline') == seed_facts()
        await denied(con, f'SELECT * FROM "{seeded.db_schema}".timeline_entry')
        await denied(con, f'SELECT * FROM "{seeded.db_schema}".projection_offset')
        await denied(con, f'DELETE FROM "{reporting}".timeline')
        await denied(con, f'CREATE TABLE "{reporting}".mine (x int)')
    finally:
        await con.close()


async def test_every_table_is_granted_exactly_as_listed(seeded):
    owner = await connect(seeded, "owner")
    try:
        tables = [r["relname"] for r in await owner.fetch(
            "SELECT relname FROM pg_class WHERE relnamespace = $1::regnamespace AND relkind IN ('r', 'v', 'p')"
            " ORDER BY 1", seeded.db_schema)]
        assert sorted(tables) == sorted(GRANTED), "a table without a line in GRANTED (and grants in its migration)"
        for table in tables:
            for role, letters in zip(("projector", "api", "relay", "reporting"), (*GRANTED[table], ""), strict=True):
                held = {letter for letter, privilege in PRIVILEGES.items() if await owner.fetchval(
                    "SELECT has_table_privilege($1, $2, $3)", seeded.db_roles[role],
                    f'"{seeded.db_schema}"."{table}"', privilege)}
                assert held == set(letters), f"{role} on {table}: {sorted(held)}, expected {sorted(letters)}"
    finally:
        await owner.close()


async def test_grants_survive_a_replay(seeded):
    from timeline.replay import replay

    owner = await connect(seeded, "owner")
    try:
        before = await owner.fetchval("SELECT $1::regclass::oid", f'"{seeded.db_schema}".timeline_entry')
        report = await replay(seeded, source="log")
        assert report.swapped
        after = await owner.fetchval("SELECT $1::regclass::oid", f'"{seeded.db_schema}".timeline_entry')
        assert after != before  # another table now serves
    finally:
        await owner.close()
    api = await connect(seeded, "api")
    try:
        assert await api.fetchval("SELECT count(*) FROM timeline_entry") == seed_facts()
        assert await api.fetchval("SELECT count(*) FROM timeline_history") >= seed_facts()
        await denied(api, "SELECT * FROM pending_correction")
    finally:
        await api.close()
    projector = await connect(seeded, "projector")
    try:
        assert await allowed(projector, "UPDATE timeline_entry SET summary = summary") == f"UPDATE {seed_facts()}"
        await denied(projector, "DROP TABLE timeline_entry")
    finally:
        await projector.close()


def test_the_superuser_reaches_the_cluster_only_through_its_closed_socket_directory(cluster, seeded):
    run_dir = cluster.run_dir
    mode = run_dir.stat()
    assert stat.S_IMODE(mode.st_mode) == 0o700
    assert pwd.getpwuid(mode.st_uid).pw_name == cluster.os_user
    assert cluster.psql("SELECT current_user") == "postgres"
    owner = urlsplit(seeded.database_url)
    for password in ("", "postgres"):
        with pytest.raises(InvalidAuthorizationSpecificationError):
            asyncio.run(asyncpg.connect(host=owner.hostname, port=owner.port, user="postgres", password=password,
                                        database="postgres"))
    if os.geteuid() == 0:  # another OS user may not even enter the socket directory
        other = subprocess.run(["runuser", "-u", "nobody", "--", "psql", "-h", str(run_dir), "-p", str(owner.port),
                                "-U", "postgres", "-Atc", "SELECT 1"], capture_output=True, text=True, cwd="/")
        assert other.returncode != 0 and "Permission denied" in other.stderr, other.stderr


def test_logins_are_scram_over_tcp_and_nothing_is_trusted(cluster, seeded):
    assert cluster.psql("SHOW password_encryption") == "scram-sha-256"
    names = ", ".join(f"'{name}'" for name in seeded.db_roles.values())
    hashes = cluster.psql(f"SELECT rolname || ' ' || left(rolpassword, 14) FROM pg_authid WHERE rolname IN ({names})")
    assert sorted(line.split()[1] for line in hashes.splitlines()) == ["SCRAM-SHA-256$"] * len(seeded.db_roles)
    rules = cluster.psql("SELECT type || ' ' || array_to_string(user_name, ',') || ' ' || auth_method"
                         " FROM pg_hba_file_rules WHERE error IS NULL").splitlines()
    assert not [r for r in rules if r.endswith((" trust", " md5", " password"))], rules
    assert {r for r in rules if r.startswith("local")} <= {"local postgres peer", "local all reject"}, rules
    assert [r for r in rules if r.startswith("host") and r.endswith("scram-sha-256")], rules


@pytest.mark.parametrize(("command", "role"), [(["project", "--until-caught-up"], "projector"),
                                             (["serve", "--port", "0", "--workers", "1"], "api"),
                                             (["relay", "--until-empty"], "relay")])
def test_each_command_logs_in_as_its_role(seeded, command, role):
    """With its role's password wrong, a command stops before it starts and names the setting to
    fix, though the owner's password is right."""
    env = settings_env(seeded) | {f"TIMELINE_{role.upper()}_DB_PASSWORD": "wrong"}
    done = subprocess.run(["timeline", *command], env=env, capture_output=True, text=True, timeout=60)
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert f"TIMELINE_{role.upper()}_DATABASE_URL" in out and seeded.db_roles[role] in out, out


def test_stack_up_again_takes_back_rights_and_sets_the_passwords_of_the_settings(cluster, seeded):
    """An older cluster: the owner could create roles and had its name as password. Starting the
    stack again (it runs) makes the roles as the settings say."""
    owner = seeded.db_roles["owner"]
    cluster.psql(f'ALTER ROLE "{owner}" CREATEROLE PASSWORD \'{owner}\'')
    cluster.psql(f"ALTER ROLE \"{seeded.db_roles['api']}\" CREATEDB PASSWORD 'old'")
    Postgres(seeded).start()
    assert cluster.psql(f"SELECT rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname IN ('{owner}', "
                        f"'{seeded.db_roles['api']}')").split() == ["f", "f"]
    asyncio.run(_logs_in(seeded.role_url("owner")))
    asyncio.run(_logs_in(seeded.role_url("api")))
    for url in (with_password(seeded.database_url, owner), with_password(seeded.role_url("api"), "old")):
        with pytest.raises(InvalidPasswordError):
            asyncio.run(_logs_in(url))


async def _logs_in(url: str) -> None:
    con = await asyncpg.connect(url)
    await con.close()


def test_migrating_stops_when_a_runtime_role_is_missing(cluster, seeded):
    from timeline.store.engine import MissingRoles, migrate

    missing = seeded.model_copy(update={"db_schema": seeded.db_schema + "_missing",
                                        "projector_database_url": with_password(seeded.database_url, "x")
                                        .replace(f"//{seeded.db_roles['owner']}:", "//no_such_projector:")})
    assert missing.db_roles["projector"] == "no_such_projector"
    with pytest.raises(MissingRoles, match="no_such_projector do not exist"):
        migrate(missing)
    env = settings_env(missing) | {"TIMELINE_PROJECTOR_DATABASE_URL": missing.role_url("projector")}
    done = subprocess.run(["timeline", "migrate"], env=env, capture_output=True, text=True, timeout=60)
    out = done.stdout + done.stderr
    assert done.returncode == 1 and "no_such_projector do not exist" in out and "Traceback" not in out, out
    assert not cluster.psql(f"SELECT 1 FROM pg_namespace WHERE nspname = '{missing.db_schema}'")
