"""Fault matrix, the database and its disk: read-only, full, damaged, from a newer version,
an unwritable lock file. Each gives one line naming the file and the fix, a non-zero exit,
no traceback, and leaves the stored data as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.faults.conftest import Site, SmallDisk, make_site, one_line_error
from watcher.localpubmed import LocalPubMed


def damage(database: Path) -> bytes:
    """Overwrite pages in the middle of a (checkpointed) database with garbage."""
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(database.read_bytes())
    page = 4096
    for start in range(3 * page, min(len(data), 12 * page), page):
        data[start + 8 : start + page] = bytes([0xA5]) * (page - 8)
    database.write_bytes(bytes(data))
    return bytes(data)


def test_a_damaged_database_is_refused_before_anything_is_written(site: Site) -> None:
    assert site.cli("subscribers", "add", "a@example.org").exit_code == 0
    assert site.cli("poll").exit_code == 0
    damaged = damage(site.database)
    refused = site.cli("run")
    one_line_error(refused, "is damaged", "backup")
    assert site.database.read_bytes() == damaged  # not one byte written into it
    # Other commands on it say so in one line too, never a traceback.
    for args in (("status",), ("articles", "list"), ("digest", "send"), ("outbox",)):
        result = site.cli(*args)
        if result.exit_code != 0:
            one_line_error(result, str(site.database))


def test_a_database_from_a_newer_mildwatch_is_refused(site: Site) -> None:
    with sqlite3.connect(site.database) as conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
            " VALUES ('mildwatch', '0099_from_the_future', '2030-01-01')"
        )
    for args in (("status",), ("run",), ("subscribers", "add", "a@example.org")):
        one_line_error(site.cli(*args), "newer mildwatch", "0099_from_the_future")


def test_an_unwritable_lock_file_is_one_line(site: Site) -> None:
    (site.folder / "mildwatch.db.lock").mkdir()  # something in the way of the lock file
    one_line_error(site.cli("run"), "cannot create the lock file", "permissions")
    one_line_error(site.cli("poll"), "cannot create the lock file")


def test_a_read_only_disk_is_one_line_and_loses_nothing(
    small_disk: SmallDisk, pubmed: LocalPubMed
) -> None:
    site = make_site(small_disk.path / "site", pubmed)
    assert site.cli("subscribers", "add", "a@example.org").exit_code == 0
    assert site.cli("poll").exit_code == 0
    before = site.cli("articles", "list", "--all").output
    small_disk.remount("ro")
    try:
        for args in (
            ("run",),
            ("poll",),
            ("digest", "send"),
            ("subscribers", "add", "b@example.org"),
            ("reclassify", "--all"),
        ):
            one_line_error(site.cli(*args), "ead-only")  # Read-only / read-only
    finally:
        small_disk.remount("rw")
    assert site.cli("articles", "list", "--all").output == before


def test_a_full_disk_is_one_line_and_loses_nothing(
    small_disk: SmallDisk, pubmed: LocalPubMed
) -> None:
    site = make_site(small_disk.path / "site", pubmed)
    assert site.cli("subscribers", "add", "a@example.org", "--frequency", "daily").exit_code == 0
    filler = small_disk.fill(leave=64 * 1024)
    polled = site.cli("poll")
    one_line_error(polled, "disk is full")
    filler.unlink()
    with sqlite3.connect(site.database) as conn:
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        watermarks = conn.execute("SELECT COUNT(*) FROM poll_state WHERE watermark IS NOT NULL")
        assert watermarks.fetchone()[0] == 0  # nothing claimed as polled
    again = site.cli("run")  # with room again, the next run does it all
    assert again.exit_code == 0, again.output
    assert "41 new" in again.output
