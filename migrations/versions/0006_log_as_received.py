"""The event log keeps each envelope as received, and the outbox each change, as ``json``.

Neither is queried inside: the log is read back whole by replays, the outbox by the relay.
``json`` keeps the text as written, where ``jsonb`` would decompose it on every insert (about a
third of the cost of appending to the log).

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade(schema: str) -> None:
    op.execute("ALTER TABLE event_log ALTER COLUMN envelope TYPE json USING envelope::json")
    op.execute("ALTER TABLE change_outbox ALTER COLUMN change TYPE json USING change::json")


def downgrade(schema: str) -> None:
    op.execute("ALTER TABLE change_outbox ALTER COLUMN change TYPE jsonb USING change::jsonb")
    op.execute("ALTER TABLE event_log ALTER COLUMN envelope TYPE jsonb USING envelope::jsonb")
