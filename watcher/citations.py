"""Citation tracking: which papers now cite the librarians' key papers.

Each poll asks PubMed's ELink (``pubmed_pubmed_citedin``) about every key paper in one
batched request (ids passed separately, so PubMed answers one LinkSet per key paper), within
the client's rate limit. Citing papers not stored yet are fetched in batches and stored and
classified like any other (the poll's own ``save``). Each saved search is then asked, in one
esearch per search, whether it matches the new citing papers: a search that does gets a hit
(the paper was merely outside its windows); a relevant paper no search matches is a *recall
gap* — "found by citation; no saved search matches it" — shown as such in the digest, in
``mildwatch status`` and in an admin alert. Each citation is recorded once, so a paper is found
once; what could not be fetched is asked again next poll.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from watcher.errors import EntrezError
from watcher.pubmed import EntrezClient
from watcher.records import Article, Search
from watcher.store import Store

log = logging.getLogger(__name__)

CITED_IN = "pubmed_pubmed_citedin"
UID_BATCH = 200  # PMIDs per "is it matched?" esearch


@dataclass
class CitationReport:
    """What one poll's citation step found."""

    key_papers: int
    listed: int = 0  # (key paper, citing paper) links PubMed listed
    new: int = 0  # links seen for the first time, now recorded
    fetched: int = 0
    gaps: list[str] = field(default_factory=list)  # new citing papers that are recall gaps
    error: str | None = None


def track_citations(
    store: Store,
    client: EntrezClient,
    save: Callable[[list[Article]], None],
    *,
    run_id: int | None = None,
    now: str,
) -> CitationReport | None:
    """The citation step of a poll; None when no key paper is marked. Failures are reported
    and logged, never raised: the searches' results stand, and the next poll asks again."""
    keys = store.key_paper_pmids()
    if not keys:
        return None
    report = CitationReport(len(keys))
    try:
        links = client.elink(keys, linkname=CITED_IN)
        listed = {(key, link.pmid) for key, found in links.items() for link in found}
        report.listed = len(listed)
        new = listed - store.known_citations(keys)
        citing = sorted({pmid for _, pmid in new})
        missing = sorted(set(citing) - store.known_pmids(citing))
        for batch in client.fetch_batches(missing):
            save(batch)
            report.fetched += len(batch)
        stored = store.known_pmids(citing)
        unmatched = sorted(stored - store.matched_by_searches(stored))
        for search, matched in matched_by_queries(
            client, store.searches(enabled_only=True), unmatched
        ):
            with store.transaction():
                store.record_hits(search.id, sorted(matched), now=now)
    except EntrezError as exc:
        report.error = f"citation tracking: {exc}"
        log.warning("%s", report.error)
        return report
    kept = [(key, pmid) for key, pmid in sorted(new) if pmid in stored]
    with store.transaction():
        store.record_citations(kept, run_id=run_id, now=now)
    report.new = len(kept)
    fresh = {pmid for _, pmid in kept}
    report.gaps = [g.article.pmid for g in store.recall_gaps() if g.article.pmid in fresh]
    if report.gaps:
        log.warning(
            "found by citation; no saved search matches it: PMID %s", ", ".join(report.gaps)
        )
    return report


def matched_by_queries(
    client: EntrezClient, searches: Iterable[Search], pmids: Sequence[str]
) -> list[tuple[Search, set[str]]]:
    """For each search, which of ``pmids`` its query matches: one esearch per search and
    ``UID_BATCH`` PMIDs (``(query) AND (1[uid] OR 2[uid] …)``). A search PubMed does not run
    as written (ErrorList) matches nothing here: its poll reports it."""
    found = []
    for search in searches:
        matched: set[str] = set()
        for start in range(0, len(pmids), UID_BATCH):
            chunk = pmids[start : start + UID_BATCH]
            ids = " OR ".join(f"{pmid}[uid]" for pmid in chunk)
            result = client.esearch(
                f"({search.query}) AND ({ids})", retmax=len(chunk), usehistory=False
            )
            if not result.problems:
                matched.update(result.ids)
        if matched:
            found.append((search, matched))
    return found
