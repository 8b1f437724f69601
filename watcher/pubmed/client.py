"""Talking to NCBI's E-utilities through Biopython's ``Bio.Entrez``, politely.

Bio.Entrez does the HTTP and the XML; this module adds what a service left running needs
and Bio.Entrez lacks (docs/tech-notes.md §1.1–1.2 and §2):

* a configurable base URL (a mirror, or the local server in tests and the demo) — Bio.Entrez
  hard-codes NCBI's, so we wrap its request builder, the one seam all E-utilities share;
* a socket timeout on every request — Bio.Entrez sets none, and a silent server hangs it;
* our own rate limit (3 requests/s, 10 with an API key) and retries with exponential
  backoff on 429, 5xx, timeouts, dropped connections and truncated replies, honouring
  Retry-After — Bio.Entrez retries 429/5xx immediately, and timeouts not at all;
* ``tool``, ``email`` and ``api_key`` passed explicitly on every request;
* esearch's ErrorList / WarningList / QueryTranslation surfaced, never swallowed.

The Biopython seams are process-wide by nature; they are installed once
(:func:`install_biopython_seams`) and read the per-call settings from context variables,
so clients with different base URLs can coexist (e.g. in tests).
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import io
import logging
import math
import socket
import time
import urllib.error
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from Bio import Entrez

from watcher.config import NCBI_EUTILS, EntrezSettings
from watcher.errors import EntrezError, MildwatchError, ParseError, PubMedUnreachable, QueryError
from watcher.pacing import RateLimiter, backoff_delay, retry_after_seconds
from watcher.pubmed import parse as pubmed_parse
from watcher.pubmed.links import Link, parse_elink
from watcher.records import Article
from watcher.redact import redact, redact_exception

log = logging.getLogger(__name__)

T = TypeVar("T")

ESEARCH_CAP = 9999
"""PubMed's esearch returns at most the first 9,999 ids of a result (retstart + retmax)."""
ELINK_BATCH = 100
"""Source ids per ELink request (each passed as its own ``id=``: one LinkSet per id)."""


@dataclass(frozen=True)
class _CallSettings:
    """What the Biopython seams need to know about the client making the current call."""

    base_url: str
    timeout: float
    limiter: RateLimiter


_current: ContextVar[_CallSettings | None] = ContextVar("mildwatch_eutils_call", default=None)


def install_biopython_seams() -> None:
    """Wrap ``Entrez._build_request`` (base URL) and ``Entrez.urlopen`` (rate limit,
    timeout); idempotent. Also sets ``Entrez.max_tries = 1``: retries are ours, with backoff.

    The rate limit waits in ``urlopen``, right before the request leaves: waiting earlier
    would let Bio.Entrez's own pause drift into phase with ours and bunch requests.
    """
    if getattr(Entrez._build_request, "_mildwatch", False):
        return
    original_build = Entrez._build_request
    original_urlopen = Entrez.urlopen

    def build_request(cgi: str, *args: Any, **kwargs: Any) -> Any:
        call = _current.get()
        if call and cgi.startswith(NCBI_EUTILS):
            cgi = call.base_url + cgi[len(NCBI_EUTILS) :]
        return original_build(cgi, *args, **kwargs)

    def urlopen(request: Any, *args: Any, **kwargs: Any) -> Any:
        call = _current.get()
        if call is not None:
            call.limiter.wait()
            if not args and "timeout" not in kwargs:
                kwargs["timeout"] = call.timeout
        return original_urlopen(request, *args, **kwargs)

    build_request._mildwatch = True  # type: ignore[attr-defined]
    Entrez._build_request = build_request
    Entrez.urlopen = urlopen
    Entrez.max_tries = 1


@dataclass(frozen=True)
class SearchResult:
    """One esearch reply, with everything PubMed said about the query."""

    term: str
    count: int
    ids: tuple[str, ...]
    translation: str = ""
    webenv: str | None = None
    query_key: str | None = None
    errors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    warnings: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def problems(self) -> list[str]:
        """ErrorList entries (PhraseNotFound, FieldNotFound, ...): PubMed ran a query other
        than the one written, usually a broader one. A failed search, not a result."""
        return [
            f"{kind} {', '.join(repr(v) for v in values)}"
            for kind, values in self.errors.items()
            if values
        ]

    @property
    def notes(self) -> list[str]:
        """WarningList entries worth a librarian's eye ("No items found." is not news)."""
        return [
            f"{kind} {', '.join(repr(v) for v in values)}"
            for kind, values in self.warnings.items()
            if values and kind != "OutputMessage"
        ]


class _Retry(Exception):
    """A transient failure worth another try (after ``delay`` seconds if given)."""

    def __init__(self, reason: str, delay: float | None = None, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.delay = delay
        self.unreachable = unreachable  # no connection at all (not a reply, not a timeout)


class EntrezClient:
    """esearch and batched efetch for PubMed, with the etiquette NCBI asks for."""

    def __init__(
        self,
        settings: EntrezSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not settings.email:
            raise EntrezError("entrez.email is not set; NCBI requires a contact address")
        install_biopython_seams()
        self.settings = settings
        self.base_url = settings.base_url.rstrip("/") + "/"
        self._sleep = sleep
        self._limiter = RateLimiter(settings.rate_limit, clock=clock, sleep=sleep)
        self.requests_made = 0

    # -- esearch ----------------------------------------------------------------------------

    def esearch(
        self,
        term: str,
        *,
        retmax: int = ESEARCH_CAP,
        retstart: int = 0,
        usehistory: bool = True,
        datetype: str | None = None,
        mindate: str | None = None,
        maxdate: str | None = None,
    ) -> SearchResult:
        params: dict[str, Any] = {"term": term, "retmax": retmax, "retstart": retstart}
        if usehistory:
            params["usehistory"] = "y"
        if datetype:
            params.update(datetype=datetype, mindate=mindate, maxdate=maxdate)
        record = self._call(
            "esearch",
            lambda: Entrez.esearch(db="pubmed", **self._etiquette(), **params),
            _read_esearch,
        )
        return SearchResult(
            term=term,
            count=int(record.get("Count", 0)),
            ids=tuple(str(i) for i in record.get("IdList", [])),
            translation=str(record.get("QueryTranslation", "")),
            webenv=str(record["WebEnv"]) if "WebEnv" in record else None,
            query_key=str(record["QueryKey"]) if "QueryKey" in record else None,
            errors=_entries(record.get("ErrorList")),
            warnings=_entries(record.get("WarningList")),
        )

    # -- efetch -----------------------------------------------------------------------------

    def fetch(self, ids: Sequence[str]) -> list[Article]:
        """One efetch request for ``ids`` (Biopython POSTs from 200 ids on)."""
        return self._call(
            "efetch",
            lambda: Entrez.efetch(db="pubmed", id=list(ids), retmode="xml", **self._etiquette()),
            lambda data: pubmed_parse.parse_pubmed_xml(data, source="efetch reply"),
        )

    def fetch_batches(self, ids: Sequence[str]) -> Iterator[list[Article]]:
        """``ids`` in batches of ``batch_size``: ⌈len(ids)/batch⌉ requests, never one per record."""
        size = self.settings.batch_size
        for start in range(0, len(ids), size):
            yield self.fetch(ids[start : start + size])

    def fetch_history(
        self, result: SearchResult, *, start: int, stop: int | None = None
    ) -> Iterator[list[Article]]:
        """Page a search's stored result on the history server from ``start`` (past the cap)."""
        _need_history(result)
        size = self.settings.batch_size
        stop = result.count if stop is None else min(stop, result.count)
        for retstart in range(start, stop, size):
            yield self._history_page(
                result, retstart, min(size, stop - retstart), retmode="xml",
                parse=lambda data: pubmed_parse.parse_pubmed_xml(data, source="efetch reply"),
            )  # fmt: skip

    def history_ids(self, result: SearchResult, *, start: int) -> list[str]:
        """The PMIDs of a stored result from ``start`` on (past esearch's cap), as efetch's
        ``uilist``: ids only, 10,000 per request, no records."""
        _need_history(result)
        ids: list[str] = []
        for retstart in range(start, result.count, 10000):
            text = self._history_page(
                result, retstart, 10000, rettype="uilist", retmode="text",
                parse=lambda data: data.decode("utf-8", "replace"),
            )  # fmt: skip
            ids.extend(line.strip() for line in text.splitlines() if line.strip().isdigit())
        return ids

    def _history_page(
        self, result: SearchResult, retstart: int, retmax: int, *, parse: Callable[[bytes], T],
        **form: str,
    ) -> T:  # fmt: skip
        """One efetch page of a result stored on the history server."""
        return self._call(
            "efetch",
            lambda: Entrez.efetch(
                db="pubmed",
                webenv=result.webenv,
                query_key=result.query_key,
                retstart=retstart,
                retmax=retmax,
                **form,
                **self._etiquette(),
            ),
            parse,
        )

    # -- elink ------------------------------------------------------------------------------

    def elink(
        self, ids: Sequence[str], *, linkname: str, scores: bool = False
    ) -> dict[str, tuple[Link, ...]]:
        """PubMed-to-PubMed links (e.g. ``pubmed_pubmed_citedin``) of each id: one request per
        ``ELINK_BATCH`` ids, each id passed on its own so PubMed answers one LinkSet per id.
        A source id never appears among its own links."""
        found: dict[str, tuple[Link, ...]] = {}
        command = "neighbor_score" if scores else "neighbor"
        for start in range(0, len(ids), ELINK_BATCH):
            chunk = [str(i) for i in ids[start : start + ELINK_BATCH]]
            found.update(
                self._call(
                    "elink",
                    lambda chunk=chunk: Entrez.elink(
                        dbfrom="pubmed",
                        db="pubmed",
                        linkname=linkname,
                        cmd=command,
                        id=chunk,
                        **self._etiquette(),
                    ),
                    lambda data: parse_elink(data, linkname),
                )
            )
        return found

    def requests_needed(self, records: int) -> int:
        return math.ceil(records / self.settings.batch_size)

    # -- the one place requests are made ----------------------------------------------------

    def _etiquette(self) -> dict[str, str]:
        params = {"tool": self.settings.tool, "email": self.settings.email or ""}
        if self.settings.api_key:
            params["api_key"] = self.settings.api_key
        return params

    def _call(self, endpoint: str, request: Callable[[], Any], parse: Callable[[bytes], T]) -> T:
        """Request, read and parse, retrying transient failures with exponential backoff.

        Every message leaving here is redacted: an error page may echo the request URL with
        the API key in it (watcher/redact.py)."""
        try:
            return self._call_with_retries(endpoint, request, parse)
        except MildwatchError as exc:
            raise redact_exception(exc, [self.settings.api_key]) from None

    def _call_with_retries(
        self, endpoint: str, request: Callable[[], Any], parse: Callable[[bytes], T]
    ) -> T:
        tries = self.settings.max_tries
        unreachable = True
        for attempt in range(1, tries + 1):
            self.requests_made += 1
            try:
                return self._attempt(endpoint, request, parse)
            except _Retry as problem:
                unreachable = unreachable and problem.unreachable
                if attempt == tries:
                    error = PubMedUnreachable if unreachable else EntrezError
                    raise error(
                        f"PubMed E-utilities at {self.base_url} failed {endpoint} {tries} times "
                        f"(last: {problem}); check the network and entrez.base_url, "
                        "then run again — nothing was lost"
                    ) from None
                delay = self._backoff(attempt, problem.delay)
                log.warning(
                    "%s failed (%s); retry %d/%d in %.1fs",
                    endpoint,
                    redact(str(problem), [self.settings.api_key]),
                    attempt,
                    tries - 1,
                    delay,
                )
                self._sleep(delay)
        raise AssertionError("unreachable")

    def _attempt(self, endpoint: str, request: Callable[[], Any], parse: Callable[[bytes], T]) -> T:
        token = _current.set(_CallSettings(self.base_url, self.settings.timeout, self._limiter))
        try:
            with contextlib.closing(request()) as handle:
                data = handle.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 429 or exc.code >= 500:
                raise _Retry(f"HTTP {exc.code}", _retry_after(exc)) from None
            raise EntrezError(
                f"PubMed E-utilities at {self.base_url} refused {endpoint}: HTTP {exc.code} "
                f"{exc.reason}; check entrez.base_url and the query"
            ) from None
        except urllib.error.URLError as exc:
            raise _Retry(
                f"cannot connect: {exc.reason}", unreachable=_no_connection(exc.reason)
            ) from None
        except (TimeoutError, ConnectionError, http.client.HTTPException, OSError) as exc:
            raise _Retry(
                f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            ) from None
        finally:
            _current.reset(token)
        if isinstance(data, str):  # Bio.Entrez wraps text/plain replies in a text stream
            data = data.encode("utf-8")
        try:
            return parse(data)
        except ParseError as exc:
            raise _Retry(f"unreadable reply ({exc})") from None

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        s = self.settings
        return backoff_delay(attempt, s.backoff_seconds, s.max_backoff_seconds, retry_after)


def _need_history(result: SearchResult) -> None:
    if not (result.webenv and result.query_key):
        raise EntrezError("esearch returned no WebEnv/QueryKey; cannot use the history server")


def _read_esearch(data: bytes) -> Any:
    try:
        return Entrez.read(io.BytesIO(data))
    except RuntimeError as exc:  # a top-level <ERROR> from NCBI
        message = str(exc).strip()
        if "backend" in message.lower():
            raise ParseError(f"PubMed search backend error: {message}") from None
        raise QueryError(f"PubMed rejected the search: {message}") from None
    except Exception as exc:  # expat errors, truncated or non-XML replies
        raise ParseError(f"esearch reply is not valid XML: {exc}") from None


def _no_connection(reason: object) -> bool:
    """The server could not be reached at all: refused, no route, name not resolved."""
    return isinstance(reason, ConnectionRefusedError | socket.gaierror) or (
        isinstance(reason, OSError)
        and reason.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ECONNREFUSED)
    )


def _entries(section: Any) -> dict[str, tuple[str, ...]]:
    if not section:
        return {}
    return {str(k): tuple(str(v) for v in values) for k, values in dict(section).items()}


def _retry_after(exc: urllib.error.HTTPError) -> float | None:
    return retry_after_seconds(exc.headers.get("Retry-After") if exc.headers else None)
