"""Reporting views for other systems, and the read-only role that may read them.

The views live in a schema of their own (``reporting`` for the default schema ``timeline``,
``<schema>_reporting`` otherwise) so that other systems see a small, stable, documented
surface instead of the projector's tables (docs/reporting.md). They are ordinary views
(not ``security_invoker``): they run with their owner's rights, so ``timeline_reporting``
reads them without any privilege on the tables underneath.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ROLE = "timeline_reporting"


def reporting_schema(schema: str) -> str:
    """The schema of the reporting views over ``schema``."""
    return "reporting" if schema == "timeline" else f"{schema}_reporting"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


BORDER_COLUMNS = [
    ("border", "the border, e.g. JOR-SYR (ISO3 codes), or an internal boundary as written"),
    ("crossing", "the crossing point concerned, if one is named"),
    ("decision", "close, reopen, restrict, refuse_entry, expel or seal_off_area"),
    ("decider_ids", "canonical ids of the actors in the role decider, sorted"),
    ("occurred_start", "first day of the interval in which the decision was taken"),
    ("occurred_end", "last day of that interval"),
    ("effective_from", "first day the decision applies, if stated"),
    ("effective_until", "last day the decision applies, if stated"),
    ("summary", "one-sentence summary of the decision"),
    ("source", "CloudEvents source of the decision event; (source, id) identifies it"),
    ("id", "CloudEvents id of the decision event"),
]

# The columns border_status and border_history share ({s} is the quoted internal schema).
BORDER_SELECT = """e.payload->>'border' AS border,
       e.payload->>'crossing' AS crossing,
       e.payload->>'decision' AS decision,
       ARRAY(SELECT ea.actor_id FROM {s}.event_actor ea
              WHERE ea.source = e.source AND ea.id = e.id AND ea.role = 'decider'
              ORDER BY ea.actor_id) AS decider_ids,
       e.occurred_start, e.occurred_end,
       (e.payload->>'effective_from')::date AS effective_from,
       (e.payload->>'effective_until')::date AS effective_until,
       e.summary, e.source, e.id"""

# Each view: (name, comment, SELECT with {s} for the quoted internal schema, [(column, comment)]).
# The column list must name the view's columns in order; every column gets a comment.
VIEWS = [
    (
        "timeline",
        "The current version of every event that has not been retracted, one row per event, in "
        "timeline order (occurred_start, then occurred_end so the narrower interval comes first, then "
        "source and id). Add that ORDER BY yourself when you filter, join or aggregate.",
        """
SELECT e.source, e.id, e.version, e.type, e.occurred_start, e.occurred_end, e.date_precision,
       e.country_iso3, e.admin1, e.location_name, e.summary, e.actor_ids, e.publishers, e.claimants,
       e.first_known_at, e.known_at
  FROM {s}.timeline_entry e
 WHERE NOT e.retracted
 ORDER BY e.occurred_start, e.occurred_end, e.source, e.id""",
        [
            ("source", "CloudEvents source of the event; (source, id) identifies an event"),
            ("id", "CloudEvents id of the event; (source, id) identifies an event"),
            ("version", "version of the event shown here; 1 plus the number of corrections applied"),
            ("type", "event type: offensive_escalation, statement, border_decision or displacement_report"),
            ("occurred_start", "first day of the interval in which the event happened"),
            ("occurred_end", "last day of that interval (equal to occurred_start for day precision)"),
            ("date_precision", "how precisely the date is known (day, week, month, year), after ACLED/UCDP"),
            ("country_iso3", "ISO 3166-1 alpha-3 code of the country where it happened"),
            ("admin1", "first-level administrative division (governorate, province), if known"),
            ("location_name", "place name, if known"),
            ("summary", "one-sentence summary of the event"),
            ("actor_ids", "canonical ids (actor registry) of every actor taking part, sorted"),
            ("publishers", "publishers that reported the event, sorted"),
            ("claimants", "original claimants of the information (UCDP source_original), sorted"),
            ("first_known_at", "recordedtime of version 1, when the event first became known"),
            ("known_at", "recordedtime of the version shown here"),
        ],
    ),
    (
        "actor_activity",
        "How many current, non-retracted events each actor took part in, per role, event type and "
        "calendar month of the event's start. An event known only to the year counts in the month "
        "its interval starts (January). Actors missing from the registry have no name or type.",
        """
SELECT ea.actor_id, a.name AS actor_name, a.actor_type, ea.role, e.type AS event_type,
       date_trunc('month', e.occurred_start::timestamp)::date AS month, count(*) AS events
  FROM {s}.event_actor ea
  JOIN {s}.timeline_entry e ON e.source = ea.source AND e.id = ea.id
  LEFT JOIN {s}.actor a ON a.id = ea.actor_id
 WHERE NOT e.retracted
 GROUP BY ea.actor_id, a.name, a.actor_type, ea.role, e.type,
          date_trunc('month', e.occurred_start::timestamp)::date
 ORDER BY ea.actor_id, month, ea.role, event_type""",
        [
            ("actor_id", "canonical actor id (actor registry)"),
            ("actor_name", "canonical name from the actor registry; NULL if the actor is not registered"),
            ("actor_type", "actor type from the registry (government, state_forces, rebel_group, ngo, ...); NULL if not registered"),
            ("role", "the actor's role in the events (attacker, target, speaker, decider, affected, ...)"),
            ("event_type", "event type of the events counted"),
            ("month", "first day of the calendar month in which the events' intervals start"),
            ("events", "number of events"),
        ],
    ),
    (
        "displacement_series",
        "Every current, non-retracted displacement report as one figure, in timeline order. "
        "Competing figures are separate rows with their own claimants; nothing is summed or merged.",
        """
SELECT e.occurred_start, e.occurred_end, e.country_iso3, e.admin1, e.location_name,
       e.payload->>'reporting_org' AS reporting_org,
       e.payload->>'figure_kind' AS figure_kind,
       e.payload->>'population_type' AS population_type,
       (e.payload->>'figure')::bigint AS figure,
       coalesce(e.payload->>'unit', 'person') AS unit,
       e.payload->>'quantifier' AS quantifier,
       e.payload->>'term' AS term,
       e.claimants, e.publishers, e.source, e.id
  FROM {s}.timeline_entry e
 WHERE e.type = 'displacement_report' AND NOT e.retracted
 ORDER BY e.occurred_start, e.occurred_end, e.source, e.id""",
        [
            ("occurred_start", "first day of the interval the report refers to"),
            ("occurred_end", "last day of that interval"),
            ("country_iso3", "ISO 3166-1 alpha-3 code of the country"),
            ("admin1", "first-level administrative division, if known"),
            ("location_name", "place name, if known"),
            ("reporting_org", "organisation that reported the figure"),
            ("figure_kind", "flow (people displaced during the interval) or stock (people displaced at a point), after IDMC"),
            ("population_type", "idps, refugees, asylum_seekers, returnees or stranded"),
            ("figure", "the number as reported, in unit"),
            ("unit", "person or household"),
            ("quantifier", "exact, approximately, more_than or less_than"),
            ("term", "the term as written in the source (displaced, stranded, registered ...)"),
            ("claimants", "original claimants of the figure, sorted"),
            ("publishers", "publishers that reported it, sorted"),
            ("source", "CloudEvents source of the report; (source, id) identifies it"),
            ("id", "CloudEvents id of the report"),
        ],
    ),
    (
        "border_history",
        "Every current, non-retracted border decision, per border in timeline order "
        "(decision_no 1 is the earliest).",
        """
SELECT {border_columns},
       row_number() OVER (PARTITION BY e.payload->>'border'
                          ORDER BY e.occurred_start, e.occurred_end, e.source, e.id) AS decision_no
  FROM {s}.timeline_entry e
 WHERE e.type = 'border_decision' AND NOT e.retracted
 ORDER BY border, decision_no""",
        [*BORDER_COLUMNS, ("decision_no", "position of the decision in its border's history, from 1")],
    ),
    (
        "border_status",
        "The latest current, non-retracted decision about each border: the last one in timeline "
        "order (by when the decision happened, not by effective_from).",
        """
SELECT DISTINCT ON (e.payload->>'border')
       {border_columns}
  FROM {s}.timeline_entry e
 WHERE e.type = 'border_decision' AND NOT e.retracted
 ORDER BY e.payload->>'border', e.occurred_start DESC, e.occurred_end DESC, e.source DESC, e.id DESC""",
        BORDER_COLUMNS,
    ),
]


def reporting_statements(schema: str) -> list[str]:
    """Every statement of the upgrade, one per call (asyncpg runs one statement per call).

    Idempotent (IF NOT EXISTS, OR REPLACE), so migrating a schema whose reporting schema was
    left behind, or migrating several schemas of one database, works."""
    s, r = f'"{schema}"', f'"{reporting_schema(schema)}"'
    statements = [
        f"CREATE SCHEMA IF NOT EXISTS {r}",
        f"COMMENT ON SCHEMA {r} IS " + _literal(
            f"Stable, documented reporting views over schema {schema} (docs/reporting.md). "
            f"Read them as {ROLE}."),
    ]
    for name, comment, select, columns in VIEWS:
        statements.append(f"CREATE OR REPLACE VIEW {r}.{name} AS {select.format(s=s, border_columns=BORDER_SELECT.format(s=s)).strip()}")
        statements.append(f"COMMENT ON VIEW {r}.{name} IS {_literal(comment)}")
        statements += [f"COMMENT ON COLUMN {r}.{name}.{column} IS {_literal(text)}" for column, text in columns]
    statements += [
        # The role is shared by every schema of the database: create it once (`timeline stack up`
        # creates it first, with the password of its settings). Created here, it has no password
        # and cannot log in until one is set. Two migrations racing to create it both succeed
        # (the loser's duplicate is ignored).
        f"""DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{ROLE}') THEN
        CREATE ROLE {ROLE} LOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$""",
        # CONNECT on whatever database we are migrating, granted only once (a repeated GRANT
        # would rewrite pg_database's row and can collide with a concurrent migration).
        f"""DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_database d, aclexplode(d.datacl) acl
                    WHERE d.datname = current_database() AND acl.privilege_type = 'CONNECT'
                      AND acl.grantee = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = '{ROLE}')) THEN
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO {ROLE}', current_database());
    END IF;
END
$$""",
        f"GRANT USAGE ON SCHEMA {r} TO {ROLE}",
        *(f"GRANT SELECT ON {r}.{name} TO {ROLE}" for name, *_ in VIEWS),
        # Nothing on the internal schema: no USAGE, no table privilege.
        f"REVOKE ALL ON SCHEMA {s} FROM {ROLE}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {ROLE}",
    ]
    return statements


def upgrade(schema: str) -> None:
    for statement in reporting_statements(schema):
        op.execute(statement)


def downgrade(schema: str) -> None:
    # The role timeline_reporting (and its CONNECT on the database) stays: it is shared by the
    # reporting schemas of every other migrated schema in this database. Drop it by hand once
    # no schema uses it any more (DROP OWNED BY timeline_reporting; DROP ROLE timeline_reporting).
    op.execute(f'DROP SCHEMA IF EXISTS "{reporting_schema(schema)}" CASCADE')
