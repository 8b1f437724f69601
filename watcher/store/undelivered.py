"""What a subscriber has not yet received: new papers, and news about papers they have.

Both read the ledgers the outbox writes (see ``outbox.py``): a classified article is a
candidate for subscriber S until a ``deliveries`` row says a digest showed it to S or a
``covered`` row links S to a coverage set holding it (``coverage.py``), and an event about a
paper S received (retraction, erratum, update) is news until a ``delivered_events`` row says a
digest told S about it. Which candidates and news go into a digest is for ``digests.compose``
to say.

A paper that every search which found it has since dropped (a librarian changed the query;
``search_hits.unmatched_at``) is no longer a candidate, unless it was found by citation: a
surgeon expects the digest to follow the searches as they are now, so a paper the librarian
deliberately excluded does not arrive late, for the first time, after the change.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from watcher.records import Article, ArticleEvent, Evidence
from watcher.store.articles import article_from_row
from watcher.store.base import StoreBase
from watcher.store.subscribers import RELEVANCE_LEVELS, Subscriber


@dataclass(frozen=True)
class Candidate:
    """A classified article a subscriber has not received."""

    article: Article
    evidence: Evidence
    first_seen: str


@dataclass(frozen=True)
class Received:
    """What S's ledger holds: the PMIDs digests showed S, and the coverage sets (ids) that
    covered S for the rest."""

    shown: frozenset[str]
    sets: tuple[int, ...]


@dataclass(frozen=True)
class PendingNews:
    """News (retraction, erratum, update) about a paper the subscriber already received."""

    event_id: int
    event: ArticleEvent
    article: Article


# In S's ledger: shown to S, or in a set that covered S (the query asks for NOT this).
_RECEIVED = (
    "(EXISTS (SELECT 1 FROM deliveries d WHERE d.subscriber_id = ? AND d.pmid = a.pmid)"
    " OR EXISTS (SELECT 1 FROM covered c JOIN coverage_pmids p ON p.set_id = c.set_id"
    " WHERE c.subscriber_id = ? AND p.pmid = a.pmid))"
)

# Found by searches only, and every one of them has dropped it since (see the module's note).
_DROPPED = (
    "(EXISTS (SELECT 1 FROM search_hits h WHERE h.pmid = a.pmid)"
    " AND NOT EXISTS (SELECT 1 FROM search_hits h WHERE h.pmid = a.pmid"
    " AND h.unmatched_at IS NULL)"
    " AND NOT EXISTS (SELECT 1 FROM citations c WHERE c.citing_pmid = a.pmid))"
)


def _undelivered(
    subscriber: Subscriber, columns: str, *, ledger: bool = True
) -> tuple[str, list[Any]]:
    """The query for ``undelivered``: classified articles not in S's ledger (``ledger``:
    else whether delivered or not), in S's searches, at S's relevance."""
    relevance = RELEVANCE_LEVELS[: RELEVANCE_LEVELS.index(subscriber.min_relevance) + 1]
    params: list[Any] = [subscriber.id] * 2 if ledger else []
    params.extend(relevance)
    search_clause = ""
    if subscriber.searches:
        marks = ",".join("?" * len(subscriber.searches))
        search_clause = (
            " AND a.pmid IN (SELECT h.pmid FROM search_hits h JOIN searches s"
            f" ON s.id = h.search_id WHERE s.name IN ({marks}) AND h.unmatched_at IS NULL)"
        )
        params.extend(subscriber.searches)
    sql = (
        f"SELECT {columns} FROM articles a JOIN evidence e ON e.pmid = a.pmid"
        + (f" WHERE NOT {_RECEIVED} AND" if ledger else " WHERE")
        + f" e.relevance IN ({','.join('?' * len(relevance))}){search_clause}"
        f" AND NOT {_DROPPED}"
        " ORDER BY a.first_seen, a.pmid"
    )
    return sql, params


class UndeliveredQueries(StoreBase):
    def undelivered(self, subscriber: Subscriber) -> list[Candidate]:
        """Classified articles not in the subscriber's ledger, within their searches."""
        rows = self._all(*_undelivered(subscriber, "a.*, e.data AS evidence_data"))
        return [
            Candidate(
                article_from_row(r),
                Evidence.from_dict(json.loads(r["evidence_data"])),
                r["first_seen"],
            )
            for r in rows
        ]

    def undelivered_pmids(
        self, subscriber: Subscriber, *, ledger: bool = True
    ) -> list[tuple[str, str]]:
        """``undelivered`` as (PMID, first seen) only: for a caller that already holds the
        articles (composing for many subscribers builds each Article once, not per reader).
        ``ledger=False``: whether S received them or not, the same for everyone with S's
        searches and relevance (the caller takes what ``received`` names away)."""
        sql, params = _undelivered(subscriber, "a.pmid, a.first_seen", ledger=ledger)
        return [tuple(row) for row in self.db.execute(sql, params)]  # type: ignore[misc]

    def received(self, subscriber_id: int) -> Received:
        """S's ledger as stored: the papers shown, and the sets that covered the rest."""
        shown = self.db.execute(
            "SELECT pmid FROM deliveries WHERE subscriber_id = ?", (subscriber_id,)
        )
        sets = self.db.execute(
            "SELECT DISTINCT set_id FROM covered WHERE subscriber_id = ? ORDER BY set_id",
            (subscriber_id,),
        )
        return Received(frozenset(r[0] for r in shown), tuple(r[0] for r in sets))

    def coverage_set(self, set_id: int) -> frozenset[str]:
        """The PMIDs of one coverage set (``received`` names them)."""
        rows = self.db.execute("SELECT pmid FROM coverage_pmids WHERE set_id = ?", (set_id,))
        return frozenset(r[0] for r in rows)

    def pending_news(self, subscriber_id: int, kinds: Sequence[str]) -> list[PendingNews]:
        """Events about papers the subscriber received, that happened after they received
        them, and that no digest has told them yet.

        Papers covered without being shown (the rest of a baseline, overflow) only make news
        when retracted: the landscape the subscriber saw counted them.
        """
        marks = ",".join("?" * len(kinds))
        fields = "ev.id AS event_id, ev.kind, ev.at, ev.detail, ev.run_id, a.*"
        untold = (
            "NOT EXISTS (SELECT 1 FROM delivered_events x WHERE x.subscriber_id = ?"
            " AND x.event_id = ev.id)"
        )
        sql = (
            f"SELECT {fields} FROM article_events ev"
            " JOIN deliveries d ON d.pmid = ev.pmid AND d.subscriber_id = ?"
            " JOIN digests g ON g.id = d.digest_id"
            " JOIN articles a ON a.pmid = ev.pmid"
            f" WHERE ev.kind IN ({marks}) AND ev.at > g.created_at"
            f" AND (d.shown = 1 OR ev.kind = 'retracted') AND {untold}"
        )
        params: list[Any] = [subscriber_id, *kinds, subscriber_id]
        if "retracted" in kinds:  # retractions of covered papers: from the few retractions
            sql += (
                f" UNION SELECT {fields} FROM article_events ev"
                " JOIN coverage_pmids p ON p.pmid = ev.pmid"
                " JOIN covered c ON c.set_id = p.set_id AND c.subscriber_id = ?"
                " JOIN digests g ON g.id = c.digest_id"
                " JOIN articles a ON a.pmid = ev.pmid"
                f" WHERE ev.kind = 'retracted' AND ev.at > g.created_at AND {untold}"
            )
            params += [subscriber_id, subscriber_id]
        rows = self._all(sql + " ORDER BY event_id", params)
        return [
            PendingNews(
                r["event_id"],
                ArticleEvent(r["pmid"], r["kind"], r["at"], r["detail"], r["run_id"]),
                article_from_row(r),
            )
            for r in rows
        ]
