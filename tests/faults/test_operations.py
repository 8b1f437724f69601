"""Fault matrix, operations: a backup while another process writes, options and settings
that used to be accepted silently, status that tells the truth."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.faults.conftest import Site, one_line_error


def test_backup_while_another_process_writes(site: Site) -> None:
    assert site.cli("poll").exit_code == 0
    writer = sqlite3.connect(site.database, timeout=1)
    writer.execute("BEGIN IMMEDIATE")  # the daemon, mid-transaction
    writer.execute("DELETE FROM search_hits")
    target = site.folder / "copy.db"
    result = site.cli("backup", str(target))
    writer.rollback()
    writer.close()
    assert result.exit_code == 0, result.output
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 41
        assert copy.execute("SELECT COUNT(*) FROM search_hits").fetchone()[0] > 0
    one_line_error(site.cli("backup", str(target)), "exists")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("articles", "list", "--since", "notadate"), "not a date"),
        (("articles", "list", "--limit", "-5"), "--limit"),
        (("articles", "list", "--min-followup", "-1"), "--min-followup"),
        (("outbox", "--limit", "0"), "--limit"),
        (("digest", "send", "--due", "--all"), "not both"),
        (("run", "--wait", "-1"), "--wait"),
        (("poll", "--search", "no-such-search"), "no saved search"),
        (("subscribers", "add", "x@hospital.local"), "allow_internal_domains"),
    ],
)
def test_bad_options_are_refused_in_one_line(site: Site, args: tuple[str, ...], words: str):
    result = site.cli(*args)
    assert result.exit_code in (1, 2), result.output  # 2: click's usage errors
    assert words in result.output and "Traceback" not in result.output


def test_internal_domains_are_allowed_by_a_setting(site: Site) -> None:
    site.write_config(extra="allow_internal_domains = true")
    added = site.cli("subscribers", "add", "x@hospital.local")
    assert added.exit_code == 0, added.output


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ('[poll]\nbackfill_from = "2999/01/01"', "in the future"),
        ('[poll]\nbackfill_from = "2020/13/45"', "not a real date"),
        ('[poll]\nbackfill_from = "last year"', "must look like"),
    ],
)
def test_bad_settings_name_the_line(site: Site, setting: str, words: str) -> None:
    site.config.write_text(site.config.read_text() + "\n" + setting + "\n")
    one_line_error(site.cli("poll"), "mildwatch.toml:", words)


def test_a_sender_that_is_not_an_address_is_refused(site: Site) -> None:
    text = site.config.read_text().replace(
        'sender = "mildwatch <mildwatch@example.org>"', 'sender = "mildwatch digests"'
    )
    site.config.write_text(text)
    one_line_error(site.cli("digest", "send"), "mail.sender", "not an address")


def test_status_json_says_how_things_stand(site: Site) -> None:
    assert site.cli("poll").exit_code == 0
    report = json.loads(site.cli("status", "--json").output)
    assert report["ok"] is True and report["articles"] == 41
    assert report["daemon"] == {"alive": False, "pid": None, "next": {}}
    assert report["runs"][0]["status"] == "ok"
