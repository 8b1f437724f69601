"""Settling a digest held back after an ambiguous send (`mildwatch outbox settle`): the admin
read the relay's log, so the hold need not be waited out, and nothing is sent twice."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.faults.conftest import Site
from tests.faults.test_smtp import SilentAfterDot, smtp_site
from tests.mailservers import Capture
from watcher.localpubmed import LocalPubMed
from watcher.store import Store


@dataclass
class Held:
    """A site whose digest to a@example.org is held back, its relay now healthy."""

    site: Site
    digest_id: int
    relay: Capture

    def to_subscriber(self) -> list[dict]:
        return [r for r in self.relay.received if r["rcpt_tos"] == ["a@example.org"]]


@pytest.fixture
def held(tmp_path, pubmed: LocalPubMed, start_smtpd) -> Held:
    silent = SilentAfterDot(hang=False)
    site = smtp_site(tmp_path / "site", pubmed, silent.port)
    assert site.cli("poll").exit_code == 0
    assert site.cli("subscribers", "add", "a@example.org").exit_code == 0
    assert "HELD" in site.cli("digest", "send", "--all").output
    with Store.open(site.database) as store:
        (digest,) = [e for e in store.uncertain_digests() if e.kind != "alert"]
    relay = Capture()
    port = start_smtpd(relay)
    site.config.write_text(
        site.config.read_text().replace(f"port = {silent.port}", f"port = {port}")
    )
    silent.close()
    return Held(site, digest.id, relay)


def test_settled_as_delivered_is_never_offered_again(held: Held) -> None:
    site, digest_id = held.site, held.digest_id
    result = site.cli("outbox", "settle", str(digest_id), "--delivered")
    assert result.exit_code == 0 and "recorded as sent" in result.output
    with Store.open(site.database) as store:
        entry = store.digest(digest_id)
        assert entry is not None and entry.status == "sent" and entry.uncertain_at is None
        assert not [e for e in store.uncertain_digests() if e.kind != "alert"]
    site.cli("digest", "send")
    assert held.to_subscriber() == []

    again = site.cli("outbox", "settle", str(digest_id), "--not-delivered")
    assert again.exit_code == 1
    assert f"digest {digest_id} is not held back (it is sent)" in again.output
    assert "Traceback" not in again.output


def test_settled_as_not_delivered_goes_out_at_the_next_send_once(held: Held) -> None:
    site, digest_id = held.site, held.digest_id
    site.cli("digest", "send")  # within the hold: not offered
    assert held.to_subscriber() == []

    result = site.cli("outbox", "settle", str(digest_id), "--not-delivered")
    assert result.exit_code == 0 and "will be sent at the next send" in result.output
    site.cli("digest", "send")
    site.cli("digest", "send")
    assert len(held.to_subscriber()) == 1
    with Store.open(site.database) as store:
        entry = store.digest(digest_id)
        assert entry is not None and entry.status == "sent"


def test_settle_needs_a_verdict_and_a_known_digest(tmp_path, pubmed: LocalPubMed) -> None:
    site = smtp_site(tmp_path / "site", pubmed, 1)
    no_verdict = site.cli("outbox", "settle", "1")
    assert no_verdict.exit_code == 2 and "--delivered" in no_verdict.output
    unknown = site.cli("outbox", "settle", "99", "--delivered")
    assert unknown.exit_code == 1 and "no digest 99 in the outbox" in unknown.output
