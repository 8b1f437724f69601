"""Settling a digest held back after an ambiguous send (`mildwatch outbox settle`): the admin
read the relay's log, so the hold need not be waited out, and nothing is sent twice."""

from __future__ import annotations

from tests.faults.conftest import Site
from tests.faults.test_smtp import SilentAfterDot, smtp_site
from tests.mailservers import Capture
from watcher.localpubmed import LocalPubMed
from watcher.store import Store


def held_digest(site: Site, silent: SilentAfterDot) -> int:
    assert site.cli("poll").exit_code == 0
    assert site.cli("subscribers", "add", "a@example.org").exit_code == 0
    assert "HELD" in site.cli("digest", "send", "--all").output
    with Store.open(site.database) as store:
        (held,) = [e for e in store.uncertain_digests() if e.kind != "alert"]
    return held.id


def healthy_relay(site: Site, silent: SilentAfterDot, start_smtpd) -> Capture:
    capture = Capture()
    port = start_smtpd(capture)
    text = site.config.read_text().replace(f"port = {silent.port}", f"port = {port}")
    site.config.write_text(text)
    silent.close()
    return capture


def test_settled_as_delivered_is_never_offered_again(
    tmp_path, pubmed: LocalPubMed, start_smtpd
) -> None:
    silent = SilentAfterDot(hang=False)
    site = smtp_site(tmp_path / "site", pubmed, silent.port)
    digest_id = held_digest(site, silent)
    capture = healthy_relay(site, silent, start_smtpd)

    result = site.cli("outbox", "settle", str(digest_id), "--delivered")
    assert result.exit_code == 0 and "recorded as sent" in result.output
    with Store.open(site.database) as store:
        entry = store.digest(digest_id)
        assert entry is not None and entry.status == "sent" and entry.uncertain_at is None
        assert not [e for e in store.uncertain_digests() if e.kind != "alert"]
    site.cli("digest", "send")
    assert all(r["rcpt_tos"] != ["a@example.org"] for r in capture.received)

    again = site.cli("outbox", "settle", str(digest_id), "--not-delivered")
    assert again.exit_code == 1
    assert f"digest {digest_id} is not held back (it is sent)" in again.output
    assert "Traceback" not in again.output


def test_settled_as_not_delivered_goes_out_at_the_next_send_once(
    tmp_path, pubmed: LocalPubMed, start_smtpd
) -> None:
    silent = SilentAfterDot(hang=False)
    site = smtp_site(tmp_path / "site", pubmed, silent.port)
    digest_id = held_digest(site, silent)
    capture = healthy_relay(site, silent, start_smtpd)
    assert site.cli("digest", "send").exit_code in (0, 1)  # within the hold: not offered
    assert all(r["rcpt_tos"] != ["a@example.org"] for r in capture.received)

    result = site.cli("outbox", "settle", str(digest_id), "--not-delivered")
    assert result.exit_code == 0 and "will be sent at the next send" in result.output
    site.cli("digest", "send")
    site.cli("digest", "send")
    to_subscriber = [r for r in capture.received if r["rcpt_tos"] == ["a@example.org"]]
    assert len(to_subscriber) == 1
    with Store.open(site.database) as store:
        entry = store.digest(digest_id)
        assert entry is not None and entry.status == "sent"


def test_settle_needs_a_verdict_and_a_known_digest(tmp_path, pubmed: LocalPubMed) -> None:
    site = smtp_site(tmp_path / "site", pubmed, 1)
    no_verdict = site.cli("outbox", "settle", "1")
    assert no_verdict.exit_code == 2 and "--delivered" in no_verdict.output
    unknown = site.cli("outbox", "settle", "99", "--delivered")
    assert unknown.exit_code == 1 and "no digest 99 in the outbox" in unknown.output
