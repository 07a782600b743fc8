from __future__ import annotations

import pytest

from tests.conftest import isolated_settings
from tests.integration import harness


@pytest.fixture(scope="module")
async def stack_settings():
    """A migrated schema and created topics on the real stack; dropped afterwards."""
    settings = isolated_settings()
    await harness.prepare(settings)
    yield settings
    await harness.drop(settings)
