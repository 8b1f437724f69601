"""Plain-text views for the terminal: pure functions from records to lines."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from watcher.evidence import Evidence, Tag
from watcher.poll import PollReport
from watcher.records import Article, ArticleEvent, PollState, Run, Search, plain_text
from watcher.store import ArticleSummary

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
    counts = report.counts()
    lines.append(
        f"Stored: {counts['new']} new, {counts['updated']} updated, "
        f"{counts['retracted']} retracted, {counts['erratum']} with errata"
    )
    return lines


def article_lines(rows: Iterable[ArticleSummary]) -> list[str]:
    lines = []
    for r in rows:
        tags = []
        if r.design:
            tags.append(f"{r.design}{f' (level {r.level})' if r.level else ''}")
        if r.followup_months is not None:
            tags.append(f"follow-up {months(r.followup_months)}")
        if r.sample_size is not None:
            tags.append(f"n={r.sample_size}")
        if r.relevance and r.relevance != "relevant":
            tags.append(r.relevance.replace("_", " "))
        if r.retracted:
            tags.append("RETRACTED")
        head = f"{r.pmid}  {r.pub_year or '----'}  {clip(r.journal, 28)}"
        lines.append(head)
        lines.append(f"    {clip(plain_text(r.title), 100)}")
        if tags:
            lines.append(f"    [{'; '.join(tags)}]")
        if r.questions:
            lines.append(f"    questions: {', '.join(r.questions)}")
    return lines


def evidence_lines(evidence: Evidence) -> list[str]:
    """Every tag with the words behind it: the classifier is assistive, so show its reasons."""
    lines = [
        f"Evidence tags (classifier {evidence.classifier_version}, profile "
        f"{evidence.profile_version}; assigned automatically, check the source):"
    ]

    def tag(label: str, value: object, source: Tag | None) -> None:
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


def status_lines(
    searches: list[tuple[Search, PollState]], runs: list[Run], articles: int
) -> list[str]:
    lines = [f"Articles stored: {articles}", "", "Saved searches:"]
    if not searches:
        lines.append("  (none — run `mildwatch init` or `mildwatch searches add`)")
    for search, state in searches:
        flag = "" if search.enabled else " (disabled)"
        lines.append(f"  {search.name}{flag}")
        count = "-" if state.last_count is None else state.last_count
        lines.append(
            f"    polled through {state.watermark or 'never'}; last success "
            f"{state.last_success_at or 'never'}; last count {count}"
        )
        if state.last_error:
            lines.append(
                f"    FAILING ({state.consecutive_failures} run(s) in a row): {state.last_error}"
            )
    lines.extend(["", "Recent runs:"])
    if not runs:
        lines.append("  (none yet)")
    for run in runs:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(run.counts.items()) if v)
        lines.append(
            f"  #{run.id} {run.kind:<10} {run.started_at}  {run.status}"
            + (f"  ({counts})" if counts else "")
        )
        if run.error:
            lines.append(f"      {clip(run.error, 200)}")
    return lines
