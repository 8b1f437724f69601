"""The outbox's bookkeeping runs beside the sending (digests/outcomewriter.py): while one
message is on the wire, another connection commits the previous outcome and the next
message's "sending" mark. These tests watch the database from a third connection, as a
crash would find it: a message is never offered before its mark is committed, a batch broken
by hang-ups loses nothing and sends nothing twice, and when ``deliver`` returns every outcome
is committed. Real aiosmtpd on 127.0.0.1, real SQLite file."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

from digests.outbox import UNCERTAIN_HOLD, deliver, make_transport
from tests.digest_factories import NOW
from tests.mailservers import Capture
from tests.test_smtp_batch import Dropping, queue_for, recipients
from watcher.store import Store

PEOPLE = [f"surgeon{n:02d}@example.org" for n in range(1, 13)]


def rows(path: Path) -> dict[str, dict[str, Any]]:
    """Each recipient's digest row as another process would read it now (committed only)."""
    with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
        db.row_factory = sqlite3.Row
        found = db.execute(
            "SELECT recipient, status, attempts, sending_at, uncertain_at FROM digests"
            " WHERE kind != 'alert'"
        ).fetchall()
    return {row["recipient"]: dict(row) for row in found}


class Watching(Capture):
    """Capture that, at each recipient's RCPT (the message is being offered), reads that
    digest's row from a connection of its own and keeps what it saw."""

    def __init__(self, database: Path) -> None:
        super().__init__()
        self.database = database
        self.seen: dict[str, dict[str, Any]] = {}
        self.marked_ahead: list[int] = []  # rows marked "sending" at each RCPT

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        now = rows(self.database)
        self.seen[address] = now[address]
        self.marked_ahead.append(sum(1 for r in now.values() if r["sending_at"]))
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def test_no_message_is_offered_before_its_sending_mark_is_committed(
    store: Store, tmp_path: Path, start_smtpd
) -> None:
    server = Watching(store.path)  # type: ignore[arg-type]
    ids, mail = queue_for(PEOPLE, store, tmp_path, start_smtpd(server))
    report = deliver(store, make_transport(mail), now=NOW, mail=mail)
    assert report.ok and [i for i, _ in report.sent] == ids
    for address in PEOPLE:
        seen = server.seen[address]
        assert seen["status"] == "queued" and seen["sending_at"] is not None, address
    # Never more than two at once: the one offered and the next one, marked ahead.
    assert max(server.marked_ahead) <= 2
    after = rows(store.path)  # type: ignore[arg-type]
    assert {r["status"] for r in after.values()} == {"sent"}
    assert {r["sending_at"] for r in after.values()} == {None}  # every outcome committed


def test_hang_ups_mid_batch_lose_nothing_and_send_nothing_twice(
    store: Store, tmp_path: Path, start_smtpd
) -> None:
    # Across the batch: hang-ups before a message (MAIL, RCPT) and one after a message's "."
    server = Dropping({3: "MAIL", 6: "RCPT", 9: "after-dot", 11: "MAIL"})
    ids, mail = queue_for(PEOPLE, store, tmp_path, start_smtpd(server))
    transport = make_transport(mail)
    report = deliver(store, transport, now=NOW, mail=mail)

    [(held_id, held_to, _)] = report.uncertain  # 9th MAIL: the 7th message (two retried)
    assert held_to == PEOPLE[6] and held_id == ids[6]
    assert [i for i, _ in report.sent] == [i for i in ids if i != held_id]
    assert recipients(server) == PEOPLE  # each exactly once, the held one included
    after = rows(store.path)  # type: ignore[arg-type]
    assert {r["sending_at"] for r in after.values()} == {None}  # all outcomes committed
    assert {a for a, r in after.items() if r["status"] == "sent"} == set(PEOPLE) - {held_to}
    assert after[held_to]["status"] == "queued" and after[held_to]["uncertain_at"]
    assert {r["attempts"] for r in after.values()} == {1}

    later = deliver(store, transport, now=NOW + UNCERTAIN_HOLD / 2, mail=mail)
    assert later.sent == [] and later.uncertain == []  # held: not offered within the hold
    assert recipients(server) == PEOPLE


class ClosesAfter(Capture):
    """Takes ``limit`` messages, then answers every MAIL "421" (closing), as a relay going
    down for maintenance does: the batch's reconnect finds it refusing too."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    async def handle_DATA(self, server, session, envelope):
        status = await super().handle_DATA(server, session, envelope)
        if len(self.received) >= self.limit:
            self.mail_reply = "421 4.3.2 Service not available, closing channel"
        return status


def test_a_server_gone_mid_batch_leaves_every_waiting_digest_committed_for_retry(
    store: Store, tmp_path: Path, start_smtpd
) -> None:
    server = ClosesAfter(limit=4)
    ids, mail = queue_for(PEOPLE, store, tmp_path, start_smtpd(server))
    report = deliver(store, make_transport(mail), now=NOW, mail=mail)
    assert [i for i, _ in report.sent] == ids[:4]
    assert [i for i, _, _ in report.retrying] == ids[4:]  # the marked-ahead one included
    after = rows(store.path)  # type: ignore[arg-type]
    assert {r["sending_at"] for r in after.values()} == {None}  # nothing left "sending"
    assert [r["status"] for r in after.values()].count("sent") == 4
    assert {after[a]["attempts"] for a in PEOPLE[4:]} == {1}

    server.mail_reply, server.limit = None, len(PEOPLE)  # back, and retried an hour later
    later = deliver(store, make_transport(mail), now=NOW + UNCERTAIN_HOLD, mail=mail)
    assert [i for i, _ in later.sent] == ids[4:]
    assert recipients(server) == PEOPLE  # each exactly once over the two runs
