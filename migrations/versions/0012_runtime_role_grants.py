"""Least privilege: what each runtime role may do in this schema.

The migrating role (the owner) keeps every right: it alone runs DDL (migrations, replay). The
runtime roles (``Settings.db_roles``; ``timeline stack up`` creates them on the local stack)
get exactly what their process needs, on this schema's tables:

- the projector (`timeline project`) reads and writes the rows of the views and of its
  bookkeeping (offsets, projection version, held and rejected corrections), and appends to the
  change outbox;
- the API (`timeline serve`) reads what it serves (the timeline, its versions, actors, places,
  the word index) and the stored offsets (``/lag``); not the event log, the outbox, the held
  corrections nor the migration table;
- the relay (`timeline relay`) reads and deletes the change outbox, nothing else.

Table privileges travel with their tables, so a replay, which migrates a shadow schema (granting
the same on its tables) and moves its tables into this schema, keeps them. A later migration that
adds a table grants on it with ``timeline.store.grants.grant`` the same way.

The runtime roles must exist before this migration runs (the owner may not create roles): it
stops, naming the missing ones, instead of leaving a schema the processes cannot use. A role
that is the owner itself (every URL set to the owner's) is given nothing: it has every right.

Revision ID: 0012
Revises: 0011
"""
from timeline.store.grants import Grants, grant

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# (role, privileges, objects): tables unless the object names its kind
GRANTS: Grants = [
    ("projector", "USAGE", ["SCHEMA {s}"]),
    ("projector", "SELECT, INSERT, UPDATE, DELETE",
     ["event_log", "timeline_entry", "timeline_version", "event_actor", "pending_correction",
      "rejected_correction", "search_word", "projection_offset", "projection_version"]),
    ("projector", "INSERT", ["change_outbox"]),
    ("projector", "USAGE", ["SEQUENCE change_outbox_seq_seq"]),
    ("api", "USAGE", ["SCHEMA {s}"]),
    ("api", "SELECT",
     ["timeline_entry", "timeline_version", "timeline_history", "event_actor", "actor", "place", "place_name",
      "search_word", "projection_offset"]),
    ("relay", "USAGE", ["SCHEMA {s}"]),
    ("relay", "SELECT, DELETE", ["change_outbox"]),
]


def upgrade(schema: str) -> None:
    grant(schema, GRANTS)


def downgrade(schema: str) -> None:
    grant(schema, list(reversed(GRANTS)), revoke=True)
