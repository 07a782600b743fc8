"""Text search through the word index (migration 0010) finds exactly what ``summary ILIKE``
finds over the whole table: generated substrings of generated summaries, and texts that
appear nowhere."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import correction, fact
from tests.integration import harness
from timeline import bootstrap, read

pytestmark = pytest.mark.integration

SUMMARIES = [
    "Regime forces shell Deraa al-Balad near the Nassib crossing",
    "Jordan: border stays CLOSED, says Amman (spokesman Jumana Ghunaimat)",
    "UNHCR reports 45,000 displaced towards Quneitra; 2,000 at the fence",
    "snake_case and CamelCase words, e-mail@example.org, URL https://x.example/a?b=1",
    "Déraa, Daraa, DERAA: three spellings; naïve café façade",
    "Border decision   with   extra   spaces\tand a tab",
    "100% of 50_000 people -- dashes -- and 'quotes' \"double\"",
    "Ceasefire brokered by Russia; the opposition disputes it",
]
AMENDED = "Amended summary: Russia-brokered truce collapses near Busra al-Sham"


@pytest.fixture(scope="module")
async def searchable(stack_settings):
    events = [fact(f"s{i}", f"2018-06-{10 + i:02d}", summary=text) for i, text in enumerate(SUMMARIES)]
    events.append(correction("s-k", "s0", "amend", events[0].recordedtime.replace(day=27), {"summary": AMENDED}))
    await harness.publish_events(stack_settings, events)
    await harness.project_until_caught_up(stack_settings)
    async with bootstrap.engine(stack_settings) as engine:
        yield stack_settings, engine


async def _compare(searchable, text: str) -> None:
    settings, engine = searchable
    found = await read.timeline.entries(engine, read.timeline.TimelineQuery(text=text, include_retracted=True))
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    expected = await harness.fetch(settings, "SELECT id FROM timeline_entry WHERE summary ILIKE $1 ORDER BY id", pattern)
    assert sorted(r["id"] for r in found) == [r["id"] for r in expected], text


@pytest.mark.parametrize("text", [
    "Deraa", "deraa al-b", "raa al-Bal", "ear the Nas", "CLOSED, says", "45,000", "e-mail@", "snake_c", "_case",
    "ake_ca", "Déraa", "éraa", "naïve ca", "extra   spaces", "spaces\tand", "100%", "-- dashes --", "'quotes'",
    "truce collapses", "Russia-brokered", "Regime forces",  # s0's first summary was amended away
    "nowhere to be found", "zzz", "a b", "...",
])
async def test_chosen_texts_find_what_ilike_finds(searchable, text):
    await _compare(searchable, text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_every_substring_finds_what_ilike_finds(searchable, data):
    summary = data.draw(st.sampled_from([*SUMMARIES, AMENDED]))
    start = data.draw(st.integers(0, len(summary) - 3))
    end = data.draw(st.integers(start + 3, len(summary)))
    text = summary[start:end]
    if data.draw(st.booleans()):
        text = text.swapcase()
    await _compare(searchable, text)
