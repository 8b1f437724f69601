"""A local E-utilities server that answers like NCBI over a folder of PubMed XML records.

PubMed is unreachable from tests and must never be hit by them, so tests, the demo and
librarians trying queries (``mildwatch localpubmed``) use this instead: esearch (with the
query language of :mod:`watcher.localpubmed.query`, date windows, the history server and the
9,999-record esearch cap), efetch (by id, GET or POST, or by WebEnv/query_key pages), einfo.
Replies copy NCBI's shapes closely enough for ``Bio.Entrez.read`` (docs/tech-notes.md §1-2).

Each instance keeps its own request log and queue of injected faults (429, 5xx, slow and
truncated replies), so a test can check how the poller copes and what it sent.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

from watcher.errors import EntrezError, QueryError
from watcher.localpubmed.index import RecordIndex
from watcher.localpubmed.medline_writer import medline_text
from watcher.localpubmed.query import parse_query, restrict
from watcher.localpubmed.replies import (
    EINFO_DOCTYPE,
    MAX_RETMAX,
    TEXT_TYPE,
    XML_DECLARATION,
    Reply,
    date_window,
    esearch_xml,
    fault_reply,
    fetch_error,
    int_param,
    not_found,
    pubmed_doctype,
    search_error,
)

logger = logging.getLogger(__name__)

ENDPOINTS = ("esearch", "efetch", "einfo")


@dataclass(frozen=True)
class Fault:
    """One injected failure, consumed in order of injection by matching requests."""

    endpoint: str | None = None  # "esearch" | "efetch" | "einfo" | None (any)
    status: int | None = None  # reply with this HTTP status (and a small body)
    delay: float = 0.0  # seconds to wait before answering
    truncate: bool = False  # a well-formed HTTP reply whose XML body is cut in half
    retry_after: int | None = None  # Retry-After header value for 429/503
    times: int = 1  # how many matching requests it applies to


@dataclass(frozen=True)
class LoggedRequest:
    at: float  # time.monotonic() when the request arrived
    method: str  # "GET" | "POST"
    endpoint: str  # path stem: "esearch", "efetch", "einfo", ...
    params: dict[str, str]  # query-string and form-body params merged, as sent
    status: int  # HTTP status sent (0: the server stopped before answering)


class LocalPubMed:
    """The server. ``with LocalPubMed(corpus) as pubmed:`` starts it on a free port."""

    def __init__(
        self,
        corpus: Path | Sequence[Path] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        esearch_cap: int = 9999,
        pubmed_dtd: str = "pubmed_250101.dtd",
    ) -> None:
        self.host, self.port, self.esearch_cap = host, port, esearch_cap
        self._pubmed_doctype = pubmed_doctype(pubmed_dtd)
        self.index = RecordIndex()
        for path in [corpus] if isinstance(corpus, str | Path) else corpus or ():
            self.index.add_path(Path(path))
        self._lock = threading.Lock()
        self._faults: list[tuple[Fault, int]] = []
        self._log: list[LoggedRequest] = []
        self._history: dict[str, list[tuple[str, ...]]] = {}
        self._updated = datetime.now(UTC)
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The E-utilities base, e.g. "http://127.0.0.1:<port>/entrez/eutils/", once started."""
        if self._server is None:
            raise EntrezError("The local PubMed server is not running; call start() first.")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/entrez/eutils/"

    def start(self) -> LocalPubMed:
        """Bind and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        try:
            server = _Server((self.host, self.port), self)
        except OSError as e:
            raise EntrezError(
                f"Cannot serve local PubMed on {self.host}:{self.port} ({e.strerror}); "
                "choose another port."
            ) from e
        self._stopping.clear()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05},
            name="localpubmed", daemon=True,
        )  # fmt: skip
        self._thread.start()
        logger.info("local PubMed: %d records at %s", len(self.index), self.base_url)
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

    def __enter__(self) -> LocalPubMed:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def add_xml(self, data: bytes | str) -> list[str]:
        """Add (or replace, by PMID) the records of a PubMed XML document; returns PMIDs."""
        pmids = self.index.add_xml(data)
        self._updated = datetime.now(UTC)
        return pmids

    def add_path(self, path: Path) -> list[str]:
        """Add a PubMed XML file or a folder of *.xml files; returns the PMIDs."""
        pmids = self.index.add_path(Path(path))
        self._updated = datetime.now(UTC)
        return pmids

    def remove(self, pmid: str) -> None:
        self.index.remove(pmid)
        self._updated = datetime.now(UTC)

    def inject(self, *faults: Fault) -> None:
        """Queue faults; each request takes the first queued fault for its endpoint."""
        for fault in faults:
            if fault.endpoint not in (None, *ENDPOINTS):
                raise ValueError(f"Fault endpoint must be one of {ENDPOINTS} or None")
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

    # --- request handling (called from the server's threads) --------------------------------

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

    def _answer(self, endpoint: str, params: dict[str, str]) -> Reply | None:
        """The reply to send, faults applied; None if the server stopped meanwhile."""
        fault = self._take_fault(endpoint)
        if fault and fault.delay and self._stopping.wait(fault.delay):
            return None
        if fault and fault.status is not None:
            return fault_reply(fault.status, fault.retry_after)
        lowered = {k.casefold(): v for k, v in params.items()}  # NCBI ignores the case
        reply: Reply = getattr(self, f"_{endpoint}")(lowered)
        if fault and fault.truncate:
            reply = replace(reply, body=reply.body[: len(reply.body) // 2])
        return reply

    def _remember(self, pmids: Sequence[str], webenv: str) -> tuple[str, int]:
        """Store a result on the history server: a new WebEnv, or appended to a known one."""
        with self._lock:
            if webenv not in self._history:
                webenv = f"MCID_{secrets.token_hex(12)}"
            stored = self._history.setdefault(webenv, [])
            stored.append(tuple(pmids))
            return webenv, len(stored)

    def _esearch(self, p: dict[str, str]) -> Reply:
        if (db := p.get("db", "pubmed") or "pubmed") != "pubmed":
            return search_error(f"Invalid db name specified: {db}")
        try:
            retstart = int_param(p, "retstart", 0)
            retmax = min(int_param(p, "retmax", 20), MAX_RETMAX)
            window = date_window(p)
            query = parse_query(p.get("term", ""))
        except QueryError as e:
            return search_error(str(e))
        if window:
            query = restrict(query, *window)
        if query.root is None:
            return search_error("Empty term and query_key - nothing todo")
        pmids, result = self.index.search(query, p.get("sort", ""))
        cap = self.esearch_cap
        if retstart >= cap and len(pmids) > cap:
            return search_error(
                f"Search Backend failed: Exception:\n'retstart' cannot be larger than {cap - 1}. "
                f"For PubMed, ESearch can only retrieve the first {cap:,} records matching the "
                "query. Page with the history server (usehistory=y, then efetch with WebEnv "
                "and query_key) or narrow the date window."
            )
        history = None
        if p.get("usehistory", "").strip().casefold() == "y":
            history = self._remember(pmids, p.get("webenv", ""))
        page = pmids[retstart : min(retstart + retmax, cap)]
        return Reply(200, esearch_xml(len(pmids), retstart, page, history, result))

    def _efetch(self, p: dict[str, str]) -> Reply:
        if (db := p.get("db", "pubmed") or "pubmed") != "pubmed":
            return fetch_error(f"Invalid db name specified: {db}")
        rettype = p.get("rettype", "").strip().casefold()
        retmode = p.get("retmode", "").strip().casefold() or "xml"
        if retmode == "xml" and rettype in ("", "xml", "abstract", "null", "full"):
            form = "xml"
        elif retmode == "text" and rettype in ("medline", "uilist"):
            form = rettype
        else:
            return fetch_error(f"rettype={rettype!r} retmode={retmode!r} is not served here")
        if ids_text := p.get("id", "").strip():
            ids = list(dict.fromkeys(i for i in re.split(r"[\s,]+", ids_text) if i))
        elif webenv := p.get("webenv", "").strip():
            key = p.get("query_key", "1").strip() or "1"
            with self._lock:
                stored = self._history.get(webenv, [])
            if not key.isdigit() or not 1 <= int(key) <= len(stored):
                return fetch_error(
                    f"Cannot retrieve history data. query_key: {key}, WebEnv: {webenv}; "
                    "run esearch with usehistory=y again."
                )
            found = stored[int(key) - 1]
            try:
                retstart = int_param(p, "retstart", 0)
                retmax = min(int_param(p, "retmax", 20), MAX_RETMAX)
            except QueryError as e:
                return fetch_error(str(e))
            if retstart >= len(found):
                return fetch_error(
                    f"Cannot retrieve history data: OUT OF RANGE. Parameter retstart={retstart} "
                    f"+ 1 is greater than number of records available in history. History "
                    f"includes {len(found)} IDs."
                )
            ids = list(found[retstart : retstart + retmax])
        else:
            return fetch_error("Empty id list - nothing todo")
        records = self.index.records(ids)
        if form == "uilist":
            return Reply(200, "".join(f"{r.pmid}\n" for r in records).encode(), TEXT_TYPE)
        if form == "medline":
            text = "\n".join(medline_text(r) for r in records)
            return Reply(200, text.encode(), TEXT_TYPE)
        body = "".join(f"{r.xml}\n" for r in records)
        head = '<?xml version="1.0" ?>\n' + self._pubmed_doctype
        return Reply(200, f"{head}<PubmedArticleSet>\n{body}</PubmedArticleSet>\n".encode())

    def _einfo(self, p: dict[str, str]) -> Reply:
        db = p.get("db", "").strip()
        if not db:
            inner = "<DbList><DbName>pubmed</DbName></DbList>"
        elif db != "pubmed":
            inner = f"<ERROR>Invalid db name specified: {escape(db)}</ERROR>"
        else:
            inner = (
                "<DbInfo><DbName>pubmed</DbName><MenuName>PubMed</MenuName>"
                "<Description>PubMed bibliographic record (local corpus)</Description>"
                f"<DbBuild>local</DbBuild><Count>{len(self.index)}</Count>"
                f"<LastUpdate>{self._updated:%Y/%m/%d %H:%M}</LastUpdate></DbInfo>"
            )
        body = f"{XML_DECLARATION}{EINFO_DOCTYPE}<eInfoResult>{inner}</eInfoResult>\n"
        return Reply(200, body.encode())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # socketserver's 5 makes concurrent clients wait 1 s on SYN retry

    def __init__(self, address: tuple[str, int], app: LocalPubMed) -> None:
        self.app = app
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("local PubMed: error serving %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "localpubmed/1.0"

    def do_GET(self) -> None:
        self._serve("GET", "")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._serve("POST", self.rfile.read(length).decode("utf-8", "replace"))

    def _serve(self, method: str, body: str) -> None:
        arrived = time.monotonic()
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        params.update(parse_qsl(body, keep_blank_values=True))
        name = PurePosixPath(url.path).name
        endpoint = name.removesuffix(".fcgi")
        known = endpoint in ENDPOINTS and url.path == f"/entrez/eutils/{name}" and name != endpoint
        app = self.server.app
        try:
            reply = app._answer(endpoint, params) if known else not_found(url.path)
        except Exception:  # a bug here must not look like a dropped connection
            logger.exception("local PubMed: failed to answer %s", self.path)
            reply = Reply(500, b"The local PubMed server failed; see its log.\n", TEXT_TYPE)
        app._record(LoggedRequest(arrived, method, endpoint, params, reply.status if reply else 0))
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
            logger.debug("local PubMed: client left before the %s reply", endpoint)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("local PubMed: " + format, *args)


def serve_forever(
    corpus: Sequence[Path],
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until KeyboardInterrupt (for ``mildwatch localpubmed``); ``on_ready(base_url)``
    is called once listening."""
    server = LocalPubMed(corpus, host=host, port=port).start()
    try:
        if on_ready is not None:
            on_ready(server.base_url)
        threading.Event().wait()
    except KeyboardInterrupt:
        logger.info("local PubMed: stopping")
    finally:
        server.stop()
