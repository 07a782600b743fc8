"""Places, competing accounts of one happening, and reporting views for agreements and
territorial changes.

- ``place`` and ``place_name``: the gazetteer (``seeds/places.json``, loaded by ``timeline seed``)
  and every spelling of each place, lower-cased, each naming one place. Events are resolved to
  a place when read (their ``location_name``, else ``admin2``, else ``admin1``), so a gazetteer
  update applies to every event already stored; the name as written stays in the payload.
- ``timeline_entry_place_names``: the three names an entry may be resolved by, in one GIN
  index (one index entry per name, instead of three B-trees each insert would feed), so that a
  filter on a place and its spellings does not read the whole timeline.
- ``timeline_entry_about``: the accounts of one happening (``about``), a partial index: most
  events name none.
- Reporting views ``places``, ``claims``, ``agreements`` and ``territorial_changes`` with the
  grants the others have (docs/reporting.md).

Revision ID: 0011
Revises: 0010
"""
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ROLE = "timeline_reporting"

# The expression read/places.py filters on: it must stay written exactly like this for the
# planner to match it with the index.
PLACE_NAMES = ("array_remove(ARRAY[lower(location_name), lower(payload->'location'->>'admin2'), lower(admin1)],"
               " NULL::text)")
FACT_FIELDS = "'{summary,occurred_start,occurred_end,date_precision,location,actors,sources,tags,about}'::text[]"

TABLES = """
CREATE TABLE place (
    id           text PRIMARY KEY,
    name         text             NOT NULL,
    aliases      text[]           NOT NULL DEFAULT '{}',
    kind         text             NOT NULL,
    country_iso3 text             NOT NULL,
    pcode        text,
    within       text,
    latitude     double precision,
    longitude    double precision
);
-- Every spelling of every place (its name and aliases), lower-cased: one place per spelling.
CREATE TABLE place_name (
    key      text PRIMARY KEY,
    place_id text NOT NULL REFERENCES place (id) ON DELETE CASCADE,
    spelling text NOT NULL
);
CREATE INDEX place_name_place ON place_name (place_id);
CREATE INDEX place_within ON place (within);
CREATE INDEX timeline_entry_place_names ON timeline_entry USING gin ((""" + PLACE_NAMES + """));
CREATE INDEX timeline_entry_about ON timeline_entry ((payload->>'about')) WHERE (payload->>'about') IS NOT NULL
"""


def reporting_schema(schema: str) -> str:
    """The schema of the reporting views over ``schema`` (as migration 0002 names it)."""
    return "reporting" if schema == "timeline" else f"{schema}_reporting"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _place_of(name: str) -> str:
    return f"(SELECT n.place_id FROM {{s}}.place_name n WHERE n.key = lower({name}))"


# the gazetteer entry an event resolves to: its location_name, else admin2, else admin1
EVENT_PLACE = ("coalesce(" + ", ".join(_place_of(n) for n in (
    "e.location_name", "e.payload->'location'->>'admin2'", "e.admin1")) + ")")


def _ids(field: str) -> str:
    return f"ARRAY(SELECT jsonb_array_elements_text(e.payload->'{field}'))"


EVENT_COLUMNS = [
    ("source", "CloudEvents source of the event; (source, id) identifies it"),
    ("id", "CloudEvents id of the event"),
    ("about", "the happening this account describes, shared by competing accounts of it (see claims)"),
    ("occurred_start", "first day of the interval in which it happened"),
    ("occurred_end", "last day of that interval"),
    ("country_iso3", "ISO 3166-1 alpha-3 code of the country"),
    ("admin1", "first-level administrative division as written, if known"),
    ("location_name", "place name as written, if known"),
]
EVENT_SELECT = ("e.source, e.id, e.payload->>'about' AS about, e.occurred_start, e.occurred_end, e.country_iso3,"
                " e.admin1, e.location_name")
TAIL_COLUMNS = [
    ("summary", "one-sentence summary"),
    ("claimants", "original claimants of the account, sorted"),
    ("publishers", "publishers that reported it, sorted"),
]
ORDER = "ORDER BY e.occurred_start, e.occurred_end, e.source, e.id"

# Each view: (name, comment, SELECT with {s} for the quoted internal schema, [(column, comment)]).
VIEWS = [
    (
        "places",
        "The gazetteer: one row per place, with its spellings and OCHA P-code where known. Events "
        "resolve to a place by location_name, else admin2, else admin1 (any spelling, ignoring case).",
        """
SELECT p.id, p.name, p.kind, p.country_iso3, p.pcode, p.within, p.latitude, p.longitude, p.aliases
  FROM {s}.place p
 ORDER BY p.id""",
        [
            ("id", "stable place id"),
            ("name", "display name"),
            ("kind", "city, town, governorate, district, crossing, camp, region or border"),
            ("country_iso3", "ISO 3166-1 alpha-3 code of the country"),
            ("pcode", "OCHA P-code, where known; NULL otherwise"),
            ("within", "id of the place containing this one (a crossing's governorate), if any"),
            ("latitude", "WGS 84 latitude, where known"),
            ("longitude", "WGS 84 longitude, where known"),
            ("aliases", "other spellings; events written with any of them resolve to this place"),
        ],
    ),
    (
        "claims",
        "Competing accounts of one happening, side by side: one row per current, non-retracted "
        "event naming the happening (about) and per source it cites, with the claimant and the "
        "Admiralty grades. Nothing is merged: accounts that disagree are separate rows.",
        """
SELECT e.payload->>'about' AS about, e.source, e.id, e.type, e.occurred_start, e.occurred_end, e.summary,
       s.n AS source_no, s.value->>'publisher' AS publisher, s.value->>'original_claimant' AS original_claimant,
       coalesce(s.value->>'reliability', 'F') AS reliability,
       coalesce((s.value->>'credibility')::integer, 6) AS credibility,
       s.value->>'url' AS url,
       e.payload - """ + FACT_FIELDS + """ AS details,
       e.known_at
  FROM {s}.timeline_entry e
 CROSS JOIN LATERAL jsonb_array_elements(e.payload->'sources') WITH ORDINALITY AS s(value, n)
 WHERE (e.payload->>'about') IS NOT NULL AND NOT e.retracted
 ORDER BY about, e.occurred_start, e.occurred_end, e.source, e.id, source_no""",
        [
            ("about", "the happening: an id shared by every account of it"),
            ("source", "CloudEvents source of the account; (source, id) identifies it"),
            ("id", "CloudEvents id of the account"),
            ("type", "event type of the account (agreement, territorial_change, ...)"),
            ("occurred_start", "first day of the interval the account gives"),
            ("occurred_end", "last day of that interval"),
            ("summary", "one-sentence summary of the account"),
            ("source_no", "position of the source in the account's list of sources, from 1"),
            ("publisher", "who published the text"),
            ("original_claimant", "who, per the text, made the claim"),
            ("reliability", "Admiralty source reliability: A (completely reliable) ... E (unreliable), F (cannot be judged)"),
            ("credibility", "Admiralty information credibility: 1 (confirmed) ... 5 (improbable), 6 (cannot be judged)"),
            ("url", "address of the text, if known"),
            ("details", "the account's type-specific fields (for an agreement: kind, status, parties, mediators ...), as JSON"),
            ("known_at", "recordedtime of the version shown"),
        ],
    ),
    (
        "agreements",
        "Every current, non-retracted agreement (ceasefire, truce, deal, surrender, talks), one row "
        "per account, in timeline order. Accounts of one happening share about.",
        """
SELECT """ + EVENT_SELECT + """, """ + EVENT_PLACE + """ AS place_id,
       e.payload->>'kind' AS kind, e.payload->>'status' AS status,
       """ + _ids("parties") + """ AS parties, """ + _ids("mediators") + """ AS mediators,
       """ + _ids("guarantors") + """ AS guarantors, """ + _ids("terms") + """ AS terms,
       (e.payload->>'effective_from')::date AS effective_from, (e.payload->>'effective_until')::date AS effective_until,
       e.payload->>'plover_type' AS plover_type, e.payload->>'acled_sub_event_type' AS acled_sub_event_type,
       e.summary, e.claimants, e.publishers
  FROM {s}.timeline_entry e
 WHERE e.type = 'agreement' AND NOT e.retracted
 """ + ORDER,
        [
            *EVENT_COLUMNS,
            ("place_id", "the gazetteer place the event resolves to (see places), if any"),
            ("kind", "ceasefire, truce, peace_deal, surrender, evacuation, withdrawal, talks or other"),
            ("status", "proposed, announced, in_force or collapsed"),
            ("parties", "canonical actor ids of the parties, as the account lists them"),
            ("mediators", "canonical actor ids of who brokered it, per this account"),
            ("guarantors", "canonical actor ids of who vouches for it"),
            ("terms", "the terms as written"),
            ("effective_from", "first day it applies, if stated"),
            ("effective_until", "last day it applies, if stated"),
            ("plover_type", "PLOVER event type: AGREE (CONSULT for talks)"),
            ("acled_sub_event_type", "ACLED sub-event type (Agreement), if coded"),
            *TAIL_COLUMNS,
        ],
    ),
    (
        "territorial_changes",
        "Every current, non-retracted change of control of a place or crossing, one row per "
        "account, in timeline order.",
        """
SELECT """ + EVENT_SELECT + """,
       coalesce(""" + _place_of("e.payload->>'crossing'") + """, """ + _place_of("e.payload->>'place'") + """,
                """ + EVENT_PLACE + """) AS place_id,
       e.payload->>'place' AS place, e.payload->>'crossing' AS crossing,
       e.payload->>'from_actor' AS from_actor, e.payload->>'to_actor' AS to_actor, e.payload->>'means' AS means,
       e.payload->>'acled_sub_event_type' AS acled_sub_event_type, e.payload->>'plover_type' AS plover_type,
       (e.payload->'fatalities'->>'best')::integer AS fatalities_best,
       (e.payload->'fatalities'->>'low')::integer AS fatalities_low,
       (e.payload->'fatalities'->>'high')::integer AS fatalities_high,
       e.summary, e.claimants, e.publishers
  FROM {s}.timeline_entry e
 WHERE e.type = 'territorial_change' AND NOT e.retracted
 """ + ORDER,
        [
            *EVENT_COLUMNS,
            ("place_id", "the gazetteer place that changed hands (by crossing, else place, else the event's place), if any"),
            ("place", "the place or crossing as written"),
            ("crossing", "the border crossing, when the place is one"),
            ("from_actor", "canonical id of who held it; NULL when not known"),
            ("to_actor", "canonical id of who holds it now"),
            ("means", "military, negotiated, withdrawal or unknown"),
            ("acled_sub_event_type", "ACLED sub-event type, if coded"),
            ("plover_type", "PLOVER event type, if coded"),
            ("fatalities_best", "UCDP best estimate of deaths; NULL when unknown (never read it as zero)"),
            ("fatalities_low", "UCDP low estimate; NULL when unknown"),
            ("fatalities_high", "UCDP high estimate; NULL when unknown"),
            *TAIL_COLUMNS,
        ],
    ),
]


def _each(script: str) -> list[str]:
    # asyncpg runs one statement per call
    return [statement for statement in script.split(";\n") if statement.strip()]


def view_statements(schema: str) -> list[str]:
    """The reporting views of this revision, their comments and grants (idempotent)."""
    s, r = f'"{schema}"', f'"{reporting_schema(schema)}"'
    statements = [f"COMMENT ON COLUMN {r}.timeline.type IS " + _literal(
        "event type: offensive_escalation, statement, border_decision, displacement_report, agreement or "
        "territorial_change")]
    for name, comment, select, columns in VIEWS:
        statements.append(f"CREATE OR REPLACE VIEW {r}.{name} AS {select.replace('{s}', s).strip()}")
        statements.append(f"COMMENT ON VIEW {r}.{name} IS {_literal(comment)}")
        statements += [f"COMMENT ON COLUMN {r}.{name}.{column} IS {_literal(text)}" for column, text in columns]
        statements.append(f"GRANT SELECT ON {r}.{name} TO {ROLE}")
    return statements


def upgrade(schema: str) -> None:
    for statement in _each(TABLES):
        op.execute(statement)
    for statement in view_statements(schema):
        op.execute(statement)


def downgrade(schema: str) -> None:
    r = f'"{reporting_schema(schema)}"'
    for name, *_ in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {r}.{name}")
    op.execute("DROP INDEX timeline_entry_about")
    op.execute("DROP INDEX timeline_entry_place_names")
    op.execute("DROP TABLE place_name, place")
