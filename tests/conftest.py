"""Shared fixtures. Every test runs with the network beyond loopback cut off, so nothing can
quietly reach NCBI (DTD downloads, a forgotten base URL) and pass only on a connected machine.

Below the guard: a fresh Store, mail settings and real SMTP servers, for the digest and mail
tests (their builders are in tests/digest_factories.py and tests/mailservers.py)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from tests.digest_factories import mail_settings
from tests.factories import client_for
from tests.mailservers import free_port
from watcher.cli import cli
from watcher.config import MailSettings
from watcher.localpubmed import SAMPLE_DIR as PUBMED_SAMPLE
from watcher.localpubmed import LocalPubMed
from watcher.localregistry import SAMPLE_DIR as REGISTRY_SAMPLE
from watcher.localregistry import LocalRegistry
from watcher.pubmed import EntrezClient
from watcher.store import Store


class NetworkBlocked(OSError):
    """Raised instead of connecting anywhere but loopback."""


def _is_loopback(address: object) -> bool:
    if isinstance(address, (str, bytes)):
        return True  # AF_UNIX socket path
    if not (isinstance(address, tuple) and address):
        return False
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: object) -> None:
        if not _is_loopback(address):
            raise NetworkBlocked(f"test tried to reach {address!r}; only loopback is allowed")
        return real_connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: object) -> int:
        if not _is_loopback(address):
            raise NetworkBlocked(f"test tried to reach {address!r}; only loopback is allowed")
        return real_connect_ex(self, address)

    def guarded_getaddrinfo(host: object, *args: object, **kwargs: object):
        if isinstance(host, str) and host not in ("localhost", "127.0.0.1", "::1"):
            try:
                ipaddress.ip_address(host)
            except ValueError:
                raise NetworkBlocked(f"test tried to resolve {host!r}") from None
        return real_getaddrinfo(host, *args, **kwargs)

    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)


@pytest.fixture(scope="module")
def pubmed() -> Iterator[LocalPubMed]:
    """The local E-utilities server over the bundled sample, one per test module (a module
    that adds records to it defines its own, per test)."""
    with LocalPubMed(PUBMED_SAMPLE) as server:
        yield server


@pytest.fixture
def client(pubmed: LocalPubMed) -> EntrezClient:
    """Biopython's real Entrez client pointed at ``pubmed``."""
    return client_for(pubmed)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """An empty Store on a real SQLite file (test modules needing more define their own)."""
    with Store.open(tmp_path / "mildwatch.db") as opened:
        yield opened  # type: ignore[misc]


@pytest.fixture
def mail(tmp_path: Path) -> MailSettings:
    """Files transport into tmp_path/outbox; retry after 60 s, doubling; 3 attempts."""
    return mail_settings(tmp_path)


@pytest.fixture
def start_smtpd() -> Iterator[Callable[..., int]]:
    """``start(handler, port=None, **controller_options)`` runs an aiosmtpd server for
    ``handler`` on 127.0.0.1 (a free port unless one is given; the options are aiosmtpd's:
    TLS, AUTH, ...) and returns its port. Every server started stops after the test."""
    controllers: list[Controller] = []

    def start(handler: object, port: int | None = None, **kwargs: Any) -> int:
        port = port or free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        controllers.append(controller)
        return port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def configured(tmp_path: Path) -> Iterator[Path]:
    """A config made by `mildwatch init`, pointed at the local PubMed and registry servers
    (running for the test), for the command-line tests of whole runs."""
    with LocalPubMed(PUBMED_SAMPLE) as pubmed, LocalRegistry(REGISTRY_SAMPLE) as registry:
        config = tmp_path / "mildwatch.toml"
        CliRunner().invoke(cli, ["--config", str(config), "init", "--email", "admin@example.org"])
        text = (
            config.read_text()
            .replace(
                'base_url = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"',
                f'base_url = "{pubmed.base_url}"',
            )
            .replace(
                'base_url = "https://clinicaltrials.gov/api/v2/"',
                f'base_url = "{registry.base_url}"',
            )
        )
        config.write_text(text)
        yield config
