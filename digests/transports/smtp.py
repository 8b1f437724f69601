"""Sending through an SMTP relay with smtplib, always verifying TLS certificates.

Every failure is a ``DeliveryError`` naming the server and the setting to fix, never the
password; ``permanent=True`` when the server refused the recipient or the content with a 5xx.
``ServerUnavailable`` (no connection, TLS or login failed) says every other message would fail
the same way right now. ``batch()`` keeps one connection for many messages (smtpbatch.py).
"""

from __future__ import annotations

import base64
import logging
import smtplib
import socket
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from digests.transports.smtpbatch import SmtpBatch, reply_text
from watcher.errors import DeliveryError

log = logging.getLogger(__name__)

Security = Literal["starttls", "ssl", "none"]
SECURITY_MODES: tuple[str, ...] = ("starttls", "ssl", "none")


def send_at_once(smtp: smtplib.SMTP) -> None:
    """Turn off Nagle's algorithm on the connection (``TCP_NODELAY``, as ``http.client``
    does). Over TLS a message leaves as a run of 16 kB records, and the last, short one (the
    final "." among it) would otherwise wait for the server to acknowledge the ones before,
    which it may delay by 40 ms or more: measured on loopback, stock smtplib with STARTTLS
    sent 127 kB digests at 120-160 msg/s with the delay and at 290 msg/s without
    (docs/benchmarks.md). SMTP waits for a reply after every command anyway, so there is
    nothing for Nagle to batch. The option stays on the socket through STARTTLS."""
    if smtp.sock is not None and smtp.sock.family in (socket.AF_INET, socket.AF_INET6):
        smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class SmtpTransport:
    """Sends through an SMTP server with smtplib, always verifying TLS certificates.

    ``security``: "starttls" (port 587: plain connection upgraded with STARTTLS, which must be
    offered), "ssl" (port 465: TLS from the first byte) or "none" (a local relay on port 25;
    a password is then sent in clear, which is logged as a warning). ``ca_file`` replaces the
    system's trusted CAs, for a relay with a private CA (and for tests).
    """

    keeps_copy = False  # what went out is kept only in the database, for the retention period

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

    def batch(self) -> SmtpBatch:
        """One connection for many messages (``with transport.batch() as b: b.send_raw(...)``):
        greeting, STARTTLS and login once, reconnecting when the server hangs up."""
        return SmtpBatch(self)

    def send(self, message: EmailMessage) -> None:
        with self.batch() as batch:
            batch.send(message)

    def send_raw(
        self, data: bytes, *, message_id: str, sender: str, recipients: Sequence[str]
    ) -> None:
        """Send ``data`` byte for byte on a connection of its own."""
        with self.batch() as batch:
            batch.send_raw(data, message_id=message_id, sender=sender, recipients=recipients)

    def connect(self) -> tuple[smtplib.SMTP, ssl.SSLContext | None]:
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
            raise self.classify(error, "connecting") from error
        send_at_once(smtp)
        return smtp, context

    def hello(self, smtp: smtplib.SMTP, context: ssl.SSLContext | None) -> None:
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
            raise self.classify(error, "greeting") from error

    def login(self, smtp: smtplib.SMTP) -> None:
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
                f"({error.smtp_code} {reply_text(error.smtp_error)}); check the SMTP username and "
                "password settings (the password is not shown)"
            ) from error
        except smtplib.SMTPNotSupportedError as error:
            raise DeliveryError(
                f"the {self.server} does not offer AUTH on this connection; it may require TLS "
                '(security = "starttls" or "ssl"), or remove the username to send without '
                "logging in"
            ) from error
        except Exception as error:
            raise self.classify(error, "logging in") from error

    def classify(self, error: Exception, stage: str) -> DeliveryError:
        """Turn an smtplib/socket/TLS error into a DeliveryError saying what to do next."""
        server = self.server
        if isinstance(error, DeliveryError):
            return error  # already classified (OutcomeUnknown)
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            codes = [code for code, _ in error.recipients.values()]
            details = "; ".join(
                f"{rcpt}: {code} {reply_text(msg)}"
                for rcpt, (code, msg) in error.recipients.items()
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
                f"{reply_text(error.smtp_error)}); {hint}",
                permanent=permanent,
            )
        if isinstance(error, smtplib.SMTPDataError):
            permanent = error.smtp_code >= 500
            return DeliveryError(
                f"the {server} refused the message ({error.smtp_code} "
                f"{reply_text(error.smtp_error)})"
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
                f"the {server} answered {error.smtp_code} {reply_text(error.smtp_error)} while "
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

    def redact(self, text: str) -> str:
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
