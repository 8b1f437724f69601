"""The outbox sends a whole run over one SMTP connection (aiosmtpd on 127.0.0.1, smtplib), and
a server that hangs up mid-batch costs nothing: a message whose transaction broke before its
final "." is sent at once on a new connection, one whose reply was lost after it is held (not
resent), a refused recipient is RSET away and the rest of the batch goes on; every digest
arrives exactly once across runs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from digests.compose import compose_due
from digests.outbox import UNCERTAIN_HOLD, deliver, make_transport
from tests.digest_factories import NOW, SCHEDULE, WEEK, seed, study, subscribe
from tests.mailservers import Capture
from tests.test_smtp_e2e import smtp_mail
from watcher.store import Store

PEOPLE = [f"surgeon{n}@example.org" for n in range(1, 6)]


class Dropping(Capture):
    """Capture that hangs up on cue, counting MAIL commands over all connections: at the
    Nth MAIL or RCPT (``drop_at={N: "MAIL"}``, before the message: the server keeps nothing)
    or after the Nth message's final "." (``{N: "after-dot"}``: kept, but no reply)."""

    def __init__(self, drop_at: dict[int, str]) -> None:
        super().__init__()
        self.drop_at = drop_at
        self.mails = 0

    def _drop(self, server: Any, stage: str) -> bool:
        if self.drop_at.get(self.mails) != stage:
            return False
        server.transport.close()  # the reply below is never written
        return True

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.mails += 1
        status = await super().handle_MAIL(server, session, envelope, address, mail_options)
        return "250 OK" if self._drop(server, "MAIL") else status

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        status = await super().handle_RCPT(server, session, envelope, address, rcpt_options)
        return "250 OK" if self._drop(server, "RCPT") else status

    async def handle_DATA(self, server, session, envelope):
        status = await super().handle_DATA(server, session, envelope)
        self._drop(server, "after-dot")
        return status


def connections(server: Capture) -> int:
    return len({id(got["session"]) for got in server.received})


def recipients(server: Capture) -> list[str]:
    return sorted(address for got in server.received for address in got["rcpt_tos"])


def queue_for(people: list[str], store: Store, tmp_path: Path, port: int) -> tuple[list[int], Any]:
    """One digest queued for each of ``people``, sent through the server on ``port``."""
    mail = smtp_mail(tmp_path, port)
    seed(store, [study(99005001, "rct")], at=NOW - WEEK)
    for address in people:
        subscribe(store, address)
    ids = compose_due(store, now=NOW, mail=mail, schedule=SCHEDULE)
    assert len(ids) == len(people)
    return ids, mail


def queue_five(store: Store, tmp_path: Path, port: int) -> tuple[list[int], Any]:
    return queue_for(PEOPLE, store, tmp_path, port)


def test_a_run_sends_every_digest_over_one_connection(
    store: Store, tmp_path: Path, start_smtpd
) -> None:
    server = Capture()
    ids, mail = queue_five(store, tmp_path, start_smtpd(server))
    report = deliver(store, make_transport(mail), now=NOW, mail=mail)
    assert report.ok and [i for i, _ in report.sent] == ids
    assert recipients(server) == PEOPLE and connections(server) == 1
    assert [got["raw"] for got in server.received] == [
        message for message in (store.message(i) for i in ids)
    ]  # the stored bytes, in order, once each


@pytest.mark.parametrize("stage", ["MAIL", "RCPT"])
def test_a_hang_up_before_the_message_reconnects_and_sends_it_once(
    stage: str, store: Store, tmp_path: Path, start_smtpd
) -> None:
    server = Dropping({3: stage})  # the third transaction: two messages went through first
    ids, mail = queue_five(store, tmp_path, start_smtpd(server))
    report = deliver(store, make_transport(mail), now=NOW, mail=mail)
    assert report.ok and [i for i, _ in report.sent] == ids
    assert recipients(server) == PEOPLE  # nobody twice, nobody missing
    assert connections(server) == 2
    assert {store.digest(i).attempts for i in ids} == {1}  # type: ignore[union-attr]


def test_a_reply_lost_after_the_dot_mid_batch_holds_that_one_and_sends_the_rest(
    store: Store, tmp_path: Path, start_smtpd
) -> None:
    server = Dropping({3: "after-dot"})  # the server keeps the third message, says nothing
    ids, mail = queue_five(store, tmp_path, start_smtpd(server))
    transport = make_transport(mail)
    report = deliver(store, transport, now=NOW, mail=mail)
    [(held_id, held_to, reason)] = report.uncertain
    assert held_to == PEOPLE[2]
    assert held_id == ids[2] and "may have been delivered" in reason
    assert [i for i, _ in report.sent] == [i for i in ids if i != held_id]
    assert recipients(server) == PEOPLE and connections(server) == 2

    later = deliver(store, transport, now=NOW + UNCERTAIN_HOLD / 2, mail=mail)
    assert later.sent == [] and later.uncertain == []  # held: not offered again
    assert recipients(server) == PEOPLE  # still each once, the held one included
    held = store.digest(held_id)
    assert held is not None and held.status == "queued" and held.uncertain_at is not None
    assert store.message(held_id)  # its bytes stay for the resend after the hold


def test_a_server_that_takes_two_per_connection_gets_three_connections(
    store: Store, tmp_path: Path, start_smtpd
) -> None:
    server = Capture()
    # aiosmtpd answers the third MAIL on a connection "421 ... too many times" and hangs up.
    port = start_smtpd(server, command_call_limit={"MAIL": 2})
    ids, mail = queue_five(store, tmp_path, port)
    report = deliver(store, make_transport(mail), now=NOW, mail=mail)
    assert report.ok and [i for i, _ in report.sent] == ids
    assert recipients(server) == PEOPLE and connections(server) == 3


def test_refused_recipients_are_reset_and_the_batch_goes_on(
    store: Store, tmp_path: Path, start_smtpd
) -> None:
    server = Capture()
    server.rcpt_replies[PEOPLE[1]] = "550 5.1.1 No such user here"
    server.rcpt_replies[PEOPLE[2]] = "451 4.7.1 Greylisted, try again later"
    ids, mail = queue_five(store, tmp_path, start_smtpd(server))
    report = deliver(store, make_transport(mail), now=NOW, mail=mail)
    # Without RSET the next MAIL would be refused as nested ("503"), so these prove it.
    assert recipients(server) == [PEOPLE[0], PEOPLE[3], PEOPLE[4]]
    assert connections(server) == 1
    assert [(i, to) for i, to, _ in report.failed] == [(ids[1], PEOPLE[1])]
    assert [(i, to) for i, to, _ in report.retrying] == [(ids[2], PEOPLE[2])]

    server.rcpt_replies.clear()
    later = deliver(store, make_transport(mail), now=NOW + timedelta(hours=1), mail=mail)
    assert later.sent == [(ids[2], PEOPLE[2])]
    assert recipients(server) == [PEOPLE[0], PEOPLE[2], PEOPLE[3], PEOPLE[4]]


def test_a_421_on_a_fresh_connection_defers_every_digest(
    store: Store, tmp_path: Path, start_smtpd
) -> None:
    server = Capture(mail_reply="421 4.3.2 Service not available, closing channel")
    ids, mail = queue_five(store, tmp_path, start_smtpd(server))
    report = deliver(store, make_transport(mail), now=NOW, mail=mail)
    assert [i for i, _, _ in report.retrying] == ids  # the server is not taking mail at all
    assert all("421" in error for _, _, error in report.retrying)
    assert {store.digest(i).attempts for i in ids} == {1}  # type: ignore[union-attr]
    assert server.received == []
