"""Real SMTP servers on 127.0.0.1 for the mail tests (transports, end to end, the CLI): a free
port, an aiosmtpd handler that keeps what it accepts and refuses on cue, and a raw server that
hangs up mid-DATA. The ``start_smtpd`` fixture that runs a handler is in tests/conftest.py."""

from __future__ import annotations

import email
import socket
import threading
from email import policy
from email.message import EmailMessage
from typing import Any

TIMEOUT = 5.0  # seconds: the client timeout the tests configure, and the servers' own waits


def free_port() -> int:
    """A loopback port nothing listens on (yet)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Capture:
    """An aiosmtpd handler that keeps what it accepted, and can refuse on cue.

    ``rcpt_replies`` maps a recipient address ("*" for everyone) to the reply that refuses it;
    ``mail_reply`` and ``data_reply`` refuse every MAIL FROM or DATA."""

    def __init__(
        self,
        *,
        rcpt_reply: str | None = None,
        mail_reply: str | None = None,
        data_reply: str | None = None,
    ) -> None:
        self.rcpt_replies: dict[str, str] = {"*": rcpt_reply} if rcpt_reply else {}
        self.mail_reply = mail_reply
        self.data_reply = data_reply
        self.received: list[dict[str, Any]] = []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.rcpt_replies.get(address) or self.rcpt_replies.get("*")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.received.append(
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "raw": envelope.original_content,
                "message": email.message_from_bytes(
                    envelope.original_content, policy=policy.default
                ),
                "tls": server.transport.get_extra_info("ssl_object") is not None,
                "authenticated": session.authenticated,
                "session": session,  # one per connection: tests count connections by it
            }
        )
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [r["message"] for r in self.received]


class HangUpServer:
    """A minimal SMTP server for one client: it accepts MAIL/RCPT, says 354, reads the first
    line of the message and hangs up. ``close`` (or leaving the ``with`` block) frees its port,
    which a real server may then take over."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(TIMEOUT)
        self.port: int = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn, conn.makefile("rb") as reader:
            conn.sendall(b"220 hangup.test ESMTP\r\n")
            for line in reader:
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    conn.sendall(b"250 hangup.test\r\n")
                elif verb in (b"MAIL", b"RCPT"):
                    conn.sendall(b"250 OK\r\n")
                elif verb == b"DATA":
                    conn.sendall(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    reader.readline()  # the first header line, then hang up mid-message
                    return
                else:
                    conn.sendall(b"221 bye\r\n")
                    return

    def close(self) -> None:
        self.thread.join(TIMEOUT)
        self.listener.close()

    def __enter__(self) -> HangUpServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
