"""A subscriber's own preferences, changed through their secret link: finding them by token,
changing settings, pausing, and the log of every change.

The token in a link is the only thing a subscriber proves themselves with, so it is looked
up without letting the time taken depend on how much of it matched: every stored token is
compared with ``hmac.compare_digest`` and none is looked up by index. Each change is written
together with its log row (``subscriber_changes``: time, source, old and new values), so the
log never misses a change nor shows one that did not happen. Pausing is not unsubscribing:
the subscriber keeps their settings and ledger, and their next digest after resuming covers
the paused weeks, so nothing found meanwhile is lost.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Any

from watcher.store.base import StoreBase
from watcher.store.subscribers import Subscriber, _subscriber_values

# What a subscriber may change about themselves (the admin's CLI can change more).
PREFERENCE_FIELDS = ("frequency", "questions", "max_items", "format")


@dataclass(frozen=True)
class SubscriberChange:
    """One logged change: ``changes`` maps a setting to its [old, new] values."""

    at: str
    source: str
    changes: dict[str, list[Any]]


class PreferenceQueries(StoreBase):
    """Mixed into ``Store`` after ``SubscriberQueries``, whose methods it uses."""

    def subscriber_for_token(self, token: str) -> Subscriber | None:
        """The subscriber whose token is ``token``, compared in constant time against all."""
        wanted = token.encode()
        found = None
        for row in self._all("SELECT id, token FROM subscribers"):
            if hmac.compare_digest(row["token"].encode(), wanted):
                found = row["id"]
        return self.subscriber_by_id(found) if found is not None else None

    def change_preferences(
        self, subscriber: Subscriber, *, now: str, source: str, **changes: Any
    ) -> Subscriber:
        """Apply ``changes`` (PREFERENCE_FIELDS, ``paused``, and ``active=True`` to subscribe
        again) and log what actually changed, in one transaction. Invalid values are a
        StoreError and change nothing."""
        unknown = set(changes) - {*PREFERENCE_FIELDS, "paused", "active"}
        if unknown or changes.get("active") is False:
            raise TypeError(f"not a preference change: {sorted(unknown) or ['active=False']}")
        settings = {k: v for k, v in changes.items() if k in PREFERENCE_FIELDS or k == "active"}
        _subscriber_values(settings)  # validates before anything is written
        before = _preferences(subscriber)
        with self.transaction():
            updated = self.update_subscriber(subscriber.email, now=now, **settings)
            paused = changes.get("paused")
            if paused is not None and paused != (updated.paused_at is not None):
                self.db.execute(
                    "UPDATE subscribers SET paused_at = ?, updated_at = ? WHERE id = ?",
                    (now if paused else None, now, subscriber.id),
                )
                if paused:
                    self._drop_queued(subscriber.id)  # its papers wait in the ledger
            after = _preferences(self.subscriber_by_id(subscriber.id))  # type: ignore[arg-type]
            diff = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
            if diff:
                self.log_subscriber_change(subscriber.id, diff, now=now, source=source)
        return self.subscriber_by_id(subscriber.id)  # type: ignore[return-value]

    def unsubscribe_subscriber(self, subscriber: Subscriber, *, now: str, source: str) -> None:
        """Unsubscribe (as ``SubscriberQueries.unsubscribe``) and log it, in one transaction;
        unsubscribing twice changes and logs nothing more."""
        with self.transaction():
            self.unsubscribe(subscriber.token, now=now)
            if subscriber.active:
                self.log_subscriber_change(
                    subscriber.id, {"active": [True, False]}, now=now, source=source
                )

    def log_subscriber_change(
        self, subscriber_id: int, changes: dict[str, list[Any]], *, now: str, source: str
    ) -> None:
        self.db.execute(
            "INSERT INTO subscriber_changes (subscriber_id, at, source, changes)"
            " VALUES (?, ?, ?, ?)",
            (subscriber_id, now, source, json.dumps(changes, sort_keys=True)),
        )

    def subscriber_changes(self, subscriber_id: int) -> list[SubscriberChange]:
        """Oldest first."""
        rows = self._all(
            "SELECT at, source, changes FROM subscriber_changes WHERE subscriber_id = ?"
            " ORDER BY id",
            (subscriber_id,),
        )
        return [SubscriberChange(r["at"], r["source"], json.loads(r["changes"])) for r in rows]


def _preferences(subscriber: Subscriber) -> dict[str, Any]:
    return {
        "frequency": subscriber.frequency,
        "questions": list(subscriber.questions),
        "max_items": subscriber.max_items,
        "format": subscriber.format,
        "paused": subscriber.paused_at is not None,
        "active": subscriber.active,
    }
