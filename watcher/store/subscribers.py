"""Subscribers: who gets digests, how often, about what; validated on the way in.

Addresses are stored in their normal ASCII form and looked up the same way (the column also
ignores case), so " Zoe@EXAMPLE.org" and "zoe@example.org" are one subscriber. Every setting
is checked here, with a ``StoreError`` naming the choices, before the table's CHECK
constraints would see it. A name goes into the ``To:`` header, so it must be one line of
plain text: control characters (CR, LF, …) are refused, and so is an RFC 2047 encoded word
that decodes to them, since the mail library decodes it again when it writes the header
(``=?utf-8?q?A=0D=0ABcc:…?=`` would become a real ``Bcc:`` line). Rows stored before this
check are checked again when a digest is composed (:func:`check_name`).

Each subscriber gets an unguessable unsubscribe token; unsubscribing or removing someone also
drops their queued digests and those digests' ledger rows, so nothing more goes out to them.
"""

from __future__ import annotations

import json
import re
import secrets
import unicodedata
from dataclasses import dataclass
from email.header import decode_header, make_header
from typing import Any

from email_validator import EmailNotValidError

from watcher import addresses
from watcher.errors import StoreError
from watcher.store.base import StoreBase
from watcher.store.coverage import drop_unused_sets, release_ledgers
from watcher.vocabulary import QUESTIONS

FREQUENCIES = ("daily", "weekly", "monthly")
RELEVANCE_LEVELS = ("relevant", "uncertain")
FORMATS = ("html", "text")


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
    paused_at: str | None = None  # paused (by the subscriber or an admin), not unsubscribed

    @property
    def receiving(self) -> bool:
        """Digests go out: subscribed and not paused."""
        return self.active and self.paused_at is None


SUBSCRIBER_FIELDS = (
    "name", "frequency", "searches", "questions", "min_relevance", "format", "send_empty",
    "max_items", "active",
)  # fmt: skip


def normalize_address(address: str, *, internal: bool = False) -> str:
    """A valid address in its normal, ASCII form (domain lower-cased, IDNA-encoded), or a
    StoreError saying why. ASCII because mail relays without SMTPUTF8 cannot take anything
    else; internationalised local parts are refused here rather than bounce later."""
    try:
        return addresses.normalize_address(address, internal=internal)
    except EmailNotValidError as error:
        hint = "" if internal else " ([mail] allow_internal_domains = true admits x@hospital.local)"
        raise StoreError(
            f"{address!r} is not a valid email address: {error}; give the full address, "
            f"e.g. surgeon@example.org{hint}"
        ) from None


MAX_NAME_LENGTH = 200
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def _control(text: str) -> str | None:
    """The first control or line/paragraph separator character in ``text``, if any."""
    for char in text:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp") or char == "\ufeff":
            return char
    return None


def check_name(name: str) -> str:
    """``name`` if it is safe in a ``To:`` header, else a StoreError saying what to fix."""
    if len(name) > MAX_NAME_LENGTH:
        raise StoreError(f"a subscriber's name must be at most {MAX_NAME_LENGTH} characters")
    bad = _control(name)
    if bad is None and _ENCODED_WORD.search(name):
        try:
            decoded = str(make_header(decode_header(name)))
        except (UnicodeError, LookupError, ValueError):
            decoded = "\x00"
        bad = _control(decoded)
    if bad is not None:
        raise StoreError(
            f"the name {name!r} contains a control character ({ord(bad):#04x}, e.g. a line "
            "break, possibly inside an =?...?= encoded word); give the name as one line of "
            "plain text, e.g. --name 'Dr. A. Surgeon'"
        )
    return name


def _lookup_form(address: str) -> str:
    try:
        return normalize_address(address, internal=True)
    except StoreError:
        return address.strip()


class SubscriberQueries(StoreBase):
    def add_subscriber(
        self, email: str, *, now: str, internal_domains: bool = False, **settings: Any
    ) -> Subscriber:
        """Validate and add a subscriber with an unguessable unsubscribe token
        (``internal_domains``: also addresses such as x@hospital.local)."""
        email = normalize_address(email, internal=internal_domains)
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
        current = self._require_subscriber(email)
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
        current = self._require_subscriber(email)
        with self.transaction():
            self._drop_queued(current.id)
            self.db.execute("DELETE FROM subscribers WHERE id = ?", (current.id,))
            drop_unused_sets(self.db)
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
        release_ledgers(
            self.db,
            "SELECT id FROM digests WHERE subscriber_id = ? AND status = 'queued'",
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
        """Everyone, or (``active_only``) those who receive digests: subscribed, not paused."""
        where = " WHERE active = 1 AND paused_at IS NULL" if active_only else ""
        return [
            _subscriber(r) for r in self._all(f"SELECT * FROM subscribers{where} ORDER BY email")
        ]

    def _require_subscriber(self, email: str) -> Subscriber:
        found = self.subscriber(email)
        if found is None:
            raise StoreError(f"no subscriber {email}; see `mildwatch subscribers list`")
        return found


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
    if key == "name":
        if not isinstance(value, str):
            raise StoreError(f"a subscriber's name must be text, not {value!r}")
        check_name(value)
    if key == "max_items" and value is not None and not 1 <= value <= 1000:
        raise StoreError(f"max_items must be between 1 and 1000, not {value}")


def _subscriber(row: dict[str, Any]) -> Subscriber:
    values = dict(row)
    values["searches"] = tuple(json.loads(row["searches"]))
    values["questions"] = tuple(json.loads(row["questions"]))
    values["send_empty"] = bool(row["send_empty"])
    values["active"] = bool(row["active"])
    return Subscriber(**values)
