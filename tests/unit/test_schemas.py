"""The JSON Schema files in schemas/ are the models; every seed line validates against its file."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SEEDS
from timeline.events import EVENT_TYPES
from timeline.events.schemas import render


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.name)
def test_schema_file_matches_its_model(event_type):
    path = ROOT / "schemas" / event_type.schema_file
    assert path.exists(), f"{path.name} is missing: run `timeline schemas export`"
    assert path.read_text() == render(event_type), f"{path.name} drifted from its model: run `timeline schemas export`"


def test_every_seed_line_validates_with_check_jsonschema(tmp_path):
    by_type: dict[str, list] = {}
    for line in SEEDS.read_text().splitlines():
        obj = json.loads(line)
        by_type.setdefault(obj["type"], []).append(obj)
    assert len(by_type) >= 4
    for ce_type, objs in by_type.items():
        files = []
        for i, obj in enumerate(objs):
            f = tmp_path / f"{ce_type}-{i}.json"
            f.write_text(json.dumps(obj))
            files.append(str(f))
        schema = ROOT / "schemas" / f"{ce_type}.schema.json"
        result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema), *files],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_check_jsonschema_rejects_a_broken_seed_line(tmp_path):
    obj = json.loads(SEEDS.read_text().splitlines()[0])
    del obj["data"]["location"]
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(obj))
    schema = ROOT / "schemas" / f"{obj['type']}.schema.json"
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema), str(f)],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "location" in result.stdout + result.stderr


def test_seed_actors_exist_in_the_registry():
    from timeline.events.actors import load_registry

    registry = {a.id for a in load_registry(ROOT / "seeds" / "actors.json")}
    used = {a["actor_id"] for line in SEEDS.read_text().splitlines() for a in json.loads(line)["data"].get("actors", [])}
    assert used <= registry, f"unknown actors: {sorted(used - registry)}"
