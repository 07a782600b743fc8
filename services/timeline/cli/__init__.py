"""The ``timeline`` command line: one root command and its sub-apps, one module each."""
from __future__ import annotations

from . import actors, dlq, interchange, kubernetes, project, publish, serve, setup, show, stack  # noqa: F401 - each registers its commands
from .common import app

__all__ = ["app"]
