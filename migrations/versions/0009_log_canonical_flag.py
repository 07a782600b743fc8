"""Which logged events a replay may rebuild in SQL.

``event_log.canonical`` is true when the envelope as received is exactly the one the projector
would write itself (``model_dump_json`` of the validated event): its ``data`` is then the
payload the views hold, and ``timeline replay --source log`` derives their rows with set-based
SQL. Other events (another producer's spacing or key order, an upcast type, corrections) are
re-decoded by the projection code. Rows logged before this column existed are false.

Revision ID: 0009
Revises: 0008
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade(schema: str) -> None:
    op.execute("ALTER TABLE event_log ADD COLUMN canonical boolean NOT NULL DEFAULT false")


def downgrade(schema: str) -> None:
    op.execute("ALTER TABLE event_log DROP COLUMN canonical")
