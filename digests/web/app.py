"""The web application (Starlette): the evidence map, study pages, one-click unsubscribe, each
subscriber's preferences, and /healthz.

Every request opens its own connection through the ``Store``: read-only (SQLite ``mode=ro``)
for pages that only show things, read-write only for the two forms that change a
subscriber. A subscriber is found by the secret token in their link (compared in constant
time); a malformed token and an unknown one get the same 404 page, so links cannot be
probed. GET never changes anything (mail scanners follow links); the preference form carries
a CSRF token (``digests.web.csrf``), and the one-click unsubscribe POST carries none, by
design (RFC 8058). Responses carry a Content-Security-Policy that allows no inline script,
and ``Referrer-Policy: no-referrer`` so a token never leaves in a Referer header. Request
lines are logged with tokens replaced by ``***``; uvicorn's own access log is off.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digests.web.csrf import CsrfSigner
from digests.web.evidencemap import MapData, MapQuery, build_map, make_row, select
from digests.web.health import health
from digests.web.pages import PageRenderer, Site
from digests.web.preferences import form_changes
from watcher.clock import iso, utc_now
from watcher.config import Config
from watcher.errors import WebInputError
from watcher.store import Store, Subscriber

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
TOKEN = re.compile(r"[A-Za-z0-9_-]{22,128}")  # the store's tokens: 32 URL-safe characters
PMID = re.compile(r"[0-9]{1,10}")
_TOKEN_IN_PATH = re.compile(r"/(unsubscribe|subscriber)/[^/?#\s\"]*")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def redact(path: str) -> str:
    """A request path fit for a log: the token in a subscriber's link becomes ``***``."""
    return _TOKEN_IN_PATH.sub(lambda m: f"/{m.group(1)}/***", path)


class SecureHeaders:
    """Adds the security headers to every response (``no-store`` on subscriber pages) and
    logs one redacted line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        private = _TOKEN_IN_PATH.search(scope["path"]) is not None

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if private:
                    headers["cache-control"] = "no-store"
                elapsed = (time.perf_counter() - started) * 1000
                log.info(
                    "%s %s %d %.0f ms",
                    scope["method"],
                    redact(scope["path"]),
                    message["status"],
                    elapsed,
                )
            await send(message)

        await self.app(scope, receive, send_with_headers)


class WebApp:
    """The pages over one database; ``starlette()`` is the ASGI app uvicorn serves."""

    def __init__(self, config: Config, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.config = config
        with Store.open(config.database):
            pass  # create and migrate once, so that read-only connections can open it
        self.pages = PageRenderer(config.mail.templates_dir)
        self.csrf = CsrfSigner(config.web.secret)
        base = config.web.base_url
        self.site = Site(prefix=urlsplit(base).path if base else "")
        self.clock = clock
        self._lock = threading.Lock()
        self._map: tuple[tuple, MapData] | None = None
        self._rebuilding = False
        self._building = threading.Lock()

    def warm(self) -> None:
        """Build the map (and its chart) before the first reader asks for it."""
        data = self._read(self.map_data)
        self.pages.chart_for(data.landscape.timeline)

    def starlette(self) -> Starlette:
        """The app; with a base path in ``base_url`` ("/mildwatch"), the pages answer both under
        it and at the root, so a reverse proxy may strip the prefix or pass it on."""
        routes: list[BaseRoute] = [
            Route("/", self.map_page),
            Route("/articles/{pmid}", self.article_page),
            Route("/chart.png", self.chart_png),
            Route("/healthz", self.healthz),
            Route("/unsubscribe/{token}", self.unsubscribe, methods=["GET", "POST"]),
            Route("/subscriber/{token}", self.preferences, methods=["GET", "POST"]),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ]
        prefix = self.site.prefix.rstrip("/")
        return Starlette(
            routes=[Mount(prefix, routes=routes), *routes] if prefix else routes,
            middleware=[Middleware(SecureHeaders)],
            exception_handlers={HTTPException: self.http_error, WebInputError: self.bad_input},
        )

    # --- reading ------------------------------------------------------------------------------

    def _read(self, work: Callable[[Store], Any]) -> Any:
        with Store.open_readonly(self.config.database) as store:
            return work(store)

    def _write(self, work: Callable[[Store], Any]) -> Any:
        with Store.open(self.config.database) as store:
            return work(store)

    def map_data(self, store: Store) -> MapData:
        """The map's rows and landscape for the evidence as it is now, rebuilt only when the
        evidence changed (a poll, a reclassification): building them reads every classified
        article."""
        with self._building:  # one build at a time; a reader that waited finds it built
            version = store.evidence_version()
            with self._lock:
                if self._map is not None and self._map[0] == version:
                    return self._map[1]
            data = _build_map(store)
            with self._lock:
                self._map = (version, data)
            return data

    def served_map(self, store: Store) -> MapData:
        """What a reader gets: the map as it is now, or, while a newer one is being built in
        the background after a poll, the previous one, so that nobody waits for the rebuild
        (only the very first map is built while its reader waits)."""
        version = store.evidence_version()
        with self._lock:
            current = self._map
            if current is not None and current[0] != version and not self._rebuilding:
                self._rebuilding = True
                threading.Thread(target=self._rebuild, name="map-rebuild", daemon=True).start()
        if current is None:
            return self.map_data(store)
        return current[1]

    def _rebuild(self) -> None:
        try:
            self._read(self.map_data)
        except Exception:  # the next reader starts another; this one must not kill the server
            log.exception("rebuilding the evidence map failed")
        finally:
            with self._lock:
                self._rebuilding = False

    def render_map(self, data: MapData, query: MapQuery, site: Site, *, paged: bool = True) -> str:
        page = select(data.rows[query.tab], query, page_size=None if not paged else 50)
        return self.pages.page(
            "map.html.j2",
            site=site,
            query=query,
            page=page,
            data=data,
            counts={tab: len(rows) for tab, rows in data.rows.items()},
            static=site.static,
            synthetic=data.synthetic,
            **self.pages.landscape_context(data.landscape),
        )

    async def map_page(self, request: Request) -> Response:
        query = MapQuery.parse(request.query_params)
        data = await run_in_threadpool(self._read, self.served_map)
        return HTMLResponse(self.render_map(data, query, self.site))

    async def chart_png(self, request: Request) -> Response:
        data = await run_in_threadpool(self._read, self.served_map)
        image = self.pages.chart_for(data.landscape.timeline)
        if image is None:
            raise HTTPException(404)
        return Response(image.data, media_type="image/png")

    def article_html(self, store: Store, pmid: str, site: Site) -> str | None:
        article = store.article(pmid)
        if article is None:
            return None
        evidence = store.evidence(pmid)
        return self.pages.page(
            "article.html.j2",
            site=site,
            article=article,
            evidence=evidence,
            row=make_row(article, evidence) if evidence else None,
            events=store.events(pmid=pmid),
            hits=store.hits_of(pmid),
            synthetic=article.plain_title.startswith("[SYNTHETIC]"),
        )

    async def article_page(self, request: Request) -> Response:
        pmid = request.path_params["pmid"]
        if not PMID.fullmatch(pmid):
            raise HTTPException(404)
        html = await run_in_threadpool(self._read, lambda s: self.article_html(s, pmid, self.site))
        if html is None:
            raise HTTPException(404)
        return HTMLResponse(html)

    async def healthz(self, request: Request) -> Response:
        def check(store: Store) -> tuple[int, dict]:
            searches = [(s, store.poll_state(s.id)) for s in store.searches()]
            return health(
                searches,
                store.outbox_counts(),
                now=self.clock(),
                max_poll_age_hours=self.config.web.max_poll_age_hours,
            )

        status, body = await run_in_threadpool(self._read, check)
        return JSONResponse(body, status_code=status, headers={"cache-control": "no-store"})

    # --- a subscriber's own pages -------------------------------------------------------------

    async def _subscriber(self, request: Request) -> Subscriber:
        """The subscriber whose token is in the path, or the one 404 for every bad token."""
        token = request.path_params["token"]
        if not TOKEN.fullmatch(token):
            raise HTTPException(404)
        found = await run_in_threadpool(self._read, lambda s: s.subscriber_for_token(token))
        if found is None:
            raise HTTPException(404)
        return found

    async def unsubscribe(self, request: Request) -> Response:
        subscriber = await self._subscriber(request)
        context = {"site": self.site, "subscriber": subscriber, "synthetic": False}
        if request.method == "GET":
            return HTMLResponse(self.pages.page("unsubscribe.html.j2", done=False, **context))
        form = await request.form()
        if form.get("List-Unsubscribe") != "One-Click":
            raise WebInputError(
                "a one-click unsubscribe carries List-Unsubscribe=One-Click (RFC 8058); "
                "use the button on this page"
            )
        now = iso(self.clock())
        await run_in_threadpool(
            self._write, lambda s: s.unsubscribe_subscriber(subscriber, now=now, source="web")
        )
        log.info("a subscriber unsubscribed through their link")
        return HTMLResponse(self.pages.page("unsubscribe.html.j2", done=True, **context))

    async def preferences(self, request: Request) -> Response:
        subscriber = await self._subscriber(request)
        if request.method == "POST":
            return await self._change(request, subscriber)
        changes = await run_in_threadpool(self._read, lambda s: s.subscriber_changes(subscriber.id))
        html = self.pages.page(
            "preferences.html.j2",
            site=self.site,
            subscriber=subscriber,
            csrf=self.csrf.token(subscriber.token, now=time.time()),
            changes=changes[-10:],
            saved=request.query_params.get("saved") == "1",
            default_max_items=self.config.mail.max_items,
            synthetic=False,
        )
        return HTMLResponse(html)

    async def _change(self, request: Request, subscriber: Subscriber) -> Response:
        form = await request.form()
        fields = {name: form.getlist(name) for name in form}
        csrf = str(form.get("csrf") or "")
        if not self._same_site(request) or not self.csrf.valid(
            csrf, subscriber.token, now=time.time()
        ):
            return self._message(
                403,
                "This form has expired or was not sent from this site",
                "Nothing was changed. Open your preferences page again and repeat the change.",
            )
        changes = form_changes(str(form.get("action") or "save"), fields)
        now = iso(self.clock())
        await run_in_threadpool(
            self._write,
            lambda s: s.change_preferences(subscriber, now=now, source="web", **changes),
        )
        return RedirectResponse(self.site.subscriber(subscriber.token) + "?saved=1", 303)

    def _same_site(self, request: Request) -> bool:
        """False when the browser says the form came from another site (defence in depth
        beside the CSRF token)."""
        if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return False
        origin = request.headers.get("origin")
        if origin in (None, "null"):
            return True  # none from older browsers, "null" under no-referrer: the token decides
        hosts = {request.headers.get("host", "")}
        if self.config.web.base_url:
            hosts.add(urlsplit(self.config.web.base_url).netloc)
        return urlsplit(origin).netloc in hosts

    # --- errors -------------------------------------------------------------------------------

    def _message(self, status: int, title: str, text: str) -> HTMLResponse:
        html = self.pages.page(
            "message.html.j2", site=self.site, title=title, text=text, synthetic=False
        )
        return HTMLResponse(html, status_code=status)

    async def http_error(self, request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        if status == 404:
            return self._message(
                404,
                "Page not found",
                "This address is not (or no longer) valid. If you followed a link from a "
                "digest, use the one in your most recent digest.",
            )
        return self._message(status, "This request cannot be answered", str(exc))

    async def bad_input(self, request: Request, exc: Exception) -> Response:
        return self._message(400, "Please check what you entered", f"{exc}. Nothing was changed.")


def _build_map(store: Store) -> MapData:
    return build_map(store.classified(("relevant",)), store.classified(("uncertain",)))


def create_app(config: Config, *, clock: Callable[[], datetime] = utc_now) -> Starlette:
    """The ASGI app for ``config``'s database (created and migrated if needed)."""
    return WebApp(config, clock=clock).starlette()
