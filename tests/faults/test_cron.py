"""Fault matrix, cron: `mildwatch --quiet run` is silent when all went well (so cron mails
nobody), and says everything when something failed."""

from __future__ import annotations

from tests.faults.conftest import Site
from watcher.localpubmed import Fault


def test_quiet_run_prints_nothing_on_success(site: Site) -> None:
    assert site.cli("subscribers", "add", "a@example.org", "--frequency", "daily").exit_code == 0
    result = site.cli("--quiet", "run")
    assert result.exit_code == 0
    assert result.output == "" and result.stderr == ""
    assert site.messages()  # it did its work


def test_quiet_run_reports_a_failure(site: Site) -> None:
    site.pubmed.inject(Fault(endpoint="esearch", status=500, times=10))
    result = site.cli("--quiet", "run")
    assert result.exit_code == 1
    assert "FAILED  mild-outcomes" in result.output
