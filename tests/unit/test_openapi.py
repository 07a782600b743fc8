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


def _operations(doc):
    return [(path, method, op) for path, ops in doc["paths"].items() for method, op in ops.items()]


def _schema_ref(response) -> str | None:
    return response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]


def test_every_operation_documents_each_status_it_returns_with_its_body():
    import json

    doc = json.loads(render())
    for path, method, op in _operations(doc):
        responses = op["responses"]
        expected = set()
        if op.get("security"):
            expected |= {"401", "403", "422", "503"}
        if "{" in path:
            expected |= {"404"}
        if method == "post":
            expected |= {"400", "413"}
        assert expected <= set(responses), (method, path, sorted(responses))
        for status, response in responses.items():
            if status in {"400", "401", "403", "404", "413"} or (status == "503" and path != "/health/ready"):
                assert _schema_ref(response) == "Problem", (method, path, status)
            if status == "422":
                assert _schema_ref(response) == "ValidationProblem", (method, path)
    assert "HTTPValidationError" not in doc["components"]["schemas"], "one error model, not two"


def test_the_validation_error_model_is_the_one_fastapi_emits():
    import json

    schemas = json.loads(render())["components"]["schemas"]
    field = schemas["FieldError"]
    assert set(field["required"]) == {"loc", "msg", "type"}
    assert {"type": "integer"} in field["properties"]["loc"]["items"]["anyOf"]  # ["body", 0, "data"]
    assert {"input", "ctx"} <= set(field["properties"])
    assert schemas["Problem"]["properties"]["detail"]["type"] == "string"


def test_lists_are_paged_with_an_opaque_cursor():
    import json

    doc = json.loads(render())
    for path in ("/timeline", "/actors", "/displacement", "/borders", "/actors/{name}/timeline"):
        op = doc["paths"][path]["get"]
        params = {p["name"]: p for p in op["parameters"]}
        cursor = params["cursor"]
        assert "opaque" in cursor["description"] and "422" in cursor["description"]
        assert {"type": "string", "maxLength": 4096, "pattern": "^[A-Za-z0-9_-]+$"} in cursor["schema"]["anyOf"]
        assert params["limit"]["schema"]["maximum"] == 500
        page = doc["components"]["schemas"][_schema_ref(op["responses"]["200"])]
        assert "opaque" in page["properties"]["next_cursor"]["description"]
    q = {p["name"]: p for p in doc["paths"]["/timeline"]["get"]["parameters"]}["q"]
    assert {"type": "string", "minLength": 3, "maxLength": 200, "pattern": "^[^\\x00]*$"} in q["schema"]["anyOf"]
