"""SMTP rows of ``benchmarks/perf.py``: the queued weekly update digests delivered through
``mildwatch digest send``'s delivery step (``jobs.mail_job`` → ``digests.outbox`` → the SMTP
transport) against the anchor, one reused ``smtplib`` connection sending the same bytes.

The server is aiosmtpd on 127.0.0.1 in a child process (so that its work does not share our
interpreter); with TLS it offers STARTTLS with a certificate from a throw-away CA (trustme)
and requires a login, as a relay on port 587 does. Times are wall clock: sending is waiting.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing
import smtplib
import socket
import ssl
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.perf_common import new_site
from benchmarks.perf_digests import copy_database
from digests.outbox import sender_address
from watcher.cli import jobs
from watcher.clock import iso
from watcher.config import Config
from watcher.store import Store

USER, PASSWORD = "benchmark", "benchmark-password"  # a throw-away server's, never a real one


# --- the server, in its own process ---------------------------------------------------------


class Counter:
    """Accepts every message and counts them."""

    def __init__(self) -> None:
        self.messages = 0
        self.bytes = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages += 1
        self.bytes += len(envelope.original_content or b"")
        return "250 OK"


def _check_login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(data, LoginPassword) and data == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


def _serve(port: int, cert: str | None, key: str | None, conn: Any) -> None:
    """Child process: aiosmtpd on ``port`` (STARTTLS + login required when given a
    certificate); answers "count" and "stop"."""
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    handler = Counter()
    options: dict[str, Any] = {}
    if cert and key:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        options = {
            "tls_context": context,
            "require_starttls": True,
            "auth_required": True,
            "auth_require_tls": True,
            "authenticator": _check_login,
        }
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    conn.send(port)
    while conn.recv() != "stop":
        conn.send((handler.messages, handler.bytes))
    controller.stop()
    conn.send(None)


class SmtpServer:
    """``with SmtpServer(tls_files) as server:`` aiosmtpd in a child process."""

    def __init__(self, cert: Path | None = None, key: Path | None = None) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        args = (self.port, str(cert) if cert else None, str(key) if key else None, child)
        self._process = context.Process(target=_serve, args=args, daemon=True)

    def __enter__(self) -> SmtpServer:
        self._process.start()
        self._conn.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError, EOFError):
            self._conn.send("stop")
            self._conn.recv()
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()

    def received(self) -> tuple[int, int]:
        self._conn.send("count")
        return self._conn.recv()


# --- the two sides --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Delivery:
    mode: str  # "plain" | "STARTTLS + login"
    messages: int
    mean_bytes: float
    ours: float  # seconds
    anchor: float  # stock smtplib
    anchor_no_delay: float  # smtplib with TCP_NODELAY, as our transport sets it

    @property
    def best_anchor(self) -> float:
        """The faster anchor: the ratio is judged against it."""
        return min(self.anchor, self.anchor_no_delay)

    @property
    def per_second(self) -> float:
        return self._rate(self.ours)

    @property
    def anchor_per_second(self) -> float:
        return self._rate(self.anchor)

    @property
    def no_delay_per_second(self) -> float:
        return self._rate(self.anchor_no_delay)

    def _rate(self, seconds: float) -> float:
        return self.messages / seconds if seconds else 0.0


def smtp_config(config: Config, port: int, ca_file: Path | None) -> Config:
    """``config`` sending through the local server (STARTTLS and a login with a CA file)."""
    smtp = dataclasses.replace(
        config.mail.smtp,
        host="127.0.0.1",
        port=port,
        security="starttls" if ca_file else "none",
        username=USER if ca_file else None,
        password=PASSWORD if ca_file else None,
        ca_file=ca_file,
        timeout=60.0,
    )
    return dataclasses.replace(
        config, mail=dataclasses.replace(config.mail, transport="smtp", smtp=smtp)
    )


def ours(config: Config, now: datetime) -> tuple[float, int]:
    started = time.perf_counter()
    report = jobs.mail_job(config, now=now, lock_wait=0)
    seconds = time.perf_counter() - started
    if not report.delivery.ok:
        problem = report.problem or "some digests were not sent"
        raise SystemExit(f"SMTP benchmark: delivery failed: {problem}")
    return seconds, len(report.delivery.sent)


def anchor(
    config: Config, now: datetime, port: int, ca_file: Path | None, *, no_delay: bool = False
) -> tuple[float, int]:
    """One smtplib connection (STARTTLS and login once), every queued message's bytes; with
    ``no_delay``, Nagle's algorithm off (TCP_NODELAY), as our transport has it. Stock smtplib
    leaves it on, and with TLS a message's last short record then often waits for the
    server's delayed acknowledgement: the anchor is timed both ways, so that our ratio is not
    flattered by that wait."""
    with Store.open(config.database) as store:
        queued = [(e.recipient, store.message(e.id)) for e in store.sendable(now=iso(now))]
    sender = sender_address(config.mail)
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        if no_delay:
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ca_file:
            smtp.starttls(context=ssl.create_default_context(cafile=str(ca_file)))
            smtp.login(USER, PASSWORD)
        for recipient, data in queued:
            smtp.sendmail(sender, [recipient], data)
    return time.perf_counter() - started, len(queued)


def measure(queued_copy: Path, folder: Path, now: datetime) -> list[Delivery]:
    """Plain, then STARTTLS with a login: ours and the anchor (stock, then with TCP_NODELAY)
    against the same server, each from its own copy of the database with the same digests
    queued."""
    import trustme

    folder.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    ca_file, cert, key = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca.cert_pem.write_to_path(str(ca_file))
    issued = ca.issue_cert("127.0.0.1", "localhost")
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    results = []
    for mode, tls in (("plain", False), ("STARTTLS + login", True)):
        with SmtpServer(cert if tls else None, key if tls else None) as server:
            site = new_site(folder / f"site-{'tls' if tls else 'plain'}", "http://127.0.0.1:9/")
            copy_database(queued_copy, site.database)
            config = smtp_config(site, server.port, ca_file if tls else None)
            tls_ca = ca_file if tls else None
            anchor_seconds, anchor_count = anchor(config, now, server.port, tls_ca)
            no_delay_seconds, _ = anchor(config, now, server.port, tls_ca, no_delay=True)
            ours_seconds, sent = ours(config, now)
            received, size = server.received()
            if sent != anchor_count or received != sent + 2 * anchor_count:
                raise SystemExit(
                    f"SMTP benchmark ({mode}): sent {sent}, anchor {anchor_count}, "
                    f"server received {received}: a message was lost or sent twice"
                )
            results.append(
                Delivery(
                    mode, sent, size / received, ours_seconds, anchor_seconds, no_delay_seconds
                )
            )
    return results
