"""The web page under ``/ui/``: static HTML, ES modules and CSS, npm libraries served from the
API's own origin, a read session in an HttpOnly cookie, and the change feed as server-sent events."""
from .routes import router

__all__ = ["router"]
