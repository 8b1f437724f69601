"""`mildwatch key-papers`: the papers whose citing papers each poll looks for."""

from __future__ import annotations

import click

from watcher.cli.app import App, pass_app
from watcher.cli.show import SYNTHETIC_NOTE, clip, recall_gap_lines
from watcher.cli.watch import current_user
from watcher.clock import iso, utc_now


def _pmid(value: str) -> str:
    if not value.isdigit():
        raise click.BadParameter(f"{value!r} is not a PMID (digits only, e.g. 99000011)")
    return value


@click.group(name="key-papers")
def key_papers() -> None:
    """Mark key papers (e.g. the RCTs, the longest follow-ups): each poll asks PubMed which
    papers now cite them, and reports a relevant one no saved search matches."""


@key_papers.command(name="add")
@click.argument("pmid", callback=lambda _c, _p, v: _pmid(v))
@click.option("--note", default="", help="Why it is a key paper.")
@pass_app
def add_key_paper(app: App, pmid: str, note: str) -> None:
    """Track the papers citing a stored article."""
    app.store.add_key_paper(pmid, author=current_user(), note=note, now=iso(utc_now()))
    click.echo(f"PMID {pmid} is a key paper; the next poll looks for the papers citing it.")


@key_papers.command(name="remove")
@click.argument("pmid", callback=lambda _c, _p, v: _pmid(v))
@pass_app
def remove_key_paper(app: App, pmid: str) -> None:
    """Stop tracking a key paper (the citations found so far are kept)."""
    app.store.remove_key_paper(pmid)
    click.echo(f"PMID {pmid} is no longer a key paper.")


@key_papers.command(name="list")
@pass_app
def list_key_papers(app: App) -> None:
    """The key papers, then suggestions: stored RCTs and the longest follow-ups, and the
    recall gaps citation tracking found."""
    store = app.store
    papers = store.key_papers()
    click.echo("Key papers:" if papers else "No key papers yet.")
    for p in papers:
        click.echo(f"  {p.pmid}  {p.pub_year or '----'}  {clip(p.title, 90)}")
        click.echo(
            f"      {p.citing} citing paper(s) found; added {p.added_at[:10]} by {p.added_by}"
            + (f": {p.note}" if p.note else "")
        )
    suggestions = store.key_paper_candidates()
    if suggestions:
        click.echo("Suggestions (relevant RCTs and longest follow-ups; `key-papers add PMID`):")
    for article, evidence in suggestions:
        months = f", {evidence.followup_months:g} months" if evidence.followup_months else ""
        click.echo(
            f"  {article.pmid}  {article.pub_year or '----'}  "
            f"[{evidence.design.replace('_', ' ')}{months}]  {clip(article.plain_title, 70)}"
        )
    for line in recall_gap_lines(store.recall_gaps()):
        click.echo(line)
    shown = [p.title for p in papers] + [a.title for a, _ in suggestions]
    if any(t.startswith("[SYNTHETIC]") for t in shown):
        click.echo(SYNTHETIC_NOTE)


COMMANDS = (key_papers,)
