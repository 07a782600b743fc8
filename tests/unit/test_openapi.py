"""The OpenAPI document in schemas/ is the API's."""
from __future__ import annotations

from tests.conftest import ROOT
from timeline.api.openapi import render


def test_openapi_document_matches_the_api():
    path = ROOT / "schemas" / "openapi.json"
    assert path.read_text() == render(), "schemas/openapi.json drifted: run `timeline schemas openapi`"


def test_every_read_route_declares_the_api_key():
    import json

    doc = json.loads(render())
    assert doc["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    secured = [p for p, ops in doc["paths"].items() for op in ops.values() if op.get("security")]
    assert "/timeline" in secured and "/events/batch" in secured and "/health/live" not in secured


def test_the_document_validates_with_openapi_spec_validator():
    from openapi_spec_validator import validate
    from openapi_spec_validator.readers import read_from_filename

    spec, _ = read_from_filename(str(ROOT / "schemas" / "openapi.json"))
    validate(spec)  # raises on an invalid document
    assert spec["openapi"].startswith("3.")
