"""What the digests of one compose run share, worked out once instead of once per subscriber.

Every subscriber's digest of a run draws on the same classified papers, the same studies, the
same landscape (a first digest's is the same for everyone; a later one differs only by what
the subscriber's previous digest said, which many share) and the same items: an item says
the same about its paper to every reader. So ``compose_due`` builds one :class:`Shared` for
the run: the papers are read from the store once (not once per subscriber, which cost
O(articles × subscribers)), each landscape is built once per previous summary, each item
once per paper, the registry's trials once; a subscriber's digest is then a selection from
these. Only what is theirs is per subscriber: which papers they have not received (their ledger: the
coverage sets that covered them, shared too, and the papers shown to them), the news about
papers they received, and their trial news.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from digests.landscape import build_landscape, evidence_studies, is_synthetic, make_item, summarize
from digests.listing import list_landscape
from digests.model import DigestItem, Landscape
from digests.studyview import study_notes
from digests.trials import TrialPlanner, annotate_items
from watcher.collector import collector_held
from watcher.records import Article, Evidence
from watcher.store import Candidate, LandscapeSummary, OutboxEntry, Store, Subscriber

Pair = tuple[Article, Evidence]
T = TypeVar("T")


@dataclass(frozen=True)
class Pool:
    """A subscriber's candidates, and a key that is the same for everyone with the same ones
    (their selection is then made once)."""

    key: Hashable
    candidates: list[Candidate]


@dataclass(frozen=True)
class SharedLandscape:
    """A landscape, and the summary (with its JSON) that digests showing it keep."""

    landscape: Landscape
    summary: dict[str, Any]
    stored: LandscapeSummary  # the summary as JSON, as digest rows keep it


class Shared:
    """The run's papers, studies, landscapes, items and trials (see the module's note)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # Reading every relevant paper and grouping them makes a few hundred thousand objects
        # that live for the run and hold no cycles; the cyclic collector, left on, walked
        # them again and again as they came (a third of reading 7,000 papers).
        with collector_held():
            self.pairs: list[Pair] = store.classified()  # the landscape's relevant papers
            papers = {p.pmid: p for p in store.study_papers()}  # abstracts not reread
            self.grouped = evidence_studies(self.pairs, store.study_decisions(), papers)
            self.notes = study_notes(self.grouped)
        self.synthetic = any(is_synthetic(a) for a, _ in self.pairs)
        self.trials = TrialPlanner(store)
        self._papers: dict[str, Pair] = {a.pmid: (a, e) for a, e in self.pairs}
        self._uncertain_read = False
        self._landscapes: dict[str, SharedLandscape] = {}
        self._previous: dict[str, dict[str, Any]] = {}
        self._items: dict[str, DigestItem] = {}
        self._cited: dict[str, tuple[str, ...]] = {}
        self._pools: dict[Hashable, list[Candidate]] = {}
        self._sets: dict[int, frozenset[str]] = {}
        self._made: dict[Hashable, Any] = {}

    def candidates(self, subscriber: Subscriber) -> Pool:
        """``Store.undelivered`` for S, from the papers already read: the same candidates."""
        if subscriber.min_relevance != "relevant" and not self._uncertain_read:
            self._papers.update((a.pmid, (a, e)) for a, e in self.store.classified(("uncertain",)))
            self._uncertain_read = True
        key: Hashable = (subscriber.min_relevance, tuple(subscriber.searches))
        if key not in self._pools:  # the same for everyone with these searches and relevance
            self._pools[key] = [
                Candidate(*self._papers[pmid], first_seen)
                for pmid, first_seen in self.store.undelivered_pmids(subscriber, ledger=False)
                if pmid in self._papers  # else stored since the run began: it goes out next time
            ]
        received = self.store.received(subscriber.id)
        if received.sets:  # a coverage set is shared, so is the pool without it
            within, key = self._pools[key], (key, received.sets)
            if key not in self._pools:
                covered = frozenset().union(*map(self._coverage_set, received.sets))
                self._pools[key] = [c for c in within if c.article.pmid not in covered]
        if received.shown:  # so is the pool without the papers shown: many got the same ones
            within, key = self._pools[key], (key, received.shown)
            if key not in self._pools:
                self._pools[key] = [c for c in within if c.article.pmid not in received.shown]
        return Pool(key, self._pools[key])

    def _coverage_set(self, set_id: int) -> frozenset[str]:
        if set_id not in self._sets:
            self._sets[set_id] = self.store.coverage_set(set_id)
        return self._sets[set_id]

    def once(self, key: Hashable, make: Callable[[], T]) -> T:
        """``make()``, made once per ``key`` in the run: subscribers who would get the same
        selection (same papers, questions, cap) share one, and its item sections with it, so
        the renderer draws those sections once too (digests.partials keys them by identity)."""
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    def previous(self, last: OutboxEntry) -> dict[str, Any]:
        """The landscape summary ``last`` kept (read once per distinct summary)."""
        key = _summary_key(last)
        if key not in self._previous:
            self._previous[key] = self.store.digest_landscape(last)
        return self._previous[key]

    def landscape(self, last: OutboxEntry | None) -> SharedLandscape:
        """The landscape for a digest after ``last`` (None: a first digest), built once per
        previous summary."""
        key = _summary_key(last)
        if key not in self._landscapes:
            previous = None if last is None else self.previous(last)
            with collector_held():  # (as in __init__: many objects, no cycles, kept)
                land = build_landscape(self.pairs, previous=previous, studies=self.grouped)
            summary = summarize(land, self.grouped)
            stored = LandscapeSummary.of(summary)
            self._landscapes[key] = SharedLandscape(land, summary, stored)
        return self._landscapes[key]

    def listed(self, last: OutboxEntry | None, new: Iterable[str]) -> Landscape:
        """The landscape for a digest after ``last`` as it lists it (digests.listing): the new
        harm reports among ``new`` (the PMIDs the digest brings) always listed. Made once per
        landscape and set of those reports."""
        land = self.landscape(last).landscape
        reported = self.once(
            ("reported", _summary_key(last)),
            lambda: frozenset(r.pmid for group in land.safety.harms for r in group.reports),
        )
        fresh = reported.intersection(new)
        return self.once(("listed", _summary_key(last), fresh), lambda: list_landscape(land, fresh))

    def cited_only(self, pmids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """``Store.found_by_citation_only``, asked once per paper in a run."""
        missing = [p for p in dict.fromkeys(pmids) if p not in self._cited]
        if missing:
            found = self.store.found_by_citation_only(missing)
            self._cited.update((p, found.get(p, ())) for p in missing)
        return {p: self._cited[p] for p in pmids if self._cited[p]}

    def items(self, shown: Iterable[Pair]) -> list[DigestItem]:
        """Each shown paper as an item (with its study note and trial note), made once."""
        shown = list(shown)
        new = [(a, e) for a, e in dict((a.pmid, (a, e)) for a, e in shown).values()
               if a.pmid not in self._items]  # fmt: skip
        if new:
            cited = self.cited_only([a.pmid for a, _ in new])
            made = (
                make_item(a, e, cited.get(a.pmid, ()), study=self.notes.get(a.pmid)) for a, e in new
            )
            self._items.update((item.pmid, item) for item in annotate_items(self.store, made))
        return [self._items[a.pmid] for a, _ in shown]


def _summary_key(last: OutboxEntry | None) -> str:
    """Which previous summary a digest after ``last`` compares with ("": a first digest)."""
    return "" if last is None else (last.landscape_hash or f"digest {last.id}")
