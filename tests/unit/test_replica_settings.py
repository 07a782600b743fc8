"""Where the API reads and where the local replica listens, from the settings alone."""
from __future__ import annotations

from pathlib import Path

from timeline.api.database import _lsn, read_url
from timeline.config import Settings
from timeline.stack import Postgres, Replica

PRIMARY = "postgresql://timeline:secret@127.0.0.1:6000/timeline"
API_ON_PRIMARY = "postgresql://timeline_api:api-secret@127.0.0.1:6000/timeline"


def test_reads_go_to_the_replica_only_when_one_is_configured_and_always_as_the_api_role():
    assert read_url(Settings(database_url=PRIMARY, api_db_password="api-secret")) == API_ON_PRIMARY  # type: ignore[call-arg]
    replica = "postgresql://timeline_api:api-secret@127.0.0.1:6001/timeline"
    assert read_url(Settings(database_url=PRIMARY, read_database_url=replica)) == replica  # type: ignore[call-arg]


def test_the_local_replica_listens_next_to_the_primary_unless_told_otherwise():
    settings = Settings(database_url=PRIMARY, api_db_password="api-secret", stack_dir=Path("/tmp/nowhere"))  # type: ignore[call-arg]
    assert Replica(Postgres(settings)).read_url == "postgresql://timeline_api:api-secret@127.0.0.1:6001/timeline"
    moved = Settings(database_url=PRIMARY, api_db_password="api-secret", replica_port=7100)  # type: ignore[call-arg]
    assert Replica(Postgres(moved)).read_url == "postgresql://timeline_api:api-secret@127.0.0.1:7100/timeline"


def test_wal_positions_compare_as_numbers():
    assert _lsn("0/3000000") == 0x3000000
    assert _lsn("1/0") > _lsn("0/FFFFFFFF") > _lsn("0/A0")
