"""One registry poll: run the saved registry search, compare each study with the snapshot we
hold, and store the new snapshot, its events and the paper ↔ trial links in ONE transaction.

Guarantees (each has a test):

* Nothing half-stored: every page is fetched and read before anything is written; a failure
  (unreachable, HTTP 400, a malformed reply after its retries) stores no trial and no event,
  so the next poll sees the same changes again.
* Each change recorded once: the snapshot and the events that led to it are committed
  together, so the next poll compares against a snapshot that already holds the change.
* Papers and trials are linked both ways: a PMID the registry lists as reporting the trial,
  and a trial's NCT id in a paper's DataBankList, title or abstract
  (``Article.trial_registrations``).
* A failure is one line in the report, counted in ``registry_state`` (the admin is alerted
  when it keeps failing); the PubMed side never depends on it.

This is the intake step of the registry watcher: the only part of ``watcher.registry`` that
uses the store.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from watcher.clock import iso, utc_now
from watcher.errors import ConfigError, RegistryError
from watcher.registry.changes import trial_events
from watcher.registry.client import RegistryClient
from watcher.searches import read_profile
from watcher.store import Store
from watcher.store.trials import REPORT_KINDS
from watcher.trials import RegistrySearch, Trial, TrialEvent, TrialLink

log = logging.getLogger(__name__)

SEEDED_BY = "mildwatch"


@dataclass
class RegistryReport:
    """What one registry poll did."""

    run_id: int
    search: RegistrySearch | None = None
    found: int = 0
    events: list[TrialEvent] = field(default_factory=list)
    new_links: int = 0
    requests: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def counts(self) -> dict[str, int]:
        kinds = {e.kind for e in self.events}
        return {
            "trials": self.found,
            "links": self.new_links,
            "requests": self.requests,
            **{kind: sum(e.kind == kind for e in self.events) for kind in sorted(kinds)},
        }


def profile_registry_search(path: Path) -> RegistrySearch | None:
    """The ``[registry]`` table of a topic profile (term / intr / cond), or None."""
    table = read_profile(path).get("registry")
    if table is None:
        return None
    if not isinstance(table, dict) or set(table) - {"term", "intr", "cond"}:
        raise ConfigError(f"{path}: [registry] may hold only term, intr and cond (strings)")
    search = RegistrySearch(**{key: str(value) for key, value in table.items()})
    return search if search.params() else None


def seed_registry_search(store: Store, seed: RegistrySearch | None, *, now: str) -> None:
    """Save the profile's registry search if the database has none yet (never overwrites)."""
    if seed is not None and store.registry_search() is None:
        store.save_registry_search(
            seed, author=SEEDED_BY, reason="seeded from the topic profile", now=now
        )


def registry_links(trials: list[Trial]) -> list[TrialLink]:
    """Links from the registry side: the PMIDs a trial record lists as its reports."""
    return [
        TrialLink(trial.nct_id, ref.pmid, "registry")
        for trial in trials
        for ref in trial.references
        if ref.kind in REPORT_KINDS
    ]


def article_links(store: Store) -> list[TrialLink]:
    """Links from the papers' side: ClinicalTrials.gov ids the stored papers name."""
    return [
        TrialLink(registration.id, article.pmid, registration.source)
        for article in store.articles_naming_trials()
        for registration in article.trial_registrations
        if registration.registry == "ClinicalTrials.gov"
    ]


def poll_registry(
    store: Store,
    client: RegistryClient,
    *,
    now: datetime | None = None,
    seed: RegistrySearch | None = None,
) -> RegistryReport:
    """Run the saved registry search once and store what changed (see the module docstring)."""
    stamp = iso(now or utc_now())
    with store.transaction():
        run_id = store.start_run("registry", now=stamp)
    seed_registry_search(store, seed, now=stamp)
    report = RegistryReport(run_id, search=store.registry_search())
    requests_before = client.requests_made
    try:
        if report.search is None:
            raise RegistryError(
                "no registry search is saved; set one with `mildwatch trials search set "
                "--term '...'` (or add a [registry] table to the topic profile)"
            )
        trials = client.search_all(report.search)
    except RegistryError as exc:
        report.error = f"{exc}; nothing was stored, the PubMed side is not affected"
        log.info("registry poll failed: %s", exc)  # the caller reports it (one line)
        with store.transaction():  # papers stored meanwhile still get their trial links
            report.new_links = store.link_trials(article_links(store), now=stamp)
    else:
        previous = {t.nct_id: t for t in store.trials()}
        events = [e for t in trials for e in trial_events(previous.get(t.nct_id), t, at=stamp)]
        with store.transaction():
            report.events = store.save_trial_snapshot(trials, events, run_id=run_id, now=stamp)
            report.new_links = store.link_trials(
                registry_links(trials) + article_links(store), now=stamp
            )
        report.found = len(trials)
    report.requests = client.requests_made - requests_before
    with store.transaction():
        store.record_registry_poll(error=report.error, count=report.found, now=stamp)
        store.finish_run(
            run_id,
            status="ok" if report.ok else "failed",
            counts=report.counts(),
            error=report.error,
            now=iso(utc_now()),
        )
    return report
