"""JSON Schema files of the event types, generated from the models."""
from __future__ import annotations

import json
from pathlib import Path

from .registry import EVENT_TYPES, EventType


def schema_of(event_type: EventType) -> dict:
    """The JSON Schema (2020-12) of one event type's full CloudEvent."""
    schema = event_type.envelope.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": event_type.dataschema,
        **schema,
    }


def render(event_type: EventType) -> str:
    return json.dumps(schema_of(event_type), indent=2, sort_keys=True) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for event_type in EVENT_TYPES:
        path = directory / event_type.schema_file
        path.write_text(render(event_type))
        paths.append(path)
    return paths
