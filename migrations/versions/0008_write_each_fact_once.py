"""Write each fact once: version rows only for corrected events; no index the write path feeds
and no read uses.

- ``timeline_version`` held version 1 of every fact, a copy of its ``timeline_entry`` row. It
  now holds the versions of corrected events only: the first correction of an event writes its
  version 1 (from the entry) beside version 2. An event never corrected has its only version in
  ``timeline_entry`` (``version = 1``).
- ``timeline_history`` is every version of every event, as ``timeline_version`` was before:
  the entries still at version 1 and the rows of ``timeline_version``. ``as_of`` and an
  event's history read it; its two branches are each ordered by their chronology index.
- ``event_log_coordinates``, ``event_log_recordedtime`` and ``timeline_version_known_at`` served
  no read: the replay from the log sorts what it needs.

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

VERSION_COLUMNS = (
    "source, id, version, known_at, action, change_source, change_id, reason, retracted, type,"
    " occurred_start, occurred_end, date_precision, country_iso3, admin1, location_name, summary,"
    " actor_ids, publishers, claimants, payload, superseded_at"
)
# version 1 of an event never corrected, in the columns of timeline_version
ENTRY_AS_VERSION = (
    "source, id, version, known_at, 'create'::text AS action, source AS change_source, id AS change_id,"
    " NULL::text AS reason, retracted, type, occurred_start, occurred_end, date_precision, country_iso3,"
    " admin1, location_name, summary, actor_ids, publishers, claimants, payload,"
    " NULL::timestamptz AS superseded_at"
)
HISTORY = (
    f"CREATE VIEW timeline_history AS SELECT {ENTRY_AS_VERSION} FROM timeline_entry WHERE version = 1"
    f" UNION ALL SELECT {VERSION_COLUMNS} FROM timeline_version"
)


def upgrade(schema: str) -> None:
    op.execute("DELETE FROM timeline_version v USING timeline_entry e"
               " WHERE e.source = v.source AND e.id = v.id AND e.version = 1")
    op.execute("DROP INDEX event_log_coordinates")
    op.execute("DROP INDEX event_log_recordedtime")
    op.execute("DROP INDEX timeline_version_known_at")
    op.execute(HISTORY)
    op.execute("COMMENT ON VIEW timeline_history IS 'Every version of every event: version 1 of the events"
               " never corrected (timeline_entry), and every version of the corrected ones (timeline_version).'")


def downgrade(schema: str) -> None:
    op.execute("DROP VIEW timeline_history")
    op.execute(f"INSERT INTO timeline_version ({VERSION_COLUMNS})"
               f" SELECT {ENTRY_AS_VERSION} FROM timeline_entry WHERE version = 1")
    op.execute("CREATE INDEX timeline_version_known_at ON timeline_version (known_at)")
    op.execute("CREATE INDEX event_log_recordedtime ON event_log (recordedtime)")
    op.execute("CREATE INDEX event_log_coordinates ON event_log (topic, kafka_partition, kafka_offset)")
