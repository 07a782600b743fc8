"""The change outbox: what changed in the views, written in the projector's transaction and
relayed to the change-feed topic by `timeline relay`.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade(schema: str) -> None:
    op.execute(
        "CREATE TABLE change_outbox ("
        " seq bigserial PRIMARY KEY,"
        " key text NOT NULL,"
        " change jsonb NOT NULL)"
    )


def downgrade(schema: str) -> None:
    op.execute("DROP TABLE change_outbox")
