"""Text search on words instead of trigrams: the same substring matches, a fraction of the cost.

The trigram index on ``timeline_entry.summary`` cost more per inserted entry than every other
index together (about 100 trigrams per summary, each a GIN entry; docs/storage.md). It is
replaced by:

- ``timeline_entry.words``: the summary's words, lower-cased (split on non-word characters),
  a generated column with a GIN index: about 15 keys per entry;
- ``search_word``: every word seen, with a trigram index: small, and fed only by words it does
  not hold yet.

A search for a substring (``read/timeline.py``) is split into words the same way. A word of
the query bounded by separators on both sides must be one of the entry's words; the first or
last, which may be part of a longer word, must be contained in one of them (the vocabulary's
trigram index finds which). ``summary ILIKE`` then confirms the match exactly, so the result is
the same as before: every entry whose summary contains the text, ignoring case.

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade(schema: str) -> None:
    op.execute("DROP INDEX timeline_entry_summary_trgm")
    op.execute("ALTER TABLE timeline_entry ADD COLUMN words text[]"
               " GENERATED ALWAYS AS (array_remove(regexp_split_to_array(lower(summary), '\\W+'), '')) STORED")
    op.execute("CREATE INDEX timeline_entry_words ON timeline_entry USING gin (words)")
    op.execute("CREATE TABLE search_word (word text PRIMARY KEY)")
    op.execute("CREATE INDEX search_word_trgm ON search_word USING gin (word public.gin_trgm_ops)")
    op.execute("INSERT INTO search_word SELECT DISTINCT w FROM timeline_entry, unnest(words) AS w")


def downgrade(schema: str) -> None:
    op.execute("DROP TABLE search_word")
    op.execute("ALTER TABLE timeline_entry DROP COLUMN words")
    op.execute("CREATE INDEX timeline_entry_summary_trgm ON timeline_entry USING gin (summary public.gin_trgm_ops)")
