"""Change numbers in commit order, without gaps.

``change_outbox.seq`` came from a sequence: numbers taken at insert time, in the order
transactions wrote, not the order they committed, and lost by every rollback. With two
projectors a change could become visible below one the relay had already published.
``change_seq`` holds the last number given; the projector adds its batch's count to it
(``UPDATE ... RETURNING``) right before it commits. The row lock that UPDATE takes is held
until the commit, so the next transaction numbers its changes only after this one is visible,
and a rollback gives its numbers back.

Revision ID: 0013
Revises: 0012
"""
from alembic import op

from timeline.store.grants import grant

NUMBERS = [("projector", "SELECT, UPDATE", ["change_seq"])]  # the projector numbers its changes
SEQUENCE = [("projector", "USAGE", ["SEQUENCE change_outbox_seq_seq"])]

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade(schema: str) -> None:
    op.execute(
        "CREATE TABLE change_seq ("
        " one boolean PRIMARY KEY DEFAULT true CHECK (one),"
        " last_seq bigint NOT NULL)"
    )
    # the last number the sequence gave (or 0), and any row that holds a higher one
    op.execute(
        "INSERT INTO change_seq (last_seq) SELECT GREATEST("
        " (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM change_outbox_seq_seq),"
        " (SELECT coalesce(max(seq), 0) FROM change_outbox))"
    )
    op.execute("ALTER TABLE change_outbox ALTER COLUMN seq DROP DEFAULT")
    op.execute("DROP SEQUENCE change_outbox_seq_seq")
    grant(schema, NUMBERS)


def downgrade(schema: str) -> None:
    op.execute("CREATE SEQUENCE change_outbox_seq_seq OWNED BY change_outbox.seq")
    op.execute("SELECT setval('change_outbox_seq_seq', last_seq + 1, false) FROM change_seq")
    op.execute("ALTER TABLE change_outbox ALTER COLUMN seq SET DEFAULT nextval('change_outbox_seq_seq')")
    grant(schema, SEQUENCE)
    op.execute("DROP TABLE change_seq")
