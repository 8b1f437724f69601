"""Plain-text views for the terminal: pure functions from records to lines."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import TYPE_CHECKING

from digests.wording import (
    design_label,
    format_months,
    harm_label,
    plural,
    question_short,
    question_title,
    sponsorship_label,
)
from watcher.records import (
    Article,
    ArticleEvent,
    Evidence,
    Quote,
    plain_text,
)
from watcher.vocabulary import ABSENCE_SCOPES, AGAINST, SPONSORSHIP_CUES

# Types only: importing these modules would pull the poll (Bio.Entrez), the scheduler
# (APScheduler) and the digests (Jinja2) into every command that prints a line, `status` too.
# The three views that call into them import what they need themselves.
if TYPE_CHECKING:
    from digests.model import Landscape
    from digests.safetymodel import Safety
    from watcher.citations import CitationReport
    from watcher.cli.jobs import MailReport
    from watcher.poll import PollReport
    from watcher.store import ArticleSummary, RecallGap

SYNTHETIC_NOTE = (
    "Note: records whose title starts with [SYNTHETIC] are made-up sample data for the "
    "demo and tests, not real studies."
)


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def months(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:g} mo"


def poll_report(report: PollReport) -> list[str]:
    lines = [
        f"Poll run {report.run_id}: {len(report.outcomes)} search(es), "
        f"{report.requests} request(s) to E-utilities"
    ]
    for o in report.outcomes:
        window = f"{o.window[0]}–{o.window[1]}"
        if o.ok:
            lines.append(f"  ok      {o.name}  {window}  {o.count} found, {o.new} new")
        else:
            lines.append(f"  FAILED  {o.name}  {window}  {o.error}")
        lines.extend(f"          PubMed warning: {w}" for w in o.warnings)
        if o.dropped:
            lines.append(f"          {o.dropped} paper(s) the changed query no longer matches")
    lines.extend(citation_lines(report.citations))
    counts = report.counts()
    lines.append(
        f"Stored: {counts['new']} new, {counts['updated']} updated, "
        f"{counts['retracted']} retracted, {counts['erratum']} with errata"
    )
    return lines


def citation_lines(report: CitationReport | None) -> list[str]:
    if report is None:
        return []
    if report.error:
        return [f"  FAILED  citations of {report.key_papers} key paper(s): {report.error}"]
    lines = [
        f"  ok      citations of {report.key_papers} key paper(s): {report.listed} citing, "
        f"{report.new} new, {report.fetched} fetched"
    ]
    lines.extend(
        f"          PMID {pmid}: found by citation; no saved search matches it"
        for pmid in report.gaps
    )
    return lines


def recall_gap_lines(gaps: Iterable[RecallGap]) -> list[str]:
    """What citation tracking found that no saved search matches (a librarian's to-do)."""
    return [
        f"Recall gap: PMID {gap.article.pmid} ({clip(gap.article.plain_title, 60)}) was found "
        f"by citation (it cites {', '.join(gap.cites)}); no saved search matches it."
        for gap in gaps
    ]


ARTICLE_HEADER = (
    f"{'PMID':<9} {'Year':<4}  {'Design':<28} {'Level':<5} {'Follow-up':>9} {'Patients':>8}  Title"
)


def article_lines(rows: Iterable[ArticleSummary]) -> list[str]:
    """One aligned line per article under a header: human labels, never snake_case keys;
    a note (retracted, relevance uncertain) and the questions' short names after the title."""
    lines = [ARTICLE_HEADER]
    for r in rows:
        notes = ["RETRACTED"] if r.retracted else []
        if r.relevance and r.relevance != "relevant":
            notes.append(r.relevance.replace("_", " "))
        notes += [question_short(q) for q in r.questions]
        design = design_label(r.design) if r.design else "-"
        followup = months(r.followup_months)
        patients = "-" if r.sample_size is None else str(r.sample_size)
        title = clip(plain_text(r.title), 70)
        line = (
            f"{r.pmid:<9} {r.pub_year or '----':<4}  {clip(design, 28):<28} {r.level or '-':<5} "
            f"{followup:>9} {patients:>8}  {title}"
        )
        lines.append(line + (f"  [{'; '.join(notes)}]" if notes else ""))
    return lines


def evidence_lines(evidence: Evidence) -> list[str]:
    """Every tag with the words behind it: the classifier is assistive, so show its reasons."""
    from digests.safety import harm_facts

    lines = [
        f"Evidence tags (classifier {evidence.classifier_version}, profile "
        f"{evidence.profile_version}; assigned automatically, check the source):"
    ]

    def tag(label: str, value: object, source: Quote | None) -> None:
        if value is None and source is None:
            return
        lines.append(f"  {label}: {value if value is not None else '-'}")
        if source is not None:
            lines.append(f'      "{clip(source.snippet, 200)}" ({source.source})')

    tag(
        "relevance",
        f"{evidence.relevance} ({evidence.relevance_score:.2f})",
        evidence.relevance_tag,
    )
    level = f" — level {evidence.level}" if evidence.level else ""
    tag("design", f"{evidence.design}{level}", evidence.design_tag)
    tag(
        "follow-up",
        months(evidence.followup_months) if evidence.followup_months else None,
        evidence.followup_tag,
    )
    tag("sample size", evidence.sample_size, evidence.sample_size_tag)
    for label, tags in (
        ("question", evidence.questions),
        ("comparator", evidence.comparators),
        ("outcome", evidence.outcomes),
        ("complication", evidence.complications),
        ("reoperation", evidence.reoperations),
    ):
        for item in tags:
            tag(label, item.value, item)
    for event in evidence.harms:
        tag(f"harm ({harm_label(event.kind)})", harm_facts(event), event)
    for item in evidence.absences:
        tag("absence statement", ABSENCE_SCOPES.get(str(item.value), item.value), item)
    lines.append(f"  who paid: {sponsorship_label(evidence.sponsorship)}")
    for item in evidence.sponsorship_tags:
        tag("  said", SPONSORSHIP_CUES.get(str(item.value), item.value), item)
    for item in evidence.against:
        tag("against the procedure", AGAINST.get(str(item.value), item.value), item)
    return lines


def article_detail(
    article: Article, events: list[ArticleEvent], evidence: Evidence | None = None
) -> list[str]:
    lines = [
        f"PMID {article.pmid}" + ("   ** RETRACTED **" if article.retracted else ""),
        *textwrap.wrap(article.plain_title, 100),
        f"{', '.join(article.authors[:6])}{' et al.' if len(article.authors) > 6 else ''}",
        f"{article.journal} {article.pub_date_text or article.pub_date or ''}".rstrip(),
        f"https://pubmed.ncbi.nlm.nih.gov/{article.pmid}/",
    ]
    if article.doi:
        lines.append(f"https://doi.org/{article.doi}")
    if article.pmcid:
        lines.append(f"https://pmc.ncbi.nlm.nih.gov/articles/{article.pmcid}/")
    if article.publication_types:
        lines.append(f"Publication types: {', '.join(article.publication_types)}")
    if article.mesh_terms:
        lines.append(f"MeSH: {', '.join(article.mesh_terms)}")
    lines.append(f"Entrez date: {article.entrez_date or '-'}")
    for c in article.corrections:
        lines.append(f"{c.ref_type}: {c.source}" + (f" (PMID {c.pmid})" if c.pmid else ""))
    lines.append("")
    for section in article.abstract:
        text = plain_text(section.text)
        label = f"{section.label}: " if section.label else ""
        lines.extend(textwrap.wrap(label + text, 100))
    if not article.abstract:
        lines.append("(no abstract)")
    if evidence is not None:
        lines.append("")
        lines.extend(evidence_lines(evidence))
    if events:
        lines.append("")
        lines.append("History:")
        for e in events:
            lines.append(f"  {e.at}  {e.kind}{f' — {e.detail}' if e.detail else ''}")
    return lines


def mail_report(report: MailReport) -> list[str]:
    delivery = report.delivery
    lines = [
        f"Digests: {len(report.queued)} composed, {len(delivery.sent)} sent, "
        f"{len(delivery.retrying)} to retry, {len(delivery.failed)} failed"
        + (f"; {len(report.alerts)} alert(s) to the admin" if report.alerts else "")
    ]
    lines.extend(f"  sent #{digest_id} to {to}" for digest_id, to in delivery.sent)
    lines.extend(f"  RETRY #{i} to {to}: {error}" for i, to, error in delivery.retrying)
    lines.extend(f"  FAILED #{i} to {to}: {error}" for i, to, error in delivery.failed)
    lines.extend(f"  HELD #{i} to {to}: {error}" for i, to, error in delivery.uncertain)
    lines.extend(f"  SKIPPED {who}: {why}" for who, why in report.skipped)
    if report.pruned and report.pruned.digests:
        lines.append(
            f"Pruned the stored messages of {report.pruned.digests} digest(s) sent by "
            f"{report.pruned.before} ([mail] retention_days)"
        )
    return lines


def landscape_lines(landscape: Landscape) -> list[str]:
    """`mildwatch evidence`: how the evidence stands, as a surgeon would scan it."""
    lines = [
        f"Studies about MILD: {landscape.total_studies} "
        f"({landscape.total_reports} reports; a study with several reports counts once)",
        "",
        "By design:                                studies (reports)",
    ]
    lines.extend(
        f"  {design_label(c.key):<40} {c.count:>4}"
        + (f" ({c.reports})" if c.reports > c.count else "")
        for c in landscape.by_design
    )
    lines.append("By level of evidence:")
    lines.extend(f"  Level {c.key:<34} {c.count:>4}" for c in landscape.by_level)
    lines.append(
        f"Randomised trials: {landscape.rct_count} ({landscape.rct_reports} reports; "
        f"{landscape.rct_patients} patients randomised, each trial counted once)"
    )
    if landscape.awaiting_results:
        lines.append(f"Protocols without results yet: {landscape.awaiting_results}")
    longest = landscape.longest_followup
    if longest:
        study = f"{longest.study}, " if longest.study else ""
        lines.append(
            f"Longest follow-up: {format_months(longest.months)} — {study}{longest.citation}, "
            f"PMID {longest.pmid}"
        )
    lines.append(
        f"Studies with follow-up ≥ 24 months: {landscape.studies_24_months}; "
        f"≥ 60 months: {landscape.studies_60_months}"
    )
    if landscape.independence.studies:
        lines.append(f"Who paid: {landscape.independence.line}")
    if landscape.followed:
        lines.extend(["", "Studies followed over time (`mildwatch studies show NAME` for why):"])
        for f in landscape.followed:
            n = f" n={f.sample_size}" if f.sample_size is not None else ""
            probable = " PROBABLY one study" if f.probable else ""
            lines.append(f"  {f.name} — {design_label(f.design)},{n}{probable}")
            lines.append(f"      {', '.join(r.text for r in f.reports)}")
    lines.extend(["", "Studies per question:"])
    lines.extend(f"  {question_title(c.key):<60} {c.count:>4}" for c in landscape.by_question)
    lines.extend(safety_lines(landscape.safety))
    if landscape.reoperations:
        lines.extend(["", "Reported reoperations / subsequent surgery:"])
        lines.extend(
            f'  "{clip(f.text, 150)}" — {f.citation}, PMID {f.pmid}' for f in landscape.reoperations
        )
    from digests.chart import timeline_table

    table = timeline_table(landscape.timeline, landscape.tracks)
    if table:
        lines.extend(["", "Per year:", *table.splitlines()])
    return lines


def safety_lines(safety: Safety) -> list[str]:
    """How safe it is: harms first, by kind, each study with what it states; then the one
    line of studies that said none occurred."""
    lines = ["", "How safe is it? Harms reported, by kind (case reports included):"]
    if not safety.harms:
        lines.append("  none reported")
    for group in safety.harms:
        lines.append(f"  {group.label} — {plural(len(group.reports), 'study', 'studies')}")
        for r in group.reports:
            lines.append(f"    {r.citation}, PMID {r.pmid} ({r.design_label}): {r.facts}")
            lines.append(f'        "{clip(r.snippet, 150)}"')
    if safety.absence_line:
        lines.append(f"No adverse events: {safety.absence_line}")
    return lines
