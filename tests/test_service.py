"""Running unattended: the demo, `mildwatch run` for cron, and the daemon under SIGTERM."""

import email
import email.policy
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from watcher.cli import cli
from watcher.store import Store


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_demo_runs_offline_and_leaves_two_digests(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = invoke("demo", "--dir", str(folder))
    assert result.exit_code == 0, result.output
    assert result.output.count("SYNTHETIC SAMPLE DATA") == 2  # said first and last
    assert "34 found, 34 new" in result.output  # backfill as of 31 Dec 2024
    assert "7 new" in result.output  # the second poll adds only what came since
    messages = sorted((folder / "outbox").glob("*.eml"))
    assert len(messages) == 2
    texts = {}
    for path in messages:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert message["Subject"].startswith("[SYNTHETIC]")
        kind = "baseline" if "Where the evidence stands" in message["Subject"] else "update"
        texts[kind] = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert set(texts) == {"baseline", "update"}
    # Trials are counted apart from their reports: PORTAL-LSS's 1- and 2-year reports (and its
    # protocol) are one trial, LIFT-LSS the other; their patients are counted once.
    assert "Randomized trials:        2 (3 reports; 444 patients randomized)" in texts["baseline"]
    assert "Randomized controlled trial        2 (3 reports)" in texts["baseline"]
    # The 5-year report of the trial says so, and the trial's longest follow-up grew.
    update = " ".join(texts["update"].split())
    assert "Study: 5-year report of PORTAL-LSS (NCT99000101); earlier: protocol" in update
    assert "PORTAL-LSS: now 60 months, was 24" in update
    assert "Randomized trials: 2 (4 reports; 444 patients randomized)" in update
    assert (folder / "digest-2-update.html").read_text().count("data:image/png;base64,") == 1
    # The registry side: a later snapshot on the second poll, shown as trial news.
    assert "Registry poll run 2: 6 trial(s)" in result.output
    assert "1 terminated, 1 results posted, 1 completion date moved" in result.output
    update = (folder / "digest-2-update.html").read_text()
    assert "Evidence on its way" in update and "These trials are synthetic sample data" in update
    assert "Study completion slipped from Dec 2026 to Sep 2027." in update
    # Running it again starts afresh; a folder it did not make is left alone.
    assert invoke("demo", "--dir", str(folder)).exit_code == 0
    other = tmp_path / "precious"
    other.mkdir()
    (other / "thesis.txt").write_text("do not delete")
    refused = invoke("demo", "--dir", str(other))
    assert refused.exit_code != 0 and "was not made by `mildwatch demo`" in refused.output
    assert (other / "thesis.txt").exists()


def test_run_polls_composes_and_sends_once(configured: Path) -> None:
    config = str(configured)
    added = invoke(
        "--config",
        config,
        "subscribers",
        "add",
        "surgeon@example.org",
        "--name",
        "A Surgeon",
        "--frequency",
        "daily",
    )
    assert added.exit_code == 0, added.output
    first = invoke("--config", config, "run")
    assert first.exit_code == 0, first.output
    assert "41 new" in first.output and "1 sent" in first.output
    second = invoke("--config", config, "run")
    assert second.exit_code == 0 and "0 new" in second.output
    with Store.open(configured.parent / "mildwatch.db") as store:
        delivered = store.db.execute("SELECT COUNT(*), COUNT(DISTINCT pmid) FROM deliveries")
        total, distinct = delivered.fetchone()
    assert total == distinct > 0  # never a paper twice


def test_daemon_starts_and_stops_cleanly_on_sigterm(configured: Path) -> None:
    env = {**os.environ, "MILDWATCH_CONFIG": str(configured)}
    daemon = subprocess.Popen(
        [sys.executable, "-m", "watcher", "daemon"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        seen = []
        for line in daemon.stdout:  # whatever it logs first, wait for "started"
            seen.append(line)
            if line.startswith("mildwatch daemon: polling at 06:00"):
                break
        else:
            pytest.fail(f"daemon exited before starting: {''.join(seen)}")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0
        assert "mildwatch daemon stopped." in daemon.stdout.read()
    finally:
        daemon.kill()
