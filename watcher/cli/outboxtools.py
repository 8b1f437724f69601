"""`mildwatch outbox show/prune/settle`: what one message said, dropping old sent messages now
(`digest send` and `run` prune after every delivery anyway; digests/retention.py), and settling
a digest held back because its delivery outcome was unknown."""

from __future__ import annotations

import email
from email import policy

import click

from digests.retention import message_bytes, prune_messages
from watcher.cli.app import App, pass_app
from watcher.clock import iso, utc_now
from watcher.store import OutboxEntry


def _digest(app: App, digest_id: int) -> OutboxEntry:
    entry = app.store.digest(digest_id)
    if entry is None:
        raise click.ClickException(f"no digest {digest_id} in the outbox; see `mildwatch outbox`")
    return entry


@click.command(name="show")
@click.argument("digest_id", metavar="ID", type=int)
@click.option(
    "--raw", is_flag=True, help="The exact bytes as sent (an .eml: `... --raw > digest.eml`)."
)
@pass_app
def show_message(app: App, digest_id: int, raw: bool) -> None:
    """The message of digest ID: its headers and plain-text part, or with --raw its exact
    bytes. Sent messages are kept for `[mail] retention_days`; with the files transport the
    .eml file is read."""
    data = message_bytes(app.store, _digest(app, digest_id), app.config.mail)
    if raw:
        click.echo(data, nl=False)  # bytes go to the binary stream unchanged
        return
    message = email.message_from_bytes(data, policy=policy.default)
    for header in ("From", "To", "Subject", "Date", "Message-ID"):
        click.echo(f"{header}: {message.get(header, '')}")
    click.echo("")
    body = message.get_body(("plain",))  # type: ignore[attr-defined]
    text = body.get_content() if body is not None else "(no plain-text part; see --raw)"
    click.echo(text.replace("\r\n", "\n").rstrip("\n"))


@click.command(name="prune")
@click.option("--dry-run", is_flag=True, help="Count what would be dropped; change nothing.")
@pass_app
def prune(app: App, dry_run: bool) -> None:
    """Drop the stored bytes of messages sent more than `[mail] retention_days` ago (and of
    failed digests as old); their outbox rows and the delivery ledger stay, so nothing is
    sent twice. The files transport's .eml files are never deleted."""
    mail = app.config.mail
    report = prune_messages(app.store, now=utc_now(), mail=mail, dry_run=dry_run)
    verb = "Would drop" if dry_run else "Dropped"
    click.echo(
        f"{verb} the messages of {report.digests} digest(s), {report.bytes / 1e6:.1f} MB, "
        f"finished by {report.before} ([mail] retention_days = {mail.retention_days})"
    )


@click.command(name="settle")
@click.argument("digest_id", metavar="ID", type=int)
@click.option(
    "--delivered/--not-delivered",
    required=True,
    help="What the mail server's log says about the digest's Message-ID.",
)
@pass_app
def settle(app: App, digest_id: int, delivered: bool) -> None:
    """Settle digest ID, held back because the connection broke after its last byte (or the
    process died while sending it): look its Message-ID up in the mail server's log, then say
    --delivered (recorded as sent, never offered again) or --not-delivered (sent at the next
    `digest send` instead of waiting out the hold)."""
    entry = _digest(app, digest_id)
    if not app.store.settle_uncertain(digest_id, delivered=delivered, now=iso(utc_now())):
        raise click.ClickException(
            f"digest {digest_id} is not held back (it is {entry.status}); only a digest whose "
            "delivery outcome is unknown can be settled (`mildwatch outbox --status queued`)"
        )
    if delivered:
        click.echo(f"Digest {digest_id} to {entry.recipient} recorded as sent.")
    else:
        click.echo(f"Digest {digest_id} to {entry.recipient} will be sent at the next send.")


COMMANDS = (show_message, prune, settle)
