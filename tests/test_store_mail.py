"""Store on a real SQLite file: subscribers, the outbox, the ledgers, alerts."""

from __future__ import annotations

import pytest

from tests.digest_factories import NOW, WEEK, count, seed, study
from watcher.clock import iso
from watcher.errors import StoreError
from watcher.store import NewDigest, Store

T = iso(NOW)


def digest(subscriber_id: int | None, **changes: object) -> NewDigest:
    values: dict[str, object] = {
        "subscriber_id": subscriber_id,
        "recipient": "surgeon@example.org",
        "kind": "baseline",
        "period_start": "2026-11-16",
        "period_end": "2026-11-22",
        "subject": "Week of 16 Nov 2026: 2 new studies",
        "message_id": f"<digest.{changes.get('period_end', 'x')}@example.org>",
        "message": b"Subject: x\r\n\r\nbody\r\n",
        "landscape": {"longest_followup_months": 24.0},
    }
    values.update(changes)
    return NewDigest(**values)  # type: ignore[arg-type]


# --- subscribers ------------------------------------------------------------------------------


def test_addresses_are_validated_and_normalised(store: Store) -> None:
    added = store.add_subscriber("  Zoe@EXAMPLE.org ", now=T, name="Zoë", frequency="weekly")
    assert added.email == "Zoe@example.org" and added.name == "Zoë"
    assert store.subscriber("Zoe@EXAMPLE.ORG") == added
    with pytest.raises(StoreError, match="already subscribed"):
        store.add_subscriber("Zoe@example.org", now=T, frequency="weekly")
    idn = store.add_subscriber("chef@Bücher.example", now=T, frequency="weekly")
    assert idn.email == "chef@xn--bcher-kva.example"  # what any relay can take
    for bad in ("not-an-address", "a@b", "two@@example.org", "", "zoë@example.org"):
        with pytest.raises(StoreError, match="not a valid email address"):
            store.add_subscriber(bad, now=T, frequency="weekly")
    assert count(store, "subscribers") == 2


def test_tokens_are_unguessable_and_distinct(store: Store) -> None:
    tokens = {
        store.add_subscriber(f"s{i}@example.org", now=T, frequency="daily").token for i in range(20)
    }
    assert len(tokens) == 20 and all(len(t) >= 32 for t in tokens)


def test_settings_are_checked(store: Store) -> None:
    with pytest.raises(StoreError, match="frequency"):
        store.add_subscriber("a@example.org", now=T, frequency="hourly")
    with pytest.raises(StoreError, match="unknown question 'cost'"):
        store.add_subscriber("a@example.org", now=T, frequency="daily", questions=["cost"])
    with pytest.raises(StoreError, match="max_items"):
        store.add_subscriber("a@example.org", now=T, frequency="daily", max_items=0)
    with pytest.raises(TypeError):
        store.add_subscriber("a@example.org", now=T, frequency="daily", colour="blue")


def test_edit_keeps_what_is_not_given(store: Store) -> None:
    store.add_subscriber(
        "a@example.org", now=T, frequency="weekly", questions=["safety"], max_items=5
    )
    edited = store.update_subscriber("a@example.org", now=T, frequency="monthly")
    assert edited.frequency == "monthly" and edited.questions == ("safety",)
    assert edited.max_items == 5
    reset = store.update_subscriber("a@example.org", now=T, max_items=None, questions=[])
    assert reset.max_items is None and reset.questions == ()
    with pytest.raises(StoreError, match=r"no subscriber b@example\.org"):
        store.update_subscriber("b@example.org", now=T, name="x")


def test_unsubscribe_drops_queued_digests_and_their_ledger(store: Store) -> None:
    seed(store, [study(99002001, "rct")], at=NOW - WEEK)
    surgeon = store.add_subscriber("a@example.org", now=T, frequency="weekly")
    store.queue_digest(digest(surgeon.id, shown=["99002001"]), now=T)
    assert store.unsubscribe("no-such-token", now=T) is None
    gone = store.unsubscribe(surgeon.token, now=T)
    assert gone is not None and not gone.active and gone.unsubscribed_at == T
    assert count(store, "digests") == count(store, "deliveries") == 0
    again = store.update_subscriber("a@example.org", now=T, active=True)
    assert again.active and again.unsubscribed_at is None


def test_remove_keeps_sent_history(store: Store) -> None:
    seed(store, [study(99002101, "rct")], at=NOW - WEEK)
    surgeon = store.add_subscriber("a@example.org", now=T, frequency="weekly")
    sent = store.queue_digest(digest(surgeon.id, shown=["99002101"]), now=T)
    store.mark_sent(sent, now=T)  # type: ignore[arg-type]
    store.remove_subscriber("a@example.org")
    assert store.subscriber("a@example.org") is None
    assert count(store, "deliveries") == 0
    [kept] = store.outbox()
    assert kept.status == "sent" and kept.subscriber_id is None
    with pytest.raises(StoreError, match="no subscriber"):
        store.remove_subscriber("a@example.org")


# --- the outbox -------------------------------------------------------------------------------


def test_digest_and_ledger_are_one_transaction(store: Store) -> None:
    seed(store, [study(99002201, "rct")], at=NOW - WEEK)
    surgeon = store.add_subscriber("a@example.org", now=T, frequency="weekly")
    # The second PMID is not stored: its ledger row breaks a foreign key mid-way.
    with pytest.raises(StoreError, match="nothing was written"):
        store.queue_digest(digest(surgeon.id, shown=["99002201", "404"]), now=T)
    assert count(store, "digests") == count(store, "deliveries") == 0
    assert store.subscriber_by_id(surgeon.id).covered_through is None  # type: ignore[union-attr]

    queued = store.queue_digest(digest(surgeon.id, shown=["99002201"]), now=T)
    assert queued is not None and count(store, "deliveries") == 1
    assert store.subscriber_by_id(surgeon.id).covered_through == "2026-11-22"  # type: ignore[union-attr]


def test_one_live_digest_per_period(store: Store) -> None:
    surgeon = store.add_subscriber("a@example.org", now=T, frequency="weekly")
    first = store.queue_digest(digest(surgeon.id), now=T)
    assert first is not None
    assert store.queue_digest(digest(surgeon.id, message_id="<other@x>"), now=T) is None
    store.mark_failed(first, error="gave up")
    again = store.queue_digest(digest(surgeon.id, message_id="<third@x>"), now=T)
    assert again is not None and again != first  # a failed period may be composed again


def test_retry_then_failed_releases_the_ledger(store: Store) -> None:
    seed(store, [study(99002301, "rct"), study(99002302, "cohort")], at=NOW - WEEK)
    surgeon = store.add_subscriber("a@example.org", now=T, frequency="weekly")
    covering = digest(surgeon.id, shown=["99002301"], hidden=["99002302"])
    digest_id = store.queue_digest(covering, now=T)
    assert digest_id is not None
    assert [c.article.pmid for c in store.undelivered(surgeon)] == []
    assert [e.id for e in store.sendable(now=T)] == [digest_id]
    store.mark_retry(digest_id, error="451 try later", next_attempt_at=iso(NOW + WEEK))
    assert store.sendable(now=T) == []
    entry = store.digest(digest_id)
    assert entry is not None and (entry.attempts, entry.last_error) == (1, "451 try later")
    store.mark_failed(digest_id, error="gave up after 2 attempts")
    entry = store.digest(digest_id)
    assert entry is not None and (entry.status, entry.attempts) == ("failed", 2)
    assert sorted(c.article.pmid for c in store.undelivered(surgeon)) == ["99002301", "99002302"]
    assert store.last_digest(surgeon.id) is None
    store.mark_sent(digest_id, now=T)  # a late success report cannot revive a failed digest
    assert store.digest(digest_id).status == "failed"  # type: ignore[union-attr]
    assert store.outbox_counts() == {"failed": 1}
    assert [e.id for e in store.outbox(status="failed")] == [digest_id]
    with pytest.raises(StoreError, match="unknown outbox status"):
        store.outbox(status="lost")


def test_message_bytes_come_back_exactly(store: Store) -> None:
    raw = b"Subject: caf\xc3\xa9\r\n\r\nline\r\n.\r\n"
    digest_id = store.queue_digest(digest(None, kind="alert", message=raw), now=T)
    assert store.message(digest_id) == raw  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="no digest 999"):
        store.message(999)


def test_pending_news_only_after_delivery_and_once(store: Store) -> None:
    seed(store, [study(99002401, "rct"), study(99002402, "cohort")], at=NOW - WEEK)
    surgeon = store.add_subscriber("a@example.org", now=T, frequency="weekly")
    covering = digest(surgeon.id, shown=["99002401"], hidden=["99002402"])
    digest_id = store.queue_digest(covering, now=T)
    retracted = study(99002401, "rct", publication_types=("Retracted Publication",))
    seed(store, [retracted, study(99002402, "cohort", title="Changed")], at=NOW + WEEK)
    news = store.pending_news(surgeon.id, ("retracted", "erratum", "updated"))
    # The hidden paper's title change is no news to someone who never saw it.
    assert [(n.article.pmid, n.event.kind) for n in news] == [("99002401", "retracted")]
    store.mark_sent(digest_id, now=T)  # type: ignore[arg-type]
    store.queue_digest(
        digest(surgeon.id, period_start="2026-11-23", period_end="2026-11-29",
               event_ids=[news[0].event_id]),
        now=iso(NOW + WEEK),
    )  # fmt: skip
    assert store.pending_news(surgeon.id, ("retracted",)) == []


def test_troubled_digests_until_a_later_success(store: Store) -> None:
    a = store.add_subscriber("a@example.org", now=T, frequency="daily")
    first = store.queue_digest(digest(a.id, recipient=a.email, period_end="2026-11-20"), now=T)
    second = store.queue_digest(digest(a.id, recipient=a.email, period_end="2026-11-21"), now=T)
    for _ in range(3):
        store.mark_retry(second, error="451", next_attempt_at=T)  # type: ignore[arg-type]
    store.mark_failed(first, error="550 no such user")  # type: ignore[arg-type]
    assert [e.id for e in store.troubled_digests(min_attempts=3)] == [first, second]
    store.mark_sent(second, now=T)  # type: ignore[arg-type]
    assert store.troubled_digests(min_attempts=3) == []


def test_alert_keys(store: Store) -> None:
    store.raise_alert("search:mild", detail="x", digest_id=None, now=T)
    store.raise_alert("search:mild", detail="again", digest_id=None, now=T)  # no duplicate
    assert store.alert_keys() == {"search:mild"} and store.alert_raised("search:mild")
    store.clear_alert("search:mild")
    assert store.alert_keys() == set()
