"""The papers a digest covers without showing them, stored once per distinct set (migration
0015): subscribers covered by the same papers share one set, the set keeps those papers from
coming back as new, news of a covered paper's retraction still reaches each of them once, and
giving up on a digest releases its papers. Real SQLite files."""

from __future__ import annotations

from pathlib import Path

from digests.shared import Shared
from tests.digest_factories import NOW, WEEK, count, ledger, seed, study
from tests.factories import older_database
from watcher.clock import iso
from watcher.store import CoverageSet, NewDigest, Store

T = iso(NOW)
PAPERS = [str(p) for p in range(99003001, 99003007)]


def digest(subscriber_id: int, shown: list[str], hidden: list[str], **changes: str) -> NewDigest:
    values: dict[str, object] = {
        "subscriber_id": subscriber_id,
        "recipient": f"s{subscriber_id}@example.org",
        "kind": "baseline",
        "period_start": "2026-11-16",
        "period_end": "2026-11-22",
        "subject": "[SYNTHETIC] baseline",
        "message_id": f"<d.{subscriber_id}.{changes.get('period_end', 'x')}@example.org>",
        "message": b"Subject: x\r\n\r\nbody\r\n",
        "landscape": {},
        "shown": shown,
        "hidden": hidden,
    }
    values.update(changes)
    return NewDigest(**values)  # type: ignore[arg-type]


def seeded(store: Store, surgeons: int) -> list:
    seed(store, [study(int(p), "cohort") for p in PAPERS], at=NOW - WEEK)
    return [
        store.add_subscriber(f"s{i}@example.org", now=T, frequency="weekly")
        for i in range(surgeons)
    ]


def undelivered(store: Store, subscriber: object) -> list[str]:
    return sorted(c.article.pmid for c in store.undelivered(subscriber))  # type: ignore[arg-type]


def test_surgeons_covered_by_the_same_papers_share_one_set(store: Store) -> None:
    a, b, c = seeded(store, 3)
    for surgeon, shown in ((a, PAPERS[:1]), (b, PAPERS[:1]), (c, PAPERS[1:2])):
        hidden = [p for p in PAPERS[2:]]
        assert store.queue_digest(digest(surgeon.id, shown, list(reversed(hidden))), now=T)
    # One set of four papers, whatever order each digest listed them in; one link a digest.
    assert (count(store, "coverage_sets"), count(store, "coverage_pmids")) == (1, 4)
    assert count(store, "covered") == 3 and count(store, "deliveries") == 3
    assert ledger(store, a) == {PAPERS[0]: 1} | dict.fromkeys(PAPERS[2:], 0)
    assert undelivered(store, a) == [PAPERS[1]] and undelivered(store, c) == [PAPERS[0]]
    received = store.received(a.id)
    assert received.shown == {PAPERS[0]}
    assert store.coverage_set(received.sets[0]) == set(PAPERS[2:])


def test_a_digest_covering_nothing_silently_writes_no_set(store: Store) -> None:
    """An update whose every paper is shown covers nothing silently: no set, no link (an
    empty set stored and linked for every such digest covered nothing, at a row each)."""
    (a,) = seeded(store, 1)
    nothing = CoverageSet.of([])
    assert store.queue_digest(digest(a.id, PAPERS[:2], nothing), now=T)  # type: ignore[arg-type]
    assert (count(store, "coverage_sets"), count(store, "covered")) == (0, 0)
    assert store.received(a.id).sets == () and undelivered(store, a) == PAPERS[2:]


def test_giving_up_releases_the_papers_and_an_unused_set_goes(store: Store) -> None:
    a, b = seeded(store, 2)
    first = store.queue_digest(digest(a.id, PAPERS[:1], PAPERS[1:]), now=T)
    second = store.queue_digest(digest(b.id, PAPERS[:1], PAPERS[1:]), now=T)
    store.mark_failed(first, error="550 no such user")  # type: ignore[arg-type]
    assert undelivered(store, a) == PAPERS  # all of them go out in a's next digest
    assert undelivered(store, b) == [] and count(store, "coverage_sets") == 1  # b's stays
    store.unsubscribe(b.token, now=T)  # b's queued digest is dropped, and the set with it
    assert second is not None and store.digest(second) is None
    assert (count(store, "covered"), count(store, "coverage_sets")) == (0, 0)
    assert count(store, "coverage_pmids") == 0


def test_removing_a_surgeon_drops_the_sets_only_they_used(store: Store) -> None:
    a, b = seeded(store, 2)
    for surgeon, hidden in ((a, PAPERS[1:]), (b, PAPERS[2:])):
        digest_id = store.queue_digest(digest(surgeon.id, PAPERS[:1], hidden), now=T)
        store.mark_sent(digest_id, now=T)  # type: ignore[arg-type]
    store.remove_subscriber(a.email)
    assert count(store, "coverage_sets") == 1 and undelivered(store, b) == [PAPERS[1]]


def test_a_covered_paper_makes_news_only_when_retracted_and_once(store: Store) -> None:
    a, b = seeded(store, 2)
    for surgeon in (a, b):
        store.queue_digest(digest(surgeon.id, PAPERS[:1], PAPERS[1:]), now=T)
    later = NOW + WEEK
    retracted = study(int(PAPERS[1]), "cohort", publication_types=("Retracted Publication",))
    seed(store, [retracted, study(int(PAPERS[2]), "cohort", title="Changed")], at=later)
    kinds = ("retracted", "erratum", "updated")
    news = store.pending_news(a.id, kinds)
    assert [(n.article.pmid, n.event.kind) for n in news] == [(PAPERS[1], "retracted")]
    assert store.pending_news(a.id, ("updated",)) == []  # a covered paper's new title: no news
    store.queue_digest(
        digest(a.id, [], [], period_start="2026-11-23", period_end="2026-11-29",
               event_ids=[news[0].event_id]),  # type: ignore[arg-type]
        now=iso(later),
    )  # fmt: skip
    assert store.pending_news(a.id, kinds) == []
    assert [n.article.pmid for n in store.pending_news(b.id, kinds)] == [PAPERS[1]]


def test_a_database_from_before_moves_covered_rows_into_shared_sets(tmp_path: Path) -> None:
    """Ledger rows written before coverage sets (``shown = 0``) become sets, one per distinct
    set of papers; each surgeon's ledger reads the same after."""
    path = tmp_path / "old.db"
    # The later migrations' tables are there: seeding tags papers, which uses them.
    db = older_database(path, leave_out=lambda name: name == "0015_coverage_sets")
    store = Store(db, path)  # the queries that only touch older tables work on it
    surgeons = seeded(store, 3)
    for number, surgeon in enumerate(surgeons, 1):
        hidden = PAPERS[1:] if number < 3 else PAPERS[2:]
        db.execute(
            "INSERT INTO digests (id, subscriber_id, recipient, kind, period_start, period_end,"
            " subject, message_id, status, next_attempt_at, created_at) VALUES (?, ?, ?,"
            " 'baseline', '2026-11-16', '2026-11-22', 's', ?, 'sent', ?, ?)",
            (number, surgeon.id, surgeon.email, f"<m{number}@example.org>", T, T),
        )
        db.conn.executemany(
            "INSERT INTO deliveries (subscriber_id, pmid, digest_id, shown) VALUES (?, ?, ?, ?)",
            [(surgeon.id, PAPERS[0], number, 1)] + [(surgeon.id, p, number, 0) for p in hidden],
        )
    db.conn.commit()
    db.close()
    with Store.open(path) as store:
        assert ledger(store, surgeons[0]) == {PAPERS[0]: 1} | dict.fromkeys(PAPERS[1:], 0)
        assert ledger(store, surgeons[2]) == {PAPERS[0]: 1} | dict.fromkeys(PAPERS[2:], 0)
        assert (count(store, "coverage_sets"), count(store, "covered")) == (2, 3)
        assert count(store, "deliveries") == 3  # the shown papers only
        assert undelivered(store, surgeons[2]) == [PAPERS[1]]


def test_a_compose_run_finds_each_surgeons_candidates_as_the_ledger_query_does(
    store: Store,
) -> None:
    """``digests.shared.Shared`` works out candidates once per coverage set and set of shown
    papers; for surgeons with different ledgers, searches and relevance it gives exactly
    what ``Store.undelivered`` (one SQL query per surgeon) gives."""
    seed(store, [study(int(p), "cohort") for p in PAPERS[:3]], at=NOW - WEEK)
    seed(store, [study(int(p), "rct") for p in PAPERS[3:]], at=NOW - WEEK, search="other")
    seed(store, [study(99003011, "uncertain"), study(99003012, "cohort")], at=NOW - WEEK)
    every = [
        store.add_subscriber(f"s{i}@example.org", now=T, frequency="weekly", **settings)
        for i, settings in enumerate(
            [{}, {}, {}, {"searches": ["other"]}, {"min_relevance": "uncertain"}, {}]
        )
    ]
    ledgers = [(PAPERS[:1], PAPERS[1:4]), (PAPERS[:1], PAPERS[1:4]), (PAPERS[1:2], PAPERS[2:3]),
               (PAPERS[3:4], []), ([], PAPERS[:2])]  # fmt: skip
    for surgeon, (shown, hidden) in zip(every, ledgers, strict=False):  # the last: nothing yet
        assert store.queue_digest(digest(surgeon.id, list(shown), list(hidden)), now=T)
    seed(store, [study(99003021, "rct"), study(99003022, "cohort")], at=NOW)  # since then
    shared = Shared(store)
    for surgeon in every:
        expected = [c.article.pmid for c in store.undelivered(surgeon)]
        assert [c.article.pmid for c in shared.candidates(surgeon).candidates] == expected
    assert [c.article.pmid for c in store.undelivered(every[0])] == [
        PAPERS[4], PAPERS[5], "99003012", "99003021", "99003022"
    ]  # fmt: skip
