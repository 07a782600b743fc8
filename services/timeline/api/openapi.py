"""The OpenAPI document of the API, exported to schemas/openapi.json."""
from __future__ import annotations

import json
from pathlib import Path

from ..config import REPO_ROOT, Settings

PATH = REPO_ROOT / "schemas" / "openapi.json"


def render() -> str:
    from .app import create_app

    return json.dumps(create_app(Settings()).openapi(), indent=2, sort_keys=True) + "\n"


def write_openapi(path: Path = PATH) -> Path:
    path.write_text(render())
    return path
