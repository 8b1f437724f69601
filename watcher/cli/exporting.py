"""`mildwatch export`: the stored articles for reference managers and spreadsheets."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from watcher import exports
from watcher.cli.app import App, pass_app
from watcher.cli.filters import article_filters
from watcher.store import ArticleFilter


@click.command(name="export")
@click.option(
    "--format", "fmt", type=click.Choice(sorted(exports.FORMATS)), required=True,
    help="ris (Zotero, EndNote), bibtex, csv (one column per tag) or json.",
)  # fmt: skip
@article_filters
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (all or nothing) instead of standard output.",
)  # fmt: skip
@pass_app
def export(app: App, fmt: str, filters: ArticleFilter, output: Path | None) -> None:
    """Export stored articles with their evidence tags (each with its snippet), newest
    first, filtered like `articles list`: RIS for Zotero and EndNote, BibTeX, CSV for
    spreadsheets, or JSON."""
    pairs = app.store.filtered_articles(replace(filters, limit=None))
    rows = [exports.Row(article, evidence) for article, evidence in pairs]
    text = exports.export(rows, fmt, output)
    if output is None:
        click.echo(text, nl=False)
    else:
        click.echo(f"Wrote {len(rows)} article(s) as {fmt} to {output}", err=True)


COMMANDS = (export,)
