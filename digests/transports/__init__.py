"""Where a finished message goes: an SMTP relay, or a folder of ``.eml`` files (the default).

Both have ``send(message) -> None`` and ``send_raw(data, ...) -> None`` (the outbox re-sends
the exact stored bytes, so a retry is the very same message), and raise ``DeliveryError``;
``permanent=True`` means that retrying this message cannot help (the server refused the
recipient or the content with a 5xx), so the outbox stops retrying it. Everything else (no
connection, timeouts, 4xx, a server that hangs up mid-message, TLS and login failures) is
temporary: the outbox retries with backoff and keeps reporting the error, which names the
server and the setting to fix, never the password. ``ServerUnavailable`` (a
``DeliveryError``) says the failure was not about this message (no connection, TLS or login
failed): every other message would fail the same way right now.

``batch()`` is what the outbox sends through: a context manager whose ``send_raw`` reuses one
SMTP connection for every message of a run (the files transport needs no connection).
``keeps_copy`` says the transport keeps its own copy of what it sent (the .eml files), so
the outbox need not keep the bytes in the database too.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from email.message import EmailMessage
from typing import Protocol

from digests.transports.files import FilesTransport, eml_filename
from digests.transports.smtp import SmtpTransport

__all__ = [
    "FilesTransport",
    "RawSender",
    "SmtpTransport",
    "Transport",
    "eml_filename",
]


class RawSender(Protocol):
    def send_raw(
        self, data: bytes, *, message_id: str, sender: str, recipients: Sequence[str]
    ) -> None: ...


class Transport(Protocol):
    @property
    def keeps_copy(self) -> bool: ...

    def batch(self) -> AbstractContextManager[RawSender]: ...

    def send(self, message: EmailMessage) -> None: ...

    def send_raw(
        self, data: bytes, *, message_id: str, sender: str, recipients: Sequence[str]
    ) -> None: ...
