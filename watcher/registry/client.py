"""Talking to ClinicalTrials.gov's API v2 over httpx, as politely as to PubMed.

``GET {base_url}studies`` with the saved search's ``query.term`` / ``query.intr`` /
``query.cond``, ``fields`` (only the modules we read), ``pageSize`` and ``pageToken`` paging,
``countTotal=true`` and ``format=json``. Around every request: a timeout, a rate limit, and
retries with exponential backoff on 429, 5xx, timeouts, dropped connections and unreadable
JSON, honouring Retry-After. A 400 means the registry rejected the query: no retry, a
:class:`RegistryQueryError` saying how to fix it. The base URL is configurable (a mirror, or
the local registry server in tests and the demo).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from watcher.config import RegistrySettings
from watcher.errors import RegistryError, RegistryQueryError
from watcher.pacing import RateLimiter, backoff_delay, retry_after_seconds
from watcher.registry.parse import StudyPage, parse_page
from watcher.trials import RegistrySearch, Trial

log = logging.getLogger(__name__)

#: The parts of a study we read (watcher.registry.parse); the rest is never sent.
FIELDS = (
    "protocolSection.identificationModule",
    "protocolSection.statusModule",
    "protocolSection.sponsorCollaboratorsModule",
    "protocolSection.conditionsModule",
    "protocolSection.designModule",
    "protocolSection.armsInterventionsModule",
    "protocolSection.outcomesModule",
    "protocolSection.referencesModule",
    "hasResults",
)
MAX_PAGES = 100  # a registry search for one procedure has dozens of studies, not 100 pages


class _Retry(Exception):
    """A transient failure worth another try (after ``delay`` seconds if given)."""

    def __init__(self, reason: str, delay: float | None = None) -> None:
        super().__init__(reason)
        self.delay = delay


class RegistryClient:
    """Searches ClinicalTrials.gov; ``transport`` is httpx's seam (tests pass none: they talk
    to the local registry server over loopback)."""

    def __init__(
        self,
        settings: RegistrySettings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.base_url = settings.base_url.rstrip("/") + "/"
        self._sleep = sleep
        self._limiter = RateLimiter(settings.requests_per_second, clock=clock, sleep=sleep)
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=settings.timeout,
            transport=transport,
            headers={"User-Agent": "mildwatch", "Accept": "application/json"},
            follow_redirects=True,
        )
        self.requests_made = 0

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def page(self, search: RegistrySearch, *, token: str | None = None) -> StudyPage:
        """One page of the search's studies."""
        params: dict[str, Any] = {
            **search.params(),
            "fields": ",".join(FIELDS),
            "pageSize": self.settings.page_size,
            "countTotal": "true",
            "format": "json",
        }
        if not search.params():
            raise RegistryQueryError(
                "the registry search is empty; set one with "
                "`mildwatch trials search set --intr '...'`"
            )
        if token:
            params["pageToken"] = token
        return self._call(params)

    def studies(self, search: RegistrySearch) -> Iterator[StudyPage]:
        """Every page of the search, following ``nextPageToken``."""
        token: str | None = None
        for _ in range(MAX_PAGES):
            page = self.page(search, token=token)
            yield page
            if not page.next_page_token:
                return
            token = page.next_page_token
        raise RegistryError(
            f"the registry search returned more than {MAX_PAGES} pages; narrow it with "
            "`mildwatch trials search set`"
        )

    def search_all(self, search: RegistrySearch) -> list[Trial]:
        """All the search's studies (each NCT id once)."""
        found: dict[str, Trial] = {}
        for page in self.studies(search):
            for trial in page.trials:
                found.setdefault(trial.nct_id, trial)
        return list(found.values())

    def count(self, search: RegistrySearch) -> int:
        """How many studies the search finds (for a librarian trying a query)."""
        page = self.page(search)
        return page.total if page.total is not None else len(page.trials)

    # -- the one place requests are made ----------------------------------------------------

    def _call(self, params: dict[str, Any]) -> StudyPage:
        tries = self.settings.max_tries
        for attempt in range(1, tries + 1):
            self.requests_made += 1
            try:
                return self._attempt(params)
            except _Retry as problem:
                if attempt == tries:
                    times = "once" if tries == 1 else f"{tries} times"
                    raise RegistryError(
                        f"ClinicalTrials.gov at {self.base_url} failed {times} (last: "
                        f"{problem}); check the network and [registry] base_url"
                    ) from None
                s = self.settings
                delay = backoff_delay(
                    attempt, s.backoff_seconds, s.max_backoff_seconds, problem.delay
                )
                log.warning(
                    "registry request failed (%s); retry %d/%d in %.1fs",
                    problem, attempt, tries - 1, delay,
                )  # fmt: skip
                self._sleep(delay)
        raise AssertionError("unreachable")

    def _attempt(self, params: dict[str, Any]) -> StudyPage:
        self._limiter.wait()
        try:
            response = self._http.get("studies", params=params)
        except httpx.TimeoutException:
            raise _Retry(f"no reply within {self.settings.timeout:g}s") from None
        except httpx.TransportError as exc:
            raise _Retry(f"cannot connect: {exc}" if str(exc) else type(exc).__name__) from None
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Retry(f"HTTP {status}", retry_after_seconds(response.headers.get("Retry-After")))
        if status == 400:
            raise RegistryQueryError(
                f"ClinicalTrials.gov rejected the registry search ({_first_line(response)}); "
                "fix it with `mildwatch trials search set`"
            )
        if status != 200:
            raise RegistryError(
                f"ClinicalTrials.gov at {self.base_url} answered HTTP {status} "
                f"{response.reason_phrase}; check [registry] base_url"
            )
        try:
            return parse_page(response.content)
        except RegistryError as exc:
            raise _Retry(f"unreadable reply: {exc}") from None


def _first_line(response: httpx.Response) -> str:
    lines = [line.strip() for line in response.text.splitlines() if line.strip()]
    return (lines[0][:300] if lines else f"HTTP {response.status_code}").rstrip(".")
