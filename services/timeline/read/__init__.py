"""The read side, one query module per resource: ``timeline``, ``events``, ``actors``,
``displacement``, ``borders`` and ``lag``. Queries are SELECT only and return plain data; the
HTTP API (``api/reads.py``, ``/lag``) and the command line (``cli/render.py``) both call them.
``sql`` holds what the query modules share."""
from __future__ import annotations

from . import actors, borders, displacement, events, lag, timeline

__all__ = ["actors", "borders", "displacement", "events", "lag", "timeline"]
