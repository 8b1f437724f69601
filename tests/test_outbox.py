"""The outbox with the files transport on real folders: exactly-once sending, backoff,
giving up (ledger released), and admin alerts that are sent once per problem. The ``store``
and ``mail`` fixtures (retry after 60 s, doubling; 3 attempts) are in tests/conftest.py."""

from __future__ import annotations

import email
import logging
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest

from digests.alerts import queue_alerts
from digests.compose import compose_due
from digests.outbox import deliver, make_transport, retry_delay
from digests.retention import message_bytes
from digests.transports import FilesTransport, SmtpTransport
from tests.digest_factories import NOW, SCHEDULE, WEEK, mail_settings, seed, study, subscribe
from watcher.clock import iso
from watcher.config import MailSettings, SmtpSettings
from watcher.errors import StoreError
from watcher.store import Store

SECOND = timedelta(seconds=1)


def files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.eml")) if folder.is_dir() else []


def block(folder: Path) -> None:
    """Make the outbox folder unusable: a file where the folder should be."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("not a folder")


def test_queued_digests_are_written_once_byte_for_byte(store: Store, mail: MailSettings) -> None:
    seed(store, [study(99003001, "rct")], at=NOW - WEEK)
    subscribe(store, "a@example.org")
    subscribe(store, "b@example.org", format="text")
    ids = compose_due(store, now=NOW, mail=mail, schedule=SCHEDULE)
    transport = make_transport(mail)
    assert isinstance(transport, FilesTransport)
    queued = {i: store.message(i) for i in ids}

    report = deliver(store, transport, now=NOW, mail=mail)
    assert report.ok and [i for i, _ in report.sent] == ids
    written = files(mail.outbox_dir)
    assert len(written) == 2
    assert {p.read_bytes() for p in written} == set(queued.values())
    for digest_id, data in queued.items():  # the .eml is now the one copy
        entry = store.digest(digest_id)
        assert entry is not None and entry.message_kept == "files"
        assert message_bytes(store, entry, mail) == data
        with pytest.raises(StoreError, match=r"files outbox as an \.eml"):
            store.message(digest_id)
    parsed = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in written]
    assert {str(m["To"]) for m in parsed} == {"a@example.org", "b@example.org"}

    again = deliver(store, transport, now=NOW + WEEK, mail=mail)
    assert again.sent == [] and len(files(mail.outbox_dir)) == 2
    assert all(store.digest(i).status == "sent" for i in ids)  # type: ignore[union-attr]


def test_temporary_failures_back_off_then_deliver_once(store: Store, mail: MailSettings) -> None:
    seed(store, [study(99003101, "rct")], at=NOW - WEEK)
    subscribe(store)
    [digest_id] = compose_due(store, now=NOW, mail=mail, schedule=SCHEDULE)
    block(mail.outbox_dir)
    transport = make_transport(mail)

    first = deliver(store, transport, now=NOW, mail=mail)
    assert not first.ok and [r[0] for r in first.retrying] == [digest_id]
    assert "outbox folder" in first.retrying[0][2]
    entry = store.digest(digest_id)
    assert entry is not None and entry.status == "queued" and entry.attempts == 1
    assert entry.next_attempt_at == iso(NOW + 60 * SECOND)
    assert deliver(store, transport, now=NOW + 59 * SECOND, mail=mail).retrying == []  # not yet

    deliver(store, transport, now=NOW + 60 * SECOND, mail=mail)
    entry = store.digest(digest_id)
    assert entry is not None and entry.attempts == 2
    assert entry.next_attempt_at == iso(NOW + 180 * SECOND)  # 60 s, then 120 s

    mail.outbox_dir.unlink()  # the disk is back
    done = deliver(store, transport, now=NOW + 180 * SECOND, mail=mail)
    assert done.ok and done.sent == [(digest_id, "surgeon@example.org")]
    entry = store.digest(digest_id)
    assert entry is not None and entry.status == "sent" and entry.attempts == 3
    assert entry.last_error is None and len(files(mail.outbox_dir)) == 1
    assert deliver(store, transport, now=NOW + WEEK, mail=mail).sent == []


def test_exhausted_attempts_fail_release_the_ledger_and_alert_once(
    store: Store, mail: MailSettings
) -> None:
    seed(store, [study(99003201, "rct"), study(99003202, "cohort")], at=NOW - WEEK)
    surgeon = subscribe(store)
    [digest_id] = compose_due(store, now=NOW, mail=mail, schedule=SCHEDULE)
    block(mail.outbox_dir)
    transport = make_transport(mail)
    at = NOW
    for _ in range(3):
        report = deliver(store, transport, now=at, mail=mail)
        at += timedelta(hours=1)
    assert [r[0] for r in report.failed] == [digest_id]
    entry = store.digest(digest_id)
    assert entry is not None and entry.status == "failed" and entry.attempts == 3
    assert entry.last_error is not None and entry.last_error.startswith("gave up after 3")
    assert sorted(c.article.pmid for c in store.undelivered(surgeon)) == ["99003201", "99003202"]

    [alert_id] = queue_alerts(store, now=at, mail=mail)
    assert queue_alerts(store, now=at + timedelta(hours=1), mail=mail) == []  # once
    alert = store.digest(alert_id)
    assert alert is not None and alert.kind == "alert" and alert.recipient == "admin@example.org"
    text = email.message_from_bytes(store.message(alert_id), policy=policy.default)
    body = text.get_content()  # type: ignore[attr-defined]
    assert "Digests to surgeon@example.org keep failing" in body and "gave up after 3" in body
    assert "1 problem need" in str(text["Subject"])

    # Back to normal: the alert goes out, and the released papers come in the next digest.
    mail.outbox_dir.unlink()
    sent = deliver(store, transport, now=at, mail=mail)
    assert [i for i, _ in sent.sent] == [alert_id]
    [retry_id] = compose_due(store, now=NOW + WEEK, mail=mail, schedule=SCHEDULE)
    retried = store.digest(retry_id)
    assert retried is not None and retried.kind == "baseline" and retried.items == 2
    deliver(store, transport, now=NOW + WEEK, mail=mail)
    assert queue_alerts(store, now=NOW + WEEK, mail=mail) == []
    assert store.alert_keys() == set()  # recovered: a new failure would alert again


def test_search_failures_alert_once_until_recovered(store: Store, mail: MailSettings) -> None:
    seed(store, [study(99003301, "rct")], at=NOW - WEEK)
    search = store.search("mild")
    assert search is not None
    for hour in range(2):
        store.record_poll_failure(search.id, error="HTTP 500", now=iso(NOW + hour * SECOND))
    assert queue_alerts(store, now=NOW, mail=mail) == []  # two failures: not yet
    store.record_poll_failure(search.id, error="HTTP 500 again", now=iso(NOW))
    [alert_id] = queue_alerts(store, now=NOW, mail=mail)
    body = email.message_from_bytes(store.message(alert_id), policy=policy.default).get_content()  # type: ignore[attr-defined]
    assert "'mild' has failed 3 polls in a row" in body and "HTTP 500 again" in body
    store.record_poll_failure(search.id, error="HTTP 500", now=iso(NOW))
    assert queue_alerts(store, now=NOW, mail=mail) == []

    store.record_poll_success(
        search.id, watermark="2026/11/23", count=1, translation="", now=iso(NOW)
    )
    assert queue_alerts(store, now=NOW, mail=mail) == [] and store.alert_keys() == set()
    for _ in range(3):
        store.record_poll_failure(search.id, error="HTTP 503", now=iso(NOW))
    assert len(queue_alerts(store, now=NOW, mail=mail)) == 1  # it relapsed


def test_without_an_admin_address_problems_are_logged(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    mail = mail_settings(tmp_path, admin_email=None)
    seed(store, [study(99003401, "rct")], at=NOW - WEEK)
    search = store.search("mild")
    for _ in range(3):
        store.record_poll_failure(search.id, error="HTTP 500", now=iso(NOW))  # type: ignore[union-attr]
    with caplog.at_level(logging.WARNING):
        assert queue_alerts(store, now=NOW, mail=mail) == []
    assert "no admin_email" in caplog.text and "search:mild" in caplog.text
    assert store.outbox() == []


def test_backoff_doubles_and_is_capped(tmp_path: Path) -> None:
    mail = mail_settings(tmp_path, retry_base_seconds=300)
    assert [retry_delay(n, mail).total_seconds() for n in (1, 2, 3, 4)] == [300, 600, 1200, 2400]
    assert retry_delay(30, mail) == timedelta(days=1)


def test_smtp_transport_from_settings(tmp_path: Path) -> None:
    smtp = SmtpSettings(host="127.0.0.1", port=2525, security="none", password="s3cret")
    transport = make_transport(mail_settings(tmp_path, transport="smtp", smtp=smtp))
    assert isinstance(transport, SmtpTransport)
    assert (transport.host, transport.port, transport.security) == ("127.0.0.1", 2525, "none")
    assert "s3cret" not in repr(transport)
