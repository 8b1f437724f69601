"""Digests count trials, not papers: composed on a real SQLite file from records tagged by the
real classifier. A trial's reports count once in the baseline; its next report says which
study it reports and moves the trial's longest follow-up, told in the next digest exactly
once; a librarian's decision reaches the next digest."""

from __future__ import annotations

from datetime import date, datetime

from digests.compose import compose_due
from tests.digest_factories import (
    DAY,
    NOW,
    SCHEDULE,
    WEEK,
    item_pmids,
    ledger,
    seed,
    stored_message,
    subscribe,
    text_of,
)
from tests.study_factories import other_study, trial_report
from watcher.clock import iso
from watcher.config import MailSettings
from watcher.regroup import split
from watcher.store import Store


def digest_text(store: Store, mail: MailSettings, at: datetime) -> tuple[str, str]:
    """Compose what is due at ``at``; (subject, the text part on one line)."""
    (digest_id,) = compose_due(store, now=at, mail=mail, schedule=SCHEDULE)
    entry = store.digest(digest_id)
    assert entry is not None
    return entry.subject, " ".join(text_of(stored_message(store, digest_id)).split())


def test_a_new_report_moves_its_trials_follow_up_and_is_told_once(
    store: Store, mail: MailSettings
) -> None:
    seed(
        store,
        [
            trial_report(99006001, 12, date(2024, 3, 1), named=True, registered=False),
            trial_report(99006002, 24, date(2025, 3, 1), named=True, registered=True),
            other_study(99006009, date(2025, 6, 1)),
        ],
        at=NOW - WEEK,
    )
    surgeon = subscribe(store)
    subject, baseline = digest_text(store, mail, NOW)
    assert "Where the evidence stands: 2 studies" in subject
    assert "Randomized trials: 1 (2 reports; 240 patients randomized)" in baseline
    assert "Randomized controlled trial 1 (2 reports)" in baseline
    # The baseline shows the trial once, by its strongest report, naming the other one.
    assert item_pmids(text_of(stored_message(store, 1))) == ["99006002", "99006009"]
    assert "Study: 2-year report of HARBOR-2 (NCT01110001); earlier: 1-year (PMID 99006001)" in (
        baseline
    )
    assert "now 24 months" not in baseline and set(ledger(store, surgeon)) >= {"99006001"}

    seed(
        store,
        [trial_report(99006003, 60, date(2026, 11, 24), named=False, registered=True)],
        at=NOW + 2 * DAY,
    )
    subject, update = digest_text(store, mail, NOW + WEEK)
    assert "1 new report of a known study" in subject and "new study" not in subject
    assert (
        "Study: 5-year report of HARBOR-2 (NCT01110001); earlier: 1-year (PMID 99006001), "
        "2-year (PMID 99006002)" in update
    )
    assert update.count("HARBOR-2: now 60 months, was 24") == 1
    assert "Randomized trials: 1 (3 reports; 240 patients randomized)" in update
    assert "Longest follow-up: 60 months - HARBOR-2" in update

    seed(store, [other_study(99006010, date(2026, 11, 30))], at=NOW + WEEK + DAY)
    _, later = digest_text(store, mail, NOW + 2 * WEEK)
    assert "now 60 months" not in later and "was 24" not in later  # told once
    assert "99006003" not in item_pmids(text_of(stored_message(store, 3)))
    assert "Randomized trials: 1 (3 reports; 240 patients randomized)" in later


def test_a_librarians_split_reaches_the_next_digest(store: Store, mail: MailSettings) -> None:
    seed(
        store,
        [
            trial_report(99006101, 12, date(2024, 3, 1), named=False, registered=False),
            trial_report(99006102, 24, date(2025, 3, 1), named=False, registered=False),
        ],
        at=NOW - WEEK,
    )
    subscribe(store)
    # Same design, size and authors: joined, but only as "probably the same study".
    _, baseline = digest_text(store, mail, NOW)
    assert "Randomized trials: 1 (2 reports; 240 patients randomized)" in baseline
    assert "probably one study" in baseline
    split(store, ["99006102"], author="ann", reason="two trials", now=iso(NOW))
    seed(store, [other_study(99006110, date(2026, 11, 25))], at=NOW + DAY)
    _, update = digest_text(store, mail, NOW + WEEK)
    assert "Randomized trials: 2 (480 patients randomized)" in update
    assert "probably one study" not in update
