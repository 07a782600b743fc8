"""When each version stopped being the latest known one, so that "as known at X" is a range
test on one row instead of a DISTINCT ON over every version.

``superseded_at`` is the earliest ``known_at`` of any later version of the same event (NULL
for the latest): a version is the one known at X exactly when known_at <= X < superseded_at.
The chronology index lets an ``as_of`` query walk the versions in timeline order and stop at
its LIMIT.

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade(schema: str) -> None:
    op.execute("ALTER TABLE timeline_version ADD COLUMN superseded_at timestamptz")
    op.execute(
        "UPDATE timeline_version AS v SET superseded_at = later.first_known"
        " FROM (SELECT source, id, version, min(known_at) OVER (PARTITION BY source, id ORDER BY version DESC"
        "        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS first_known FROM timeline_version) AS later"
        " WHERE later.first_known IS NOT NULL"
        " AND (v.source, v.id, v.version) = (later.source, later.id, later.version)"
    )
    op.execute(
        "CREATE INDEX timeline_version_chronology ON timeline_version (occurred_start, occurred_end, source, id)"
    )


def downgrade(schema: str) -> None:
    op.execute("DROP INDEX timeline_version_chronology")
    op.execute("ALTER TABLE timeline_version DROP COLUMN superseded_at")
