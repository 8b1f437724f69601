"""Commands for evidence coming in: init, poll, import, articles, status.

What only one command needs (PubMed and Bio.Entrez, the classifier, the digests behind
``jobs``) is imported inside that command: ``status`` and ``poll --help`` start without them.
"""

from __future__ import annotations

import getpass
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from watcher.cli import show, statusview
from watcher.cli.app import App, pass_app, wait_option
from watcher.cli.filters import article_filters
from watcher.clock import utc_now
from watcher.errors import ConfigError
from watcher.runlock import LOCK_WAIT_SECONDS, daemon_lock_path, lock_holder, lock_path, run_lock

if TYPE_CHECKING:
    from watcher.store import ArticleFilter


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def profile_path(app: App) -> Path:
    from watcher.evidence import default_profile_path

    return app.config.poll.profile or default_profile_path()


@click.command()
@click.option("--email", help="Your contact address for NCBI (written into the config).")
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@pass_app
def init(app: App, email: str | None, force: bool) -> None:
    """Write a commented starter config, create the database and seed the saved searches."""
    from email_validator import EmailNotValidError, validate_email

    from watcher import searches
    from watcher.config import starter_config

    if email:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError as exc:
            raise ConfigError(f"--email {email!r} is not a valid address: {exc}") from None
    path = app.config_file
    if path.exists() and not force:
        click.echo(f"Keeping the existing config {path} (use --force to overwrite it).")
    else:
        if not path.parent.exists():
            raise ConfigError(f"cannot write {path}: folder {path.parent} does not exist")
        path.write_text(starter_config(email=email), encoding="utf-8")
        click.echo(f"Wrote {path}")
    store = app.store
    click.echo(f"Database ready: {app.config.database}")
    added = searches.seed_searches(
        store, searches.profile_searches(profile_path(app)), author=current_user()
    )
    for search in added:
        click.echo(f"Added saved search {search.name!r}")
    if not app.config.entrez.email:
        click.echo(f"Next: set email under [entrez] in {path} (NCBI requires it), then:")
    else:
        click.echo("Next:")
    click.echo("  mildwatch searches test mild-outcomes   # see what PubMed makes of the query")
    click.echo("  mildwatch poll                          # fetch, store and tag new records")


@click.command()
@click.option(
    "--search", "only", multiple=True, metavar="NAME", help="Poll only this saved search."
)
@wait_option
@pass_app
def poll(app: App, only: tuple[str, ...], lock_wait: float) -> None:
    """Fetch what PubMed added since the last poll, store it and tag its evidence.

    Exits 1 when any search failed (its window is kept and retried next time).
    """
    from watcher.cli import jobs

    known = {s.name for s in app.store.searches()}
    for name in only:
        if name not in known:
            raise click.BadParameter(
                f"no saved search named {name!r}; see `mildwatch searches list`",
                param_hint="--search",
            )
    with app.progress("poll") as progress:
        report = jobs.poll_job(app.config, only=only, progress=progress, lock_wait=lock_wait)
    if not report.ok:
        for line in show.poll_report(report):
            click.echo(line)
        raise click.exceptions.Exit(1)
    app.say(show.poll_report(report))


@click.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@pass_app
def import_(app: App, files: tuple[Path, ...]) -> None:
    """Store records from PubMed XML or MEDLINE files (PubMed's "Save" formats).

    Every file is read before anything is stored: a bad file stores nothing. Then records are
    read, stored and tagged a few hundred at a time (a large file is never held in memory
    whole); importing the same file again stores nothing twice.
    """
    from watcher import fileimport
    from watcher.evidence import load_profile

    profile = load_profile(app.config.poll.profile)
    store = app.store
    with run_lock(app.config.database, wait=LOCK_WAIT_SECONDS), app.progress("import") as bar:
        report = fileimport.import_files(store, files, profile, progress=bar)
    counts = report.counts
    click.echo(
        f"Imported {report.records} record(s) from {len(files)} file(s): "
        f"{counts['new']} new, {counts['updated']} updated, {counts['retracted']} retracted"
    )


@click.group(invoke_without_command=True)
@click.pass_context
def articles(ctx: click.Context) -> None:
    """List stored articles (newest first), or show one: `articles show PMID`."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_articles)


@articles.command(name="list")
@article_filters
@click.option(
    "--limit", default=50, show_default=True, type=click.IntRange(min=1), help="At most this many."
)
@pass_app
def list_articles(app: App, filters: ArticleFilter, limit: int) -> None:
    """List stored articles relevant to MILD, newest first, one line each with their
    evidence tags (--all: every stored article)."""
    rows = app.store.list_articles(replace(filters, limit=limit))
    everything = filters.relevance is None
    if not rows:
        click.echo("No articles match." + ("" if everything else " (--all lists every one)"))
        return
    for line in show.article_lines(rows):
        click.echo(line)
    if any(r.title.startswith("[SYNTHETIC]") for r in rows):
        click.echo(show.SYNTHETIC_NOTE)


@articles.command(name="show")
@click.argument("pmid")
@pass_app
def show_article(app: App, pmid: str) -> None:
    """Show one article: citation, links, abstract and its history."""
    article = app.store.article(pmid)
    if article is None:
        raise click.ClickException(f"PMID {pmid} is not stored; see `mildwatch articles`")
    events = [e for e in app.store.events() if e.pmid == pmid]
    for line in show.article_detail(article, events, app.store.evidence(pmid)):
        click.echo(line)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for monitoring.")
@pass_app
def status(app: App, as_json: bool) -> None:
    """Where things stand: saved searches and their windows, failures, recent runs,
    the outbox, whether the daemon is alive and when its jobs fire next.

    A run whose process is gone shows as interrupted, not running.
    """
    store = app.store
    config = app.config
    pairs = [(s, store.poll_state(s.id)) for s in store.searches()]
    runs = store.recent_runs(10)
    jobs_state = [store.job_state(job) for job in ("poll", "digests", "retry-mail")]
    daemon_pid = lock_holder(daemon_lock_path(config.database))
    running_pid = lock_holder(lock_path(config.database))
    next_runs = statusview.next_fire_times(config.schedule, utc_now()) if daemon_pid else {}
    registry = store.registry_search()
    registry_state = store.registry_state() if registry is not None else {}
    if as_json:
        report = statusview.status_json(
            pairs, runs, store.count_articles(), store.outbox_counts(), jobs_state, registry_state
        )
        report["daemon"] = {"alive": daemon_pid is not None, "pid": daemon_pid, "next": next_runs}
        report["run_lock_pid"] = running_pid
        click.echo(json.dumps(report, indent=2, sort_keys=True))
        return
    for line in statusview.status_lines(pairs, runs, store.count_articles()):
        click.echo(line)
    keys = store.key_paper_pmids()
    if keys:
        click.echo(f"Key papers whose citations each poll tracks: {', '.join(keys)}")
    for line in show.recall_gap_lines(store.recall_gaps()):
        click.echo(line)
    trials = len(store.trials(in_search_only=True)) if registry is not None else 0
    for line in statusview.registry_lines(registry, registry_state, trials):
        click.echo(line)
    for line in statusview.outbox_status(
        store.outbox_counts(), store.troubled_digests(min_attempts=3), store.subscribers()
    ):
        click.echo(line)
    for line in statusview.job_lines(jobs_state):
        click.echo(line)
    click.echo("")
    click.echo(statusview.daemon_line(daemon_pid, running_pid, next_runs))


@click.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace TARGET if it exists.")
@pass_app
def backup(app: App, target: Path, force: bool) -> None:
    """Copy the database to TARGET with SQLite's online backup API.

    Safe while the daemon or a run is working: the copy is one consistent moment.
    """
    if target.exists() and not force:
        raise click.UsageError(f"{target} exists; choose another name or add --force")
    if not target.parent.is_dir():
        raise click.BadParameter(f"folder {target.parent} does not exist", param_hint="TARGET")
    if target.exists():
        target.unlink()
    app.store.backup(target)
    click.echo(f"Backed up {app.config.database} to {target}")


COMMANDS = (init, poll, import_, articles, status, backup)
