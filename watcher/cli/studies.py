"""`mildwatch studies`: which papers report one study, why, and the librarians' corrections.

A thin layer over :mod:`watcher.regroup` (decisions, kept by PMID) and
:mod:`watcher.studies` (the grouping, pure). The views are pure functions of a study.
"""

from __future__ import annotations

import click

from digests.studyview import study_label
from digests.wording import design_label, format_months, level_label
from watcher import regroup
from watcher.cli.app import App, pass_app
from watcher.cli.show import SYNTHETIC_NOTE, clip
from watcher.cli.watch import current_user
from watcher.clock import iso, utc_now
from watcher.runlock import LOCK_WAIT_SECONDS, run_lock
from watcher.studies import report_label
from watcher.studyrecords import CONFIRMED, LINKED, PROBABLY, SINGLE, Decision, Study
from watcher.vocabulary import DESIGN_SHORT

STATUS_WORDS = {
    SINGLE: "one report",
    LINKED: "linked",
    PROBABLY: "PROBABLY one study: check and confirm or split",
    CONFIRMED: "confirmed by a librarian",
}
LINK_WORDS = {
    "librarian": "librarian",
    "registry": "same registration",
    "name": "same study name",
    "probable": "probably (weak)",
}


def study_row(study: Study) -> str:
    """One line of `studies list`."""
    months = study.followup_months
    return (
        f"{study.key:<10} {clip(study_label(study), 28):<28} "
        f"{DESIGN_SHORT.get(study.design, study.design):<6} "
        f"{'-' if study.sample_size is None else study.sample_size:>6} "
        f"{'-' if months is None else f'{months:g} mo':>7} {len(study.reports):>7}  "
        f"{STATUS_WORDS[study.status]}"
    )


def study_lines(study: Study, decisions: list[Decision]) -> list[str]:
    """`studies show`: the study, its reports in order, and why they are one study."""
    main, longest = study.main, study.longest
    lines = [
        f"Study {study.key}: {study_label(study)} ({STATUS_WORDS[study.status]})",
        f"  Design: {design_label(study.design)}, {level_label(study.level)}",
        f"  Sample size: {'not stated' if study.sample_size is None else study.sample_size}"
        f" (main report: PMID {main.pmid}, the first results report that states one)",
        "  Longest follow-up: "
        + (f"{format_months(longest.followup_months)} (PMID {longest.pmid})" if longest else "-"),
    ]
    if study.registrations:
        lines.append(f"  Registrations: {', '.join(study.registrations)}")
    if study.names:
        lines.append(f"  Names: {', '.join(study.names)}")
    lines.extend(["", "Reports, in publication order:"])
    for report in study.reports:
        year = report.article.pub_year or "----"
        lines.append(f"  {report.pmid}  {year}  {report_label(report):<16} ")
        lines[-1] += clip(report.article.plain_title, 80)
    if study.links:
        lines.extend(["", "Why they are one study:"])
        for link in study.links:
            pmids = " – ".join(link.pmids)
            lines.append(f"  {LINK_WORDS.get(link.kind, link.kind)}: {link.detail}  ({pmids})")
    mine = [d for d in decisions if set(d.pmids) & set(study.pmids)]
    if mine:
        lines.extend(["", "Librarians' decisions about these papers:"])
        for d in mine:
            apart = f" apart from {', '.join(d.others)}" if d.others else ""
            lines.append(
                f"  #{d.id} {d.at[:10]} {d.kind} by {d.author}: {', '.join(d.pmids)}{apart}"
                + (f" — {d.reason}" if d.reason else "")
            )
    return lines


@click.group()
def studies() -> None:
    """One study, many reports: how papers are grouped into studies (a trial's protocol,
    1-year and 2-year reports are one trial), and merging, splitting or confirming groups.

    A study is named by any of its PMIDs, its name ("PORTAL-LSS") or its registration
    ("NCT01234567"). Decisions are kept by PMID, so they survive `mildwatch reclassify`.
    """


@studies.command(name="list")
@click.option("--all", "everything", is_flag=True, help="Every study, also those with one report.")
@pass_app
def list_studies(app: App, everything: bool) -> None:
    """Studies with more than one report (or every study): key, name, design, n, longest
    follow-up, number of reports and how sure the grouping is."""
    found = regroup.current_studies(app.store)
    shown = [s for s in found if everything or len(s.reports) > 1]
    if not shown:
        click.echo("No study has more than one report." if found else "No classified papers yet.")
        return
    click.echo(f"{'KEY':<10} {'STUDY':<28} {'DESIGN':<6} {'N':>6} {'LONGEST':>7} REPORTS  STATUS")
    for study in shown:
        click.echo(study_row(study))
    multi = sum(len(s.reports) > 1 for s in found)
    click.echo(f"\n{len(found)} studies from {sum(len(s.reports) for s in found)} papers; "
               f"{multi} with more than one report.")  # fmt: skip
    if any(r.article.plain_title.startswith("[SYNTHETIC]") for s in shown for r in s.reports):
        click.echo(SYNTHETIC_NOTE)


@studies.command(name="show")
@click.argument("study")
@pass_app
def show_study(app: App, study: str) -> None:
    """Show one study (a PMID of one of its reports, its name or its registration): its
    reports in order, its main report and longest follow-up, and why its papers are one study."""
    found = regroup.find_study(regroup.current_studies(app.store), study)
    for line in study_lines(found, app.store.study_decisions()):
        click.echo(line)


REASON = click.option("--reason", required=True, help="Why; kept with the decision.")


def _decided(verb: str, result: Study) -> None:
    reports = len(result.reports)
    click.echo(f"{verb}: study {result.key} ({study_label(result)}), {reports} report(s)")
    for report in result.reports:
        click.echo(f"  {report.pmid}  {report_label(report)}")


@studies.command(name="merge")
@click.argument("study", nargs=-1, required=True)
@REASON
@pass_app
def merge_studies(app: App, study: tuple[str, ...], reason: str) -> None:
    """Make one study of the studies named (PMIDs, names or registrations; at least two):
    papers the automatic grouping missed."""
    with run_lock(app.config.database, wait=LOCK_WAIT_SECONDS):
        merged = regroup.merge(
            app.store, study, author=current_user(), reason=reason, now=iso(utc_now())
        )
    _decided("Merged", merged)


@studies.command(name="split")
@click.argument("pmids", nargs=-1, required=True)
@REASON
@pass_app
def split_study(app: App, pmids: tuple[str, ...], reason: str) -> None:
    """Take the reports PMIDS out of their study into a study of their own (papers the
    grouping joined wrongly); they are never joined to the rest again unless merged."""
    with run_lock(app.config.database, wait=LOCK_WAIT_SECONDS):
        apart, rest = regroup.split(
            app.store, pmids, author=current_user(), reason=reason, now=iso(utc_now())
        )
    _decided("Split off", apart)
    _decided("Remaining", rest)


@studies.command(name="confirm")
@click.argument("study")
@REASON
@pass_app
def confirm_study(app: App, study: str, reason: str) -> None:
    """Confirm a grouping after checking it (e.g. one marked "probably one study")."""
    with run_lock(app.config.database, wait=LOCK_WAIT_SECONDS):
        confirmed = regroup.confirm(
            app.store, study, author=current_user(), reason=reason, now=iso(utc_now())
        )
    _decided("Confirmed", confirmed)
