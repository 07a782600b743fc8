"""Grants of the runtime roles, for migrations: a migration that adds a table grants on it here.

``grant`` GRANTs (or REVOKEs) (role, privileges, objects) on a schema's objects to the PostgreSQL
roles of the settings being migrated (``alembic_config`` passes them in the Alembic config's
attributes; the environment's settings otherwise). Roles that are the migrating role itself get
nothing (it has every right); missing roles stop the migration, naming them.
"""
from __future__ import annotations

from alembic import context, op
from sqlalchemy import text

from .engine import MissingRoles

Grants = list[tuple[str, str, list[str]]]  # (role, privileges, objects): tables unless the object names its kind


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def db_roles() -> dict[str, str]:
    """Role -> PostgreSQL role of the settings being migrated (``alembic_config`` passes them;
    the settings of the environment otherwise)."""
    roles = context.config.attributes.get("db_roles")
    if roles is None:
        from ..config import Settings

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
    kinds: dict[str, list[str]] = {}
    for obj in objects:
        kind, _, name = obj.rpartition(" ") if " " in obj else ("TABLE", "", obj)
        kinds.setdefault(kind, []).append(name.format(s=s) if kind == "SCHEMA" else f"{s}.{_ident(name)}")
    (kind, names), = kinds.items()
    return f"{kind} {', '.join(names)}"


def grant(schema: str, grants: Grants, revoke: bool = False) -> None:
    """GRANT (or REVOKE) each (role, privileges, objects) of ``grants`` on ``schema``'s objects."""
    roles = grantees(sorted({role for role, _, _ in grants}))
    for role, privileges, objects in grants:
        if role not in roles:
            continue
        on = _objects(schema, objects)
        who = _ident(roles[role])
        op.execute(f"REVOKE {privileges} ON {on} FROM {who}" if revoke else f"GRANT {privileges} ON {on} TO {who}")
