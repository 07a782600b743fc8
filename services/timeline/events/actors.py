"""The canonical actor registry: stable ids, display names, aliases (ACLED ``inter`` types)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import Field, TypeAdapter

from .common import Model

ActorType = Literal[
    "state_forces", "rebel_group", "political_militia", "identity_militia", "rioters", "protesters",
    "civilians", "external_forces", "government", "international_organisation", "ngo", "media", "activists",
]


class Actor(Model):
    """One actor. ``acled_inter`` is ACLED's code (1 state forces … 8 external/other forces)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    actor_type: ActorType
    acled_inter: int | None = Field(default=None, ge=1, le=8)
    country_iso3: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    wikidata: str | None = Field(default=None, pattern=r"^Q[0-9]+$")


def load_registry(path: Path) -> list[Actor]:
    """Read and validate a registry file (a JSON array of actors)."""
    return TypeAdapter(list[Actor]).validate_python(json.loads(path.read_text()))
