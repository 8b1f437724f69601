"""The outbox: queued digests → transport → sent, retried with backoff, or failed.

A digest row holds the exact bytes of its message (with its Message-ID), written when it was
composed; sending re-sends those bytes, never a re-render, so a retry after an ambiguous
failure (the server took the message but the connection dropped before it said so) carries
the same Message-ID and the receiving side can drop the duplicate.

Temporary failures are retried after ``retry_base_seconds``, doubling each time, up to
``max_attempts`` tries; then the digest is marked failed and its ledger released, so its papers
go out in the subscriber's next digest. A permanent failure (a 5xx for that recipient) fails
that digest at once and the others are still sent. When the server itself is unavailable,
every due digest counts the failed attempt and the run stops, rather than knocking on a closed
door once per subscriber.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.utils import parseaddr
from functools import partial
from pathlib import Path
from urllib.parse import quote

from digests.outcomewriter import OutcomeWriter
from digests.transports import FilesTransport, RawSender, SmtpTransport, Transport
from watcher.clock import iso
from watcher.config import MailSettings
from watcher.errors import DeliveryError, OutcomeUnknown, ServerUnavailable
from watcher.store import OutboxEntry, Store

log = logging.getLogger(__name__)

MAX_DELAY_SECONDS = 86400  # backoff never waits more than a day between tries
UNCERTAIN_HOLD = timedelta(hours=6)
"""After an ambiguous outcome, the digest is not resent before this (the admin is alerted)."""


def make_transport(mail: MailSettings) -> Transport:
    """The configured transport: the files outbox (default) or SMTP (password from env)."""
    if mail.transport == "smtp":
        smtp = mail.smtp
        return SmtpTransport(
            smtp.host,
            smtp.port,
            security=smtp.security,  # type: ignore[arg-type]  # validated by config.py
            username=smtp.username,
            password=smtp.password,
            timeout=smtp.timeout,
            ca_file=smtp.ca_file,
        )
    return FilesTransport(mail.outbox_dir)


# --- identities every message carries ---------------------------------------------------------


def sender_address(mail: MailSettings) -> str:
    """The bare address of ``mail.sender`` ("mildwatch <a@b>" → "a@b"), for the envelope."""
    return parseaddr(mail.sender)[1] or mail.sender.strip()


def sender_header(mail: MailSettings) -> Address:
    """``mail.sender`` as a header value built by the mail library, never pasted as text."""
    name, address = parseaddr(mail.sender)
    return Address(display_name=name, addr_spec=address or mail.sender.strip())


def message_domain(mail: MailSettings) -> str:
    domain = sender_address(mail).rpartition("@")[2]
    return domain or "mildwatch.invalid"


def make_message_id(kind: str, *parts: object, mail: MailSettings) -> str:
    """``<kind.<hash>@sender-domain>``: the same inputs give the same ID (tests, re-renders),
    and nothing personal shows in it."""
    seed = "|".join(str(p) for p in parts)
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()[:20]
    return f"<{kind}.{digest}@{message_domain(mail)}>"


def unsubscribe_link(mail: MailSettings, token: str) -> str:
    """The configured https unsubscribe URL with the token (one-click, RFC 8058), else a
    mailto to the sender whose subject is "unsubscribe <token>", which the admin acts on with
    `mildwatch subscribers unsubscribe TOKEN`. A plain-http URL is not used: one-click
    unsubscribe must not travel in clear."""
    url = (mail.unsubscribe_url or "").strip()
    if url.lower().startswith("https://"):
        return url.replace("{token}", quote(token, safe=""))
    return f"mailto:{sender_address(mail)}?subject={quote(f'unsubscribe {token}')}"


def preferences_link(mail: MailSettings, token: str) -> str | None:
    """The subscriber's own preferences page (``[web] base_url`` or ``[mail] preferences_url``
    with the token), or None; https only, since the link carries the token."""
    url = (mail.preferences_url or "").strip()
    if url.lower().startswith("https://"):
        return url.replace("{token}", quote(token, safe=""))
    return None


# --- sending ------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    """What one ``deliver`` run did; each list holds (digest id, recipient[, error])."""

    sent: list[tuple[int, str]] = field(default_factory=list)
    retrying: list[tuple[int, str, str]] = field(default_factory=list)
    failed: list[tuple[int, str, str]] = field(default_factory=list)
    uncertain: list[tuple[int, str, str]] = field(default_factory=list)  # held back

    @property
    def ok(self) -> bool:
        return not self.retrying and not self.failed and not self.uncertain


def retry_delay(attempts: int, mail: MailSettings) -> timedelta:
    """Wait before the next try, after ``attempts`` failed ones: base, 2×base, 4×base, …"""
    seconds = mail.retry_base_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, MAX_DELAY_SECONDS))


def deliver(
    store: Store, transport: Transport, *, now: datetime, mail: MailSettings
) -> DeliveryReport:
    """Send every queued digest whose next attempt has come, each exactly once.

    Per message: mark it "sending" (committed) → offer it → record sent, retry, failed, or
    uncertain. A message found still "sending" (the process died mid-way) and one whose
    reply was lost after the final "." are uncertain: held back for ``UNCERTAIN_HOLD``,
    which the admin alert reports, rather than resent at once (docs/faults.md).

    All of a run's messages share one SMTP connection (``transport.batch()``). The
    bookkeeping runs beside the sending, on a connection of its own (``OutcomeWriter``):
    while message k is on the wire, one commit records message k-1's outcome and marks
    message k+1 "sending"; k+1 is offered only once that commit has returned. So no message
    is offered before its mark is on disk, and the commit's fsync costs no time of its own.
    The price: a crash leaves at most two messages marked "sending" (the one on the wire and
    the one before or after it), both held. With a transport that keeps its own copy (.eml
    files), the database's copy is dropped as each is marked sent (digests/retention.py)."""
    report = DeliveryReport()
    stamp = iso(now)
    hold_until = iso(now + UNCERTAIN_HOLD)
    for entry in store.interrupted_sends():
        error = (
            "the process stopped while the message was being sent; it may have been "
            f"delivered, so it is held back until {hold_until}"
        )
        store.mark_uncertain(entry.id, error=error, now=stamp, hold_until=hold_until)
        report.uncertain.append((entry.id, entry.recipient, error))
    due = store.sendable(now=stamp)
    if not due:
        return report
    store.mark_sending(due[0].id, now=stamp)  # cannot record it: do not send it
    data: bytes | None = store.message(due[0].id)
    sender = sender_address(mail)  # parsed once, not per message
    book = partial(_book, due=due, transport=transport, now=now, mail=mail, report=report)
    with transport.batch() as connection, OutcomeWriter(_path(store)) as writer:
        step = writer.submit(partial(book, done=None, upcoming=1))
        for position, entry in enumerate(due):
            assert data is not None  # read by the step that marked ``entry``
            error = _offer(connection, entry, data, sender)  # meanwhile, ``step`` commits
            data = step.result()  # the next one's mark is on disk: it may be offered
            if isinstance(error, ServerUnavailable):
                waiting = due[position:]
                writer.run(
                    partial(
                        _give_up_for_now,
                        waiting=waiting,
                        error=error,
                        now=now,
                        mail=mail,
                        report=report,
                    )
                )
                log.warning("mail server unavailable; %d digest(s) wait: %s", len(waiting), error)
                break
            step = writer.submit(partial(book, done=(entry, error), upcoming=position + 2))
        step.result()  # the last outcome, committed
    return report


def _path(store: Store) -> Path:
    if store.path is None:
        raise ValueError("deliver needs a store opened from a file (Store.open)")
    return store.path


def _book(
    writer: Store,
    *,
    done: tuple[OutboxEntry, DeliveryError | None] | None,
    upcoming: int,
    due: list[OutboxEntry],
    transport: Transport,
    now: datetime,
    mail: MailSettings,
    report: DeliveryReport,
) -> bytes | None:
    """One commit: how the ``done`` message went, and ``due[upcoming]`` marked "sending";
    then that message's bytes, for the loop to offer next (None: none left)."""
    following = due[upcoming] if upcoming < len(due) else None
    with writer.write():
        if done is not None:
            _record(writer, *done, transport, now=now, mail=mail, report=report)
        if following is not None:
            writer.mark_sending(following.id, now=iso(now))
    return writer.message(following.id) if following is not None else None


def _give_up_for_now(
    writer: Store,
    *,
    waiting: list[OutboxEntry],
    error: DeliveryError,
    now: datetime,
    mail: MailSettings,
    report: DeliveryReport,
) -> None:
    """The server is unavailable: every digest still waiting counts a failed attempt, in one
    commit."""
    with writer.write():
        for entry in waiting:
            _record_failure(writer, entry, error, now=now, mail=mail, report=report)


def _offer(
    connection: RawSender, entry: OutboxEntry, data: bytes, sender: str
) -> DeliveryError | None:
    """Offer ``entry``'s stored bytes; the error that says how it went, or None: sent."""
    try:
        connection.send_raw(
            data,
            message_id=entry.message_id,
            sender=sender,
            recipients=[entry.recipient],
        )
    except DeliveryError as error:
        return error
    return None


def _record(
    store: Store,
    entry: OutboxEntry,
    error: DeliveryError | None,
    transport: Transport,
    *,
    now: datetime,
    mail: MailSettings,
    report: DeliveryReport,
) -> None:
    """Write how offering ``entry`` went: sent, held (outcome unknown), retry or failed."""
    if error is None:
        store.mark_sent(entry.id, now=iso(now), handed_over=transport.keeps_copy)
        report.sent.append((entry.id, entry.recipient))
        log.info("sent %s %d to %s", entry.kind, entry.id, entry.recipient)
    elif isinstance(error, OutcomeUnknown):
        hold_until = iso(now + UNCERTAIN_HOLD)
        reason = f"{error} (held until {hold_until})"
        store.mark_uncertain(entry.id, error=reason, now=iso(now), hold_until=hold_until)
        report.uncertain.append((entry.id, entry.recipient, reason))
        log.error("%s %d to %s: %s", entry.kind, entry.id, entry.recipient, reason)
    else:
        _record_failure(store, entry, error, now=now, mail=mail, report=report)


def _record_failure(
    store: Store,
    entry: OutboxEntry,
    error: DeliveryError,
    *,
    now: datetime,
    mail: MailSettings,
    report: DeliveryReport,
) -> None:
    attempts = entry.attempts + 1
    message = str(error)
    if error.permanent or attempts >= mail.max_attempts:
        reason = message if error.permanent else f"gave up after {attempts} attempts: {message}"
        store.mark_failed(entry.id, error=reason)
        report.failed.append((entry.id, entry.recipient, reason))
        log.error("%s %d to %s failed: %s", entry.kind, entry.id, entry.recipient, reason)
        return
    next_at = now + retry_delay(attempts, mail)
    store.mark_retry(entry.id, error=message, next_attempt_at=iso(next_at))
    report.retrying.append((entry.id, entry.recipient, message))
    log.warning(
        "%s %d to %s will be retried at %s: %s",
        entry.kind,
        entry.id,
        entry.recipient,
        iso(next_at),
        message,
    )
