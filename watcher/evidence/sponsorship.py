"""Who paid for a study, and whether its authors are tied to industry: ``industry``,
``independent`` or ``not_stated``, with the words behind it.

Read from PubMed's ``CoiStatement`` and ``GrantList`` and from the abstract's funding and
disclosure sentences, clause by clause:

- ``industry``: the study was funded by a company (a device maker named in the profile, or
  any firm: "Inc.", "the manufacturer"), or an author is employed or paid by one ("consultant
  for <maker>", "holds stock in"). A tie in a conflict-of-interest statement counts even when
  the company goes unnamed ("Dr. A receives speaker fees").
- ``independent``: the authors declare no conflicts *and* the funding is not from industry
  (a public funder, a university, or no external funding at all).
- ``not_stated``: anything less; a declaration of no conflicts alone does not say who paid.

A denial is never a tie: "The authors declare no conflicts of interest", "None of the authors
received payment from the manufacturer". Pure; the vocabulary is the profile's
``[sponsorship]`` (``mild.toml``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from watcher.evidence.clauses import clause_spans, negated
from watcher.evidence.phrasefind import part_of
from watcher.evidence.textcues import SNIPPET_LIMIT, CueSet, Match, Segment, sentence_spans
from watcher.records import Article, Grant, Tag


@dataclass(frozen=True)
class SponsorshipLexicon:
    """The words of ``[sponsorship]``."""

    makers: CueSet  # the device makers' names (a tie to any of them is an industry tie)
    companies: CueSet  # words that name a company: "Inc.", "Ltd", "manufacturer", "industry"
    ties: CueSet  # a personal financial tie: "consultant", "employee", "honoraria", "stock"
    funding: CueSet  # "funded", "sponsored", "grant", "supported by"
    no_conflicts: CueSet  # "no conflicts of interest", "nothing to disclose"
    no_funding: CueSet  # "received no funding", "no external funding"
    public: CueSet  # funders and employers that are not industry: NIH, foundations, universities
    statements: CueSet  # an abstract sentence that is a funding or disclosure statement
    disclosure_sections: tuple[str, ...]  # abstract labels of such statements ("FUNDING")


def read_sponsorship(
    article: Article, segments: Sequence[Segment], lex: SponsorshipLexicon
) -> tuple[str, tuple[Tag, ...]]:
    """The study's sponsorship value and the statements that justify it (industry ones
    first); ``("not_stated", ...)`` may still quote a declaration of no conflicts."""
    found: list[Tag] = []
    if article.coi_statement.strip():
        found += _statement(Segment("coi_statement", article.coi_statement), lex, disclosure=True)
    found += [_grant(grant, lex) for grant in article.grants if grant.agency.strip()]
    for seg in segments:
        if seg.source != "abstract":
            continue
        disclosure = any(key in seg.label for key in lex.disclosure_sections)
        for start, end in sentence_spans(seg.text):
            if disclosure or lex.statements.spans(part_of(seg.text, start, end)):
                found += _statement(seg, lex, disclosure=disclosure, span=(start, end))
    tags = list(dict.fromkeys(found))  # each statement once, in the order read
    values = {str(tag.value) for tag in tags}
    if values & {"industry_funding", "industry_tie"}:
        value = "industry"
    elif "no_conflicts" in values and values & {"public_funding", "no_funding"}:
        value = "independent"
    else:
        value = "not_stated"
    order = ("industry_funding", "industry_tie", "no_conflicts", "public_funding", "no_funding")
    return value, tuple(sorted(tags, key=lambda tag: order.index(str(tag.value))))


def _grant(grant: Grant, lex: SponsorshipLexicon) -> Tag:
    """A GrantList entry: industry when the agency is a company, else non-industry funding."""
    text = " ".join(part for part in (grant.agency, grant.grant_id) if part.strip())
    industry = lex.makers.spans(grant.agency) or lex.companies.spans(grant.agency)
    return Tag("industry_funding" if industry else "public_funding", text, "grants")


def _statement(
    seg: Segment,
    lex: SponsorshipLexicon,
    *,
    disclosure: bool,
    span: tuple[int, int] | None = None,
) -> Iterable[Tag]:
    """What each clause of a funding or disclosure statement says, quoting the clause (or,
    when it is long, the words around the cue)."""
    start, end = span or (0, len(seg.text))
    clauses = clause_spans(seg.text, start, end)
    for c_start, c_end in clauses:
        values, where = _clause(seg.text, c_start, c_end, lex, disclosure=disclosure)
        clause = seg.text[c_start:c_end].strip(" ;,")
        quote = Match(seg, c_start + where[0], c_start + where[1]).snippet if values else ""
        for value in values:
            yield Tag(value, clause if len(clause) <= SNIPPET_LIMIT else quote, seg.source)
    # "Funding: none" spans a break
    for s, e in lex.no_funding.spans(part_of(seg.text, start, end)):
        if not any(c_start <= start + s and start + e <= c_end for c_start, c_end in clauses):
            yield Tag.of("no_funding", Match(seg, start + s, start + e))


def _clause(
    text: str, start: int, end: int, lex: SponsorshipLexicon, *, disclosure: bool
) -> tuple[tuple[str, ...], tuple[int, int]]:
    """What one clause says (SPONSORSHIP_CUES keys; none for most clauses) and the words that
    carry it.

    A tie or funding cue counts unless a negation governs it ("received no payment"); a
    company named beside a live cue makes the clause an industry statement, whatever else it
    declares. Denied industry money ("None of the authors received funding from industry")
    declares no conflicts and, for funding, no industry funding.
    """
    clause = part_of(text, start, end)
    funding = lex.funding.spans(clause)
    cues = sorted(lex.ties.spans(clause) + funding)
    live = [c for c in cues if not negated(text, start, start + c[0], start + c[1])]
    company = lex.makers.spans(clause) or lex.companies.spans(clause)
    if live and company:
        return ("industry_funding" if set(live) & set(funding) else "industry_tie",), company[0]
    for value, phrases in (("no_conflicts", lex.no_conflicts), ("no_funding", lex.no_funding)):
        if said := phrases.spans(clause):
            return (value,), said[0]
    if cues and not live:
        denied = ("no_funding",) if cues[0] in funding else ()
        if company or cues[0] not in funding:
            denied = ("no_conflicts", *denied)
        return denied, cues[0]
    if live and lex.public.spans(clause):
        return (("public_funding",) if set(live) & set(funding) else ()), live[0]
    ties = [c for c in live if c not in funding]
    if ties and disclosure:
        return ("industry_tie",), ties[0]  # "Dr. A receives speaker fees": a tie, payer unnamed
    return (), (0, 0)
