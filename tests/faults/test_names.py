"""Fault matrix, hostile names: a name with a line break (plain, or hidden in an RFC 2047
encoded word) never reaches a header and never blocks another subscriber's digest."""

from __future__ import annotations

import email
import sqlite3
from email import policy

import pytest

from tests.faults.conftest import ADMIN, Site, one_line_error

HOSTILE_NAMES = [
    "Dr. Evil\r\nBcc: everyone@example.net",
    "Dr. Evil\nBcc: everyone@example.net",
    "=?utf-8?q?Dr=2E_Evil=0D=0ABcc:_everyone@example.net?=",
    "=?utf-8?b?RHIuIEV2aWwNCkJjYzogZXZlcnlvbmVAZXhhbXBsZS5uZXQ=?=",
    "Dr. Evil\x00",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_are_refused_on_the_way_in(site: Site, name: str) -> None:
    added = site.cli("subscribers", "add", "evil@example.org", "--name", name)
    one_line_error(added, "control character", "--name")
    assert site.cli("subscribers", "add", "good@example.org", "--name", "Dr. Good").exit_code == 0
    edited = site.cli("subscribers", "edit", "good@example.org", "--name", name)
    one_line_error(edited, "control character")
    listed = site.cli("subscribers", "list").output
    assert "Dr. Good" in listed and "evil@example.org" not in listed


def test_a_bad_name_stored_long_ago_is_skipped_reported_and_alerted(site: Site) -> None:
    assert site.cli("poll").exit_code == 0
    for address, name in (("a@example.org", "Dr. A"), ("z@example.org", "Dr. Z")):
        assert site.cli("subscribers", "add", address, "--name", name).exit_code == 0
    # A row written before names were checked (by an old version, or by hand).
    with sqlite3.connect(site.database) as conn:
        conn.execute(
            "INSERT INTO subscribers (email, name, frequency, token, created_at, updated_at)"
            " VALUES ('m@example.org', ?, 'weekly', 'tok-m', '2026-01-01', '2026-01-01')",
            (HOSTILE_NAMES[2],),
        )
    sent = site.cli("digest", "send", "--all")
    assert sent.exit_code == 1  # something was skipped: cron hears of it
    assert "SKIPPED m@example.org" in sent.output and "Traceback" not in sent.output
    messages = [email.message_from_bytes(m, policy=policy.default) for m in site.messages()]
    recipients = sorted(m["To"].addresses[0].addr_spec for m in messages)
    assert recipients == ["a@example.org", ADMIN, "z@example.org"]
    for raw in site.messages():
        headers = raw.split(b"\r\n\r\n", 1)[0]
        assert b"Bcc" not in headers and b"everyone@example.net" not in headers
    (alert,) = [m for m in messages if m["To"].addresses[0].addr_spec == ADMIN]
    body = alert.get_content()
    assert "m@example.org" in body and "subscribers edit m@example.org" in body
    # Told once: the next round skips again but does not alert again.
    again = site.cli("digest", "send", "--all")
    assert again.exit_code == 1 and len(site.alerts()) == 1
    # Fixed by the admin, the subscriber gets a digest like everyone else.
    fixed = site.cli("subscribers", "edit", "m@example.org", "--name", "Dr. M")
    assert fixed.exit_code == 0, fixed.output
    assert site.cli("digest", "send", "--all").exit_code == 0
    names = {
        m["To"].addresses[0].display_name
        for m in (email.message_from_bytes(raw, policy=policy.default) for raw in site.messages())
    }
    assert "Dr. M" in names
