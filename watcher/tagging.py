"""Tagging stored articles: run the pure classifier and keep its result in the store.

Polls and imports tag what they store in the same transaction; ``reclassify`` re-tags
everything a new classifier or profile version would tag differently, and logs what changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from watcher.clock import iso, utc_now
from watcher.collector import held_batches
from watcher.evidence import CLASSIFIER_VERSION, Profile, classify
from watcher.records import Article
from watcher.regroup import regroup
from watcher.store import Store
from watcher.studypapers import facts_of

log = logging.getLogger(__name__)

BATCH = 200


def tag_articles(
    store: Store, articles: Sequence[Article], run_id: int | None, profile: Profile
) -> int:
    """Classify and store; call inside the transaction that stored ``articles``. A relevant
    paper's facts for study grouping are read now, from the record in hand, so the regroup
    after reads them instead of every record."""
    now = iso(utc_now())
    changed = 0
    for article in articles:
        evidence = classify(article, profile)
        if store.save_evidence(evidence, run_id=run_id, now=now):
            changed += 1
        if evidence.relevance == "relevant":
            store.save_paper_facts(facts_of(article, evidence.design))
    return changed


def tagger(profile: Profile) -> Callable[[Store, list[Article], int], None]:
    """The poller's ``on_stored`` hook for ``profile``."""

    def on_stored(store: Store, articles: list[Article], run_id: int) -> None:
        tag_articles(store, articles, run_id, profile)

    return on_stored


@dataclass
class ReclassifyReport:
    run_id: int
    classified: int = 0
    changed: list[dict] = field(default_factory=list)


def reclassify(
    store: Store,
    profile: Profile,
    *,
    everything: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> ReclassifyReport:
    """Re-tag articles tagged by another classifier or profile version (or all of them).

    Works in batches, each its own transaction: an interrupted run resumes where it stopped,
    because finished articles already carry the new version. The study groups are recomputed
    at the end; the librarians' decisions (by PMID) apply again.
    """
    pmids = (
        store.all_pmids()
        if everything
        else store.needs_classification(CLASSIFIER_VERSION, profile.version)
    )
    with store.transaction():
        report = ReclassifyReport(store.start_run("reclassify", now=iso(utc_now())))
    batches = (store.articles(pmids[at : at + BATCH]) for at in range(0, len(pmids), BATCH))
    for articles in held_batches(batches):
        with store.transaction():
            tag_articles(store, articles, report.run_id, profile)
        report.classified += len(articles)
        if progress:
            progress("classify", report.classified, len(pmids))
    report.changed = store.evidence_changes(run_id=report.run_id)
    with store.transaction():
        regroup(store, now=iso(utc_now()))
        store.finish_run(
            report.run_id,
            status="ok",
            counts={"classified": report.classified, "changed": len(report.changed)},
            error=None,
            now=iso(utc_now()),
        )
    return report
