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
adds a table grants on it with ``grant`` (below) the same way.

The runtime roles must exist before this migration runs (the owner may not create roles): it
stops, naming the missing ones, instead of leaving a schema the processes cannot use. A role
that is the owner itself (every URL set to the owner's) is given nothing: it has every right.

Revision ID: 0012
Revises: 0011
"""
from alembic import context, op
from sqlalchemy import text

from timeline.store.engine import MissingRoles

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# (role, privileges, objects): tables unless the object names its kind
GRANTS = [
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


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def db_roles() -> dict[str, str]:
    """Role -> PostgreSQL role of the settings being migrated (``alembic_config`` passes them;
    the settings of the environment otherwise)."""
    roles = context.config.attributes.get("db_roles")
    if roles is None:
        from timeline.config import Settings

        roles = Settings().db_roles
    return roles


def grantees(roles: list[str]) -> dict[str, str]:
    """The PostgreSQL role of each of ``roles`` that is not the migrating role itself; stops
    naming those that do not exist."""
    bind = op.get_bind()
    names, owner = db_roles(), bind.execute(text("SELECT current_user")).scalar()
    wanted = {role: names[role] for role in roles if names[role] != owner}
    existing = set(bind.execute(text("SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY(:names)"),
                                {"names": list(wanted.values())}).scalars())
    missing = sorted(name for name in wanted.values() if name not in existing)
    if missing:
        raise MissingRoles(
            f"the database roles {', '.join(missing)} do not exist: create them before migrating "
            "(`timeline stack up` does on the local stack; elsewhere see README, \"Database roles\")")
    return wanted


def _objects(schema: str, objects: list[str]) -> str:
    s = _ident(schema)
    kinds = {}
    for obj in objects:
        kind, _, name = obj.rpartition(" ") if " " in obj else ("TABLE", "", obj)
        kinds.setdefault(kind, []).append(name.format(s=s) if kind == "SCHEMA" else f"{s}.{_ident(name)}")
    (kind, names), = kinds.items()
    return f"{kind} {', '.join(names)}"


def grant(schema: str, grants: list[tuple[str, str, list[str]]], revoke: bool = False) -> None:
    """GRANT (or REVOKE) each (role, privileges, objects) of ``grants`` on ``schema``'s objects."""
    roles = grantees(sorted({role for role, _, _ in grants}))
    for role, privileges, objects in grants:
        if role not in roles:
            continue
        on = _objects(schema, objects)
        who = _ident(roles[role])
        op.execute(f"REVOKE {privileges} ON {on} FROM {who}" if revoke else f"GRANT {privileges} ON {on} TO {who}")


def upgrade(schema: str) -> None:
    grant(schema, GRANTS)


def downgrade(schema: str) -> None:
    grant(schema, list(reversed(GRANTS)), revoke=True)
