"""Commands for evidence going out: subscribers, digest preview/send, the outbox."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from digests.compose import preview
from watcher.cli import jobs, outboxtools, show
from watcher.cli.app import App, pass_app
from watcher.clock import iso, utc_now
from watcher.store import (
    FORMATS,
    FREQUENCIES,
    RELEVANCE_LEVELS,
    STATUSES,
    OutboxEntry,
    Store,
    Subscriber,
)
from watcher.vocabulary import QUESTIONS


def _check_searches(store: Store, names: Iterable[str]) -> None:
    for name in names:
        if store.search(name) is None:
            raise click.ClickException(
                f"no saved search named {name!r}; see `mildwatch searches list`"
            )


def _find(store: Store, email: str) -> Subscriber:
    found = store.subscriber(email)
    if found is None:
        raise click.ClickException(f"no subscriber {email}; see `mildwatch subscribers list`")
    return found


def subscriber_lines(subscriber: Subscriber, last: OutboxEntry | None) -> list[str]:
    state = "active" if subscriber.active else "inactive (unsubscribed)"
    head = f"{subscriber.email}" + (f"  ({subscriber.name})" if subscriber.name else "")
    settings = [
        subscriber.frequency,
        subscriber.format,
        f"min relevance {subscriber.min_relevance}",
        "sends 'nothing new'" if subscriber.send_empty else "skips empty periods",
        f"max {subscriber.max_items} items" if subscriber.max_items else "default item cap",
    ]
    follows = []
    if subscriber.searches:
        follows.append(f"searches: {', '.join(subscriber.searches)}")
    if subscriber.questions:
        follows.append(f"questions: {', '.join(subscriber.questions)}")
    lines = [head, f"    {state}; {'; '.join(settings)}"]
    lines.append(f"    follows {'; '.join(follows) if follows else 'everything'}")
    if last is None:
        lines.append("    no digest yet (the first will be a baseline)")
    else:
        lines.append(
            f"    last digest {last.id}: {last.kind}, {last.period_start} to {last.period_end},"
            f" {last.status}"
        )
    return lines


def outbox_lines(entries: Iterable[OutboxEntry]) -> list[str]:
    lines = []
    for e in entries:
        period = (
            e.period_start
            if e.period_start == e.period_end
            else (f"{e.period_start} to {e.period_end}")
        )
        lines.append(
            f"{e.id:>5}  {e.status:<6}  {e.kind:<11}  {e.recipient}  {period}  "
            f"{e.items} item(s), {e.attempts} attempt(s)"
        )
        if e.status == "queued":
            lines.append(f"       next attempt {e.next_attempt_at}")
        elif e.status == "sent":
            lines.append(f"       sent {e.sent_at}{_kept(e)}")
        if e.last_error:
            lines.append(f"       last error: {e.last_error}")
    return lines


def _kept(entry: OutboxEntry) -> str:
    if entry.message_kept == "pruned":
        return f"; message pruned {entry.pruned_at} (kept [mail] retention_days)"
    return "; message only in its .eml file" if entry.message_kept == "files" else ""


# --- subscribers ------------------------------------------------------------------------------

_QUESTION = click.Choice(QUESTIONS)


@click.group()
def subscribers() -> None:
    """Add, list, edit and remove the people who receive digests."""


@subscribers.command(name="add")
@click.argument("email")
@click.option("--name", default="", help="How the digest greets them.")
@click.option("--frequency", type=click.Choice(FREQUENCIES), default="weekly", show_default=True)
@click.option(
    "--search",
    "searches",
    multiple=True,
    metavar="NAME",
    help="Follow only this saved search (repeatable; default: all).",
)
@click.option(
    "--question",
    "questions",
    multiple=True,
    type=_QUESTION,
    help="Follow only studies addressing this question (repeatable; default: all).",
)
@click.option(
    "--min-relevance",
    type=click.Choice(RELEVANCE_LEVELS),
    default="relevant",
    show_default=True,
    help="'uncertain' also sends studies the classifier is unsure about.",
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(FORMATS),
    default="html",
    show_default=True,
    help="'text' sends plain text only.",
)
@click.option(
    "--send-empty/--skip-empty",
    default=False,
    show_default=True,
    help="Send a short note when nothing is new.",
)
@click.option(
    "--max-items",
    type=click.IntRange(1, 1000),
    help="At most this many studies per digest (default: [mail] max_items).",
)
@pass_app
def add_subscriber(
    app: App,
    email: str,
    name: str,
    frequency: str,
    searches: tuple[str, ...],
    questions: tuple[str, ...],
    min_relevance: str,
    format_: str,
    send_empty: bool,
    max_items: int | None,
) -> None:
    """Subscribe EMAIL (checked and normalised); the first digest is a baseline."""
    store = app.store
    _check_searches(store, searches)
    added = store.add_subscriber(
        email,
        now=iso(utc_now()),
        internal_domains=app.config.mail.allow_internal_domains,
        name=name,
        frequency=frequency,
        searches=searches,
        questions=questions,
        min_relevance=min_relevance,
        format=format_,
        send_empty=send_empty,
        max_items=max_items,
    )
    click.echo(f"Added {added.email} ({added.frequency}, {added.format}).")
    click.echo(f"Unsubscribe token: {added.token}")
    click.echo("Next: `mildwatch digest preview --subscriber " + added.email + "`")


@subscribers.command(name="list")
@pass_app
def list_subscribers(app: App) -> None:
    """Every subscriber, their settings and their last digest."""
    store = app.store
    rows = store.subscribers()
    if not rows:
        click.echo("No subscribers; add one with `mildwatch subscribers add EMAIL`.")
    for subscriber in rows:
        last = store.last_digest(subscriber.id)
        for line in subscriber_lines(subscriber, last[0] if last else None):
            click.echo(line)


@subscribers.command(name="edit")
@click.argument("email")
@click.option("--name", help="How the digest greets them.")
@click.option("--frequency", type=click.Choice(FREQUENCIES))
@click.option(
    "--search",
    "searches",
    multiple=True,
    metavar="NAME",
    help="Follow only these saved searches (replaces the list).",
)
@click.option("--all-searches", is_flag=True, help="Follow every saved search again.")
@click.option(
    "--question",
    "questions",
    multiple=True,
    type=_QUESTION,
    help="Follow only these questions (replaces the list).",
)
@click.option("--all-questions", is_flag=True, help="Follow every question again.")
@click.option("--min-relevance", type=click.Choice(RELEVANCE_LEVELS))
@click.option("--format", "format_", type=click.Choice(FORMATS))
@click.option("--send-empty/--skip-empty", default=None, help="Send a note when nothing is new?")
@click.option(
    "--max-items", type=click.IntRange(0, 1000), help="Cap per digest; 0 = the [mail] default."
)
@click.option("--active/--inactive", default=None, help="Resume or pause their digests.")
@pass_app
def edit_subscriber(app: App, email: str, **options: Any) -> None:
    """Change EMAIL's settings; options not given stay as they are."""
    store = app.store
    current = _find(store, email)
    changes: dict[str, Any] = {
        key: options[key]
        for key in ("name", "frequency", "min_relevance", "send_empty", "active")
        if options[key] is not None
    }
    if options["format_"] is not None:
        changes["format"] = options["format_"]
    if options["max_items"] is not None:
        changes["max_items"] = options["max_items"] or None
    for key, clear in (("searches", "all_searches"), ("questions", "all_questions")):
        if options[key] and options[clear]:
            raise click.UsageError(f"give --{key[:-1]} or --{clear.replace('_', '-')}, not both")
        if options[key] or options[clear]:
            changes[key] = options[key]
    if not changes:
        raise click.UsageError("nothing to change; see `mildwatch subscribers edit --help`")
    _check_searches(store, changes.get("searches", ()))
    updated = store.update_subscriber(current.email, now=iso(utc_now()), **changes)
    for line in subscriber_lines(updated, None)[:3]:
        click.echo(line)


@subscribers.command(name="remove")
@click.argument("email")
@pass_app
def remove_subscriber(app: App, email: str) -> None:
    """Delete EMAIL and their ledger (re-adding them starts with a new baseline)."""
    removed = app.store.remove_subscriber(email)
    click.echo(f"Removed {removed.email}; their sent digests stay in the outbox history.")


@subscribers.command(name="unsubscribe")
@click.argument("token")
@pass_app
def unsubscribe(app: App, token: str) -> None:
    """Act on an unsubscribe request: the TOKEN from the link or the mail's subject."""
    token = token.strip().removeprefix("unsubscribe").strip()
    found = app.store.unsubscribe(token, now=iso(utc_now()))
    if found is None:
        raise click.ClickException(
            "no subscriber has that unsubscribe token; check it was copied whole"
        )
    click.echo(f"Unsubscribed {found.email}; no more digests will be sent to them.")


# --- digests ----------------------------------------------------------------------------------


@click.group()
def digest() -> None:
    """Preview a subscriber's digest, or compose and send the due ones."""


@digest.command(name="preview")
@click.option("--subscriber", "email", required=True, metavar="EMAIL", help="Whose digest.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("digest-preview.html"),
    show_default=True,
    help="Where to write the HTML.",
)
@click.option("--text", "with_text", is_flag=True, help="Also write the plain-text part (.txt).")
@pass_app
def preview_digest(app: App, email: str, output: Path, with_text: bool) -> None:
    """Write what EMAIL would receive now, without sending or recording anything."""
    store = app.store
    subscriber = _find(store, email)
    config = app.config
    rendered = preview(store, subscriber, now=utc_now(), mail=config.mail, schedule=config.schedule)
    html = rendered.html
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        for image in rendered.images:  # a browser cannot resolve cid:, so link a file
            image_path = output.with_name(f"{output.stem}-{image.filename}")
            image_path.write_bytes(image.data)
            html = html.replace(f"cid:{image.cid}", image_path.name)
        output.write_text(html, encoding="utf-8")
        click.echo(str(output))
        if with_text:
            text_path = output.with_suffix(".txt")
            text_path.write_text(rendered.text, encoding="utf-8")
            click.echo(str(text_path))
    except OSError as error:
        raise click.ClickException(f"cannot write the preview to {output}: {error}") from None
    click.echo(f"Subject: {rendered.subject}", err=True)


@digest.command(name="send")
@click.option("--due", is_flag=True, help="Subscribers whose digest is due (the default).")
@click.option("--all", "everyone", is_flag=True, help="Every active subscriber, due or not.")
@pass_app
def send_digests(app: App, due: bool, everyone: bool) -> None:
    """Compose the digests that are due, alert the admin about problems, then send
    everything queued.

    A subscriber whose digest cannot be made is reported and skipped; the others' go out.
    Exits 1 when any message failed, waits for a retry or was skipped (`mildwatch outbox`
    shows why).
    """
    if due and everyone:
        raise click.UsageError("give --due or --all, not both")
    config = app.config
    report = jobs.digest_job(config, everyone=everyone)
    lines = show.mail_report(report)
    if config.mail.transport == "files" and report.delivery.sent:
        lines.append(f"Messages are in {config.mail.outbox_dir}")
    if not report.ok:
        for line in lines:
            click.echo(line)
        raise click.exceptions.Exit(1)
    app.say(lines)


@click.group(invoke_without_command=True)
@click.option("--status", type=click.Choice(STATUSES), help="Only digests with this status.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100000))
@click.pass_context
def outbox(ctx: click.Context, status: str | None, limit: int) -> None:
    """Queued, sent and failed digests, newest first, with attempts and errors
    (`outbox show ID`: one message; `outbox prune`: drop old sent messages now; `outbox settle
    ID`: a digest held back because its delivery is unknown)."""
    if ctx.invoked_subcommand is not None:
        return
    store = ctx.find_object(App).store  # type: ignore[union-attr]
    counts = store.outbox_counts()
    click.echo("Outbox: " + ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES))
    for line in outbox_lines(store.outbox(status=status, limit=limit)):
        click.echo(line)


COMMANDS = (subscribers, digest, outbox)


for command in outboxtools.COMMANDS:
    outbox.add_command(command)
