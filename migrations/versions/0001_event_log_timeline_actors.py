"""Event log, timeline with versions, actors, pending corrections, checkpoints.

Revision ID: 0001
"""
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE event_log (
    source          text        NOT NULL,
    id              text        NOT NULL,
    type            text        NOT NULL,
    subject         text,
    time            timestamptz NOT NULL,
    recordedtime    timestamptz NOT NULL,
    root_id         text        NOT NULL,
    topic           text        NOT NULL,
    kafka_partition integer     NOT NULL,
    kafka_offset    bigint      NOT NULL,
    envelope        jsonb       NOT NULL,
    PRIMARY KEY (source, id)
);
CREATE INDEX event_log_coordinates ON event_log (topic, kafka_partition, kafka_offset);
CREATE INDEX event_log_recordedtime ON event_log (recordedtime);

-- Every version of every logical event, each with the recordedtime at which it became known.
CREATE TABLE timeline_version (
    source          text        NOT NULL,
    id              text        NOT NULL,
    version         integer     NOT NULL,
    known_at        timestamptz NOT NULL,
    action          text        NOT NULL CHECK (action IN ('create', 'amend', 'retract')),
    change_source   text        NOT NULL,
    change_id       text        NOT NULL,
    reason          text,
    retracted       boolean     NOT NULL,
    type            text        NOT NULL,
    occurred_start  date        NOT NULL,
    occurred_end    date        NOT NULL,
    date_precision  text        NOT NULL,
    country_iso3    text        NOT NULL,
    admin1          text,
    location_name   text,
    summary         text        NOT NULL,
    actor_ids       text[]      NOT NULL,
    publishers      text[]      NOT NULL,
    claimants       text[]      NOT NULL,
    payload         jsonb       NOT NULL,
    PRIMARY KEY (source, id, version)
);
CREATE INDEX timeline_version_known_at ON timeline_version (known_at);

-- The latest version of every logical event, in chronological order.
CREATE TABLE timeline_entry (
    source          text        NOT NULL,
    id              text        NOT NULL,
    version         integer     NOT NULL,
    first_known_at  timestamptz NOT NULL,
    known_at        timestamptz NOT NULL,
    retracted       boolean     NOT NULL,
    type            text        NOT NULL,
    occurred_start  date        NOT NULL,
    occurred_end    date        NOT NULL,
    date_precision  text        NOT NULL,
    country_iso3    text        NOT NULL,
    admin1          text,
    location_name   text,
    summary         text        NOT NULL,
    actor_ids       text[]      NOT NULL,
    publishers      text[]      NOT NULL,
    claimants       text[]      NOT NULL,
    payload         jsonb       NOT NULL,
    PRIMARY KEY (source, id)
);
CREATE INDEX timeline_entry_chronology ON timeline_entry (occurred_start, occurred_end, source, id);
CREATE INDEX timeline_entry_type ON timeline_entry (type, occurred_start);
CREATE INDEX timeline_entry_actors ON timeline_entry USING gin (actor_ids);

-- Who took part in each event's current version, and in which role.
CREATE TABLE event_actor (
    source          text NOT NULL,
    id              text NOT NULL,
    actor_id        text NOT NULL,
    role            text NOT NULL,
    name_as_written text NOT NULL,
    PRIMARY KEY (source, id, actor_id, role)
);
CREATE INDEX event_actor_actor ON event_actor (actor_id, role);

-- The canonical actor registry (reference data loaded from seeds/actors.json).
CREATE TABLE actor (
    id           text PRIMARY KEY,
    name         text   NOT NULL,
    aliases      text[] NOT NULL DEFAULT '{}',
    actor_type   text   NOT NULL,
    acled_inter  integer,
    country_iso3 text,
    wikidata     text
);

-- Corrections that arrived before their target; applied when the target arrives.
CREATE TABLE pending_correction (
    source        text        NOT NULL,
    id            text        NOT NULL,
    target_source text        NOT NULL,
    target_id     text        NOT NULL,
    recordedtime  timestamptz NOT NULL,
    envelope      jsonb       NOT NULL,
    PRIMARY KEY (source, id)
);
CREATE INDEX pending_correction_target ON pending_correction (target_source, target_id);

-- Corrections whose change does not fit their target's schema: kept, with the reason.
CREATE TABLE rejected_correction (
    source        text NOT NULL,
    id            text NOT NULL,
    target_source text NOT NULL,
    target_id     text NOT NULL,
    reason        text NOT NULL,
    PRIMARY KEY (source, id)
);

-- The next Kafka offset to read per (projection, topic, partition), written in the same
-- transaction as the views it reflects.
CREATE TABLE projection_offset (
    projection      text    NOT NULL,
    topic           text    NOT NULL,
    kafka_partition integer NOT NULL,
    next_offset     bigint  NOT NULL,
    PRIMARY KEY (projection, topic, kafka_partition)
);

CREATE TABLE projection_version (
    projection text PRIMARY KEY,
    version    integer NOT NULL
);
"""

DOWNGRADE = """
DROP TABLE projection_version, projection_offset, rejected_correction, pending_correction, actor,
    event_actor, timeline_entry, timeline_version, event_log;
"""


def _each(script: str):
    # asyncpg runs one statement per call
    return [statement for statement in script.split(";\n") if statement.strip()]


def upgrade(schema: str) -> None:
    for statement in _each(UPGRADE):
        op.execute(statement)


def downgrade(schema: str) -> None:
    for statement in _each(DOWNGRADE):
        op.execute(statement)
