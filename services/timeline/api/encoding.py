"""Response bodies serialized once, with orjson.

The readers return rows in the shape of the operation's ``response_model`` (which stays on the
route for the OpenAPI document); the endpoints send them as they are instead of validating
them again through pydantic. Instants come out in RFC 3339 with ``Z`` for UTC and dates in
ISO 8601, as pydantic writes them; numerics read from JSON payloads as integers where whole."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from pydantic import BaseModel
from starlette.responses import Response


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_response(content: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(content, default=_default, option=orjson.OPT_UTC_Z), status_code=status_code,
                    media_type="application/json")


def fields_of(model: type[BaseModel], row: dict[str, Any]) -> dict[str, Any]:
    """The fields ``model`` documents, from ``row`` or the field's default."""
    return {name: row[name] if name in row else field.default for name, field in model.model_fields.items()}
