"""Each message stored once, for as long as ``[mail] retention_days`` says: the files outbox's
.eml is the one copy of what it wrote; over SMTP the database keeps the bytes for the
retention period, then drops them. Rows and ledgers stay, so nothing goes out twice, and a
queued message always keeps its bytes for its retry. On real SQLite files, real folders,
aiosmtpd on 127.0.0.1 and the command line in-process."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from digests.compose import compose_due
from digests.outbox import deliver, make_transport
from digests.retention import eml_path, message_bytes, prune_messages
from tests.digest_factories import (
    DAY,
    NOW,
    SCHEDULE,
    WEEK,
    item_pmids,
    seed,
    stored_message,
    study,
    subscribe,
    text_of,
)
from tests.mailservers import Capture
from tests.test_cli_mail import fails, ok, run, write_config
from tests.test_smtp_e2e import smtp_mail
from watcher.config import MailSettings
from watcher.errors import StoreError
from watcher.store import Store


def sent_over_smtp(store: Store, mail: MailSettings) -> list[int]:
    seed(store, [study(99006001, "rct")], at=NOW - WEEK)
    for address in ("a@example.org", "b@example.org"):
        subscribe(store, address)
    ids = compose_due(store, now=NOW, mail=mail, schedule=SCHEDULE)
    assert deliver(store, make_transport(mail), now=NOW, mail=mail).ok
    return ids


def test_sent_messages_are_kept_for_the_retention_period_then_pruned(
    store: Store, tmp_path: Path, start_smtpd
) -> None:
    server = Capture()
    mail = smtp_mail(tmp_path, start_smtpd(server))
    assert mail.retention_days == 28
    ids = sent_over_smtp(store, mail)
    sent = {got["message"]["Message-ID"]: got["raw"] for got in server.received}
    for digest_id in ids:  # over SMTP the database holds the one copy
        entry = store.digest(digest_id)
        assert entry is not None and entry.message_kept == "database"
        assert message_bytes(store, entry, mail) == sent[entry.message_id]

    almost = prune_messages(store, now=NOW + 28 * DAY - timedelta(seconds=1), mail=mail)
    assert (almost.digests, almost.bytes) == (0, 0)
    dry = prune_messages(store, now=NOW + 28 * DAY, mail=mail, dry_run=True)
    assert dry.digests == 2 and dry.bytes == sum(len(raw) for raw in sent.values())
    assert store.message(ids[0])  # a dry run changes nothing

    pruned = prune_messages(store, now=NOW + 28 * DAY, mail=mail)
    assert (pruned.digests, pruned.bytes) == (dry.digests, dry.bytes)
    for digest_id in ids:
        entry = store.digest(digest_id)
        assert entry is not None and (entry.status, entry.message_kept) == ("sent", "pruned")
        with pytest.raises(StoreError, match=r"pruned on 2026-12-21T08:00:00\+00:00"):
            store.message(digest_id)
    assert prune_messages(store, now=NOW + 60 * DAY, mail=mail).digests == 0  # once

    # The ledger stayed: the same paper is not sent again; a new one is, to both.
    seed(store, [study(99006001, "rct"), study(99006002, "cohort")], at=NOW + DAY)
    later = compose_due(store, now=NOW + WEEK, mail=mail, schedule=SCHEDULE)
    assert len(later) == 2
    for digest_id in later:
        assert item_pmids(text_of(stored_message(store, digest_id))) == ["99006002"]


def test_queued_messages_are_never_pruned_and_failed_ones_are(
    store: Store, tmp_path: Path, start_smtpd
) -> None:
    server = Capture()
    server.rcpt_replies["a@example.org"] = "550 5.1.1 No such user here"
    server.rcpt_replies["b@example.org"] = "451 4.7.1 Greylisted, try again later"
    mail = smtp_mail(tmp_path, start_smtpd(server), retention_days=0)
    seed(store, [study(99006101, "rct")], at=NOW - WEEK)
    subscribe(store, "a@example.org")
    subscribe(store, "b@example.org")
    failed_id, waiting_id = compose_due(store, now=NOW, mail=mail, schedule=SCHEDULE)
    deliver(store, make_transport(mail), now=NOW, mail=mail)

    pruned = prune_messages(store, now=NOW + 365 * DAY, mail=mail)
    assert pruned.digests == 1
    assert store.digest(failed_id).message_kept == "pruned"  # type: ignore[union-attr]
    waiting = store.digest(waiting_id)
    assert waiting is not None and (waiting.status, waiting.message_kept) == ("queued", "database")
    server.rcpt_replies.clear()
    later = NOW + 365 * DAY
    assert deliver(store, make_transport(mail), now=later, mail=mail).sent == [
        (waiting_id, "b@example.org")
    ]  # its retry still had its bytes
    assert prune_messages(store, now=later, mail=mail).digests == 1  # 0 days: gone once sent


def test_the_files_outbox_keeps_the_one_copy(store: Store, mail: MailSettings) -> None:
    seed(store, [study(99006201, "rct")], at=NOW - WEEK)
    subscribe(store)
    [digest_id] = compose_due(store, now=NOW, mail=mail, schedule=SCHEDULE)
    queued = store.message(digest_id)
    deliver(store, make_transport(mail), now=NOW, mail=mail)
    entry = store.digest(digest_id)
    assert entry is not None and entry.message_kept == "files"
    assert eml_path(entry, mail).read_bytes() == queued == message_bytes(store, entry, mail)
    assert store.kept_messages(finished_before=(NOW + 365 * DAY).isoformat()) == (0, 0)

    prune_messages(store, now=NOW + 365 * DAY, mail=replace(mail, retention_days=0))
    assert eml_path(entry, mail).read_bytes() == queued  # the admin's folder: never deleted

    eml_path(entry, mail).unlink()
    with pytest.raises(StoreError, match=r"moved or deleted outside mildwatch"):
        message_bytes(store, entry, mail)


def keep_days(config: Path, days: int) -> None:
    text = config.read_text().replace("max_attempts", f"retention_days = {days}\nmax_attempts")
    config.write_text(text)


def smtp_site(tmp_path: Path, port: int) -> Path:
    config = write_config(tmp_path, "smtp", port)
    with Store.open(tmp_path / "mildwatch.db") as store:
        seed(store, [study(99006301, "rct")], at=NOW - WEEK)
    ok(run(config, "subscribers", "add", "a@example.org"))
    return config


def test_outbox_show_and_prune_on_the_command_line(tmp_path: Path, start_smtpd) -> None:
    server = Capture()
    config = smtp_site(tmp_path, start_smtpd(server))
    ok(run(config, "digest", "send"))
    [got] = server.received

    shown = ok(run(config, "outbox", "show", "1"))
    assert "To: a@example.org" in shown and f"Message-ID: {got['message']['Message-ID']}" in shown
    assert "pubmed.ncbi.nlm.nih.gov/99006301/" in shown  # the plain-text part
    assert run(config, "outbox", "show", "1", "--raw").stdout_bytes == got["raw"]
    assert "Would drop the messages of 0 digest(s)" in ok(
        run(config, "outbox", "prune", "--dry-run")
    )

    keep_days(config, 0)
    out = ok(run(config, "outbox", "prune", "--dry-run"))
    assert "Would drop the messages of 1 digest(s)" in out and "retention_days = 0" in out
    assert "Dropped the messages of 1 digest(s)" in ok(run(config, "outbox", "prune"))
    assert "message pruned" in ok(run(config, "outbox", "--status", "sent"))
    line = fails(run(config, "outbox", "show", "1"))
    assert line.startswith("Error: the message of digest 1 is no longer stored: pruned on ")
    assert "retention_days" in line
    assert fails(run(config, "outbox", "show", "7")) == (
        "Error: no digest 7 in the outbox; see `mildwatch outbox`"
    )


def test_send_prunes_at_the_end_of_each_run(tmp_path: Path, start_smtpd) -> None:
    config = smtp_site(tmp_path, start_smtpd(Capture()))
    keep_days(config, 0)
    out = ok(run(config, "digest", "send"))
    assert "1 sent" in out and "Pruned the stored messages of 1 digest(s)" in out
    assert "no longer stored: pruned" in fails(run(config, "outbox", "show", "1"))


def test_outbox_show_reads_the_eml_of_the_files_outbox(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    with Store.open(tmp_path / "mildwatch.db") as store:
        seed(store, [study(99006401, "rct")], at=NOW - WEEK)
    ok(run(config, "subscribers", "add", "a@example.org"))
    ok(run(config, "digest", "send"))
    assert "To: a@example.org" in ok(run(config, "outbox", "show", "1"))
    assert "message only in its .eml file" in ok(run(config, "outbox"))
    next((tmp_path / "outbox").glob("*.eml")).unlink()
    line = fails(run(config, "outbox", "show", "1"))
    assert "written to the files outbox as" in line and "moved or deleted" in line


def test_retention_days_is_checked(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    keep_days(config, -1)
    line = fails(run(config, "outbox"), code=2)
    assert ":10: mail.retention_days must be between 0 and 3650, not -1" in line
