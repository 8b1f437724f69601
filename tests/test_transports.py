"""Transports against real servers on 127.0.0.1: aiosmtpd (plain, STARTTLS + AUTH, implicit
TLS, refusals), a raw socket server that hangs up mid-DATA, and real files for the outbox."""

from __future__ import annotations

import email
import os
import socket
import ssl
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.smtp import AuthResult, LoginPassword

from digests.render import RenderedDigest, build_message
from digests.transports import FilesTransport, SmtpTransport, eml_filename
from tests.mailservers import TIMEOUT, Capture, HangUpServer, free_port
from watcher.errors import DeliveryError

USER, PASSWORD = "digest", "s3cret-Pa55"
SENDER = "digest@example.org"
RECIPIENT = "surgeon@example.org"


# --- fixtures -------------------------------------------------------------------------------


def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def message() -> EmailMessage:
    rendered = RenderedDigest(
        subject="Week of 16 Nov 2026: 2 new studies — longest follow-up now 60 months",
        text="Two new studies.\nZoë says: MILD & ESI compared.\n",
        html="<p>Two new studies.</p><p>Zoë says: MILD &amp; ESI compared.</p>",
    )
    return build_message(
        rendered,
        sender=f"mildwatch <{SENDER}>",
        to=f"Zoë Müller <{RECIPIENT}>",
        message_id="<digest.42.20261116@mildwatch.example.org>",
        date=datetime(2026, 11, 23, 7, 0, tzinfo=UTC),
    )


@pytest.fixture
def starttls_auth(start_smtpd, server_tls: ssl.SSLContext) -> tuple[Capture, int]:
    """A server that requires STARTTLS (a certificate from the test CA), then AUTH as USER."""
    handler = Capture()
    port = start_smtpd(
        handler,
        tls_context=server_tls,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=authenticator,
    )
    return handler, port


def smtp(port: int, **kwargs: Any) -> SmtpTransport:
    kwargs.setdefault("security", "none")
    return SmtpTransport("127.0.0.1", port, timeout=TIMEOUT, local_hostname="client.test", **kwargs)


# --- SMTP: success ----------------------------------------------------------------------------


def test_plain_smtp_delivers(start_smtpd, message: EmailMessage) -> None:
    handler = Capture()
    port = start_smtpd(handler)
    smtp(port).send(message)
    [got] = handler.received
    assert got["mail_from"] == SENDER
    assert got["rcpt_tos"] == [RECIPIENT]
    assert got["message"]["Subject"] == str(message["Subject"])
    assert got["message"]["Message-ID"] == "<digest.42.20261116@mildwatch.example.org>"
    assert "Zoë says: MILD & ESI" in got["message"].get_body(("plain",)).get_content()
    assert not got["tls"]


def test_starttls_with_auth(
    starttls_auth: tuple[Capture, int], ca_file, message: EmailMessage
) -> None:
    handler, port = starttls_auth
    smtp(port, security="starttls", username=USER, password=PASSWORD, ca_file=ca_file).send(message)
    [got] = handler.received
    assert got["tls"] and got["authenticated"]
    assert got["rcpt_tos"] == [RECIPIENT]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_implicit_tls_with_auth(start_smtpd, server_tls, ca_file, message: EmailMessage) -> None:
    handler = Capture()
    port = start_smtpd(
        handler,
        ssl_context=server_tls,
        auth_required=True,
        auth_require_tls=False,  # aiosmtpd only counts STARTTLS as TLS
        authenticator=authenticator,
    )
    smtp(port, security="ssl", username=USER, password=PASSWORD, ca_file=ca_file).send(message)
    [got] = handler.received
    assert got["tls"] and got["authenticated"]


@pytest.mark.parametrize("security", ["none", "starttls"])
def test_the_connection_sends_without_waiting_for_acknowledgements(
    starttls_auth: tuple[Capture, int], start_smtpd, ca_file, security: str
) -> None:
    """Nagle's algorithm is off (TCP_NODELAY), still after STARTTLS: otherwise a message's
    last TLS record can wait on the server's delayed acknowledgement (docs/benchmarks.md)."""
    port = starttls_auth[1] if security == "starttls" else start_smtpd(Capture())
    transport = smtp(port, security=security, ca_file=ca_file)
    connection, context = transport.connect()
    try:
        transport.hello(connection, context)
        assert isinstance(connection.sock, ssl.SSLSocket) == (security == "starttls")
        assert connection.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        connection.close()


# --- SMTP: failures ---------------------------------------------------------------------------


def test_wrong_password_is_reported_without_the_password(
    starttls_auth: tuple[Capture, int], ca_file, message: EmailMessage
) -> None:
    handler, port = starttls_auth
    wrong = "hunter2-not-it"
    transport = smtp(port, security="starttls", username=USER, password=wrong, ca_file=ca_file)
    with pytest.raises(DeliveryError) as caught:
        transport.send(message)
    text = str(caught.value)
    assert not caught.value.permanent
    assert f"127.0.0.1:{port}" in text and "password" in text and USER in text
    assert wrong not in text and wrong not in repr(transport)
    assert handler.received == []


def test_connection_refused_is_temporary(message: EmailMessage) -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(DeliveryError) as caught:
        smtp(port).send(message)
    assert not caught.value.permanent
    assert f"127.0.0.1:{port}" in str(caught.value) and "refused" in str(caught.value)


def test_silent_server_times_out(message: EmailMessage) -> None:
    with socket.socket() as listener:  # accepts (kernel backlog) but never greets
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        transport = SmtpTransport(
            "127.0.0.1", port, security="none", timeout=0.3, local_hostname="client.test"
        )
        with pytest.raises(DeliveryError) as caught:
            transport.send(message)
    assert not caught.value.permanent
    assert "did not answer" in str(caught.value)


def test_untrusted_certificate_is_refused(start_smtpd, server_tls, message: EmailMessage) -> None:
    handler = Capture()
    port = start_smtpd(handler, tls_context=server_tls, require_starttls=True)
    with pytest.raises(DeliveryError) as caught:
        smtp(port, security="starttls").send(message)  # the test CA is not trusted
    assert not caught.value.permanent
    assert "certificate" in str(caught.value) and "ca_file" in str(caught.value)
    assert handler.received == []


def test_starttls_not_offered(start_smtpd, message: EmailMessage) -> None:
    port = start_smtpd(Capture())
    with pytest.raises(DeliveryError, match="does not offer STARTTLS"):
        smtp(port, security="starttls").send(message)


@pytest.mark.parametrize(
    ("handler", "permanent", "words"),
    [
        (Capture(rcpt_reply="450 4.2.1 Mailbox busy, try later"), False, "try later"),
        (Capture(rcpt_reply="550 5.1.1 No such user here"), True, "No such user"),
        (Capture(mail_reply="553 5.7.1 Sender not allowed"), True, "Sender not allowed"),
        (Capture(mail_reply="451 4.3.0 Try again"), False, "Try again"),
        (Capture(data_reply="554 5.6.0 Message rejected as spam"), True, "rejected as spam"),
        (Capture(data_reply="451 4.3.0 Queue full"), False, "Queue full"),
    ],
    ids=["rcpt-4xx", "rcpt-5xx", "mail-5xx", "mail-4xx", "data-5xx", "data-4xx"],
)
def test_smtp_replies_decide_permanence(
    start_smtpd, message: EmailMessage, handler: Capture, permanent: bool, words: str
) -> None:
    port = start_smtpd(handler)
    with pytest.raises(DeliveryError) as caught:
        smtp(port).send(message)
    assert caught.value.permanent is permanent
    assert words in str(caught.value) and f"127.0.0.1:{port}" in str(caught.value)


def test_disconnect_mid_data_is_temporary(message: EmailMessage) -> None:
    with HangUpServer() as hangup, pytest.raises(DeliveryError) as caught:
        smtp(hangup.port).send(message)
    assert not caught.value.permanent
    assert f"127.0.0.1:{hangup.port}" in str(caught.value)


def test_bad_security_setting_is_rejected() -> None:
    with pytest.raises(ValueError, match="security"):
        SmtpTransport("127.0.0.1", 25, security="tls")  # type: ignore[arg-type]


# --- files ------------------------------------------------------------------------------------


def test_files_transport_writes_a_parseable_eml(tmp_path: Path, message: EmailMessage) -> None:
    outbox = tmp_path / "outbox"  # created on first send
    FilesTransport(outbox).send(message)
    [path] = outbox.iterdir()
    assert path.name == "digest.42.20261116@mildwatch.example.org.eml"
    parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsed["Message-ID"] == "<digest.42.20261116@mildwatch.example.org>"
    assert parsed["Subject"] == str(message["Subject"])
    assert parsed["To"].addresses[0].display_name == "Zoë Müller"
    assert "MILD & ESI" in parsed.get_body(("plain",)).get_content()
    assert "MILD &amp; ESI" in parsed.get_body(("html",)).get_content()


def test_resend_replaces_the_file_atomically(tmp_path: Path, message: EmailMessage) -> None:
    transport = FilesTransport(tmp_path)
    transport.send(message)
    [path] = tmp_path.iterdir()
    first_inode = path.stat().st_ino
    message.replace_header("Subject", "second version")
    transport.send(message)
    [again] = tmp_path.iterdir()
    assert again == path
    assert again.stat().st_ino != first_inode  # a new file renamed over, not rewritten in place
    assert email.message_from_bytes(again.read_bytes(), policy=policy.default)["Subject"] == (
        "second version"
    )


def test_failed_write_leaves_no_temporary_file(tmp_path: Path, message: EmailMessage) -> None:
    (tmp_path / eml_filename(str(message["Message-ID"]))).mkdir()  # rename onto it fails
    with pytest.raises(DeliveryError) as caught:
        FilesTransport(tmp_path).send(message)
    assert str(tmp_path) in str(caught.value) and not caught.value.permanent
    assert [p.name for p in tmp_path.iterdir()] == [eml_filename(str(message["Message-ID"]))]


def test_outbox_folder_that_is_a_file(tmp_path: Path, message: EmailMessage) -> None:
    blocker = tmp_path / "outbox"
    blocker.write_text("not a folder")
    with pytest.raises(DeliveryError, match="outbox folder"):
        FilesTransport(blocker).send(message)


def test_message_without_id_is_refused(tmp_path: Path, message: EmailMessage) -> None:
    del message["Message-ID"]
    with pytest.raises(DeliveryError) as caught:
        FilesTransport(tmp_path).send(message)
    assert caught.value.permanent
    assert os.listdir(tmp_path) == []


def test_eml_filename_is_safe_and_distinct() -> None:
    assert eml_filename("<abc.1@host>") == "abc.1@host.eml"
    odd = [eml_filename("<../../etc/passwd@x>"), eml_filename("<a/b@x>"), eml_filename("<a_b@x>")]
    assert all("/" not in name and not name.startswith(".") for name in odd)
    assert len(set(odd)) == 3


# --- SMTP: one connection for a batch -----------------------------------------------------------


def test_a_batch_greets_starttls_and_logs_in_once(
    starttls_auth: tuple[Capture, int], ca_file, message: EmailMessage
) -> None:
    handler, port = starttls_auth
    transport = smtp(port, security="starttls", username=USER, password=PASSWORD, ca_file=ca_file)
    data = message.as_bytes(policy=policy.SMTP)
    with transport.batch() as batch:
        for n in range(3):
            copy = data.replace(b"digest.42.", f"digest.{n}.".encode())
            batch.send_raw(copy, message_id=f"<{n}>", sender=SENDER, recipients=[RECIPIENT])
        assert batch.connections == 1
    assert len(handler.received) == 3
    assert all(got["tls"] and got["authenticated"] for got in handler.received)
    assert len({id(got["session"]) for got in handler.received}) == 1  # one connection
    ids = [got["message"]["Message-ID"] for got in handler.received]
    assert ids == [f"<digest.{n}.20261116@mildwatch.example.org>" for n in range(3)]
