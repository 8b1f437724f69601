"""What every local test server shares: a threaded HTTP server on loopback, a queue of
injected faults (an HTTP status, a delay, a reply cut in half), and a request log.

``LocalPubMed`` (E-utilities) and ``watcher.localregistry.LocalRegistry`` (ClinicalTrials.gov)
subclass :class:`LocalServer` and say only which paths they answer (``_route``) and what
(``_reply``); starting, stopping, faults and the log are the same for both.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import PurePosixPath
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, urlsplit

from watcher.localpubmed.replies import TEXT_TYPE, Reply, echo_reply, fault_reply, not_found
from watcher.redact import redact

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fault:
    """One injected failure, consumed in order of injection by matching requests."""

    endpoint: str | None = None  # one of the server's ENDPOINTS, or None (any)
    status: int | None = None  # reply with this HTTP status (and a small body)
    delay: float = 0.0  # seconds to wait before answering
    truncate: bool = False  # a well-formed HTTP reply whose body is cut in half
    retry_after: int | None = None  # Retry-After header value for 429/503
    times: int = 1  # how many matching requests it applies to
    echo: bool = False  # an error reply quoting the request URL (api_key too), as NCBI's can


@dataclass(frozen=True)
class LoggedRequest:
    at: float  # time.monotonic() when the request arrived
    method: str  # "GET" | "POST"
    endpoint: str  # the endpoint the path named: "esearch", "studies", ...
    params: dict[str, str]  # query-string and form-body params merged, as sent
    status: int  # HTTP status sent (0: the server stopped before answering)
    id_params: tuple[str, ...] = ()  # every id= value, in order (elink: one LinkSet each)


class LocalServer:
    """Start/stop on a free loopback port, faults and the request log; subclasses answer."""

    ENDPOINTS: ClassVar[tuple[str, ...]] = ()
    NAME: ClassVar[str] = "local server"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self._lock = threading.Lock()
        self._faults: list[tuple[Fault, int]] = []
        self._log: list[LoggedRequest] = []
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- what a subclass says --------------------------------------------------------------

    def _route(self, path: str) -> str | None:
        """The endpoint ``path`` names, or None for a 404."""
        raise NotImplementedError

    def _reply(self, endpoint: str, params: dict[str, str]) -> Reply:
        raise NotImplementedError

    def _reply_to(self, endpoint: str, params: dict[str, str], ids: tuple[str, ...]) -> Reply:
        """What ``_reply`` says; a server that tells repeated ``id=`` apart (ELink) overrides."""
        return self._reply(endpoint, params)

    def _not_running(self) -> Exception:
        return RuntimeError(f"The {self.NAME} is not running; call start() first.")

    def _cannot_bind(self, error: OSError) -> Exception:
        return RuntimeError(f"Cannot serve the {self.NAME} on {self.host}:{self.port}: {error}")

    # --- life cycle ------------------------------------------------------------------------

    @property
    def address(self) -> tuple[str, int]:
        if self._server is None:
            raise self._not_running()
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> Self:
        """Bind and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        try:
            server = _Server((self.host, self.port), self)
        except OSError as e:
            raise self._cannot_bind(e) from e
        self._stopping.clear()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05},
            name=self.NAME, daemon=True,
        )  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; delayed replies in flight are abandoned."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- faults and the log ----------------------------------------------------------------

    def inject(self, *faults: Fault) -> None:
        """Queue faults; each request takes the first queued fault for its endpoint."""
        for fault in faults:
            if fault.endpoint not in (None, *self.ENDPOINTS):
                raise ValueError(f"Fault endpoint must be one of {self.ENDPOINTS} or None")
            if fault.times < 1 or fault.delay < 0:
                raise ValueError("Fault needs times >= 1 and delay >= 0")
        with self._lock:
            self._faults.extend((fault, fault.times) for fault in faults)

    def requests(self, endpoint: str | None = None) -> list[LoggedRequest]:
        """A copy of the log of answered requests, in order of arrival (a delayed request
        appears once its delay is over)."""
        with self._lock:
            log = [r for r in self._log if endpoint is None or r.endpoint == endpoint]
        return sorted(log, key=lambda r: r.at)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def _take_fault(self, endpoint: str) -> Fault | None:
        with self._lock:
            for i, (fault, left) in enumerate(self._faults):
                if fault.endpoint in (None, endpoint):
                    if left > 1:
                        self._faults[i] = (fault, left - 1)
                    else:
                        del self._faults[i]
                    return fault
        return None

    def _record(self, request: LoggedRequest) -> None:
        with self._lock:
            self._log.append(request)

    def _answer(
        self, endpoint: str, params: dict[str, str], ids: tuple[str, ...] = (), url: str = ""
    ) -> Reply | None:
        """The reply to send, faults applied; None if the server stopped meanwhile."""
        fault = self._take_fault(endpoint)
        if fault and fault.delay and self._stopping.wait(fault.delay):
            return None
        if fault and fault.echo:
            return echo_reply(endpoint, url, fault.status)
        if fault and fault.status is not None:
            return fault_reply(fault.status, fault.retry_after)
        reply = self._reply_to(endpoint, params, ids)
        if fault and fault.truncate:
            reply = replace(reply, body=reply.body[: len(reply.body) // 2])
        return reply


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # socketserver's 5 makes concurrent clients wait 1 s on SYN retry

    def __init__(self, address: tuple[str, int], app: LocalServer) -> None:
        self.app = app
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("%s: error serving %s", self.app.NAME, client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "mildwatch-local/1.0"

    def do_GET(self) -> None:
        self._serve("GET", "")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._serve("POST", self.rfile.read(length).decode("utf-8", "replace"))

    def _serve(self, method: str, body: str) -> None:
        arrived = time.monotonic()
        url = urlsplit(self.path)
        pairs = [
            *parse_qsl(url.query, keep_blank_values=True),
            *parse_qsl(body, keep_blank_values=True),
        ]
        params = dict(pairs)
        ids = tuple(v for k, v in pairs if k.casefold() == "id")
        app = self.server.app
        endpoint = app._route(url.path)
        try:
            full = self.path + (f"&{body}" if body else "")
            reply = app._answer(endpoint, params, ids, full) if endpoint else not_found(url.path)
        except Exception:  # a bug here must not look like a dropped connection
            logger.exception("%s: failed to answer %s", app.NAME, self.path)
            reply = Reply(500, f"The {app.NAME} failed; see its log.\n".encode(), TEXT_TYPE)
        logged = endpoint or PurePosixPath(url.path).name.removesuffix(".fcgi")
        status = reply.status if reply else 0
        app._record(LoggedRequest(arrived, method, logged, params, status, ids))
        if reply is None:
            self.close_connection = True
            return
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for header, value in reply.headers:
                self.send_header(header, value)
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            logger.debug("%s: client left before the %s reply", app.NAME, endpoint)

    def log_message(self, format: str, *args: Any) -> None:
        # The request line carries api_key: never log it (watcher/redact.py).
        logger.debug("%s: %s", self.server.app.NAME, redact(format % args))


def serve_until_interrupted(server: LocalServer, on_ready: Callable[[], None] | None) -> None:
    """Serve until KeyboardInterrupt (for the CLI's local-server commands)."""
    server.start()
    try:
        if on_ready is not None:
            on_ready()
        threading.Event().wait()
    except KeyboardInterrupt:
        logger.info("%s: stopping", server.NAME)
    finally:
        server.stop()
