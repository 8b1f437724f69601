"""SQL for the mail side: subscribers, the outbox and the delivery ledgers.

Kept apart from ``store.py`` to keep each module about one thing; like it, this is SQL (and
the checks that keep rows valid) and nothing else. ``digests`` reads and writes through
:class:`MailStore`; ``watcher`` code never needs it.

The two ledgers are what make "never twice" hold: ``deliveries`` (subscriber × PMID, primary
key) and ``delivered_events`` (subscriber × article event). A digest and its ledger rows are
written in one transaction; giving up on a digest deletes its ledger rows in one transaction,
so its papers go out in the next digest instead of being lost.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email

from watcher.errors import StoreError
from watcher.evidence import QUESTIONS, Evidence
from watcher.records import Article, ArticleEvent
from watcher.store import Store, _article

FREQUENCIES = ("daily", "weekly", "monthly")
RELEVANCE_LEVELS = ("relevant", "uncertain")
FORMATS = ("html", "text")
STATUSES = ("queued", "sent", "failed")


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str
    name: str
    frequency: str
    searches: tuple[str, ...]
    questions: tuple[str, ...]
    min_relevance: str
    format: str
    send_empty: bool
    max_items: int | None
    active: bool
    token: str
    created_at: str
    updated_at: str
    unsubscribed_at: str | None = None
    covered_through: str | None = None  # last day (YYYY-MM-DD) a digest period covered


SUBSCRIBER_FIELDS = (
    "name", "frequency", "searches", "questions", "min_relevance", "format", "send_empty",
    "max_items", "active",
)  # fmt: skip


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


@dataclass(frozen=True)
class Candidate:
    """A classified article a subscriber has not received."""

    article: Article
    evidence: Evidence
    first_seen: str


@dataclass(frozen=True)
class PendingNews:
    """News (retraction, erratum, update) about a paper the subscriber already received."""

    event_id: int
    event: ArticleEvent
    article: Article


@dataclass(frozen=True)
class NewDigest:
    """Everything ``queue_digest`` writes in one transaction.

    ``shown`` are the PMIDs the mail presents; ``hidden`` the ones it covers without showing
    them (the rest of a baseline, items beyond the cap, retracted papers and notices): both
    enter the ledger, so neither comes back as "new".
    """

    subscriber_id: int | None
    recipient: str
    kind: str
    period_start: str
    period_end: str
    subject: str
    message_id: str
    message: bytes
    landscape: dict[str, Any]
    shown: Sequence[str] = ()
    hidden: Sequence[str] = ()
    event_ids: Sequence[int] = ()


def normalize_address(address: str) -> str:
    """A valid address in its normal, ASCII form (domain lower-cased, IDNA-encoded), or a
    StoreError saying why. ASCII because mail relays without SMTPUTF8 cannot take anything
    else; internationalised local parts are refused here rather than bounce later."""
    try:
        valid = validate_email(address.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise StoreError(
            f"{address!r} is not a valid email address: {error}; give the full address, "
            "e.g. surgeon@example.org"
        ) from None
    return valid.ascii_email or valid.normalized


def _lookup_form(address: str) -> str:
    try:
        return normalize_address(address)
    except StoreError:
        return address.strip()


class MailStore(Store):
    # -- subscribers ------------------------------------------------------------------------

    def add_subscriber(self, email: str, *, now: str, **settings: Any) -> Subscriber:
        """Validate and add a subscriber with an unguessable unsubscribe token."""
        email = normalize_address(email)
        values = _subscriber_values(settings)
        columns = ["email", "token", "created_at", "updated_at", *values]
        with self.transaction():
            if self.subscriber(email) is not None:
                raise StoreError(
                    f"{email} is already subscribed; use `mildwatch subscribers edit {email}`"
                )
            self.db.execute(
                f"INSERT INTO subscribers ({', '.join(columns)})"
                f" VALUES ({', '.join('?' * len(columns))})",
                [email, secrets.token_urlsafe(24), now, now, *values.values()],
            )
        return self.subscriber(email)  # type: ignore[return-value]

    def update_subscriber(self, email: str, *, now: str, **changes: Any) -> Subscriber:
        current = self._require(email)
        values = _subscriber_values(changes)
        if values.get("active") == 1 and not current.active:
            values["unsubscribed_at"] = None
        if values:
            assignments = ", ".join(f"{c} = ?" for c in values)
            self.db.execute(
                f"UPDATE subscribers SET {assignments}, updated_at = ? WHERE id = ?",
                [*values.values(), now, current.id],
            )
        return self.subscriber_by_id(current.id)  # type: ignore[return-value]

    def remove_subscriber(self, email: str) -> Subscriber:
        """Delete a subscriber and their ledger; their digests stay in the outbox history."""
        current = self._require(email)
        with self.transaction():
            self._drop_queued(current.id)
            self.db.execute("DELETE FROM subscribers WHERE id = ?", (current.id,))
        return current

    def unsubscribe(self, token: str, *, now: str) -> Subscriber | None:
        """Deactivate the subscriber holding ``token`` and drop their queued digests."""
        row = self._one("SELECT id FROM subscribers WHERE token = ?", (token.strip(),))
        if row is None:
            return None
        with self.transaction():
            self.db.execute(
                "UPDATE subscribers SET active = 0, unsubscribed_at = COALESCE(unsubscribed_at, ?),"
                " updated_at = ? WHERE id = ?",
                (now, now, row["id"]),
            )
            self._drop_queued(row["id"])
        return self.subscriber_by_id(row["id"])

    def _drop_queued(self, subscriber_id: int) -> None:
        """Queued digests of someone who left are not sent; their ledger rows go with them."""
        self.db.execute(
            "DELETE FROM deliveries WHERE digest_id IN (SELECT id FROM digests"
            " WHERE subscriber_id = ? AND status = 'queued')",
            (subscriber_id,),
        )
        self.db.execute(
            "DELETE FROM delivered_events WHERE digest_id IN (SELECT id FROM digests"
            " WHERE subscriber_id = ? AND status = 'queued')",
            (subscriber_id,),
        )
        self.db.execute(
            "DELETE FROM digests WHERE subscriber_id = ? AND status = 'queued'", (subscriber_id,)
        )

    def subscriber(self, email: str) -> Subscriber | None:
        row = self._one("SELECT * FROM subscribers WHERE email = ?", (_lookup_form(email),))
        return _subscriber(row) if row else None

    def subscriber_by_id(self, subscriber_id: int) -> Subscriber | None:
        row = self._one("SELECT * FROM subscribers WHERE id = ?", (subscriber_id,))
        return _subscriber(row) if row else None

    def subscribers(self, *, active_only: bool = False) -> list[Subscriber]:
        where = " WHERE active = 1" if active_only else ""
        return [
            _subscriber(r) for r in self._all(f"SELECT * FROM subscribers{where} ORDER BY email")
        ]

    def _require(self, email: str) -> Subscriber:
        found = self.subscriber(email)
        if found is None:
            raise StoreError(f"no subscriber {email}; see `mildwatch subscribers list`")
        return found

    def mark_covered(self, subscriber_id: int, period_end: str) -> None:
        """Remember that S's digests cover up to ``period_end`` (queued, or nothing to send)."""
        self.db.execute(
            "UPDATE subscribers SET covered_through = MAX(COALESCE(covered_through, ''), ?)"
            " WHERE id = ?",
            (period_end, subscriber_id),
        )

    # -- what a subscriber has not received -------------------------------------------------

    def undelivered(self, subscriber: Subscriber) -> list[Candidate]:
        """Classified articles not in the subscriber's ledger, within their searches."""
        relevance = RELEVANCE_LEVELS[: RELEVANCE_LEVELS.index(subscriber.min_relevance) + 1]
        params: list[Any] = [subscriber.id, *relevance]
        search_clause = ""
        if subscriber.searches:
            marks = ",".join("?" * len(subscriber.searches))
            search_clause = (
                " AND a.pmid IN (SELECT h.pmid FROM search_hits h JOIN searches s"
                f" ON s.id = h.search_id WHERE s.name IN ({marks}))"
            )
            params.extend(subscriber.searches)
        rows = self._all(
            "SELECT a.*, e.data AS evidence_data FROM articles a JOIN evidence e ON e.pmid = a.pmid"
            " WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.subscriber_id = ?"
            " AND d.pmid = a.pmid)"
            f" AND e.relevance IN ({','.join('?' * len(relevance))}){search_clause}"
            " ORDER BY a.first_seen, a.pmid",
            params,
        )
        return [
            Candidate(
                _article(r), Evidence.from_dict(json.loads(r["evidence_data"])), r["first_seen"]
            )
            for r in rows
        ]

    def classified(
        self, relevance: Iterable[str] = ("relevant",)
    ) -> list[tuple[Article, Evidence]]:
        """Every stored article with its evidence, for the landscape."""
        wanted = tuple(relevance)
        rows = self._all(
            "SELECT a.*, e.data AS evidence_data FROM articles a JOIN evidence e ON e.pmid = a.pmid"
            f" WHERE e.relevance IN ({','.join('?' * len(wanted))}) ORDER BY a.pmid",
            wanted,
        )
        return [(_article(r), Evidence.from_dict(json.loads(r["evidence_data"]))) for r in rows]

    def pending_news(self, subscriber_id: int, kinds: Sequence[str]) -> list[PendingNews]:
        """Events about papers the subscriber received, that happened after they received
        them, and that no digest has told them yet.

        Papers covered without being shown (the rest of a baseline, overflow) only make news
        when retracted: the landscape the subscriber saw counted them.
        """
        rows = self._all(
            "SELECT ev.id AS event_id, ev.kind, ev.at, ev.detail, ev.run_id, a.*"
            " FROM article_events ev"
            " JOIN deliveries d ON d.pmid = ev.pmid AND d.subscriber_id = ?"
            " JOIN digests g ON g.id = d.digest_id"
            " JOIN articles a ON a.pmid = ev.pmid"
            f" WHERE ev.kind IN ({','.join('?' * len(kinds))}) AND ev.at > g.created_at"
            " AND (d.shown = 1 OR ev.kind = 'retracted')"
            " AND NOT EXISTS (SELECT 1 FROM delivered_events x WHERE x.subscriber_id = ?"
            " AND x.event_id = ev.id) ORDER BY ev.id",
            [subscriber_id, *kinds, subscriber_id],
        )
        return [
            PendingNews(
                r["event_id"],
                ArticleEvent(r["pmid"], r["kind"], r["at"], r["detail"], r["run_id"]),
                _article(r),
            )
            for r in rows
        ]

    def last_digest(self, subscriber_id: int) -> tuple[OutboxEntry, dict[str, Any]] | None:
        """The subscriber's latest digest that was not given up on, with its landscape."""
        row = self._one(
            "SELECT * FROM digests WHERE subscriber_id = ? AND status != 'failed'"
            " ORDER BY period_end DESC, id DESC LIMIT 1",
            (subscriber_id,),
        )
        return (_entry(row), json.loads(row["landscape"])) if row else None

    # -- the outbox -------------------------------------------------------------------------

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
        values = (
            digest.subscriber_id, digest.recipient, digest.kind, digest.period_start,
            digest.period_end, digest.subject, digest.message_id, digest.message,
            json.dumps(digest.landscape, sort_keys=True), len(digest.shown), now, now,
        )  # fmt: skip
        return self.db.execute(
            "INSERT INTO digests (subscriber_id, recipient, kind, period_start, period_end,"
            " subject, message_id, message, landscape, items, status, next_attempt_at,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
            values,
        ).lastrowid

    def _insert_ledger(self, digest: NewDigest, digest_id: int) -> None:
        for shown, pmids in ((1, digest.shown), (0, digest.hidden)):
            for pmid in pmids:
                self.db.execute(
                    "INSERT INTO deliveries (subscriber_id, pmid, digest_id, shown)"
                    " VALUES (?, ?, ?, ?)",
                    (digest.subscriber_id, pmid, digest_id, shown),
                )
        for event_id in digest.event_ids:
            self.db.execute(
                "INSERT INTO delivered_events (subscriber_id, event_id, digest_id)"
                " VALUES (?, ?, ?)",
                (digest.subscriber_id, event_id, digest_id),
            )

    def digest(self, digest_id: int) -> OutboxEntry | None:
        row = self._one("SELECT * FROM digests WHERE id = ?", (digest_id,))
        return _entry(row) if row else None

    def sendable(self, *, now: str) -> list[OutboxEntry]:
        rows = self._all(
            "SELECT * FROM digests WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY id",
            (now,),
        )
        return [_entry(r) for r in rows]

    def message(self, digest_id: int) -> bytes:
        row = self.db.execute("SELECT message FROM digests WHERE id = ?", (digest_id,)).fetchone()
        if row is None:
            raise StoreError(f"no digest {digest_id} in the outbox; see `mildwatch outbox`")
        return bytes(row[0])

    def mark_sent(self, digest_id: int, *, now: str) -> None:
        self.db.execute(
            "UPDATE digests SET status = 'sent', sent_at = ?, attempts = attempts + 1,"
            " last_error = NULL WHERE id = ? AND status = 'queued'",
            (now, digest_id),
        )

    def mark_retry(self, digest_id: int, *, error: str, next_attempt_at: str) -> None:
        self.db.execute(
            "UPDATE digests SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
            " WHERE id = ? AND status = 'queued'",
            (error, next_attempt_at, digest_id),
        )

    def mark_failed(self, digest_id: int, *, error: str) -> None:
        """Give up on a digest and release its ledger, so its papers go out next time."""
        with self.transaction():
            self.db.execute(
                "UPDATE digests SET status = 'failed', attempts = attempts + 1, last_error = ?"
                " WHERE id = ? AND status = 'queued'",
                (error, digest_id),
            )
            self.db.execute("DELETE FROM deliveries WHERE digest_id = ?", (digest_id,))
            self.db.execute("DELETE FROM delivered_events WHERE digest_id = ?", (digest_id,))

    def outbox(self, *, status: str | None = None, limit: int = 50) -> list[OutboxEntry]:
        if status is not None and status not in STATUSES:
            raise StoreError(f"unknown outbox status {status!r}; use one of {', '.join(STATUSES)}")
        where, params = ("WHERE status = ?", [status]) if status else ("", [])
        rows = self._all(
            f"SELECT * FROM digests {where} ORDER BY id DESC LIMIT ?", [*params, limit]
        )
        return [_entry(r) for r in rows]

    def outbox_counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT status, COUNT(*) FROM digests GROUP BY status").fetchall()
        return {status: count for status, count in rows}

    def troubled_digests(self, *, min_attempts: int) -> list[OutboxEntry]:
        """Digests (not alerts) still failing after ``min_attempts`` tries, and failed ones
        not followed by a successful send to the same address (the problem persists)."""
        rows = self._all(
            "SELECT * FROM digests d WHERE d.kind != 'alert' AND ("
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


def _subscriber_values(settings: dict[str, Any]) -> dict[str, Any]:
    """Column values for the settings given (None means "leave as is", except max_items,
    where None means "use the configured default"); invalid values are a StoreError."""
    unknown = set(settings) - set(SUBSCRIBER_FIELDS)
    if unknown:
        raise TypeError(f"unknown subscriber settings: {sorted(unknown)}")
    values: dict[str, Any] = {}
    for key, value in settings.items():
        if value is None and key != "max_items":
            continue
        _check_setting(key, value)
        if key in ("searches", "questions"):
            value = json.dumps(sorted(set(value)))
        elif key in ("send_empty", "active"):
            value = int(value)
        values[key] = value
    return values


def _check_setting(key: str, value: Any) -> None:
    choices = {
        "frequency": FREQUENCIES,
        "min_relevance": RELEVANCE_LEVELS,
        "format": FORMATS,
    }
    if key in choices and value not in choices[key]:
        raise StoreError(f"{key} must be one of {', '.join(choices[key])}, not {value!r}")
    if key == "questions":
        unknown = sorted(set(value) - set(QUESTIONS))
        if unknown:
            raise StoreError(f"unknown question {unknown[0]!r}; use one of {', '.join(QUESTIONS)}")
    if key == "max_items" and value is not None and not 1 <= value <= 1000:
        raise StoreError(f"max_items must be between 1 and 1000, not {value}")


def _subscriber(row: dict[str, Any]) -> Subscriber:
    values = dict(row)
    values["searches"] = tuple(json.loads(row["searches"]))
    values["questions"] = tuple(json.loads(row["questions"]))
    values["send_empty"] = bool(row["send_empty"])
    values["active"] = bool(row["active"])
    return Subscriber(**values)


def _entry(row: dict[str, Any]) -> OutboxEntry:
    names = OutboxEntry.__dataclass_fields__
    return OutboxEntry(**{k: v for k, v in row.items() if k in names})
