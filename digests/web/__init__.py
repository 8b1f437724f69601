"""The web face of the digests: the evidence map, study pages, one-click unsubscribe, each
subscriber's own preferences, /healthz, and a static export of the map.

``app`` holds the Starlette application and its routes; ``evidencemap`` the pure filtering
and sorting; ``pages`` the templates (``templates/web/``) and links; ``preferences`` the form;
``csrf`` the form tokens; ``health`` the health check; ``server`` runs uvicorn; ``export``
writes the static site. It reads and writes the database only through ``watcher.store``.
"""

from __future__ import annotations

from digests.web.app import WebApp, create_app
from digests.web.export import ExportReport, export_site
from digests.web.server import running, serve

__all__ = ["ExportReport", "WebApp", "create_app", "export_site", "running", "serve"]
