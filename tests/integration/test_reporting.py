"""The reporting views (migration 0002) read as the read-only role timeline_reporting, with the
example queries of docs/reporting.md run as written."""
from __future__ import annotations

import asyncio
import re
import shutil
import subprocess

import asyncpg
import pytest

from tests.conftest import ROOT, SEEDS, isolated_settings, settings_env
from tests.integration import harness
from timeline.events.jsonl import read_events

pytestmark = pytest.mark.integration

ROLE = "timeline_reporting"
DOCS = ROOT / "docs" / "reporting.md"
VIEWS = {"timeline", "actor_activity", "displacement_series", "border_status", "border_history",
         "places", "claims", "agreements", "territorial_changes"}


def reporting_schema(settings) -> str:
    return "reporting" if settings.db_schema == "timeline" else f"{settings.db_schema}_reporting"


def reporting_url(settings) -> str:
    """The reporting role's database URL (its password from the settings)."""
    return settings.role_url("reporting")


def doc_queries(settings) -> dict[str, str]:
    """The example queries of docs/reporting.md by title, pointed at this test's reporting schema."""
    text = DOCS.read_text()
    section = text.split("\n## Example queries\n", 1)[1].split("\n## ", 1)[0]
    found = re.findall(r"^### (.+?)\n.*?^```sql\n(.*?)^```", section, flags=re.M | re.S)
    schema = reporting_schema(settings)
    return {title.strip(): re.sub(r"\breporting\.", f'"{schema}".', sql).strip() for title, sql in found}


def seed_facts() -> int:
    events, errors = read_events(SEEDS.read_text().splitlines())
    assert not errors
    return sum(1 for e in events if e.type_name != "correction")


def alembic(settings, action: str, revision: str) -> None:
    from alembic import command

    from timeline.store.engine import alembic_config

    getattr(command, action)(alembic_config(settings), revision)


async def drop_schemas(settings) -> None:
    con = await asyncpg.connect(settings.database_url)
    try:
        await con.execute(f'DROP SCHEMA IF EXISTS "{reporting_schema(settings)}" CASCADE')
        await con.execute(f'DROP SCHEMA IF EXISTS "{settings.db_schema}" CASCADE')
    finally:
        await con.close()


@pytest.fixture(scope="module")
async def seeded(stack_settings):
    await harness.seed_and_project(stack_settings)
    yield stack_settings
    # the harness drops the internal schema (and with it the views); the reporting schema is ours
    con = await asyncpg.connect(stack_settings.database_url)
    try:
        await con.execute(f'DROP SCHEMA IF EXISTS "{reporting_schema(stack_settings)}" CASCADE')
    finally:
        await con.close()


@pytest.fixture
async def reader(seeded):
    """A connection as the read-only reporting role."""
    con = await asyncpg.connect(reporting_url(seeded))
    try:
        yield con
    finally:
        await con.close()


async def test_the_reporting_role_is_a_plain_login_role(reader):
    row = await reader.fetchrow("SELECT current_user AS me, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls"
                                " FROM pg_roles WHERE rolname = current_user")
    assert row["me"] == ROLE
    assert not (row["rolsuper"] or row["rolcreaterole"] or row["rolcreatedb"] or row["rolbypassrls"])


async def test_every_view_and_every_column_is_documented(seeded, reader):
    schema = reporting_schema(seeded)
    rows = await reader.fetch(
        "SELECT c.relname, c.relkind::text AS relkind, obj_description(c.oid, 'pg_class') AS comment,"
        "       array_agg(a.attname ORDER BY a.attnum) FILTER (WHERE col_description(c.oid, a.attnum) IS NULL) AS bare"
        "  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
        " WHERE c.relnamespace = $1::regnamespace GROUP BY c.oid", schema)
    assert {r["relname"] for r in rows} == VIEWS
    for r in rows:
        assert r["relkind"] == "v", r["relname"]
        assert r["comment"], f"view {r['relname']} has no comment"
        assert not r["bare"], f"undocumented columns of {r['relname']}: {r['bare']}"


async def test_the_timeline_has_every_seed_fact_in_timeline_order(seeded, reader):
    schema = reporting_schema(seeded)
    rows = await reader.fetch(f'SELECT * FROM "{schema}".timeline')
    assert len(rows) == seed_facts()
    keys = [(r["occurred_start"], r["occurred_end"], r["source"], r["id"]) for r in rows]
    assert keys == sorted(keys)
    assert list(rows[0].keys()) == [
        "source", "id", "version", "type", "occurred_start", "occurred_end", "date_precision", "country_iso3",
        "admin1", "location_name", "summary", "actor_ids", "publishers", "claimants", "first_known_at", "known_at"]


async def test_displacement_series_keeps_the_competing_refugee_figures_apart(seeded, reader):
    rows = await reader.fetch(f'SELECT * FROM "{reporting_schema(seeded)}".displacement_series'
                              " WHERE population_type = 'refugees' ORDER BY figure")
    assert [r["figure"] for r in rows] == [660_000, 1_320_000]
    assert rows[0]["claimants"] != rows[1]["claimants"]
    assert "Jordanian Government" in rows[1]["claimants"]
    assert {r["unit"] for r in rows} == {"person"} and {r["country_iso3"] for r in rows} == {"JOR"}
    assert {r["reporting_org"] for r in rows} == {"EA WorldView", "Government of Jordan"}


async def test_border_status_has_the_latest_jordan_syria_decision(seeded, reader):
    schema = reporting_schema(seeded)
    status = {r["border"]: r for r in await reader.fetch(f'SELECT * FROM "{schema}".border_status')}
    assert "JOR-SYR" in status
    jordan = status["JOR-SYR"]
    assert jordan["decision"] == "refuse_entry" and str(jordan["occurred_start"]) == "2018-06-25"
    assert jordan["decider_ids"] == ["jordan"]
    assert str(jordan["effective_from"]) == "2018-06-25"
    history = await reader.fetch(f"SELECT decision_no, decision FROM \"{schema}\".border_history"
                                 " WHERE border = 'JOR-SYR' ORDER BY decision_no")
    assert [(r["decision_no"], r["decision"]) for r in history] == [(1, "close"), (2, "refuse_entry")]


async def test_actor_activity_counts_the_assad_regime(seeded, reader):
    rows = await reader.fetch(f'SELECT * FROM "{reporting_schema(seeded)}".actor_activity'
                              " WHERE actor_id = 'assad-regime'")
    assert rows, "no activity for assad-regime"
    assert {r["actor_name"] for r in rows} == {"Assad regime"}
    assert {r["actor_type"] for r in rows} == {"state_forces"}
    assert all(r["month"].day == 1 for r in rows)
    attacks = sum(r["events"] for r in rows if r["role"] == "attacker" and r["event_type"] == "offensive_escalation")
    expected = await harness.fetch(
        seeded, "SELECT count(*) AS n FROM event_actor ea JOIN timeline_entry e USING (source, id)"
                " WHERE ea.actor_id = 'assad-regime' AND ea.role = 'attacker' AND NOT e.retracted"
                " AND e.type = 'offensive_escalation'")
    assert attacks == expected[0]["n"] > 0


async def test_every_example_query_of_the_docs_runs_as_the_reporting_role(seeded, reader):
    queries = doc_queries(seeded)
    assert len(queries) >= 5
    for title, sql in queries.items():
        rows = await reader.fetch(sql)
        assert rows, f"example {title!r} returned nothing on the seed article"
    june = await reader.fetch(queries["The timeline of one actor in June 2018"])
    assert any("barrel" in r["summary"].lower() for r in june)
    assert all(str(r["occurred_end"]) >= "2018-06-01" for r in june)
    side_by_side = await reader.fetch(queries["Competing displacement figures side by side, by claimant"])
    refugees = [r for r in side_by_side if r["population_type"] == "refugees"]
    assert len(refugees) == 1 and refugees[0]["reports"] == 2
    assert (refugees[0]["lowest"], refugees[0]["highest"]) == (660_000, 1_320_000)
    assert "Jordanian Government = 1320000" in refugees[0]["figures_by_claimant"]


def test_an_example_query_runs_through_psql_as_the_reporting_role(seeded):
    psql = shutil.which("psql")
    assert psql, "psql is not installed"
    query = doc_queries(seeded)["The current status of every border"]
    result = subprocess.run([psql, "-X", "--csv", "-v", "ON_ERROR_STOP=1", "-c", query, reporting_url(seeded)],
                            capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("border,decision,")
    assert any(line.startswith("JOR-SYR,refuse_entry,") for line in lines[1:]), result.stdout


async def test_the_reporting_role_can_write_nothing(seeded, reader):
    schema, internal = reporting_schema(seeded), seeded.db_schema
    denied = [
        f"UPDATE \"{schema}\".timeline SET summary = 'tampered'",
        f"DELETE FROM \"{schema}\".timeline",
        f"INSERT INTO \"{schema}\".timeline (source, id) VALUES ('x', 'y')",
        f"UPDATE \"{schema}\".displacement_series SET occurred_start = DATE '2000-01-01'",
        f"INSERT INTO \"{internal}\".event_log (source, id) VALUES ('x', 'y')",
        f"UPDATE \"{internal}\".timeline_entry SET summary = 'tampered'",
        f"CREATE VIEW \"{schema}\".mine AS SELECT 1 AS one",
        f"CREATE TABLE \"{internal}\".mine (one integer)",
    ]
    for sql in denied:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
            await reader.execute(sql)
    assert await reader.fetchval(f"SELECT count(*) FROM \"{schema}\".timeline WHERE summary = 'tampered'") == 0


async def test_the_reporting_role_cannot_read_the_internal_tables(seeded, reader):
    for table in ("event_log", "timeline_entry", "timeline_version", "actor", "projection_offset"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
            await reader.fetch(f'SELECT * FROM "{seeded.db_schema}".{table} LIMIT 1')
    # and holds no privilege on any of them, whatever the schema's USAGE
    granted = await harness.fetch(
        seeded, "SELECT c.relname FROM pg_class c WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r'"
                " AND (has_table_privilege($2, c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')"
                "      OR has_schema_privilege($2, $1, 'USAGE'))", seeded.db_schema, ROLE)
    assert not granted, [r["relname"] for r in granted]


async def test_two_more_schemas_migrate_side_by_side_and_downgrade_keeps_the_role(seeded):
    first, second = isolated_settings(), isolated_settings()
    try:
        procs = [await asyncio.create_subprocess_exec("timeline", "migrate", env=settings_env(s),
                                                      stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
                 for s in (first, second)]
        outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in procs)), timeout=120)
        for proc, (_, err) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, err.decode()
        for s in (first, second):
            views = await harness.fetch(s, "SELECT table_name FROM information_schema.views WHERE table_schema = $1",
                                        reporting_schema(s))
            assert {r["table_name"] for r in views} == VIEWS

        # the views read only their own schema, and leave retracted events out
        await harness.fetch(
            first, "INSERT INTO timeline_entry (source, id, version, first_known_at, known_at, retracted, type,"
                   " occurred_start, occurred_end, date_precision, country_iso3, summary, actor_ids, publishers,"
                   " claimants, payload) SELECT 'test', n, 1, now(), now(), n = 'gone', 'displacement_report',"
                   " DATE '2020-01-01', DATE '2020-01-01', 'day', 'SYR', 's', '{}', '{}', '{}',"
                   " '{\"figure\": 7, \"population_type\": \"idps\"}'::jsonb FROM unnest(ARRAY['kept', 'gone']) n")
        for s, expected in ((first, [("kept", 7)]), (second, [])):
            con = await asyncpg.connect(reporting_url(s))
            try:
                rows = await con.fetch(f'SELECT id, figure FROM "{reporting_schema(s)}".displacement_series')
            finally:
                await con.close()
            assert [(r["id"], r["figure"]) for r in rows] == expected

        await asyncio.to_thread(alembic, first, "downgrade", "0001")
        gone = await harness.fetch(first, "SELECT nspname FROM pg_namespace WHERE nspname = $1", reporting_schema(first))
        assert not gone, "downgrade drops the reporting schema"
        assert await harness.fetch(first, "SELECT 1 FROM pg_roles WHERE rolname = $1", ROLE), "the role stays"
        con = await asyncpg.connect(reporting_url(second))  # still usable for the other schemas
        try:
            assert await con.fetchval(f'SELECT count(*) FROM "{reporting_schema(second)}".timeline') == 0
        finally:
            await con.close()
        await asyncio.to_thread(alembic, first, "upgrade", "head")  # and up again
        again = await harness.fetch(first, "SELECT count(*) AS n FROM information_schema.views WHERE table_schema = $1",
                                    reporting_schema(first))
        assert again[0]["n"] == len(VIEWS)
    finally:
        for s in (first, second):
            await drop_schemas(s)
