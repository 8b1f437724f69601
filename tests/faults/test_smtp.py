"""Fault matrix, ambiguous SMTP outcomes: the whole message went out but the reply did not
come back (the server closed, or the process was killed while waiting). The digest is held
back and the admin alerted, instead of being resent at once as a duplicate."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sqlite3
import threading
import time

from tests.faults.conftest import ADMIN, Site, make_site
from tests.mailservers import Capture
from watcher.localpubmed import LocalPubMed
from watcher.store import Store


class SilentAfterDot:
    """An SMTP server that takes the whole message, then never says 250: it closes the
    connection (``hang=False``) or keeps it open without a word (``hang=True``)."""

    def __init__(self, *, hang: bool) -> None:
        self.hang = hang
        self.received: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as reader:
            conn.sendall(b"220 silent.test ESMTP\r\n")
            for line in reader:
                verb = line[:4].upper()
                if verb == b"DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    body = b""
                    for data_line in reader:
                        if data_line == b".\r\n":
                            break
                        body += data_line
                    self.received.append(body)
                    if self.hang:
                        time.sleep(60)
                    return  # close without the 250
                conn.sendall(b"221 bye\r\n" if verb == b"QUIT" else b"250 ok\r\n")

    def close(self) -> None:
        self.listener.close()


def smtp_site(folder, pubmed: LocalPubMed, port: int, timeout: float = 5) -> Site:
    smtp = (
        f'[mail.smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = {timeout}\n'
    )
    return make_site(folder, pubmed, transport="smtp", extra=smtp)


def test_a_reply_lost_after_the_final_dot_holds_the_digest_and_alerts(
    tmp_path, pubmed: LocalPubMed, start_smtpd
) -> None:
    silent = SilentAfterDot(hang=False)
    site = smtp_site(tmp_path / "site", pubmed, silent.port)
    assert site.cli("poll").exit_code == 0
    assert site.cli("subscribers", "add", "a@example.org").exit_code == 0
    first = site.cli("digest", "send", "--all")
    assert first.exit_code == 1 and "HELD" in first.output
    assert len(silent.received) == 2  # the digest, then the alert about it: each once
    assert b"may or may not have" in silent.received[1].replace(b"=\r\n", b"")
    again = site.cli("digest", "send")  # within the hold: not offered again
    assert len(silent.received) == 2, again.output
    with Store.open(site.database) as store:
        (held,) = [e for e in store.uncertain_digests() if e.kind != "alert"]
        assert held.recipient == "a@example.org" and held.status == "queued"
    silent.close()


def test_a_process_killed_while_sending_does_not_resend_at_once(
    tmp_path, pubmed: LocalPubMed, start_smtpd
) -> None:
    silent = SilentAfterDot(hang=True)
    site = smtp_site(tmp_path / "site", pubmed, silent.port, timeout=60)
    assert site.cli("poll").exit_code == 0
    assert site.cli("subscribers", "add", "a@example.org").exit_code == 0
    sender = site.spawn("digest", "send", "--all")
    deadline = time.monotonic() + 30
    while not silent.received:  # the message is in; the reply never comes
        assert time.monotonic() < deadline and sender.poll() is None
        time.sleep(0.05)
    sender.send_signal(signal.SIGKILL)  # killed between the "." and recording the outcome
    sender.wait(timeout=10)
    capture = Capture()  # the relay comes back, healthy, on another port
    port = start_smtpd(capture)
    site.config.write_text(
        site.config.read_text().replace(f"port = {silent.port}", f"port = {port}")
    )
    result = site.cli("digest", "send")
    assert "HELD" in result.output
    recipients = [r["rcpt_tos"] for r in capture.received]
    assert recipients and all(r == [ADMIN] for r in recipients)  # alerts, never a resend
    alerts = b"".join(r["raw"] for r in capture.received).replace(b"=\r\n", b"")
    assert b"may or may not have" in alerts and b"interrupted" in alerts
    silent.close()


class HangsOnSecond(Capture):
    """Keeps every message; after the second one's final "." it never answers."""

    async def handle_DATA(self, server, session, envelope):
        status = await super().handle_DATA(server, session, envelope)
        if len(self.received) == 2:
            await asyncio.sleep(60)
        return status


def marked(site: Site, recipient: str) -> bool:
    """Whether ``recipient``'s digest is marked "sending" in what the database committed."""
    uri = f"{site.database.resolve().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
        row = db.execute(
            "SELECT sending_at FROM digests WHERE recipient = ? AND kind != 'alert'",
            (recipient,),
        ).fetchone()
    return bool(row and row[0])


def test_a_process_killed_mid_batch_holds_at_most_two_and_resends_none(
    tmp_path, pubmed: LocalPubMed, start_smtpd
) -> None:
    """Killed while waiting for the second message's reply: the second is held (it may have
    arrived), and so is the third, marked "sending" ahead while the second was on the wire
    (digests/outbox.py: ``deliver``), though never offered; the first is not resent and the
    fourth, never marked, goes out at once (docs/faults.md)."""
    hanging = HangsOnSecond()
    hanging_port = start_smtpd(hanging)
    site = smtp_site(tmp_path / "site", pubmed, hanging_port, timeout=60)
    assert site.cli("poll").exit_code == 0
    people = ["a@example.org", "b@example.org", "c@example.org", "d@example.org"]
    for address in people:
        assert site.cli("subscribers", "add", address).exit_code == 0
    sender = site.spawn("digest", "send", "--all")
    deadline = time.monotonic() + 30
    # The first went through; the second waits for its reply; the commit beside it (the
    # first's outcome, the third's mark) has returned: the state a crash leaves most often.
    while len(hanging.received) < 2 or not marked(site, people[2]):
        assert time.monotonic() < deadline and sender.poll() is None
        time.sleep(0.05)
    sender.send_signal(signal.SIGKILL)
    sender.wait(timeout=10)
    assert [r["rcpt_tos"] for r in hanging.received] == [people[:1], people[1:2]]

    capture = Capture()  # the relay comes back, healthy, on another port
    port = start_smtpd(capture)
    site.config.write_text(
        site.config.read_text().replace(f"port = {hanging_port}", f"port = {port}")
    )
    result = site.cli("digest", "send")
    assert "HELD" in result.output and people[1] in result.output and people[2] in result.output
    recipients = [r["rcpt_tos"] for r in capture.received]
    assert [people[3]] in recipients  # never marked: sent now
    assert not {people[0], people[1], people[2]} & {a for r in recipients for a in r}
    with Store.open(site.database) as store:
        held = sorted(e.recipient for e in store.uncertain_digests() if e.kind != "alert")
    assert held == people[1:3]  # the one in flight and the one marked ahead: no more
