"""``timeline publish``: bad input gets an error naming the line, the field and the reason,
and a file with any bad line publishes nothing."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import SEEDS, settings_env
from tests.integration import harness

pytestmark = pytest.mark.integration

GOOD = SEEDS.read_text().splitlines()[0]


def _bad(mutate) -> str:
    obj = json.loads(GOOD)
    mutate(obj)
    return json.dumps(obj)


CASES = {
    "broken JSON": ('{"specversion": "1.0", "id": ', "line 2: not valid JSON"),
    "unknown type": (_bad(lambda o: o.update(type="org.timeline.rumour.v1")), "line 2: type: unknown event type"),
    "missing field": (_bad(lambda o: o["data"].pop("summary")), "line 2: data.summary: Field required"),
    "wrong date": (_bad(lambda o: o["data"].update(occurred_start="2018-02-30")), "line 2: data.occurred_start:"),
    "bad country": (_bad(lambda o: o["data"]["location"].update(country_iso3="Syria")),
                    "line 2: data.location.country_iso3: String should match pattern"),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_bad_input_is_named_and_nothing_is_published(stack_settings, tmp_path, case):
    bad_line, expected = CASES[case]
    before = await harness.end_offsets(stack_settings)
    path = tmp_path / "events.jsonl"
    path.write_text(GOOD + "\n" + bad_line + "\n")
    result = subprocess.run(["timeline", "publish", str(path)], env=settings_env(stack_settings),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert expected in " ".join(result.stderr.split()), result.stderr
    assert "nothing was published" in result.stderr
    assert await harness.end_offsets(stack_settings) == before


async def test_stdin_is_read_with_a_dash(stack_settings):
    before = sum((await harness.end_offsets(stack_settings)).values())
    result = subprocess.run(["timeline", "publish", "-"], input=GOOD + "\n", env=settings_env(stack_settings),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "published 1 events" in result.stdout
    assert sum((await harness.end_offsets(stack_settings)).values()) == before + 1
