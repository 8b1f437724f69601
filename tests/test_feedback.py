"""Feedback for a person at a terminal: the poll's progress moves per fetched batch (not
only at the end), and it starts before the first batch arrives."""

from __future__ import annotations

from datetime import date

from tests.factories import client_for, record, xml
from tests.test_poll import at, pubmed, store  # noqa: F401  (fixtures)
from watcher.localpubmed import LocalPubMed
from watcher.poll import poll
from watcher.store import Store


def test_progress_moves_per_batch(pubmed: LocalPubMed, store: Store) -> None:  # noqa: F811
    pubmed.add_xml(xml(record(99000900 + i, date(2026, 9, 1)) for i in range(7)))
    calls: list[tuple[str, int, int]] = []
    poll(
        store,
        client_for(pubmed, batch_size=3),
        now=at(date(2026, 9, 2)),
        progress=lambda stage, done, total: calls.append((stage, done, total)),
    )
    fetches = [c for c in calls if c[0] == "fetch"]
    assert fetches == [("fetch", 0, 7), ("fetch", 3, 7), ("fetch", 6, 7), ("fetch", 7, 7)]
    assert calls[0] == ("search", 0, 1)  # something shows while PubMed is searched
