"""What a query change would do, before it is made: the papers the new query adds and drops
compared with the current one, over all time, each with its title and the classifier's verdict.

It costs a handful of requests, not one per record: one esearch per query on the history
server (``usehistory=y``; ids past esearch's 9,999 are paged from the history server as
``uilist``), then batched efetch for the papers not stored yet, at most ``fetch_limit`` of
them. Nothing is written: papers fetched to be judged are classified in memory and not
stored, because a stored paper is a digest candidate and the change may never be saved. If
it is saved, the next poll fetches what the new query matches (``watcher.poll``).
"""

from __future__ import annotations

from dataclasses import dataclass

from watcher.errors import QueryError
from watcher.evidence import Profile, classify
from watcher.pubmed import EntrezClient, SearchResult
from watcher.pubmed.client import ESEARCH_CAP
from watcher.records import Article
from watcher.searches import check_syntax
from watcher.store import Store

FETCH_LIMIT = 500
_RELEVANCE_ORDER = {"relevant": 0, "uncertain": 1, "not_relevant": 2, None: 3}


@dataclass(frozen=True)
class DiffEntry:
    """One paper a change adds or drops, and what the classifier makes of it."""

    pmid: str
    title: str = ""  # safe HTML fragment; "" when it was not fetched (over the limit)
    year: int | None = None
    relevance: str | None = None
    design: str | None = None
    stored: bool = False


@dataclass(frozen=True)
class QueryDiff:
    old_query: str
    new_query: str
    old_count: int
    new_count: int
    translation: str  # PubMed's translation of the new query
    added: tuple[DiffEntry, ...]
    dropped: tuple[DiffEntry, ...]
    fetched: int  # papers fetched to be judged (not stored)
    requests: int
    warnings: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.added or self.dropped)

    @property
    def dropped_relevant(self) -> int:
        return sum(e.relevance == "relevant" for e in self.dropped)


def all_ids(client: EntrezClient, query: str) -> tuple[SearchResult, list[str]]:
    """Every PMID a query matches, over all time: esearch on the history server, then the ids
    past esearch's cap paged from it. Raises QueryError if PubMed did not run it as written."""
    result = client.esearch(query, retmax=ESEARCH_CAP, usehistory=True)
    if result.problems:
        raise QueryError(
            f"PubMed did not run the query as written ({'; '.join(result.problems)}); "
            f"PubMed's translation: {result.translation or '(none)'}. Nothing was changed"
        )
    ids = list(result.ids)
    if result.count > len(ids):
        ids.extend(client.history_ids(result, start=len(ids)))
    return result, ids


def diff_query(
    store: Store,
    client: EntrezClient,
    profile: Profile,
    old_query: str,
    new_query: str,
    *,
    fetch_limit: int = FETCH_LIMIT,
) -> QueryDiff:
    """Compare two queries over all of PubMed; see the module docstring for the cost."""
    new_query = check_syntax(new_query)
    before = client.requests_made
    new_result, new_ids = all_ids(client, new_query)
    warnings = list(new_result.notes)
    try:
        old_result, old_ids = all_ids(client, old_query)
    except QueryError as exc:  # the saved query broke since: everything counts as added
        old_result, old_ids = None, []
        warnings.append(f"the current query no longer runs as written: {exc}")
    old, new = set(old_ids), set(new_ids)
    added, dropped = sorted(new - old, key=int), sorted(old - new, key=int)
    judged, fetched = _judge(store, client, profile, [*added, *dropped], fetch_limit)
    return QueryDiff(
        old_query=old_query,
        new_query=new_query,
        old_count=old_result.count if old_result else 0,
        new_count=new_result.count,
        translation=new_result.translation,
        added=_ordered(judged[pmid] for pmid in added),
        dropped=_ordered(judged[pmid] for pmid in dropped),
        fetched=fetched,
        requests=client.requests_made - before,
        warnings=tuple(warnings),
    )


def _judge(
    store: Store, client: EntrezClient, profile: Profile, pmids: list[str], limit: int
) -> tuple[dict[str, DiffEntry], int]:
    """Title and verdict per PMID: stored evidence where there is some, else the classifier
    on the stored or freshly fetched record (fetched in batches, kept in memory only)."""
    stored = {a.pmid: a for a in store.articles(pmids)}
    missing = [p for p in pmids if p not in stored][:limit]
    fresh = {a.pmid: a for batch in client.fetch_batches(missing) for a in batch}
    judged = {pmid: DiffEntry(pmid) for pmid in pmids}
    for pmid, article in [*stored.items(), *fresh.items()]:
        evidence = store.evidence(pmid) if pmid in stored else None
        evidence = evidence or classify(article, profile)
        judged[pmid] = _entry(article, evidence.relevance, evidence.design, pmid in stored)
    return judged, len(fresh)


def _entry(article: Article, relevance: str, design: str, stored: bool) -> DiffEntry:
    return DiffEntry(article.pmid, article.title, article.pub_year, relevance, design, stored)


def _ordered(entries: object) -> tuple[DiffEntry, ...]:
    """Relevant papers first (what a librarian must not lose), newest PMID first."""
    return tuple(
        sorted(entries, key=lambda e: (_RELEVANCE_ORDER.get(e.relevance, 3), -int(e.pmid)))  # type: ignore[arg-type]
    )
