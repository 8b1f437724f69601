"""Digests end to end against a real SMTP server (aiosmtpd on 127.0.0.1): compose → outbox →
SmtpTransport → server. Outages (refused, 4xx, a hang-up mid-DATA) leave the digest queued
and a later send delivers it exactly once; one recipient's 5xx does not hold up the others."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from digests.alerts import queue_alerts
from digests.compose import compose_due
from digests.outbox import deliver, make_transport
from tests.digest_factories import (
    DAY,
    NOW,
    SCHEDULE,
    WEEK,
    item_pmids,
    mail_settings,
    seed,
    study,
    subscribe,
    text_of,
)
from tests.mailservers import TIMEOUT, Capture, HangUpServer, free_port
from watcher.config import MailSettings, SmtpSettings
from watcher.store import Store


def smtp_mail(tmp_path: Path, port: int, **changes: object) -> MailSettings:
    smtp = SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=TIMEOUT)
    return mail_settings(tmp_path, transport="smtp", smtp=smtp, **changes)


def test_a_digest_over_smtp(store: Store, tmp_path: Path, start_smtpd) -> None:
    server = Capture()
    port = start_smtpd(server)
    mail = smtp_mail(tmp_path, port, unsubscribe_url="https://mild.example.org/u/{token}")
    seed(store, [study(99004001, "rct"), study(99004002, "cohort")], at=NOW - WEEK)
    surgeon = subscribe(store, name="Dr Zoë Müller")
    [digest_id] = compose_due(store, now=NOW, mail=mail, schedule=SCHEDULE)

    report = deliver(store, make_transport(mail), now=NOW, mail=mail)
    assert report.ok and report.sent == [(digest_id, surgeon.email)]
    [got] = server.received
    assert got["mail_from"] == "digest@mildwatch.example.org"
    assert got["rcpt_tos"] == [surgeon.email]
    assert got["raw"] == store.message(digest_id)  # the stored bytes, not a re-render

    message: EmailMessage = got["message"]
    assert message.get_content_type() == "multipart/alternative"
    plain, related = message.get_payload()  # type: ignore[misc]
    assert plain.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, image = related.get_payload()
    assert html_part.get_content_type() == "text/html"
    assert image.get_content_type() == "image/png" and image.get_content_disposition() == "inline"
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html_part.get_content()
    assert re.search(r'alt="Evidence timeline: 2 studies', html_part.get_content())

    assert message["From"].addresses[0].addr_spec == "digest@mildwatch.example.org"
    assert message["To"].addresses[0].display_name == "Dr Zoë Müller"
    assert message["Subject"] == (
        "[SYNTHETIC] Week of 16 Nov 2026: Where the evidence stands: 2 studies; "
        "longest follow-up 60 months"
    )
    assert message["Date"].datetime == NOW
    assert message["Message-ID"] == store.digest(digest_id).message_id  # type: ignore[union-attr]
    assert str(message["List-Unsubscribe"]).strip() == (
        f"<https://mild.example.org/u/{surgeon.token}>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert item_pmids(text_of(message)) == ["99004001", "99004002"]


def test_the_same_paper_never_goes_twice(store: Store, tmp_path: Path, start_smtpd) -> None:
    server = Capture()
    mail = smtp_mail(tmp_path, start_smtpd(server))
    transport = make_transport(mail)
    seed(store, [study(99004101, "rct")], at=NOW - WEEK, search="first")
    surgeon = subscribe(store, searches=["first"])

    def week(n: int) -> None:
        compose_due(store, now=NOW + n * WEEK, mail=mail, schedule=SCHEDULE)
        deliver(store, transport, now=NOW + n * WEEK, mail=mail)

    week(0)
    # Week 1: one new paper, and the old one found again by the same search.
    seed(store, [study(99004101, "rct"), study(99004102, "cohort")], at=NOW + DAY, search="first")
    week(1)
    # Week 2: the subscriber follows another search that finds both papers again, plus one.
    store.update_search("first", query="changed[tiab]", author="t", reason="t")
    again = [study(99004101, "rct"), study(99004102, "cohort"), study(99004103, "series")]
    seed(store, again, at=NOW + WEEK + DAY, search="second")
    store.update_subscriber(surgeon.email, now="2026-11-30T00:00:00+00:00", searches=["second"])
    week(2)
    week(3)  # nothing new, and the subscriber skips empty periods

    shown = [item_pmids(text_of(m)) for m in server.messages()]
    assert shown == [["99004101"], ["99004102"], ["99004103"]]
    assert all(r["rcpt_tos"] == [surgeon.email] for r in server.received)


@pytest.mark.parametrize("outage", ["refused", "4xx", "hangup"])
def test_an_outage_leaves_it_queued_and_a_later_send_delivers_once(
    outage: str, store: Store, tmp_path: Path, start_smtpd
) -> None:
    server, hangup = Capture(), None
    if outage == "refused":
        port = free_port()  # nothing listens yet
    elif outage == "4xx":
        server.rcpt_replies["*"] = "451 4.7.1 Greylisted, try again later"
        port = start_smtpd(server)
    else:
        hangup = HangUpServer()
        port = hangup.port
    mail = smtp_mail(tmp_path, port)
    transport = make_transport(mail)
    seed(store, [study(99004201, "rct")], at=NOW - WEEK)
    subscribe(store)
    [digest_id] = compose_due(store, now=NOW, mail=mail, schedule=SCHEDULE)

    failed = deliver(store, transport, now=NOW, mail=mail)
    assert not failed.ok and failed.sent == [] and failed.failed == []
    entry = store.digest(digest_id)
    assert entry is not None and entry.status == "queued" and entry.attempts == 1
    words = {"refused": "refused the connection", "4xx": "Greylisted", "hangup": "closed the"}
    assert f"127.0.0.1:{port}" in (entry.last_error or "")
    assert words[outage] in (entry.last_error or "")

    if outage == "4xx":
        server.rcpt_replies.clear()
    else:
        if hangup is not None:
            hangup.close()
        start_smtpd(server, port)  # the server is back, on the same port
    later = NOW + timedelta(minutes=5)
    assert deliver(store, transport, now=later, mail=mail).sent == [(digest_id, entry.recipient)]
    assert deliver(store, transport, now=later + WEEK, mail=mail).sent == []
    [got] = server.messages()
    assert got["Message-ID"] == entry.message_id  # the retry is the very same message
    assert store.digest(digest_id).status == "sent"  # type: ignore[union-attr]


def test_an_unreachable_server_defers_every_digest_in_one_go(store: Store, tmp_path: Path) -> None:
    mail = smtp_mail(tmp_path, free_port())
    seed(store, [study(99004301, "rct")], at=NOW - WEEK)
    for name in ("a", "b", "c"):
        subscribe(store, f"{name}@example.org")
    ids = compose_due(store, now=NOW, mail=mail, schedule=SCHEDULE)
    report = deliver(store, make_transport(mail), now=NOW, mail=mail)
    assert [r[0] for r in report.retrying] == ids
    assert all("refused the connection" in r[2] for r in report.retrying)
    assert {store.digest(i).attempts for i in ids} == {1}  # type: ignore[union-attr]


def test_one_recipients_5xx_does_not_block_the_others(
    store: Store, tmp_path: Path, start_smtpd
) -> None:
    server = Capture()
    server.rcpt_replies["gone@example.org"] = "550 5.1.1 No such user here"
    mail = smtp_mail(tmp_path, start_smtpd(server))
    seed(store, [study(99004401, "rct")], at=NOW - WEEK)
    first = subscribe(store, "a@example.org")
    gone = subscribe(store, "gone@example.org")
    last = subscribe(store, "z@example.org")
    compose_due(store, now=NOW, mail=mail, schedule=SCHEDULE)

    report = deliver(store, make_transport(mail), now=NOW, mail=mail)
    assert sorted(r for _, r in report.sent) == [first.email, last.email]
    [(failed_id, address, error)] = report.failed
    assert address == gone.email and "No such user" in error
    assert store.digest(failed_id).status == "failed"  # type: ignore[union-attr]
    assert [c.article.pmid for c in store.undelivered(gone)] == ["99004401"]  # released
    assert sorted(m["To"].addresses[0].addr_spec for m in server.messages()) == [
        first.email,
        last.email,
    ]
    [alert_id] = queue_alerts(store, now=NOW, mail=mail)
    deliver(store, make_transport(mail), now=NOW, mail=mail)
    alert = server.messages()[-1]
    assert alert["To"].addresses[0].addr_spec == "admin@example.org"
    assert "gone@example.org" in alert.get_content()
    assert store.digest(alert_id).status == "sent"  # type: ignore[union-attr]
