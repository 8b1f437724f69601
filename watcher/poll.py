"""One poll run: for every enabled saved search, find what PubMed added since the last
window, fetch what we do not have, store and classify it, and only then move the window.

Guarantees (each has a test):

* Nothing lost: a search's watermark advances only in a transaction after every record it
  counted is stored; any failure keeps the old watermark, so the next run repeats the window.
* Nothing fetched twice: PMIDs already stored are never re-fetched for being found again,
  so overlapping windows and several searches finding one paper cost nothing.
* Late records are caught: the window matches the Entrez date *or* the create date
  ([crdt]), because PubMed gives records added long after publication an old Entrez date.
* Updated records are caught: records PubMed revised since the last poll ([mdat]) are
  re-fetched, and a change becomes an ``updated`` / ``retracted`` / ``erratum`` event.
* A query PubMed silently changed (ErrorList: PhraseNotFound, FieldNotFound) is a failed
  search with the reason recorded, never a success.
* A changed query is backfilled over all time (its watermark was reset), and the papers its
  earlier query found that the new one does not match stay stored, marked as no longer
  matched by that search (``search_hits.unmatched_at``).
* Papers citing the librarians' key papers are asked of ELink once per run, in one batched
  request, within the same rate limit (``watcher.citations``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from watcher.citations import CitationReport, track_citations
from watcher.clock import days_before, iso, parse_pubmed_date, pubmed_date, utc_now
from watcher.collector import held_batches
from watcher.errors import EntrezError, PubMedUnreachable
from watcher.pubmed import EntrezClient, SearchResult
from watcher.records import Article, ArticleEvent, PollState, Search
from watcher.store import Store

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): e.g. ("fetch", 400, 1250)."""

OnStored = Callable[[Store, list[Article], int], None]
"""Called inside the transaction that stored a batch (e.g. to classify it)."""


@dataclass(frozen=True)
class SearchOutcome:
    """What one saved search did in a run."""

    name: str
    window: tuple[str, str]
    ok: bool
    count: int = 0
    new: int = 0
    translation: str = ""
    error: str | None = None
    warnings: tuple[str, ...] = ()
    dropped: int = 0  # papers the search's changed query no longer matches


@dataclass
class PollReport:
    run_id: int
    outcomes: list[SearchOutcome] = field(default_factory=list)
    events: list[ArticleEvent] = field(default_factory=list)
    fetched: int = 0
    requests: int = 0
    citations: CitationReport | None = None

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    @property
    def status(self) -> str:
        if not self.outcomes or self.ok:
            return "ok"
        return "failed" if not any(o.ok for o in self.outcomes) else "partial"

    @property
    def problem(self) -> str | None:
        """The failed searches in one line (for the daemon's job state), or None."""
        failed = [f"search {o.name}: {o.error}" for o in self.outcomes if not o.ok]
        return "; ".join(failed) or None

    def count(self, kind: str) -> int:
        return sum(1 for e in self.events if e.kind == kind)

    def counts(self) -> dict[str, int]:
        return {
            "searches": len(self.outcomes),
            "failed_searches": sum(1 for o in self.outcomes if not o.ok),
            "found": sum(o.count for o in self.outcomes),
            "fetched": self.fetched,
            "new": self.count("new"),
            "updated": self.count("updated"),
            "retracted": self.count("retracted"),
            "erratum": self.count("erratum"),
            "requests": self.requests,
            "citations": self.citations.new if self.citations else 0,
            "recall_gaps": len(self.citations.gaps) if self.citations else 0,
        }


@dataclass
class _Planned:
    """A search whose esearch succeeded, waiting for its records to be stored."""

    search: Search
    result: SearchResult
    window: tuple[str, str]
    covered: set[str]
    full: bool = False  # the whole result since backfill_from: what it lacks is unmatched
    # Where the search's coverage starts once this window is stored: backfill_from after a
    # backfill, or for a search polled before coverage was recorded (assumed to have
    # backfilled from today's setting); None leaves it as it is.
    covered_from: str | None = None


def window_term(query: str, start: str, end: str) -> str:
    """The saved query restricted to records that entered PubMed in [start, end]."""
    return f"({query}) AND ({start}:{end}[edat] OR {start}:{end}[crdt])"


def poll(
    store: Store,
    client: EntrezClient,
    *,
    now: datetime | None = None,
    overlap_days: int = 3,
    backfill_from: str = "1990/01/01",
    only: Iterable[str] = (),
    on_stored: OnStored | None = None,
    progress: Progress | None = None,
) -> PollReport:
    """Poll every enabled saved search (or those named in ``only``) once."""
    moment = now or utc_now()
    today = moment.date()
    with store.transaction():
        store.mark_interrupted_runs(now=iso(moment))
        run_id = store.start_run("poll", now=iso(moment))
    run = _Run(store, client, PollReport(run_id), iso(moment), on_stored, progress)
    try:
        return _poll_searches(run, store, client, only, today, overlap_days, backfill_from)
    except BaseException as exc:
        store.abandon_run(run_id, exc, now=iso(utc_now()))
        raise


def _poll_searches(
    run: _Run,
    store: Store,
    client: EntrezClient,
    only: Iterable[str],
    today: date,
    overlap_days: int,
    backfill_from: str,
) -> PollReport:
    run_id = run.report.run_id
    requests_before = client.requests_made
    wanted = set(only)
    searches = [s for s in store.searches(enabled_only=True) if not wanted or s.name in wanted]

    planned: list[_Planned] = []
    modified: set[str] = set()
    unreachable: str | None = None
    for position, search in enumerate(searches, start=1):
        if run.progress:
            run.progress("search", position - 1, len(searches))
        state = store.poll_state(search.id)
        full = _needs_backfill(state, backfill_from)
        start = backfill_from if full else _window_start(state.watermark, today, overlap_days)
        window = (start, pubmed_date(today))
        if unreachable:  # the server answered nobody: do not spend the retries again
            error = f"not tried: PubMed could not be reached ({unreachable})"
            run.report.outcomes.append(run.fail(search, window, error))
            continue
        try:
            result = client.esearch(window_term(search.query, *window))
            if state.watermark and not result.problems:
                modified |= _modified_since(client, search, state.watermark, today)
        except PubMedUnreachable as exc:
            unreachable = str(exc)
            run.report.outcomes.append(run.fail(search, window, str(exc)))
            continue
        except EntrezError as exc:
            run.report.outcomes.append(run.fail(search, window, str(exc)))
            continue
        if result.problems:
            reason = (
                f"PubMed did not run the query as written ({'; '.join(result.problems)}); "
                f"it would have searched something else. Fix it with "
                f"`mildwatch searches test {search.name}`"
            )
            run.report.outcomes.append(run.fail(search, window, reason, result))
            continue
        covered_from = backfill_from if full or state.covered_from is None else None
        planned.append(_Planned(search, result, window, set(result.ids), full, covered_from))

    fetch_error = run.fetch_new(planned)
    for plan in planned:
        run.report.outcomes.append(run.settle(plan, fetch_error))

    revised = sorted(store.known_pmids(modified) - run.fetched)
    if revised:
        try:
            run.fetch(revised)
        except EntrezError as exc:
            log.warning("could not re-fetch %d revised records: %s", len(revised), exc)

    run.report.citations = track_citations(store, client, run.save, run_id=run_id, now=run.stamp)
    report = run.report
    report.requests = client.requests_made - requests_before
    with store.transaction():
        store.finish_run(
            run_id,
            status=report.status,
            counts=report.counts(),
            error="; ".join(f"{o.name}: {o.error}" for o in report.outcomes if o.error) or None,
            now=iso(utc_now()),
        )
    return report


def _needs_backfill(state: PollState, backfill_from: str) -> bool:
    """Poll everything since ``backfill_from``: a search never polled (or whose query changed),
    or one whose coverage starts later than the configured ``backfill_from`` — the setting
    was moved earlier, and the days before the old start were never polled."""
    if state.watermark is None:
        return True
    covered = state.covered_from
    return covered is not None and parse_pubmed_date(backfill_from) < parse_pubmed_date(covered)


def _window_start(watermark: str, today: date, overlap: int) -> str:
    return pubmed_date(min(days_before(parse_pubmed_date(watermark), overlap), today))


def _modified_since(client: EntrezClient, search: Search, watermark: str, today: date) -> set[str]:
    """PMIDs this search matches that PubMed revised since the last successful window."""
    term = f"({search.query}) AND {watermark}:{pubmed_date(today)}[mdat]"
    return set(client.esearch(term, usehistory=False).ids)


@dataclass
class _Run:
    """The state of one poll run, so the steps below need not pass it around."""

    store: Store
    client: EntrezClient
    report: PollReport
    stamp: str
    on_stored: OnStored | None
    progress: Progress | None
    fetched: set[str] = field(default_factory=set)

    def fetch_new(self, planned: list[_Planned]) -> str | None:
        """Fetch the union of new PMIDs once, then page any result past esearch's cap.

        Returns the error that stopped fetching, if any; what was stored stays stored.
        """
        wanted = set().union(*(p.covered for p in planned)) if planned else set()
        new_ids = sorted(wanted - self.store.known_pmids(wanted))
        if len(new_ids) > self.client.settings.batch_size * 5:
            log.info(
                "backfill: %d new records in %d requests",
                len(new_ids),
                self.client.requests_needed(len(new_ids)),
            )
        try:
            self.fetch(new_ids)
            for plan in planned:
                if plan.result.count > len(plan.result.ids):
                    self.page_past_cap(plan)
        except EntrezError as exc:
            return str(exc)
        return None

    def fetch(self, ids: list[str]) -> None:
        done = 0
        if self.progress and ids:
            self.progress("fetch", 0, len(ids))  # the bar shows before the first batch
        for batch in held_batches(self.client.fetch_batches(ids)):
            self.save(batch)
            done += len(batch)
            if self.progress:
                self.progress("fetch", done, len(ids))

    def page_past_cap(self, plan: _Planned) -> None:
        """esearch lists only the first 9,999 ids; the history server pages the rest."""
        for batch in self.client.fetch_history(plan.result, start=len(plan.result.ids)):
            pmids = {a.pmid for a in batch}
            plan.covered |= pmids
            known = self.store.known_pmids(pmids)
            self.save([a for a in batch if a.pmid not in known])
            if self.progress:
                self.progress("page", len(plan.covered), plan.result.count)

    def save(self, articles: list[Article]) -> None:
        with self.store.transaction():
            events = self.store.save_articles(articles, run_id=self.report.run_id, now=self.stamp)
            if self.on_stored:
                self.on_stored(self.store, articles, self.report.run_id)
        self.report.events.extend(events)
        self.report.fetched += len(articles)
        self.fetched |= {a.pmid for a in articles}

    def settle(self, plan: _Planned, fetch_error: str | None) -> SearchOutcome:
        """Advance the search's watermark if, and only if, all it counted is stored."""
        result, search = plan.result, plan.search
        missing = plan.covered - self.store.known_pmids(plan.covered)
        if missing:
            error = (
                f"{len(missing)} of the records PubMed listed could not be fetched "
                f"(e.g. PMID {min(missing)})" + (f": {fetch_error}" if fetch_error else "")
            )
            return self.fail(search, plan.window, error, result)
        if len(plan.covered) < result.count:
            error = (
                f"esearch counted {result.count} records but only {len(plan.covered)} "
                "could be listed" + (f": {fetch_error}" if fetch_error else "")
            )
            return self.fail(search, plan.window, error, result)
        dropped = 0
        with self.store.transaction():
            self.store.record_hits(search.id, sorted(plan.covered), now=self.stamp)
            if plan.full:
                dropped = self.store.mark_unmatched(search.id, plan.covered, now=self.stamp)
            self.store.record_poll_success(
                search.id,
                watermark=plan.window[1],
                count=result.count,
                translation=result.translation,
                now=self.stamp,
                covered_from=plan.covered_from,
            )
        return SearchOutcome(
            search.name,
            plan.window,
            ok=True,
            count=result.count,
            new=len(plan.covered & self.fetched),
            translation=result.translation,
            warnings=tuple(result.notes),
            dropped=dropped,
        )

    def fail(
        self,
        search: Search,
        window: tuple[str, str],
        error: str,
        result: SearchResult | None = None,
    ) -> SearchOutcome:
        """Record the failure and keep the watermark: the next run repeats the window."""
        log.error("search %s failed: %s", search.name, error)
        with self.store.transaction():
            self.store.record_poll_failure(search.id, error=error, now=self.stamp)
        return SearchOutcome(
            search.name,
            window,
            ok=False,
            count=result.count if result else 0,
            translation=result.translation if result else "",
            error=error,
            warnings=tuple(result.notes) if result else (),
        )
