"""One SMTP connection for a batch of messages: greeting, STARTTLS and login once, then one
mail transaction per message, reconnecting when the server has hung up.

Apart from ``smtp.py`` (how to connect and how to name a failure) because this is about the
connection's life: opened on the first message, kept while it works, reset (RSET) after a
refused message so the next one starts clean, dropped when the server closed it or its state
is unknown.

Nothing is lost or sent twice because of the reuse. A message whose transaction fails on a
connection that had already carried a transaction, *before its final "." went out* (the
server closed an idle connection, said "421 too many messages", reset it), cannot have been
kept by the server, so it is offered once more on a fresh connection at once. A message whose
whole body went out and whose reply was lost is ``OutcomeUnknown`` and is never offered again
here (the outbox holds it). Everything else is reported as it would be with a connection of
its own.
"""

from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from typing import TYPE_CHECKING

from watcher.errors import DeliveryError, OutcomeUnknown, ServerUnavailable

if TYPE_CHECKING:
    from digests.transports.smtp import SmtpTransport

log = logging.getLogger(__name__)

Refused = dict[str, tuple[int, bytes]]
SERVICE_CLOSING = 421  # RFC 5321: the server is closing this connection


class SmtpBatch:
    """A context manager holding at most one open connection of ``transport``.

    ``send_raw`` / ``send`` have the transport's contract (``DeliveryError``,
    ``ServerUnavailable``, ``OutcomeUnknown``); ``connections`` counts the connections
    opened, for the log."""

    def __init__(self, transport: SmtpTransport) -> None:
        self._transport = transport
        self._smtp: smtplib.SMTP | None = None
        self._used = 0  # transactions the current connection finished and survived
        self._dot_sent = False  # the current message's final "." has gone out
        self.connections = 0

    def __enter__(self) -> SmtpBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """QUIT politely; once a message was accepted, a failing QUIT changes nothing."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def send(self, message: EmailMessage) -> None:
        """A whole ``EmailMessage`` through smtplib (envelope from its headers); smtplib
        does not say whether the "." went out, so a failure is never offered again here."""

        def transfer(smtp: smtplib.SMTP) -> Refused:
            self._dot_sent = True  # unknown: assume the worst
            return smtp.send_message(message)

        self._offer(transfer)

    def send_raw(
        self, data: bytes, *, message_id: str, sender: str, recipients: Sequence[str]
    ) -> None:
        """Send ``data`` byte for byte (CRLF line endings, as ``policy.SMTP`` writes them)."""
        options = ["SMTPUTF8"] if not all(a.isascii() for a in (sender, *recipients)) else []

        def transfer(smtp: smtplib.SMTP) -> Refused:
            if options and not smtp.has_extn("smtputf8"):
                raise smtplib.SMTPNotSupportedError("the server does not support SMTPUTF8")
            return self._transaction(smtp, sender, list(recipients), data, options)

        self._offer(transfer)

    # -- one message ---------------------------------------------------------------------

    def _offer(self, transfer: Callable[[smtplib.SMTP], Refused]) -> None:
        transport = self._transport
        try:
            refused = self._attempt(transfer)
        except DeliveryError as error:
            error.args = (transport.redact(str(error)),)
            raise
        if refused:
            # Some recipients took it; a retry would send them a duplicate, so do not retry.
            details = "; ".join(
                f"{rcpt}: {code} {reply_text(msg)}" for rcpt, (code, msg) in refused.items()
            )
            raise DeliveryError(
                f"the {transport.server} refused some recipients ({details}); the others "
                "received the digest. Check those addresses",
                permanent=True,
            )

    def _attempt(self, transfer: Callable[[smtplib.SMTP], Refused]) -> Refused:
        """Offer the message; once more on a fresh connection if a reused one was found
        closed before the message's final "." (it cannot have been kept)."""
        for last_try in (False, True):
            smtp = self._connection()
            reused = self._used > 0
            self._dot_sent = False
            try:
                refused = transfer(smtp)
            except Exception as error:
                closed = self._after_failure(smtp, error)
                if closed and reused and not self._dot_sent and not last_try:
                    log.info(
                        "the %s ended the connection after %d message(s) (%s); reconnecting",
                        self._transport.server,
                        self._used,
                        reply_text(str(error)) or type(error).__name__,
                    )
                    self._used = 0
                    continue
                if closed and not self._dot_sent and _code(error) == SERVICE_CLOSING:
                    raise ServerUnavailable(
                        str(self._transport.classify(error, "sending")), permanent=False
                    ) from error
                raise self._transport.classify(error, "sending") from error
            self._used += 1
            return refused
        raise AssertionError("unreachable: the last try returns or raises")

    def _after_failure(self, smtp: smtplib.SMTP, error: Exception) -> bool:
        """Make the connection fit for the next message: RSET it, or drop it when the server
        closed it or its state is unknown. True when it was dropped."""
        if not _connection_lost(error):
            try:
                code, _ = smtp.rset()
                if code == 250:
                    self._used += 1
                    return False
            except (smtplib.SMTPException, OSError):
                pass
        smtp.close()
        self._smtp = None
        return True

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        transport = self._transport
        try:
            smtp, context = transport.connect()
        except DeliveryError as error:
            raise ServerUnavailable(str(error), permanent=False) from error.__cause__
        try:
            transport.hello(smtp, context)
            transport.login(smtp)
        except DeliveryError as error:
            smtp.close()
            raise ServerUnavailable(str(error), permanent=False) from error.__cause__
        self._smtp, self._used = smtp, 0
        self.connections += 1
        return smtp

    def _transaction(
        self,
        smtp: smtplib.SMTP,
        sender: str,
        recipients: list[str],
        data: bytes,
        options: list[str],
    ) -> Refused:
        """``smtplib.sendmail`` step by step, so the one ambiguous moment is known: after
        the final "." has gone out and before the server's reply. A failure before that
        point is a plain failure (the server cannot have kept a message it did not get
        whole); a lost reply after it (a timeout, or the connection closed without a reset)
        is ``OutcomeUnknown``. Refusals raise and leave the RSET to the caller."""
        code, reply = smtp.mail(sender, options)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        refused: Refused = {}
        for rcpt in recipients:
            code, reply = smtp.rcpt(rcpt)
            if code == SERVICE_CLOSING:
                raise smtplib.SMTPRecipientsRefused({rcpt: (code, reply)})
            if code not in (250, 251):
                refused[rcpt] = (code, reply)
        if len(refused) == len(recipients):
            raise smtplib.SMTPRecipientsRefused(refused)
        code, reply = smtp.docmd("data")
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        body = re.sub(rb"(?m)^\.", b"..", data)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        smtp.send(body + b".\r\n")
        self._dot_sent = True
        try:
            code, reply = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            if isinstance(error, ConnectionResetError) or isinstance(
                error.__context__, ConnectionResetError
            ):
                raise  # a reset: the server dropped the message unread, it did not keep it
            raise OutcomeUnknown(
                f"the {self._transport.server} received the whole message but its reply was "
                f"lost ({error or type(error).__name__}); it may have been delivered, so it is "
                "held back instead of being sent again at once"
            ) from error
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)
        return refused


def _code(error: Exception) -> int | None:
    """The SMTP reply code an smtplib error carries (the worst, for refused recipients)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return SERVICE_CLOSING if SERVICE_CLOSING in codes else max(codes, default=None)
    return getattr(error, "smtp_code", None)


def _connection_lost(error: Exception) -> bool:
    """The server closed the connection, said it will (421), or its state is unknown
    (a socket error, a timeout, a lost reply)."""
    if isinstance(error, OutcomeUnknown | smtplib.SMTPServerDisconnected):
        return True
    if _code(error) == SERVICE_CLOSING:
        return True
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def reply_text(value: bytes | str) -> str:
    """A server reply as one short line."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(value.split())[:300]
