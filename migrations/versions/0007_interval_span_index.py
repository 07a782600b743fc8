"""The longest interval in the timeline, at the cost of one index lookup.

A date-range filter asks for events whose interval overlaps [from, to]: occurred_end >= from
and occurred_start <= to. Only the second bounds the chronology index; the first alone would
make a query walk every event that started before ``from``. No event that overlaps the range
starts before ``from`` minus the longest interval, so the readers add that bound, and this
index answers "the longest interval" with a single lookup.

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade(schema: str) -> None:
    op.execute("CREATE INDEX timeline_entry_span ON timeline_entry ((occurred_end - occurred_start))")


def downgrade(schema: str) -> None:
    op.execute("DROP INDEX timeline_entry_span")
