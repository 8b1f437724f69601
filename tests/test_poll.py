"""Polling, end to end: Biopython's real client → local E-utilities → parse → SQLite."""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.factories import client_for, record, xml
from watcher.localpubmed import Fault, LocalPubMed
from watcher.poll import poll, window_term
from watcher.records import Correction
from watcher.store import Store

QUERY = '"lumbar decompression"[tiab] AND stenosis[tiab]'
NEAR_MISS = (("", "Mild cognitive impairment in older adults: a memory clinic cohort."),)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


@pytest.fixture
def pubmed() -> Iterator[LocalPubMed]:
    with LocalPubMed() as server:
        yield server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "m.db") as opened:
        opened.add_search("mild", QUERY, author="test", reason="test")
        yield opened


def stored(store: Store) -> set[str]:
    return {r[0] for r in store.db.execute("SELECT pmid FROM articles")}


def test_window_term_catches_entrez_and_create_dates() -> None:
    assert window_term("x[tiab]", "2026/01/01", "2026/01/31") == (
        "(x[tiab]) AND (2026/01/01:2026/01/31[edat] OR 2026/01/01:2026/01/31[crdt])"
    )


def test_incremental_polls_pick_up_exactly_the_records_that_entered_the_window(
    pubmed: LocalPubMed, store: Store
) -> None:
    pubmed.add_xml(
        xml(
            [
                record(99000101, date(2024, 6, 1)),
                record(99000102, date(2026, 1, 10)),
                record(99000103, date(2026, 2, 10)),
                record(99000104, date(2026, 2, 12), abstract=NEAR_MISS, title="Memory"),
            ]
        )
    )
    client = client_for(pubmed)

    first = poll(store, client, now=at(date(2026, 1, 31)))
    assert first.ok and stored(store) == {"99000101", "99000102"}
    assert store.poll_state(1).watermark == "2026/01/31"

    second = poll(store, client, now=at(date(2026, 2, 28)))
    assert second.ok
    assert second.outcomes[0].window == ("2026/01/28", "2026/02/28")  # 3 days of overlap
    assert [e.pmid for e in second.events if e.kind == "new"] == ["99000103"]
    assert stored(store) == {"99000101", "99000102", "99000103"}  # the near-miss never matched
    runs = store.recent_runs()
    assert [(r.status, r.counts["new"]) for r in runs] == [("ok", 1), ("ok", 2)]


def test_a_poll_with_nothing_new_makes_no_efetch(pubmed: LocalPubMed, store: Store) -> None:
    pubmed.add_xml(xml([record(99000201, date(2026, 3, 1))]))
    client = client_for(pubmed)
    poll(store, client, now=at(date(2026, 3, 2)))
    pubmed.clear_log()
    again = poll(store, client, now=at(date(2026, 3, 3)))  # overlap re-finds 99000201
    assert again.ok and again.outcomes[0].count == 1 and again.fetched == 0
    assert pubmed.requests("efetch") == []


def test_u_new_records_cost_ceil_u_over_batch_efetches(pubmed: LocalPubMed, store: Store) -> None:
    pubmed.add_xml(xml(record(99100000 + i, date(2026, 4, 1)) for i in range(450)))
    report = poll(store, client_for(pubmed, batch_size=200), now=at(date(2026, 4, 2)))
    assert report.count("new") == 450
    assert len(pubmed.requests("efetch")) == 3  # ⌈450 / 200⌉
    assert len(pubmed.requests("esearch")) == 1  # first run: no revision check needed


def test_several_searches_finding_one_paper_fetch_it_once(
    pubmed: LocalPubMed, store: Store
) -> None:
    store.add_search("stenosis", "stenosis[tiab]", author="test", reason="test")
    pubmed.add_xml(xml([record(99000301, date(2026, 5, 1))]))
    report = poll(store, client_for(pubmed), now=at(date(2026, 5, 2)))
    assert [o.new for o in report.outcomes] == [1, 1]
    assert len(pubmed.requests("efetch")) == 1
    hits = store.db.execute("SELECT COUNT(*) FROM search_hits WHERE pmid = '99000301'").fetchone()
    assert hits == (2,)


def test_records_added_late_are_caught_by_their_create_date(
    pubmed: LocalPubMed, store: Store
) -> None:
    client = client_for(pubmed)
    poll(store, client, now=at(date(2026, 6, 1)))
    # Published (and Entrez-dated) in 2019, but only added to PubMed now.
    pubmed.add_xml(xml([record(99000401, date(2019, 3, 1), created=date(2026, 6, 10))]))
    report = poll(store, client, now=at(date(2026, 6, 11)))
    assert [e.pmid for e in report.events] == ["99000401"]


def test_error_list_fails_the_search_and_keeps_the_watermark(
    pubmed: LocalPubMed, store: Store
) -> None:
    pubmed.add_xml(xml([record(99000501, date(2026, 7, 1))]))
    client = client_for(pubmed)
    poll(store, client, now=at(date(2026, 7, 2)))
    store.update_search("mild", query="decompression[tiabx]", author="t", reason="typo")
    report = poll(store, client, now=at(date(2026, 7, 20)))
    (outcome,) = report.outcomes
    assert not outcome.ok and report.status == "failed"
    assert "FieldNotFound 'tiabx'" in outcome.error
    assert "mildwatch searches test mild" in outcome.error
    state = store.poll_state(1)
    assert state.watermark == "2026/07/02" and state.consecutive_failures == 1
    assert "FieldNotFound" in store.recent_runs()[0].error


def test_http_errors_then_success_lose_nothing(pubmed: LocalPubMed, store: Store) -> None:
    pubmed.add_xml(xml(record(99000600 + i, date(2026, 8, 1)) for i in range(5)))
    pubmed.inject(Fault(endpoint="esearch", status=429), Fault(endpoint="efetch", status=500))
    report = poll(store, client_for(pubmed), now=at(date(2026, 8, 2)))
    assert report.ok and report.count("new") == 5
    assert store.poll_state(1).watermark == "2026/08/02"


def test_failed_fetch_keeps_the_window_and_the_next_run_completes_it(
    pubmed: LocalPubMed, store: Store
) -> None:
    pubmed.add_xml(xml(record(99000700 + i, date(2026, 9, 1)) for i in range(5)))
    client = client_for(pubmed, batch_size=2)
    pubmed.inject(Fault(endpoint="efetch"), Fault(endpoint="efetch", status=500, times=3))
    report = poll(store, client, now=at(date(2026, 9, 2)))
    assert not report.ok and "could not be fetched" in report.outcomes[0].error
    assert len(stored(store)) == 2  # the first batch is kept...
    assert store.poll_state(1).watermark is None  # ...but the window is not advanced
    again = poll(store, client, now=at(date(2026, 9, 3)))
    assert again.ok and again.count("new") == 3 and len(stored(store)) == 5
    assert store.poll_state(1).watermark == "2026/09/03"


def test_a_crash_mid_run_is_recovered_by_the_next_run(pubmed: LocalPubMed, store: Store) -> None:
    pubmed.add_xml(xml(record(99000800 + i, date(2026, 10, 1)) for i in range(6)))
    client = client_for(pubmed, batch_size=2)
    batches = []

    def crash_on_second_batch(store: Store, articles: list, run_id: int) -> None:
        batches.append(len(articles))
        if len(batches) == 2:
            raise KeyboardInterrupt  # the process is killed mid-batch

    with pytest.raises(KeyboardInterrupt):
        poll(store, client, now=at(date(2026, 10, 2)), on_stored=crash_on_second_batch)
    assert len(stored(store)) == 2  # batch 1 committed, batch 2 rolled back
    assert store.poll_state(1).watermark is None
    report = poll(store, client, now=at(date(2026, 10, 2)))
    assert report.ok and len(stored(store)) == 6
    assert [r.status for r in store.recent_runs()] == ["ok", "interrupted"]


def test_results_past_the_esearch_cap_are_paged_with_the_history_server(
    store: Store,
) -> None:
    with LocalPubMed(esearch_cap=5) as server:
        server.add_xml(xml(record(99000900 + i, date(2026, 11, 1)) for i in range(12)))
        report = poll(store, client_for(server, batch_size=4), now=at(date(2026, 11, 2)))
    assert report.ok and report.count("new") == 12
    assert store.poll_state(1).last_count == 12


def test_revised_records_become_update_and_retraction_events(
    pubmed: LocalPubMed, store: Store
) -> None:
    pubmed.add_xml(xml([record(99001001, date(2026, 1, 5))]))
    client = client_for(pubmed)
    poll(store, client, now=at(date(2026, 1, 6)))
    retracted = record(
        99001001,
        date(2026, 1, 5),
        revised=date(2026, 3, 1),
        publication_types=("Journal Article", "Retracted Publication"),
        corrections=(Correction("RetractionIn", "Synth J Spine Interv. 2026;9:1", "99001099"),),
    )
    pubmed.add_xml(xml([retracted]))
    report = poll(store, client, now=at(date(2026, 3, 2)))
    assert [(e.pmid, e.kind) for e in report.events] == [("99001001", "retracted")]
    assert store.article("99001001").retracted
    # Nothing changed since: the next poll re-fetches nothing.
    pubmed.clear_log()
    poll(store, client, now=at(date(2026, 3, 20)))
    assert pubmed.requests("efetch") == []


def test_backfill_from_moved_earlier_polls_the_years_never_polled(
    pubmed: LocalPubMed, store: Store
) -> None:
    """The first polls covered 2020 on; the admin then sets backfill_from to 2010: the next
    poll covers 2010 on once (fetching only what is missing), then goes back to windows."""
    pubmed.add_xml(xml([record(99000301, date(2012, 5, 1)), record(99000302, date(2021, 3, 1))]))
    client = client_for(pubmed)
    poll(store, client, now=at(date(2026, 3, 1)), backfill_from="2020/01/01")
    assert stored(store) == {"99000302"}
    assert store.poll_state(1).covered_from == "2020/01/01"
    again = poll(store, client, now=at(date(2026, 3, 2)), backfill_from="2020/01/01")
    assert again.outcomes[0].window == ("2026/02/26", "2026/03/02")  # unchanged: incremental

    moved = poll(store, client, now=at(date(2026, 3, 3)), backfill_from="2010/01/01")
    assert moved.ok and moved.outcomes[0].window == ("2010/01/01", "2026/03/03")
    assert [e.pmid for e in moved.events if e.kind == "new"] == ["99000301"]
    assert store.poll_state(1).covered_from == "2010/01/01"
    later = poll(store, client, now=at(date(2026, 3, 4)), backfill_from="2010/01/01")
    assert later.outcomes[0].window == ("2026/02/28", "2026/03/04")


def test_a_search_polled_before_coverage_was_recorded_adopts_the_current_setting(
    pubmed: LocalPubMed, store: Store
) -> None:
    pubmed.add_xml(xml([record(99000401, date(2026, 3, 1))]))
    client = client_for(pubmed)
    poll(store, client, now=at(date(2026, 3, 2)))
    with store.transaction():  # as an older mildwatch left it
        store.db.execute("UPDATE poll_state SET covered_from = NULL")
    report = poll(store, client, now=at(date(2026, 3, 3)), backfill_from="2000/01/01")
    assert report.outcomes[0].window == ("2026/02/27", "2026/03/03")  # no surprise backfill
    assert store.poll_state(1).covered_from == "2000/01/01"
