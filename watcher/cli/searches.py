"""`mildwatch searches`: what librarians use to keep the PubMed queries right."""

from __future__ import annotations

import click

from watcher import searches as lib
from watcher.cli import querytools
from watcher.cli.app import App, pass_app
from watcher.cli.show import clip
from watcher.cli.watch import current_user
from watcher.pubmed import EntrezClient


def _client(app: App) -> EntrezClient:
    return querytools.client_for(app)


@click.group()
def searches() -> None:
    """List, test, add, edit, diff, export, import and audit the saved PubMed searches
    (every change is kept)."""


@searches.command(name="list")
@pass_app
def list_searches(app: App) -> None:
    """Saved searches and their queries."""
    rows = app.store.searches()
    if not rows:
        click.echo("No saved searches; `mildwatch init` seeds the default MILD search.")
    for s in rows:
        click.echo(f"{s.name}{'' if s.enabled else ' (disabled)'}: {s.description}")
        click.echo(f"    {s.query}")


@searches.command(name="test")
@click.argument("name", required=False)
@click.option("--query", help="Try this query instead of a saved one.")
@click.option(
    "--days", type=click.IntRange(1, 36500), help="Only records added in the last N days."
)
@click.option("--show", "sample", default=5, show_default=True, help="Titles to show.")
@pass_app
def test_search(
    app: App, name: str | None, query: str | None, days: int | None, sample: int
) -> None:
    """Ask PubMed what it makes of a query: count, translation, errors, first titles.

    Nothing is saved. Exits 1 when PubMed did not run the query as written.
    """
    if bool(name) == bool(query):
        raise click.UsageError("give either a saved search NAME or --query QUERY (one of the two)")
    if name:
        saved = app.store.search(name)
        if saved is None:
            raise click.ClickException(f"no saved search named {name!r}; see `searches list`")
        query = saved.query
    check = lib.try_query(_client(app), query or "", days=days, sample=sample)
    result = check.result
    click.echo(f"Records: {result.count}")
    click.echo(f"PubMed ran: {result.translation or '(no translation given)'}")
    for problem in result.problems:
        click.echo(f"ERROR (PubMed changed the query): {problem}")
    for note in result.notes:
        click.echo(f"Warning: {note}")
    for article in check.sample:
        click.echo(
            f"  {article.pmid}  {article.pub_year or '----'}  {clip(article.plain_title, 90)}"
        )
    if not check.ok:
        raise click.exceptions.Exit(1)


@searches.command(name="add")
@click.argument("name")
@click.argument("query")
@click.option("--description", default="", help="What the search is for.")
@click.option("--reason", default="new search", show_default=True, help="Kept in its history.")
@click.option("--offline", is_flag=True, help="Save without asking PubMed first.")
@pass_app
def add_search(
    app: App, name: str, query: str, description: str, reason: str, offline: bool
) -> None:
    """Save a new search after checking PubMed runs it as written."""
    if app.store.search(name) is not None:
        raise click.ClickException(f"{name!r} exists; change it with `searches edit {name}`")
    client = None if offline else _client(app)
    saved, check = lib.save_search(
        app.store,
        client,
        name,
        query,
        description=description,
        author=current_user(),
        reason=reason,
    )
    counted = f" ({check.result.count} records in PubMed)" if check else ""
    click.echo(f"Saved {saved.name!r}{counted}; the next poll backfills it.")


@searches.command(name="edit")
@click.argument("name")
@click.option("--query", help="The new query (checked with PubMed first).")
@click.option("--description", help="A new description.")
@click.option("--reason", required=True, help="Why; kept in the search's history.")
@click.option("--offline", is_flag=True, help="Save without asking PubMed first.")
@click.option("--yes", "-y", is_flag=True, help="Save without showing the diff and asking.")
@pass_app
def edit_search(
    app: App,
    name: str,
    query: str | None,
    description: str | None,
    reason: str,
    offline: bool,
    yes: bool,
) -> None:
    """Change a saved search; the old version stays in its history. A new query is first
    shown as a diff (what it adds and drops, as `searches diff`) and saved if you agree."""
    current = app.store.search(name)
    if current is None:
        raise click.ClickException(f"no saved search named {name!r}; see `searches list`")
    if query is None and description is None:
        raise click.UsageError("nothing to change: give --query and/or --description")
    client = None if offline or query is None else _client(app)
    if client is not None and query is not None and not yes:
        querytools.show_diff(app, name, current.query, query)  # also checks it with PubMed
        if not click.confirm(f"Save the new query of {name!r}?", default=False):
            click.echo("Not saved; nothing changed.")
            raise click.exceptions.Exit(1)
        client = None  # the diff has just checked the query with PubMed
    saved, _ = lib.save_search(
        app.store,
        client,
        name,
        query or current.query,
        description=description or "",
        author=current_user(),
        reason=reason,
    )
    note = "; the next poll backfills the new query" if saved.query != current.query else ""
    click.echo(f"Updated {name!r}{note}.")


def _set_enabled(app: App, name: str, enabled: bool, reason: str) -> None:
    app.store.update_search(name, enabled=enabled, author=current_user(), reason=reason)
    click.echo(f"{'Enabled' if enabled else 'Disabled'} {name!r}.")


@searches.command(name="enable")
@click.argument("name")
@click.option("--reason", default="enabled", show_default=True)
@pass_app
def enable_search(app: App, name: str, reason: str) -> None:
    """Poll this search again."""
    _set_enabled(app, name, True, reason)


@searches.command(name="disable")
@click.argument("name")
@click.option("--reason", default="disabled", show_default=True)
@pass_app
def disable_search(app: App, name: str, reason: str) -> None:
    """Stop polling this search (its records and history are kept)."""
    _set_enabled(app, name, False, reason)


@searches.command(name="history")
@click.argument("name")
@pass_app
def search_history(app: App, name: str) -> None:
    """Every version of a saved search: when, who, why."""
    history = app.store.search_history(name)
    if not history:
        raise click.ClickException(f"no saved search named {name!r}; see `searches list`")
    for rev in history:
        state = "" if rev.enabled else " (disabled)"
        click.echo(f"r{rev.revision}  {rev.changed_at}  {rev.author}: {rev.reason}{state}")
        click.echo(f"    {rev.query}")


for command in querytools.SEARCH_COMMANDS:
    searches.add_command(command)
