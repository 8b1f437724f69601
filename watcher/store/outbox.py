"""The outbox (the ``digests`` table), the delivery ledgers, and admin alerts.

A digest keeps its rendered message (in ``digest_messages``, apart from the delivery state
that changes at every send), so a retry sends the very same bytes with the same Message-ID;
once sent, the bytes are kept for the retention period (or only in the files
transport's .eml) and then pruned, the row and its ledger staying. Its landscape summary is
stored once per distinct summary (``landscapes``: every digest of a run shares one). Alerts
to the admin go through the same outbox (no subscriber, kind 'alert'). The
ledgers are what make "never twice" hold: ``deliveries`` (subscriber × PMID shown, primary
key), ``covered`` (the papers a digest covered without showing them, as a coverage set shared
by every digest that covers the same ones: ``coverage.py``) and ``delivered_events``
(subscriber × article event). A digest, its ledger rows and the
subscriber's ``covered_through`` are written in one transaction; giving up on a digest deletes
its ledger rows in one transaction, so its papers go out in the next digest instead of being
lost.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from watcher.errors import StoreError
from watcher.store.base import StoreBase
from watcher.store.coverage import CoverageSet, release_ledgers, store_coverage_set

STATUSES = ("queued", "sent", "failed")

_FINISHED = (
    "message_kept = 'database' AND ((status = 'sent' AND sent_at <= ?)"
    " OR (status = 'failed' AND created_at <= ?))"
)  # finished digests whose bytes are still here: what retention prunes


@dataclass(frozen=True)
class OutboxEntry:
    """A digest (or an admin alert) in the outbox; the message bytes are fetched apart."""

    id: int
    subscriber_id: int | None
    recipient: str
    kind: str
    period_start: str
    period_end: str
    subject: str
    message_id: str
    items: int
    status: str
    attempts: int
    next_attempt_at: str
    last_error: str | None
    created_at: str
    sent_at: str | None
    sending_at: str | None = None  # being offered to the server since then
    uncertain_at: str | None = None  # its delivery outcome stayed unknown since then
    landscape_hash: str | None = None  # its landscape summary in ``landscapes`` (None: old row)
    message_kept: str = "database"  # where its bytes are: 'database', 'files' or 'pruned'
    pruned_at: str | None = None


@dataclass(frozen=True)
class LandscapeSummary:
    """A landscape summary as a digest row keeps it: JSON with sorted keys, stored once in
    ``landscapes`` by its SHA-256. Every digest of a run keeps the same few: hand each the
    same object and the hash of its (large) text is worked out once."""

    text: str

    @classmethod
    def of(cls, summary: LandscapeSummary | dict[str, Any] | str) -> LandscapeSummary:
        if isinstance(summary, LandscapeSummary):
            return summary
        return cls(summary if isinstance(summary, str) else json.dumps(summary, sort_keys=True))

    @cached_property
    def hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


@dataclass(frozen=True)
class NewDigest:
    """Everything ``queue_digest`` writes in one transaction.

    ``shown`` are the PMIDs the mail presents; ``hidden`` the ones it covers without showing
    them (the rest of a baseline, items beyond the cap, retracted papers and notices): both
    enter the ledger, so neither comes back as "new". Pass one ``CoverageSet`` object as
    ``hidden`` to every digest that covers the same papers (its hash is worked out once).
    """

    subscriber_id: int | None
    recipient: str
    kind: str
    period_start: str
    period_end: str
    subject: str
    message_id: str
    message: bytes
    landscape: LandscapeSummary | dict[str, Any] | str  # the summary, or its JSON (sorted keys)
    shown: Sequence[str] = ()
    hidden: CoverageSet | Sequence[str] = ()
    event_ids: Sequence[int] = ()


class OutboxQueries(StoreBase):
    def queue_digest(self, digest: NewDigest, *, now: str) -> int | None:
        """The digest row and its ledger entries, in one transaction: queued, or nothing.

        Returns None (and writes nothing) when the subscriber already has a live digest for
        this period, or when another process queued one (or covered one of its papers) first.
        """
        try:
            with self.transaction():
                if digest.subscriber_id is not None and self._one(
                    "SELECT id FROM digests WHERE subscriber_id = ? AND period_start = ?"
                    " AND period_end = ? AND status != 'failed'",
                    (digest.subscriber_id, digest.period_start, digest.period_end),
                ):
                    return None
                digest_id = self._insert_digest(digest, now)
                if digest.subscriber_id is not None:
                    self._insert_ledger(digest, digest_id)
                    self.mark_covered(digest.subscriber_id, digest.period_end)
        except sqlite3.IntegrityError as error:
            if "UNIQUE" in str(error):
                return None  # the period index or the ledger: another run got there first
            raise StoreError(
                f"cannot queue the digest for {digest.recipient}: {error}; nothing was written"
            ) from None
        return digest_id

    def _insert_digest(self, digest: NewDigest, now: str) -> int:
        summary = LandscapeSummary.of(digest.landscape)
        landscape_hash = summary.hash
        if not self.db.execute(
            "SELECT 1 FROM landscapes WHERE hash = ?", (landscape_hash,)
        ).fetchone():
            self.db.execute(
                "INSERT INTO landscapes (hash, data) VALUES (?, ?)", (landscape_hash, summary.text)
            )
        values = (
            digest.subscriber_id, digest.recipient, digest.kind, digest.period_start,
            digest.period_end, digest.subject, digest.message_id, landscape_hash,
            len(digest.shown), now, now,
        )  # fmt: skip
        digest_id = self.db.execute(
            "INSERT INTO digests (subscriber_id, recipient, kind, period_start, period_end,"
            " subject, message_id, landscape_hash, items, status, next_attempt_at,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
            values,
        ).lastrowid
        self.db.execute(
            "INSERT INTO digest_messages (digest_id, message) VALUES (?, ?)",
            (digest_id, digest.message),
        )
        return digest_id

    def _insert_ledger(self, digest: NewDigest, digest_id: int) -> None:
        subscriber = digest.subscriber_id
        self.db.conn.executemany(
            "INSERT INTO deliveries (subscriber_id, pmid, digest_id, shown) VALUES (?, ?, ?, 1)",
            [(subscriber, pmid, digest_id) for pmid in digest.shown],
        )
        if digest.hidden:
            self.db.execute(
                "INSERT INTO covered (digest_id, subscriber_id, set_id) VALUES (?, ?, ?)",
                (digest_id, subscriber, store_coverage_set(self.db, digest.hidden)),
            )
        self.db.conn.executemany(
            "INSERT INTO delivered_events (subscriber_id, event_id, digest_id) VALUES (?, ?, ?)",
            [(subscriber, event_id, digest_id) for event_id in digest.event_ids],
        )

    def mark_covered(self, subscriber_id: int, period_end: str) -> None:
        """Remember that S's digests cover up to ``period_end`` (queued, or nothing to send)."""
        self.db.execute(
            "UPDATE subscribers SET covered_through = MAX(COALESCE(covered_through, ''), ?)"
            " WHERE id = ?",
            (period_end, subscriber_id),
        )

    def last_digest(self, subscriber_id: int) -> tuple[OutboxEntry, dict[str, Any]] | None:
        """The subscriber's latest digest that was not given up on, with its landscape."""
        entry = self.latest_digest(subscriber_id)
        return (entry, self.digest_landscape(entry)) if entry else None

    def latest_digest(self, subscriber_id: int) -> OutboxEntry | None:
        """The subscriber's latest digest that was not given up on."""
        row = self._one(
            f"SELECT {_COLUMNS} FROM digests WHERE subscriber_id = ? AND status != 'failed'"
            " ORDER BY period_end DESC, id DESC LIMIT 1",
            (subscriber_id,),
        )
        return _entry(row) if row else None

    def digest_landscape(self, entry: OutboxEntry) -> dict[str, Any]:
        """The landscape summary ``entry`` kept (shared in ``landscapes``, or in an old row)."""
        row = self.db.execute(
            "SELECT COALESCE(l.data, d.landscape) FROM digests d"
            " LEFT JOIN landscapes l ON l.hash = d.landscape_hash WHERE d.id = ?",
            (entry.id,),
        ).fetchone()
        return json.loads(row[0]) if row else {}

    def digest(self, digest_id: int) -> OutboxEntry | None:
        row = self._one(f"SELECT {_COLUMNS} FROM digests WHERE id = ?", (digest_id,))
        return _entry(row) if row else None

    def sendable(self, *, now: str) -> list[OutboxEntry]:
        rows = self._all(
            f"SELECT {_COLUMNS} FROM digests"
            " WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY id",
            (now,),
        )
        return [_entry(r) for r in rows]

    def message(self, digest_id: int) -> bytes:
        """The exact bytes of a digest still held in the database (queued, or sent within
        the retention period)."""
        row = self.db.execute(
            "SELECT m.message, d.message_kept, d.pruned_at FROM digests d"
            " LEFT JOIN digest_messages m ON m.digest_id = d.id WHERE d.id = ?",
            (digest_id,),
        ).fetchone()
        if row is None:
            raise StoreError(f"no digest {digest_id} in the outbox; see `mildwatch outbox`")
        if row[1] != "database":
            where = (
                f"pruned on {row[2]} after the retention period ([mail] retention_days)"
                if row[1] == "pruned"
                else "written to the files outbox as an .eml file, which is its one copy"
            )
            raise StoreError(f"the message of digest {digest_id} is no longer stored: {where}")
        if row[0] is None:
            raise StoreError(
                f"the message of digest {digest_id} is missing from the database; restore it "
                "from a backup (`mildwatch backup` makes one)"
            )
        return bytes(row[0])

    def kept_messages(self, *, finished_before: str) -> tuple[int, int]:
        """How many digests finished by ``finished_before`` (sent by then, or failed and
        created by then) still hold their bytes here, and how many bytes: what retention
        prunes. Queued digests are never counted: a retry needs its bytes."""
        row = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(m.message)), 0) FROM digests"
            f" JOIN digest_messages m ON m.digest_id = digests.id WHERE {_FINISHED}",
            (finished_before, finished_before),
        ).fetchone()
        return row[0], row[1]

    def prune_messages(self, *, finished_before: str, now: str) -> tuple[int, int]:
        """Drop the bytes of the digests :meth:`kept_messages` counts, in one transaction;
        their rows and ledgers stay. Returns (digests, bytes) pruned."""
        with self.transaction():
            counted = self.kept_messages(finished_before=finished_before)
            self.db.execute(
                "DELETE FROM digest_messages WHERE digest_id IN"
                f" (SELECT id FROM digests WHERE {_FINISHED})",
                (finished_before, finished_before),
            )
            self.db.execute(
                f"UPDATE digests SET message_kept = 'pruned', pruned_at = ? WHERE {_FINISHED}",
                (now, finished_before, finished_before),
            )
        return counted

    def mark_sending(self, digest_id: int, *, now: str) -> None:
        """Committed before the message is offered: if the process dies before the outcome
        is recorded, the next run knows the message may have gone out."""
        with self.write():
            self.db.execute(
                "UPDATE digests SET sending_at = ? WHERE id = ? AND status = 'queued'",
                (now, digest_id),
            )

    def mark_sent(self, digest_id: int, *, now: str, handed_over: bool = False) -> None:
        """Sent. ``handed_over``: the transport keeps its own copy (the files outbox's .eml),
        which becomes the message's one copy: the database's is dropped in the same write."""
        kept = ", message_kept = 'files'" if handed_over else ""
        with self.write():
            sent = self.db.execute(
                "UPDATE digests SET status = 'sent', sent_at = ?, attempts = attempts + 1,"
                f" last_error = NULL, sending_at = NULL, uncertain_at = NULL{kept}"
                " WHERE id = ? AND status = 'queued'",
                (now, digest_id),
            ).rowcount
            if handed_over and sent:
                self.db.execute("DELETE FROM digest_messages WHERE digest_id = ?", (digest_id,))

    def mark_retry(self, digest_id: int, *, error: str, next_attempt_at: str) -> None:
        with self.write():
            self.db.execute(
                "UPDATE digests SET attempts = attempts + 1, last_error = ?,"
                " next_attempt_at = ?, sending_at = NULL WHERE id = ? AND status = 'queued'",
                (error, next_attempt_at, digest_id),
            )

    def mark_uncertain(self, digest_id: int, *, error: str, now: str, hold_until: str) -> None:
        """The outcome is unknown (reply lost after the final ".", or a crash while sending):
        hold the digest back until ``hold_until`` instead of resending it at once."""
        with self.write():
            self.db.execute(
                "UPDATE digests SET attempts = attempts + 1, last_error = ?,"
                " next_attempt_at = ?, sending_at = NULL, uncertain_at = COALESCE(uncertain_at, ?)"
                " WHERE id = ? AND status = 'queued'",
                (error, hold_until, now, digest_id),
            )

    def interrupted_sends(self) -> list[OutboxEntry]:
        """Digests marked "sending" whose outcome was never recorded (the process died)."""
        rows = self._all(
            f"SELECT {_COLUMNS} FROM digests"
            " WHERE status = 'queued' AND sending_at IS NOT NULL ORDER BY id"
        )
        return [_entry(r) for r in rows]

    def uncertain_digests(self) -> list[OutboxEntry]:
        rows = self._all(
            f"SELECT {_COLUMNS} FROM digests"
            " WHERE status = 'queued' AND uncertain_at IS NOT NULL ORDER BY id"
        )
        return [_entry(r) for r in rows]

    def settle_uncertain(self, digest_id: int, *, delivered: bool, now: str) -> bool:
        """The admin read the relay's log for a held digest: it was ``delivered`` (recorded as
        sent, never offered again) or it was not (offered at the next send). False when the
        digest is not held."""
        settled = (
            "status = 'sent', sent_at = ?, last_error = NULL"
            if delivered
            else "next_attempt_at = ?, last_error = 'released after checking the mail log'"
        )
        with self.write():
            cursor = self.db.execute(
                f"UPDATE digests SET {settled}, uncertain_at = NULL, sending_at = NULL"
                " WHERE id = ? AND status = 'queued' AND uncertain_at IS NOT NULL",
                (now, digest_id),
            )
        return cursor.rowcount == 1

    def mark_failed(self, digest_id: int, *, error: str) -> None:
        """Give up on a digest and release its ledger, so its papers go out next time."""
        with self.transaction():
            self.db.execute(
                "UPDATE digests SET status = 'failed', attempts = attempts + 1, last_error = ?,"
                " sending_at = NULL WHERE id = ? AND status = 'queued'",
                (error, digest_id),
            )
            release_ledgers(self.db, "?", (digest_id,))

    def outbox(self, *, status: str | None = None, limit: int = 50) -> list[OutboxEntry]:
        if status is not None and status not in STATUSES:
            raise StoreError(f"unknown outbox status {status!r}; use one of {', '.join(STATUSES)}")
        where, params = ("WHERE status = ?", [status]) if status else ("", [])
        rows = self._all(
            f"SELECT {_COLUMNS} FROM digests {where} ORDER BY id DESC LIMIT ?", [*params, limit]
        )
        return [_entry(r) for r in rows]

    def outbox_counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT status, COUNT(*) FROM digests GROUP BY status").fetchall()
        return {status: count for status, count in rows}

    def troubled_digests(self, *, min_attempts: int) -> list[OutboxEntry]:
        """Digests (not alerts) still failing after ``min_attempts`` tries, and failed ones
        not followed by a successful send to the same address (the problem persists)."""
        rows = self._all(
            f"SELECT {_COLUMNS} FROM digests d WHERE d.kind != 'alert' AND ("
            " (d.status = 'queued' AND d.attempts >= ?) OR (d.status = 'failed' AND d.id >"
            " COALESCE((SELECT MAX(s.id) FROM digests s WHERE s.recipient = d.recipient"
            " AND s.kind != 'alert' AND s.status = 'sent'), 0))) ORDER BY d.id",
            (min_attempts,),
        )
        return [_entry(r) for r in rows]

    # -- admin alerts -----------------------------------------------------------------------

    def alert_keys(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT key FROM alerts")}

    def alert_raised(self, key: str) -> bool:
        return self._one("SELECT key FROM alerts WHERE key = ?", (key,)) is not None

    def raise_alert(self, key: str, *, detail: str, digest_id: int | None, now: str) -> None:
        self.db.execute(
            "INSERT INTO alerts (key, raised_at, detail, digest_id) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(key) DO NOTHING",
            (key, now, detail, digest_id),
        )

    def clear_alert(self, key: str) -> None:
        self.db.execute("DELETE FROM alerts WHERE key = ?", (key,))


_COLUMNS = ", ".join(OutboxEntry.__dataclass_fields__)
"""A digest row without its message bytes (fetched apart, one at a time, by ``message``)."""


def _entry(row: dict[str, Any]) -> OutboxEntry:
    names = OutboxEntry.__dataclass_fields__
    return OutboxEntry(**{k: v for k, v in row.items() if k in names})
