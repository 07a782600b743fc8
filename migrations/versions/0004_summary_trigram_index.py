"""A trigram index on the timeline's summaries, so that text search (ILIKE '%…%') uses an index.

pg_trgm is a trusted extension: the database owner may create it.

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade(schema: str) -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    op.execute("CREATE INDEX timeline_entry_summary_trgm ON timeline_entry USING gin (summary public.gin_trgm_ops)")


def downgrade(schema: str) -> None:
    op.execute("DROP INDEX timeline_entry_summary_trgm")
