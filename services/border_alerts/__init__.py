"""border_alerts: a small downstream service of the timeline's change feed.

It subscribes to ``<prefix>.changes.v1`` with FastStream and publishes an alert to
``<prefix>.alerts.border.v1`` whenever a border is closed, restricted, sealed off or people
are refused entry or expelled (a created or amended border decision). Run it with
``python -m border_alerts``.
"""
from .service import Alert, alert_for, build_app

__all__ = ["Alert", "alert_for", "build_app"]
