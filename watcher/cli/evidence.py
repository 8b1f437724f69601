"""Commands about evidence tags: classify a file, re-tag the store."""

from __future__ import annotations

import json
from pathlib import Path

import click

from digests.landscape import build_landscape, evidence_studies
from watcher import tagging
from watcher.cli import show
from watcher.cli.app import App, pass_app
from watcher.evidence import classify as classify_article
from watcher.evidence import load_profile
from watcher.pubmed.files import read_batches


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--profile",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Topic profile TOML (default: the bundled MILD profile).",
)
def classify(files: tuple[Path, ...], profile: Path | None) -> None:
    """Tag PubMed XML or MEDLINE files, without a database: one JSON line per record.

    Each line has the pmid, every tag and the snippet behind it, for checking by hand and
    for benchmarks/accuracy.py.
    """
    lexicon = load_profile(profile)
    for path in files:
        for batch in read_batches(path):  # a batch at a time: files of any size fit in memory
            for article in batch:
                record = classify_article(article, lexicon).to_dict()
                record["title"] = article.plain_title
                click.echo(json.dumps(record, ensure_ascii=False))


@click.command()
@click.option(
    "--all", "everything", is_flag=True, help="Re-tag every article, not only stale ones."
)
@pass_app
def reclassify(app: App, everything: bool) -> None:
    """Re-tag articles after the classifier or the topic profile changed; list what changed."""
    with app.progress("reclassify") as progress:
        report = tagging.reclassify(
            app.store,
            load_profile(app.config.poll.profile),
            everything=everything,
            progress=progress,
        )
    click.echo(f"Re-tagged {report.classified} article(s); tags changed on {len(report.changed)}.")
    for change in report.changed:
        fields = "; ".join(
            f"{name}: {old!r} → {new!r}" for name, (old, new) in sorted(change["changes"].items())
        )
        click.echo(f"  {change['pmid']}  {fields}")


@click.command(name="evidence")
@click.option(
    "--include-uncertain", is_flag=True, help="Count articles whose relevance is uncertain too."
)
@pass_app
def evidence_command(app: App, include_uncertain: bool) -> None:
    """How the evidence on MILD stands, counted by study (a trial's reports count once):
    designs and levels, longest follow-up and its study, who paid, studies followed over time,
    studies per question, harms by kind and reoperations reported, a table per year."""
    relevance = ("relevant", "uncertain") if include_uncertain else ("relevant",)
    pairs = app.store.classified(relevance)
    studies = evidence_studies(pairs, app.store.study_decisions())
    for line in show.landscape_lines(build_landscape(pairs, studies=studies)):
        click.echo(line)
    if any(a.title.startswith("[SYNTHETIC]") for a, _ in pairs):
        click.echo("")
        click.echo(show.SYNTHETIC_NOTE)


COMMANDS = (classify, reclassify, evidence_command)
