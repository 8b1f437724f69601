"""Fault matrix, secrets: an E-utilities error reply that echoes the request URL (api_key
and all) leaves the key in no output, log line, database row or status."""

from __future__ import annotations

from pathlib import Path

from tests.faults.conftest import Site
from watcher.localpubmed import Fault

KEY = "k3y-0123456789abcdef-SECRET"


def everything_on_disk(folder: Path) -> bytes:
    """The database, its WAL and every other file the site wrote, as bytes."""
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_an_echoed_api_key_goes_nowhere(site: Site) -> None:
    env = {"NCBI_API_KEY": KEY}
    site.pubmed.inject(
        Fault(endpoint="esearch", echo=True, times=2),  # <ERROR> quoting the URL, 200
        Fault(endpoint="efetch", echo=True, status=500, times=10),  # an HTML page, 500
    )
    first = site.cli("-vv", "poll", env=env)  # the esearch error
    assert first.exit_code == 1 and "api_key=***" in first.output
    second = site.cli("-vv", "poll", env=env)  # the efetch error page
    assert second.exit_code == 1
    status = site.cli("status", env=env)
    json_status = site.cli("status", "--json", env=env)
    for result in (first, second, status, json_status):
        assert KEY not in result.output
    assert "FAILING" in status.output
    sent = site.cli("digest", "send", "--all", env=env)  # alerts quote the errors
    assert KEY not in sent.output
    assert site.alerts() and KEY.encode() not in everything_on_disk(site.folder)
    # the requests really carried the key: what was hidden was there to hide
    assert any(r.params.get("api_key") == KEY for r in site.pubmed.requests())


def test_the_demo_never_prints_the_key_of_its_environment(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from watcher.cli import cli

    result = CliRunner().invoke(
        cli, ["-vv", "demo", "--dir", str(tmp_path / "demo")], env={"NCBI_API_KEY": KEY}
    )
    assert result.exit_code == 0, result.output
    assert "local PubMed: " in result.output  # the request lines are logged...
    assert KEY not in result.output  # ...without the key
