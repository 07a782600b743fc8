"""Shared fixtures. Integration and fault tests use the real local stack (Kafka + PostgreSQL),
each module with a schema, topic prefix and consumer group of its own."""
from __future__ import annotations

from pathlib import Path

import pytest

from timeline.testing import isolated_settings, settings_env  # noqa: F401 - the tests' helpers, shared with bench

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds" / "seed-article.jsonl"
ACTORS = ROOT / "seeds" / "actors.json"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser tests run last: Playwright's sync API holds the thread's running event loop
    while a browser is open, which no asyncio test may meet."""
    items.sort(key=lambda item: "browser" in item.path.parts[-3:-1])
