"""Each message stored once, and kept only as long as it is useful.

A queued digest's bytes are in the database (a retry must send the very same message). Once
sent, there is one copy: with the files transport it is the ``.eml`` the transport wrote (the
database copy is dropped as the digest is marked sent); with SMTP it is the database's, kept
``[mail] retention_days`` for `mildwatch outbox show` (what did Dr X receive?), then pruned.
Failed digests are pruned the same number of days after they were created. The digest row and
the delivery ledgers always stay: they are what keeps a paper from being sent twice.

The ``.eml`` folder is the admin's (another program may pick the files up, or it is their
archive), so mildwatch never deletes a file there.

Pruned pages are reused by SQLite for the next messages, so the database stops growing by
message bodies after one retention period; it does not shrink on its own (no auto_vacuum):
run ``sqlite3 mildwatch.db VACUUM`` once to give the space back after turning retention on
for an old database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from digests.transports import eml_filename
from watcher.clock import iso
from watcher.config import MailSettings
from watcher.errors import StoreError
from watcher.store import OutboxEntry, Store


@dataclass(frozen=True)
class PruneReport:
    """What retention dropped (or, in a dry run, would drop)."""

    digests: int
    bytes: int
    before: str  # finished before this time
    dry_run: bool = False


def prune_messages(
    store: Store, *, now: datetime, mail: MailSettings, dry_run: bool = False
) -> PruneReport:
    """Drop the bytes of digests finished ``retention_days`` or more before ``now``."""
    before = iso(now - timedelta(days=mail.retention_days))
    if dry_run:
        digests, size = store.kept_messages(finished_before=before)
    else:
        digests, size = store.prune_messages(finished_before=before, now=iso(now))
    return PruneReport(digests=digests, bytes=size, before=before, dry_run=dry_run)


def message_bytes(store: Store, entry: OutboxEntry, mail: MailSettings) -> bytes:
    """The message as it was sent (or will be): from the database, or from its .eml file
    when that is its one copy. A ``StoreError`` names where it went when it is gone."""
    if entry.message_kept != "files":
        return store.message(entry.id)
    path = eml_path(entry, mail)
    try:
        return path.read_bytes()
    except OSError as error:
        raise StoreError(
            f"the message of digest {entry.id} was written to the files outbox as {path}, "
            f"its one copy, and that file cannot be read ({error.strerror or error}); "
            "it was moved or deleted outside mildwatch"
        ) from None


def eml_path(entry: OutboxEntry, mail: MailSettings) -> Path:
    """Where the files transport wrote ``entry``."""
    return Path(mail.outbox_dir) / eml_filename(entry.message_id)
