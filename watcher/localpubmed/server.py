"""A local E-utilities server that answers like NCBI over a folder of PubMed XML records.

PubMed is unreachable from tests and must never be hit by them, so tests, the demo and
librarians trying queries (``mildwatch localpubmed``) use this instead: esearch (with the
query language of :mod:`watcher.localpubmed.query`, date windows, the history server and the
9,999-record esearch cap), efetch (by id, GET or POST, or by WebEnv/query_key pages), einfo,
and elink (cited-in, references and similar articles: :mod:`watcher.localpubmed.links`).
Replies copy NCBI's shapes closely enough for ``Bio.Entrez.read`` (docs/tech-notes.md §1-2).

Each instance keeps its own request log and queue of injected faults (429, 5xx, slow and
truncated replies), so a test can check how the poller copes and what it sent.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from xml.sax.saxutils import escape

from watcher.errors import EntrezError, QueryError
from watcher.localpubmed.index import RecordIndex
from watcher.localpubmed.links import Links, elink_reply
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
    fetch_error,
    int_param,
    pubmed_doctype,
    search_error,
)
from watcher.localpubmed.serving import Fault, LocalServer, LoggedRequest, serve_until_interrupted

logger = logging.getLogger(__name__)

ENDPOINTS = ("esearch", "efetch", "einfo", "elink")
__all__ = ["ENDPOINTS", "Fault", "LocalPubMed", "LoggedRequest", "serve_forever"]


class LocalPubMed(LocalServer):
    """The server. ``with LocalPubMed(corpus) as pubmed:`` starts it on a free port."""

    ENDPOINTS = ENDPOINTS
    NAME = "local PubMed"

    def __init__(
        self,
        corpus: Path | Sequence[Path] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        esearch_cap: int = 9999,
        pubmed_dtd: str = "pubmed_250101.dtd",
    ) -> None:
        super().__init__(host=host, port=port)
        self.esearch_cap = esearch_cap
        self._pubmed_doctype = pubmed_doctype(pubmed_dtd)
        self.index = RecordIndex()
        for path in [corpus] if isinstance(corpus, str | Path) else corpus or ():
            self.index.add_path(Path(path))
        self.links = Links(self.index)
        self._history: dict[str, list[tuple[str, ...]]] = {}
        self._updated = datetime.now(UTC)

    @property
    def base_url(self) -> str:
        """The E-utilities base, e.g. "http://127.0.0.1:<port>/entrez/eutils/", once started."""
        host, port = self.address
        return f"http://{host}:{port}/entrez/eutils/"

    def start(self) -> LocalPubMed:
        """Bind and serve in a daemon thread; returns self."""
        if self._server is None:
            super().start()
            logger.info("local PubMed: %d records at %s", len(self.index), self.base_url)
        return self

    def _not_running(self) -> Exception:
        return EntrezError("The local PubMed server is not running; call start() first.")

    def _cannot_bind(self, error: OSError) -> Exception:
        return EntrezError(
            f"Cannot serve local PubMed on {self.host}:{self.port} ({error.strerror}); "
            "choose another port."
        )

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

    # --- request handling (called from the server's threads) --------------------------------

    def _route(self, path: str) -> str | None:
        name = PurePosixPath(path).name
        endpoint = name.removesuffix(".fcgi")
        known = endpoint in ENDPOINTS and path == f"/entrez/eutils/{name}" and name != endpoint
        return endpoint if known else None

    def _reply(self, endpoint: str, params: dict[str, str]) -> Reply:
        lowered = {k.casefold(): v for k, v in params.items()}  # NCBI ignores the case
        return getattr(self, f"_{endpoint}")(lowered)

    def _reply_to(self, endpoint: str, params: dict[str, str], ids: tuple[str, ...]) -> Reply:
        if endpoint == "elink":  # one LinkSet per id= sent: the repeated parameters matter
            return elink_reply(self.links, {k.casefold(): v for k, v in params.items()}, ids)
        return self._reply(endpoint, params)

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


def serve_forever(
    corpus: Sequence[Path],
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until KeyboardInterrupt (for ``mildwatch localpubmed``); ``on_ready(base_url)``
    is called once listening."""
    server = LocalPubMed(corpus, host=host, port=port)
    serve_until_interrupted(server, on_ready and (lambda: on_ready(server.base_url)))
