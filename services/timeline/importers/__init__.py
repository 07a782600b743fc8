"""Importers of the field's standard exports: ``timeline import acled|ucdp-ged|gdelt|hxl FILE``.

Each format is a module with ``SOURCE`` (the CloudEvents ``source`` of its events) and
``read(path, context)``, which streams the file and yields, per row, an event or a
``RowError``. ``base.run`` publishes them in batches with a progress bar. See the README,
"Importing data"."""
from __future__ import annotations

import importlib
from types import ModuleType

FORMATS: dict[str, str] = {
    "acled": "timeline.importers.acled",
    "ucdp-ged": "timeline.importers.ucdp",
    "gdelt": "timeline.importers.gdelt",
    "hxl": "timeline.importers.hxl",
}


def importer(name: str) -> ModuleType:
    """The module that reads format ``name``."""
    return importlib.import_module(FORMATS[name])
