"""Fault matrix, concurrency: writers wait for SQLite's write lock instead of failing at once,
and a run waits for another run's lock (or gives up with exit 3, counted and alerted)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.faults.conftest import Site, one_line_error
from watcher.localpubmed import Fault
from watcher.runlock import lock_holder, lock_path

PUBMED_XML = Path(__file__).resolve().parents[1] / "data" / "pubmed" / "articles.xml"

HOLD_SECONDS = 10.0


def test_writers_wait_out_a_ten_second_write_lock(site: Site) -> None:
    """Another connection holds SQLite's write lock for 10 s; every writing command started
    meanwhile waits for it (busy timeout 30 s) and then succeeds, none says "locked"."""
    assert site.cli("subscribers", "add", "first@example.org").exit_code == 0
    held, released = threading.Event(), threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(site.database, timeout=1)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE subscribers SET name = 'holding' WHERE email = 'first@example.org'")
        held.set()
        time.sleep(HOLD_SECONDS)
        conn.commit()
        released.set()
        conn.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(5)
    writers = [
        site.spawn("subscribers", "add", "second@example.org", "--name", "Dr. Second"),
        site.spawn("subscribers", "edit", "first@example.org", "--frequency", "daily"),
        site.spawn("import", str(PUBMED_XML)),
        site.spawn("reclassify", "--all"),
    ]
    outcomes = [(w.wait(timeout=60), *w.communicate()) for w in writers]
    holder.join()
    for code, out, err in outcomes:
        assert code == 0, (out, err)
        assert "locked" not in out + err
    assert released.is_set()
    listed = site.cli("subscribers", "list").output
    assert "Dr. Second" in listed and "daily" in listed


def test_a_run_waits_for_the_run_lock_or_gives_up_counted(site: Site) -> None:
    """`run` beside another run holding the lock: it waits and then does its work; with a
    short --wait it gives up with exit 3, and that failed run alerts the admin."""
    site.pubmed.inject(Fault(endpoint="esearch", delay=2.0))  # the holder's poll is slow
    holder = site.spawn("poll")
    deadline = time.monotonic() + 30
    while lock_holder(lock_path(site.database)) != holder.pid:  # until it holds the lock
        assert time.monotonic() < deadline and holder.poll() is None
        time.sleep(0.05)
    waited = site.cli("run", "--wait", "120")
    holder.wait(timeout=60)
    assert waited.exit_code == 0, waited.output
    # Now hold the lock ourselves, in another process, and give the run no patience.
    code = (
        "import sys, time; from pathlib import Path; from watcher.runlock import run_lock\n"
        "with run_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(60)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(site.database)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "locked"
        refused = site.cli("run", "--wait", "0.5")
        one_line_error(refused, "another mildwatch run", f"pid {child.pid}")
        assert refused.exit_code == 3
    finally:
        child.kill()
        child.wait()
    status = site.cli("status").output
    assert "failed" in status and "another mildwatch run" in status
    # The alert was queued while the other run held the lock; the next run sends it.
    assert site.cli("run").exit_code == 0
    (alert,) = site.alerts()
    assert b"another mildwatch run" in alert.replace(b"=\r\n", b"")
