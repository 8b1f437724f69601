""" "Evidence on its way" in real digests: trials polled from the local registry double into a
real SQLite file, composed for real subscribers. A change is reported once per subscriber,
a paper says which trial it reports, and a completed trial nobody published is named."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest

from digests.compose import compose_due
from digests.trials import build_trials_view, is_lagging
from tests.digest_factories import (
    DAY,
    NOW,
    SCHEDULE,
    WEEK,
    html_of,
    seed,
    stored_message,
    study,
    subscribe,
    text_of,
)
from watcher.config import MailSettings, RegistrySettings
from watcher.evidence import load_profile
from watcher.localpubmed import SAMPLE_DIR as PUBMED_SAMPLE
from watcher.localregistry import LATER_DIR, SAMPLE_DIR, LocalRegistry
from watcher.pubmed import read_records
from watcher.registry import RegistryClient, parse_study
from watcher.registry.poll import poll_registry
from watcher.store import Store
from watcher.tagging import tag_articles
from watcher.trials import RegistrySearch, TrialLink

SEARCH = RegistrySearch(term='"mild procedure" OR "image-guided lumbar decompression"')


@pytest.fixture
def registry() -> Iterator[LocalRegistry]:
    with LocalRegistry(SAMPLE_DIR) as server:
        yield server


def poll(store: Store, registry: LocalRegistry, at=NOW) -> None:  # type: ignore[no-untyped-def]
    settings = RegistrySettings(base_url=registry.base_url, requests_per_second=1000)
    with RegistryClient(settings) as client:
        assert poll_registry(store, client, now=at, seed=SEARCH).ok


def due(store: Store, mail: MailSettings, at=NOW) -> list[int]:  # type: ignore[no-untyped-def]
    return compose_due(store, now=at, mail=mail, schedule=SCHEDULE)


def section(text: str) -> str:
    start = text.index("EVIDENCE ON ITS WAY")
    return text[start : text.index("WHERE THE EVIDENCE STANDS", start)]


def fitted(text: str) -> list[str]:
    """The lines the text part wraps at 72 columns (a link or unsubscribe address never is)."""
    return [line for line in text.splitlines() if "://" not in line and "mailto:" not in line]


def test_a_change_is_reported_once_to_each_subscriber(
    store: Store, mail: MailSettings, registry: LocalRegistry
) -> None:
    seed(store, [study(99000300, "rct")], at=NOW - WEEK)
    surgeons = [subscribe(store, "a@example.org"), subscribe(store, "b@example.org")]
    poll(store, registry, at=NOW - WEEK)
    baselines = due(store, mail)
    assert len(baselines) == 2
    first = text_of(stored_message(store, baselines[0]))
    assert "Registered trials (6)" in first and "Changed since your last digest" not in first
    assert max(len(line) for line in fitted(first)) <= 72

    registry.add_path(LATER_DIR)
    poll(store, registry, at=NOW + WEEK / 2)
    updates = due(store, mail, NOW + WEEK)
    assert len(updates) == 2  # no new paper, but trial news is worth a mail
    for digest_id in updates:
        assert store.digest(digest_id).subject.endswith(  # type: ignore[union-attr]
            "No new studies; longest follow-up 60 months; 1 trial stopped, 3 trial updates"
        )
        whole = text_of(stored_message(store, digest_id))
        assert max(len(line) for line in fitted(whole)) <= 72
        news = section(whole)
        assert news.count("TERMINATED: [SYNTHETIC] mild procedure versus open laminectomy") == 1
        assert "Reason given: Enrollment too slow" in news
        assert "Study completion slipped from Dec 2026 to Sep 2027." in news
        assert "Results posted on ClinicalTrials.gov (Aug 2025)." in news
        assert "Now recruiting (was not yet recruiting)." in news
    ledger = store.db.execute(
        "SELECT subscriber_id, COUNT(*) FROM delivered_trial_events GROUP BY subscriber_id"
    ).fetchall()
    assert {row[0] for row in ledger} == {s.id for s in surgeons}
    assert all(store.pending_trial_events(s.id) == [] for s in surgeons)

    seed(store, [study(99000301, "cohort")], at=NOW + WEEK + DAY)
    [later_id] = due(store, mail, NOW + 2 * WEEK)[:1]
    later = text_of(stored_message(store, later_id))
    assert "Changed since your last digest" not in later  # told once, never again
    assert "[Terminated]" in later  # the trial still stands in the list


def test_news_in_a_digest_given_up_on_goes_out_with_the_next(
    store: Store, mail: MailSettings, registry: LocalRegistry
) -> None:
    seed(store, [study(99000300, "rct")], at=NOW - WEEK)
    surgeon = subscribe(store)
    poll(store, registry, at=NOW - WEEK)
    due(store, mail)
    registry.add_path(LATER_DIR)
    poll(store, registry, at=NOW + WEEK / 2)
    [lost] = due(store, mail, NOW + WEEK)
    store.mark_failed(lost, error="mailbox full")
    assert len(store.pending_trial_events(surgeon.id)) == 4
    [again] = due(store, mail, NOW + 2 * WEEK)
    assert "TERMINATED:" in section(text_of(stored_message(store, again)))
    assert store.pending_trial_events(surgeon.id) == []


def test_a_paper_says_which_trial_it_reports(
    store: Store, mail: MailSettings, registry: LocalRegistry
) -> None:
    """99000021 names NCT99000102 in its DataBankList; the item carries the trial's state."""
    papers = read_records(PUBMED_SAMPLE / "99000021.xml")
    with store.transaction():
        store.save_articles(papers, run_id=None, now="2026-11-10T00:00:00+00:00")
        tag_articles(store, papers, None, load_profile())
    subscribe(store)
    poll(store, registry, at=NOW - WEEK)
    [digest_id] = due(store, mail)
    message = stored_message(store, digest_id)
    text = " ".join(text_of(message).split())
    assert (
        "Trial: Reports trial NCT99000102 (LIFT-LSS): active, not recruiting; randomised; "
        "140 patients; follow-up planned to 5 years;" in text
    )
    assert "reported in PMID 99000021" in text  # and the trial names its paper
    html = html_of(message)
    assert "<b>Trial:</b> Reports trial NCT99000102" in html
    assert "Evidence on its way" in html and "none of them exists" in html
    assert "SYNTHETIC SAMPLE DATA" in html


def test_a_completed_trial_without_a_publication_is_named_after_twelve_months() -> None:
    finished = parse_study(json.loads((SAMPLE_DIR / "NCT99000105.json").read_text()))
    assert finished.expected_completion == ("2021-09", "ACTUAL")
    assert not is_lagging(finished, False, date(2022, 8, 1))  # eleven months
    assert is_lagging(finished, False, date(2022, 9, 1))
    assert not is_lagging(finished, True, date(2026, 1, 1))  # a report is linked
    view = build_trials_view(
        [finished], [TrialLink("NCT99000105", "99000999", "abstract")], set(), [],
        today=date(2026, 1, 1),
    )  # fmt: skip
    assert view.lagging == ()  # a paper naming it counts, even one not stored here
    lagging = build_trials_view([finished], [], set(), [], today=date(2026, 1, 1)).lagging
    assert [t.nct_id for t in lagging] == ["NCT99000105"]


def test_no_trials_no_section(store: Store, mail: MailSettings) -> None:
    seed(store, [study(99000300, "rct")], at=NOW - WEEK)
    subscribe(store)
    [digest_id] = due(store, mail)
    assert "EVIDENCE ON ITS WAY" not in text_of(stored_message(store, digest_id))
