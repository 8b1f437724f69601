"""Sending through an SMTP relay with smtplib, always verifying TLS certificates.

Every failure is a ``DeliveryError`` naming the server and the setting to fix, never the
password; ``permanent=True`` when the server refused the recipient or the content with a 5xx.
``ServerUnavailable`` (no connection, TLS or login failed) says every other message would fail
the same way right now.
"""

from __future__ import annotations

import base64
import logging
import re
import smtplib
import ssl
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from watcher.errors import DeliveryError, OutcomeUnknown, ServerUnavailable

log = logging.getLogger(__name__)

Security = Literal["starttls", "ssl", "none"]
SECURITY_MODES: tuple[str, ...] = ("starttls", "ssl", "none")


class SmtpTransport:
    """Sends through an SMTP server with smtplib, always verifying TLS certificates.

    ``security``: "starttls" (port 587: plain connection upgraded with STARTTLS, which must be
    offered), "ssl" (port 465: TLS from the first byte) or "none" (a local relay on port 25;
    a password is then sent in clear, which is logged as a warning). ``ca_file`` replaces the
    system's trusted CAs, for a relay with a private CA (and for tests).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        ca_file: Path | str | None = None,
        local_hostname: str | None = None,
    ) -> None:
        if security not in SECURITY_MODES:
            raise ValueError(f"security must be one of {SECURITY_MODES}, not {security!r}")
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self._password = password
        self.timeout = timeout
        self.ca_file = Path(ca_file) if ca_file else None
        self.local_hostname = local_hostname

    def __repr__(self) -> str:  # never show the password
        return (
            f"SmtpTransport({self.host!r}, {self.port}, security={self.security!r}, "
            f"username={self.username!r})"
        )

    @property
    def server(self) -> str:
        return f"SMTP server {self.host}:{self.port}"

    def tls_context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        except (OSError, ssl.SSLError) as error:
            raise DeliveryError(
                f"cannot load the CA file {self.ca_file} for the {self.server}: {error}; "
                "fix the ca_file setting (a PEM file) or remove it to use the system CAs"
            ) from error

    def send(self, message: EmailMessage) -> None:
        self._deliver(lambda smtp: smtp.send_message(message))

    def send_raw(
        self, data: bytes, *, message_id: str, sender: str, recipients: Sequence[str]
    ) -> None:
        """Send ``data`` byte for byte (CRLF line endings, as ``policy.SMTP`` writes them)."""
        options = ["SMTPUTF8"] if not all(a.isascii() for a in (sender, *recipients)) else []

        def transfer(smtp: smtplib.SMTP) -> dict[str, tuple[int, bytes]]:
            if options and not smtp.has_extn("smtputf8"):
                raise smtplib.SMTPNotSupportedError("the server does not support SMTPUTF8")
            return self._mail_rcpt_data(smtp, sender, list(recipients), data, options)

        self._deliver(transfer)

    def _mail_rcpt_data(
        self,
        smtp: smtplib.SMTP,
        sender: str,
        recipients: list[str],
        data: bytes,
        options: list[str],
    ) -> dict[str, tuple[int, bytes]]:
        """``smtplib.sendmail`` step by step, so the one ambiguous moment is known: after
        the final "." has gone out and before the server's reply. A failure before that
        point is a plain failure (the server cannot have kept a message it did not get
        whole); a lost reply after it (a timeout, or the connection closed without a reset)
        is ``OutcomeUnknown``."""
        code, reply = smtp.mail(sender, options)
        if code != 250:
            smtp.rset()
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        refused: dict[str, tuple[int, bytes]] = {}
        for rcpt in recipients:
            code, reply = smtp.rcpt(rcpt)
            if code not in (250, 251):
                refused[rcpt] = (code, reply)
        if len(refused) == len(recipients):
            smtp.rset()
            raise smtplib.SMTPRecipientsRefused(refused)
        code, reply = smtp.docmd("data")
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        body = re.sub(rb"(?m)^\.", b"..", data)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        smtp.send(body + b".\r\n")
        try:
            code, reply = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            if isinstance(error, ConnectionResetError) or isinstance(
                error.__context__, ConnectionResetError
            ):
                raise  # a reset: the server dropped the message unread, it did not keep it
            raise OutcomeUnknown(
                f"the {self.server} received the whole message but its reply was lost "
                f"({error or type(error).__name__}); it may have been delivered, so it is held "
                "back instead of being sent again at once"
            ) from error
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)
        return refused

    def _deliver(self, transfer: Callable[[smtplib.SMTP], dict[str, tuple[int, bytes]]]) -> None:
        try:
            self._send(transfer)
        except DeliveryError as error:
            error.args = (self._redact(str(error)),)
            raise

    def _send(self, transfer: Callable[[smtplib.SMTP], dict[str, tuple[int, bytes]]]) -> None:
        try:
            smtp, context = self._connect()
        except DeliveryError as error:
            raise ServerUnavailable(str(error), permanent=False) from error.__cause__
        try:
            try:
                self._hello(smtp, context)
                self._login(smtp)
            except DeliveryError as error:
                raise ServerUnavailable(str(error), permanent=False) from error.__cause__
            refused = self._transfer(smtp, transfer)
        finally:
            _close(smtp)
        if refused:
            # Some recipients took it; a retry would send them a duplicate, so do not retry.
            details = "; ".join(
                f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg) in refused.items()
            )
            raise DeliveryError(
                f"the {self.server} refused some recipients ({details}); the others received "
                "the digest. Check those addresses",
                permanent=True,
            )

    def _connect(self) -> tuple[smtplib.SMTP, ssl.SSLContext | None]:
        context = self.tls_context() if self.security != "none" else None
        try:
            if self.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host,
                    self.port,
                    local_hostname=self.local_hostname,
                    timeout=self.timeout,
                    context=context,
                )
            else:
                smtp = smtplib.SMTP(
                    self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
                )
        except Exception as error:
            raise self._classify(error, "connecting") from error
        return smtp, context

    def _hello(self, smtp: smtplib.SMTP, context: ssl.SSLContext | None) -> None:
        try:
            smtp.ehlo()
            if self.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise DeliveryError(
                        f'the {self.server} does not offer STARTTLS; set security to "ssl" '
                        '(usually port 465) or, for a trusted local relay only, "none"'
                    )
                smtp.starttls(context=context)
                smtp.ehlo()
        except DeliveryError:
            raise
        except Exception as error:
            raise self._classify(error, "greeting") from error

    def _login(self, smtp: smtplib.SMTP) -> None:
        if not self.username:
            return
        if self.security == "none":
            log.warning(
                "logging in to %s without TLS: the password crosses the network in clear",
                self.server,
            )
        try:
            smtp.login(self.username, self._password or "")
        except smtplib.SMTPAuthenticationError as error:
            raise DeliveryError(
                f"the {self.server} rejected the login for user {self.username!r} "
                f"({error.smtp_code} {_text(error.smtp_error)}); check the SMTP username and "
                "password settings (the password is not shown)"
            ) from error
        except smtplib.SMTPNotSupportedError as error:
            raise DeliveryError(
                f"the {self.server} does not offer AUTH on this connection; it may require TLS "
                '(security = "starttls" or "ssl"), or remove the username to send without '
                "logging in"
            ) from error
        except Exception as error:
            raise self._classify(error, "logging in") from error

    def _transfer(
        self,
        smtp: smtplib.SMTP,
        transfer: Callable[[smtplib.SMTP], dict[str, tuple[int, bytes]]],
    ) -> dict[str, tuple[int, bytes]]:
        try:
            return transfer(smtp)
        except Exception as error:
            raise self._classify(error, "sending") from error

    def _classify(self, error: Exception, stage: str) -> DeliveryError:
        """Turn an smtplib/socket/TLS error into a DeliveryError saying what to do next."""
        server = self.server
        if isinstance(error, DeliveryError):
            return error  # already classified (OutcomeUnknown)
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            codes = [code for code, _ in error.recipients.values()]
            details = "; ".join(
                f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg) in error.recipients.items()
            )
            permanent = all(code >= 500 for code in codes)
            hint = (
                "check the subscriber's address" if permanent else "the server asked to try later"
            )
            return DeliveryError(
                f"the {server} refused the recipient ({details}); {hint}", permanent=permanent
            )
        if isinstance(error, smtplib.SMTPSenderRefused):
            permanent = error.smtp_code >= 500
            hint = (
                "check the sender address setting: the server must allow this account to use it"
                if permanent
                else "the server asked to try later"
            )
            return DeliveryError(
                f"the {server} refused the sender {error.sender!r} ({error.smtp_code} "
                f"{_text(error.smtp_error)}); {hint}",
                permanent=permanent,
            )
        if isinstance(error, smtplib.SMTPDataError):
            permanent = error.smtp_code >= 500
            return DeliveryError(
                f"the {server} refused the message ({error.smtp_code} "
                f"{_text(error.smtp_error)})"
                + ("; it will not be retried" if permanent else "; it will be retried"),
                permanent=permanent,
            )
        if isinstance(error, smtplib.SMTPServerDisconnected) and isinstance(
            error.__context__, TimeoutError
        ):
            error = error.__context__  # smtplib reports a read timeout as a disconnect
        if isinstance(error, smtplib.SMTPServerDisconnected):
            return DeliveryError(
                f"the {server} closed the connection while {stage}; it will be retried. If this "
                'persists, check the port and the security setting ("ssl" for port 465)'
            )
        if isinstance(error, smtplib.SMTPNotSupportedError) and stage == "sending":
            return DeliveryError(
                f"the {server} cannot take this message ({error}); an address with non-ASCII "
                "characters needs a server with SMTPUTF8",
                permanent=True,
            )
        if isinstance(error, smtplib.SMTPResponseException):
            return DeliveryError(
                f"the {server} answered {error.smtp_code} {_text(error.smtp_error)} while "
                f"{stage}; it will be retried",
                permanent=False,
            )
        if isinstance(error, ssl.SSLCertVerificationError):
            return DeliveryError(
                f"the TLS certificate of the {server} could not be verified "
                f"({error.verify_message}); fix the server's certificate, check the host name "
                "matches it, or set ca_file to the CA that signed it"
            )
        if isinstance(error, ssl.SSLError):
            return DeliveryError(
                f"TLS with the {server} failed while {stage} ({error.reason or error}); check the "
                'security setting: "ssl" for port 465, "starttls" for port 587'
            )
        if isinstance(error, ConnectionRefusedError):
            return DeliveryError(
                f"the {server} refused the connection; check the SMTP host and port, and that "
                "the server is running"
            )
        if isinstance(error, TimeoutError):
            return DeliveryError(
                f"the {server} did not answer within {self.timeout:g} s while {stage}; check the "
                "host, port and firewall, or raise the timeout"
            )
        if isinstance(error, smtplib.SMTPException):
            return DeliveryError(f"the {server} failed while {stage}: {error}; it will be retried")
        if isinstance(error, OSError):
            return DeliveryError(
                f"the connection to the {server} failed while {stage} ({error}); it will be "
                "retried. If this persists, check the SMTP host and port and the network"
            )
        return DeliveryError(f"unexpected error from the {server} while {stage}: {error!r}")

    def _redact(self, text: str) -> str:
        """Belt and braces: a server echoing credentials must not put them in our logs."""
        secret = self._password
        if not secret:
            return text
        forms = {secret}
        user = (self.username or "").encode()
        for raw in (secret.encode(), b"\0" + user + b"\0" + secret.encode()):
            forms.add(base64.b64encode(raw).decode())
        for form in sorted(forms, key=len, reverse=True):
            text = text.replace(form, "***")
        return text


def _text(value: bytes | str) -> str:
    """A server reply as one short line."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(value.split())[:300]


def _close(smtp: smtplib.SMTP) -> None:
    """QUIT politely; once the message was accepted, a failing QUIT must not cause a resend."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
