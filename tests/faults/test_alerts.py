"""Fault matrix, alerts: every run that fails, for whatever reason, is counted and the
admin hears of it once (through the outbox, or straight through the transport when the
database itself cannot take it)."""

from __future__ import annotations

import signal
import time

from tests.faults.conftest import ADMIN, Site, SmallDisk, make_site, one_line_error
from tests.faults.test_database import damage
from tests.mailservers import Capture, free_port
from watcher.localpubmed import Fault, LocalPubMed
from watcher.store import Store


def unfolded(message: bytes) -> bytes:
    return message.replace(b"=\r\n", b"")


def test_a_damaged_database_alerts_the_admin_once(site: Site) -> None:
    assert site.cli("poll").exit_code == 0
    damage(site.database)
    one_line_error(site.cli("run"), "is damaged")
    (alert,) = site.alerts()  # sent without the database, straight to the files outbox
    assert b"is damaged" in unfolded(alert)
    one_line_error(site.cli("run"), "is damaged")
    assert len(site.alerts()) == 1  # the same problem again: not told twice


def test_a_full_disk_alerts_the_admin_over_smtp(
    small_disk: SmallDisk, pubmed: LocalPubMed, start_smtpd
) -> None:
    capture = Capture()
    port = start_smtpd(capture, port=free_port())
    smtp = f'[mail.smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 5\n'
    site = make_site(small_disk.path / "site", pubmed, transport="smtp", extra=smtp)
    filler = small_disk.fill(leave=64 * 1024)
    one_line_error(site.cli("run"), "disk is full")
    (received,) = capture.received
    assert received["rcpt_tos"] == [ADMIN]
    assert b"disk is full" in unfolded(received["raw"])
    filler.unlink()


def test_a_killed_run_is_reported_as_interrupted_and_alerted(site: Site) -> None:
    site.pubmed.inject(Fault(endpoint="efetch", delay=30))
    victim = site.spawn("poll")
    deadline = time.monotonic() + 30
    while not site.pubmed.requests("esearch"):  # it is polling: kill it mid-run
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    status = site.cli("status").output
    assert "poll       interrupted" in status and "poll       running" not in status
    result = site.cli("run")
    assert result.exit_code == 0, result.output
    (alert,) = site.alerts()
    assert b"interrupted" in unfolded(alert)


def test_unreachable_pubmed_stops_after_the_first_search_and_alerts(site: Site) -> None:
    added = site.cli("searches", "add", "second", "lumbar spinal stenosis[tiab]")
    assert added.exit_code == 0, added.output
    site.config.write_text(
        site.config.read_text().replace(site.pubmed.base_url, f"http://127.0.0.1:{free_port()}/")
    )
    polled = site.cli("poll")
    assert polled.exit_code == 1
    assert "not tried: PubMed could not be reached" in polled.output
    with Store.open(site.database) as store:
        (run,) = store.recent_runs(1, "poll")
        assert run.status == "failed"
    assert site.cli("digest", "send").exit_code == 0
    (alert,) = site.alerts()
    assert b"run:poll" not in alert and b"could not be reached" in unfolded(alert)
