"""A digest's message bytes live in ``digest_messages``, apart from its delivery state
(migration 0014): a database written before keeps every queued message byte for byte, and
changing a digest's state leaves its bytes' pages alone. Real SQLite files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import older_database
from watcher.errors import StoreError
from watcher.store import NewDigest, Store


def test_a_database_from_before_keeps_each_queued_message_byte_for_byte(tmp_path: Path) -> None:
    """Migration 0014 moves the bytes out of the ``digests`` row: a queued message is sent
    as it was stored, and one already pruned stays pruned."""
    path = tmp_path / "old.db"
    db = older_database(path, leave_out=lambda name: name >= "0014")
    stored = b"Subject: [SYNTHETIC] kept\r\n\r\nbody \xe2\x80\x94 exact\r\n"
    for number, (message, kept) in enumerate([(stored, "database"), (b"", "pruned")], 1):
        db.execute(
            "INSERT INTO digests (id, recipient, kind, period_start, period_end, subject,"
            " message_id, message, status, next_attempt_at, created_at, message_kept)"
            " VALUES (?, 'a@example.org', 'update', '2026-11-16', '2026-11-23', 's', ?, ?,"
            " 'queued', '2026-11-23', '2026-11-23', ?)",
            (number, f"<m{number}@example.org>", message, kept),
        )
    db.conn.commit()
    db.close()
    with Store.open(path) as store:
        assert store.message(1) == stored
        with pytest.raises(StoreError, match="no longer stored"):
            store.message(2)
        assert store.db.execute("SELECT digest_id FROM digest_messages").fetchall() == [(1,)]


def test_marking_a_message_sending_and_sent_does_not_rewrite_its_bytes(tmp_path: Path) -> None:
    """Each state change writes a few pages to the WAL, not the 200 kB message again (it
    did when the bytes sat in the ``digests`` row, whose every update rewrote them)."""
    message = b"Subject: [SYNTHETIC] large\r\n\r\n" + b"synthetic filler line\r\n" * 9000
    with Store.open(tmp_path / "mildwatch.db") as store:
        digest = NewDigest(
            subscriber_id=None,
            recipient="admin@example.org",
            kind="alert",
            period_start="2026-11-23",
            period_end="2026-11-23",
            subject="[SYNTHETIC] large",
            message_id="<large@example.org>",
            message=message,
            landscape={},
        )
        digest_id = store.queue_digest(digest, now="2026-11-23T07:00:00+00:00")
        assert digest_id is not None
        wal = Path(f"{store.path}-wal")
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert wal.stat().st_size == 0
        store.mark_sending(digest_id, now="2026-11-23T07:30:00+00:00")
        store.mark_sent(digest_id, now="2026-11-23T07:30:00+00:00")
        assert wal.stat().st_size < 16 * 4096  # two commits of a few pages each
        assert store.message(digest_id) == message
