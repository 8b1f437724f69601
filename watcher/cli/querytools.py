"""`mildwatch searches diff/export/import/audit`: seeing what a query change does before it is
made, keeping the queries in version control, and finding what keyword searches miss."""

from __future__ import annotations

from pathlib import Path

import click

from watcher import audit as audit_lib
from watcher import querydiff, searchfile
from watcher.cli.app import App, pass_app
from watcher.cli.show import SYNTHETIC_NOTE, clip, recall_gap_lines
from watcher.cli.watch import current_user
from watcher.clock import iso, utc_now
from watcher.evidence import load_profile
from watcher.pubmed import EntrezClient
from watcher.querydiff import DiffEntry, QueryDiff
from watcher.records import plain_text
from watcher.textfile import write_text_file


def client_for(app: App) -> EntrezClient:
    app.config.require_email()
    return EntrezClient(app.config.entrez)


def _entry_line(sign: str, entry: DiffEntry) -> str:
    if not entry.title:
        return f"  {sign} {entry.pmid}  (not fetched: over the limit; see it on PubMed)"
    verdict = (entry.relevance or "?").replace("_", " ")
    if entry.design and entry.relevance == "relevant":
        verdict += f" ({entry.design.replace('_', ' ')})"
    stored = "" if entry.stored else "  [not stored]"
    return (
        f"  {sign} {entry.pmid}  {entry.year or '----'}  {verdict:<32} "
        f"{clip(plain_text(entry.title), 80)}{stored}"
    )


def _counted(entries: tuple[DiffEntry, ...]) -> str:
    counts: dict[str, int] = {}
    for e in entries:
        key = (e.relevance or "not judged").replace("_", " ")
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{n} {key}" for key, n in counts.items())


def diff_lines(name: str, diff: QueryDiff) -> list[str]:
    """A query diff as the librarian reads it: counts, then every added and dropped paper."""
    lines = [
        f"{name}: the current query matches {diff.old_count} records, the new one "
        f"{diff.new_count} (all time)",
        f"PubMed runs the new query as: {diff.translation or '(no translation given)'}",
    ]
    lines += [f"Warning: {w}" for w in diff.warnings]
    if not diff.changed:
        lines.append("No paper is added or dropped.")
    if diff.added:
        lines.append(f"+ {len(diff.added)} added ({_counted(diff.added)}):")
        lines += [_entry_line("+", e) for e in diff.added]
    if diff.dropped:
        lines.append(f"- {len(diff.dropped)} dropped ({_counted(diff.dropped)}):")
        lines += [_entry_line("-", e) for e in diff.dropped]
    if diff.dropped_relevant:
        lines.append(
            f"Warning: the change drops {diff.dropped_relevant} paper(s) the classifier "
            "judged relevant. Once saved, dropped papers stay stored, marked as no longer "
            "matched by this search, and are not mailed."
        )
    lines.append(
        f"({diff.requests} request(s) to E-utilities; {diff.fetched} record(s) fetched "
        "to be judged and not stored)"
    )
    if any("[SYNTHETIC]" in e.title for e in (*diff.added, *diff.dropped)):
        lines.append(SYNTHETIC_NOTE)
    return lines


def show_diff(app: App, name: str, old_query: str, new_query: str) -> QueryDiff:
    profile = load_profile(app.config.poll.profile)
    diff = querydiff.diff_query(app.store, client_for(app), profile, old_query, new_query)
    for line in diff_lines(name, diff):
        click.echo(line)
    return diff


@click.command(name="diff")
@click.argument("name")
@click.option("--query", required=True, help="The query you are thinking of saving instead.")
@pass_app
def diff_search(app: App, name: str, query: str) -> None:
    """What a new query would add and drop compared with the saved one, over all time:
    PMIDs, titles and the classifier's verdicts. Nothing is saved or stored."""
    current = app.store.search(name)
    if current is None:
        raise click.ClickException(f"no saved search named {name!r}; see `searches list`")
    show_diff(app, name, current.query, query)


@click.command(name="export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def export_searches(app: App, file: Path) -> None:
    """Write the saved searches to a TOML file (for version control); read it back with
    `searches import`."""
    searches = app.store.searches()
    write_text_file(file, searchfile.dump_searches(searches, exported_at=iso(utc_now())))
    click.echo(f"Wrote {len(searches)} saved search(es) to {file}")


@click.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--reason", help="Kept in each changed search's history (default: the file).")
@click.option("--yes", "-y", is_flag=True, help="Save every change without asking.")
@click.option("--offline", is_flag=True, help="Check the syntax only; do not ask PubMed.")
@pass_app
def import_searches(app: App, file: Path, reason: str | None, yes: bool, offline: bool) -> None:
    """Bring saved searches in from a TOML file: each new or changed search is shown with what
    it would add and drop, and saved if you agree (or --yes). Every query is checked with
    PubMed first; one it does not run as written stops the import with nothing changed."""
    specs = searchfile.read_searches(file)
    profile = load_profile(app.config.poll.profile)
    client = None if offline else client_for(app)
    changes = searchfile.plan_import(app.store, client, profile, specs)
    reason = reason or f"imported from {file.name}"
    saved = 0
    for change in changes:
        name = change.spec.name
        if change.kind == "same":
            click.echo(f"{name}: unchanged")
            continue
        if change.kind == "new":
            counted = f" ({change.check.result.count} records in PubMed)" if change.check else ""
            click.echo(f"{name}: new search{counted}\n    {change.spec.query}")
        elif change.kind == "query" and change.diff is not None:
            for line in diff_lines(name, change.diff):
                click.echo(line)
        elif change.kind == "query":
            click.echo(f"{name}: query changes to\n    {change.spec.query}")
        else:
            click.echo(f"{name}: description or enabled changes")
        if yes or click.confirm(f"Save {name!r}?", default=False):
            searchfile.apply_change(app.store, change, author=current_user(), reason=reason)
            saved += 1
        else:
            click.echo(f"{name}: not saved")
    kept = {s.name for s in app.store.searches()} - {s.name for s in specs}
    if kept:
        click.echo(f"Not in the file, kept as they are: {', '.join(sorted(kept))}")
    click.echo(f"Saved {saved} change(s); a changed query is backfilled on the next poll.")


def audit_lines(report: audit_lib.AuditReport, searches: list, *, limit: int) -> list[str]:
    lines = [
        f"Audited {report.audited} stored relevant paper(s): PubMed lists {report.similar} "
        f"similar article(s); {report.unmatched} of them no saved search matches, "
        f"{report.judged} classified, {len(report.missed)} relevant to MILD.",
        f"({report.requests} request(s) to E-utilities; nothing was stored)",
    ]
    for missed in report.missed[:limit]:
        article = missed.article
        lines.append(
            f"  {article.pmid}  {article.pub_year or '----'}  {missed.design.replace('_', ' ')}"
            f"  {clip(article.plain_title, 90)}{'' if missed.stored else '  [not stored]'}"
        )
        similar = ", ".join(f"{pmid} (score {score:,})" for pmid, score in missed.similar_to[:3])
        lines.append(f"      similar to {similar}")
        if missed.words:
            lines.append(f"      shares words the queries lack: {', '.join(missed.words)}")
    if len(report.missed) > limit:
        lines.append(f"  … and {len(report.missed) - limit} more (--show N)")
    top = next((m for m in report.missed if m.words), None)
    if top and searches:
        words = " OR ".join(f'"{w}"[tiab]' for w in top.words[:2])
        lines.append(f"Try: mildwatch searches test --query '({searches[0].query}) OR {words}'")
    if any(m.article.plain_title.startswith("[SYNTHETIC]") for m in report.missed):
        lines.append(SYNTHETIC_NOTE)
    return lines


@click.command(name="audit")
@click.option("--show", "limit", default=20, show_default=True, help="Papers to list.")
@pass_app
def audit_searches(app: App, limit: int) -> None:
    """Recall audit: PubMed's similar articles of the stored relevant papers that no saved
    search matches are fetched and classified; the relevant ones are listed with the words
    they share that the queries lack (try them with `searches test --query`). Nothing is
    stored."""
    profile = load_profile(app.config.poll.profile)
    report = audit_lib.audit(app.store, client_for(app), profile)
    for line in audit_lines(report, app.store.searches(enabled_only=True), limit=limit):
        click.echo(line)
    for line in recall_gap_lines(app.store.recall_gaps()):
        click.echo(line)


SEARCH_COMMANDS = (diff_search, export_searches, import_searches, audit_searches)
