"""One study, many reports: which papers report the same study, and why we think so.

A trial publishes its protocol, then 1-year, 2-year … results; counted as papers, its patients
are counted again with each report. :func:`group_studies` joins the reports of one study, pure
over (Article, Evidence) pairs and the librarians' decisions:

1. a librarian's decision first: "merge" and "confirm" join papers, "split" keeps them apart,
   the latest decision about a pair of papers winning;
2. then a shared trial registration (NCT…, ISRCTN…) or a shared study name ("the PORTAL-LSS
   trial"): strong links;
3. last, a weak link shown as *probably the same study*: the same design and the same sample
   size, authors in common, and a longer follow-up in the later paper.

A link never joins papers a librarian split, nor studies that carry two different numbers of
one registry; a weak link never joins studies with different names, nor two reports at the
same follow-up (``benchmarks/studies.py`` measures how often it still joins unrelated papers).
Every link is kept with its reason, so a librarian can check it (``mildwatch studies show``).
Decisions name PMIDs, not groups, so they survive re-tagging and re-grouping.

A study's figures come from its results reports (a protocol's numbers are plans): its sample
size from the *main report*, the first results report that states one (the first full report
defines the population; later reports follow the same patients, a subset of them, or add
crossovers, so their figures would count attrition as fewer patients or crossovers as more), its
follow-up from the longest any report gives, its design and level from its strongest report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from itertools import combinations, pairwise

from watcher.records import Article, Evidence
from watcher.studylinks import (
    PROTOCOL,
    Clues,
    most_common,
    name_key,
)
from watcher.studypapers import Paper, paper_from, weak_signal_can_apply
from watcher.studyrecords import (
    LIBRARIAN,
    LINK_KINDS,
    NAME,
    PROBABLE,
    REGISTRY,
    Decision,
    Link,
    PaperStudy,
    Report,
    Study,
    int_pmid,
)

# --- grouping -----------------------------------------------------------------------------------


@dataclass
class _Group:
    """A study being built: its papers and what they carry."""

    pmids: set[str]
    links: list[Link] = field(default_factory=list)
    registrations: dict[str, str] = field(default_factory=dict)  # registry → id: one each
    names: set[str] = field(default_factory=set)  # name keys
    followups: set[float] = field(default_factory=set)  # of its results reports


class _Groups:
    """Union–find over papers, refusing joins that break a split or a registration. Only
    papers a link reaches get an entry (most papers are a study of their own), so its memory
    follows the links, not the papers."""

    def __init__(self, reports: Mapping[str, Paper], clues_of: dict[str, Clues]) -> None:
        self.reports, self.clues_of = reports, clues_of
        self.parent: dict[str, str] = {}  # papers joined under another; the rest are roots
        self.groups: dict[str, _Group] = {}  # roots a link reached

    def find(self, pmid: str) -> str:
        parent = self.parent
        while (up := parent.get(pmid, pmid)) != pmid:
            parent[pmid] = pmid = parent.get(up, up)
        return pmid

    def group(self, root: str) -> _Group:
        """The group ``root`` heads (made on first use: a paper on its own)."""
        if root not in self.groups:
            months = self.reports[root].followup_months
            group = _Group({root}, followups=set() if months is None else {months})
            found = self.clues_of.get(root)
            if found is not None:
                group.registrations = {r.registry: r.id for r in found.registrations}
                group.names = {name_key(n) for n in found.names}
            self.groups[root] = group
        return self.groups[root]

    def join(self, link: Link, apart: dict[str, set[str]]) -> bool:
        a, b = (self.find(p) for p in link.pmids)
        if a == b:
            return False
        first, second = self.group(a), self.group(b)
        if any(apart.get(p, set()) & second.pmids for p in first.pmids):
            return False
        if link.kind != LIBRARIAN:
            shared = first.registrations.keys() & second.registrations.keys()
            if any(first.registrations[r] != second.registrations[r] for r in shared):
                return False
        names_differ = first.names and second.names and not first.names & second.names
        if link.kind == PROBABLE and (names_differ or first.followups & second.followups):
            return False  # two names, or two reports at one time point: two studies
        self.parent[b] = a
        first.pmids |= second.pmids
        first.links += [*second.links, link]
        first.registrations = {**second.registrations, **first.registrations}
        first.names |= second.names
        first.followups |= second.followups
        del self.groups[b]
        return True


def _pair_verdicts(decisions: Sequence[Decision]) -> tuple[list[Link], dict[str, set[str]]]:
    """The librarians' links, and which papers they keep apart (the latest word on each pair)."""
    verdict: dict[tuple[str, str], tuple[bool, Decision]] = {}
    for decision in sorted(decisions, key=lambda d: (d.at, d.id)):
        together = list(decision.pmids)
        for pair in combinations(together, 2):
            verdict[_pair(*pair)] = (True, decision)
        if decision.kind == "split":
            for pmid in together:
                for other in decision.others:
                    if other != pmid:
                        verdict[_pair(pmid, other)] = (False, decision)
    links, apart = [], {}
    for (a, b), (same, decision) in sorted(verdict.items()):
        if same:
            note = f"{decision.kind} by {decision.author or 'a librarian'}"
            note += f" ({decision.at[:10]})" if decision.at else ""
            note += f": {decision.reason}" if decision.reason else ""
            links.append(Link(LIBRARIAN, note, (a, b)))
        else:
            apart.setdefault(a, set()).add(b)
            apart.setdefault(b, set()).add(a)
    return links, apart


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if int_pmid(a) <= int_pmid(b) else (b, a)


def _shared_links(kind: str, values: dict[str, list[str]], spelled: dict[str, str]) -> list[Link]:
    """Papers that share a value, chained in PMID order (a chain is enough to join them)."""
    links = []
    for value, pmids in sorted(values.items()):
        ordered = sorted(set(pmids), key=int_pmid)
        links += [Link(kind, spelled[value], (a, b)) for a, b in pairwise(ordered)]
    return links


def _probable_links(reports: Mapping[str, Paper], clues_of: dict[str, Clues]) -> list[Link]:
    """Later results of one cohort, by the weak signal: the same design and sample size, two
    authors in common (one when a paper has only one), and follow-up that grows with time (the
    later paper reports the longer follow-up)."""
    buckets: dict[tuple[str, int], list[Paper]] = {}
    for pmid in clues_of:
        report = reports[pmid]
        if weak_signal_can_apply(report) and report.sample_size is not None:
            buckets.setdefault((report.design, report.sample_size), []).append(report)
    links = []
    for (design, n), found in sorted(buckets.items()):
        for first, later in combinations(sorted(found, key=lambda r: r.order), 2):
            if (first.followup_months or 0) >= (later.followup_months or 0):
                continue
            one, other = clues_of[first.pmid].authors, clues_of[later.pmid].authors
            shared = one & other
            if shared and len(shared) >= min(2, len(one), len(other)):
                people = ", ".join(a.title() for a in sorted(shared)[:3])
                detail = f"same design ({design}) and n = {n}; authors in common: {people}"
                links.append(Link(PROBABLE, detail, _pair(first.pmid, later.pmid)))
    return links


def group_studies(
    pairs: Iterable[tuple[Article, Evidence]],
    decisions: Sequence[Decision] = (),
    papers: Mapping[str, Paper] | None = None,
) -> tuple[Study, ...]:
    """Every paper of ``pairs`` in exactly one study (most in a study of their own), studies in
    the order of their first report. ``papers``: what grouping reads of a paper, as the store
    keeps it (``Store.study_papers``), so a paper's abstract is not read again; a paper not
    there is read from its record."""
    papers = papers or {}
    reports = {a.pmid: _report(a, e, papers.get(a.pmid)) for a, e in pairs}
    return tuple(
        Study(tuple(reports[p.pmid] for p in members), links, names, registrations)
        for members, links, names, registrations in _grouped(reports, decisions)
    )


def _report(article: Article, evidence: Evidence, paper: Paper | None = None) -> Report:
    paper = paper or paper_from(article, evidence)
    known = {f.name: getattr(paper, f.name) for f in fields(Paper)}
    return Report(**known, article=article, evidence=evidence)


def group_papers(
    papers: Iterable[Paper], decisions: Sequence[Decision] = ()
) -> tuple[PaperStudy, ...]:
    """:func:`group_studies` from the papers' compact data: the same studies, in the same
    order, with the same links (a test holds the two together)."""
    by_pmid = {p.pmid: p for p in papers}
    return tuple(PaperStudy(*found) for found in _grouped(by_pmid, decisions))


_Found = tuple[tuple[Paper, ...], tuple[Link, ...], tuple[str, ...], tuple[str, ...]]


def _grouped(reports: Mapping[str, Paper], decisions: Sequence[Decision]) -> list[_Found]:
    """The grouping itself: each study's papers in publication order, its links, names and
    registrations; studies in the order of their first report."""
    clues_of = {pmid: r.clues for pmid, r in reports.items() if r.clues is not None}
    librarian, apart = _pair_verdicts(decisions)
    by_registration: dict[str, list[str]] = {}
    by_name: dict[str, list[str]] = {}
    spelled: dict[str, str] = {}
    for pmid, found in clues_of.items():
        for registration in found.registrations:
            by_registration.setdefault(registration.id, []).append(pmid)
            spelled.setdefault(registration.id, registration.id)
        for name in found.names:
            by_name.setdefault(name_key(name), []).append(pmid)
            spelled.setdefault(name_key(name), name)
    groups = _Groups(reports, clues_of)
    for link in (
        *[link for link in librarian if all(p in reports for p in link.pmids)],
        *_shared_links(REGISTRY, by_registration, spelled),
        *_shared_links(NAME, by_name, spelled),
        *_probable_links(reports, clues_of),
    ):
        groups.join(link, apart)
    studies: list[_Found] = []
    for pmid in reports:
        if groups.find(pmid) != pmid:
            continue  # a member of the study its root stands for
        group = groups.groups.get(pmid) or _Group({pmid})
        members = sorted((reports[p] for p in group.pmids), key=lambda r: r.order)
        found = [clues_of[r.pmid] for r in members if r.pmid in clues_of]
        names = [n for c in found for n in c.names]
        registrations = [r.id for c in found for r in c.registrations]
        studies.append(
            (
                tuple(members),
                tuple(sorted(group.links, key=lambda k: LINK_KINDS.index(k.kind))),
                _by_use(names),
                _by_use(registrations),
            )
        )
    return sorted(studies, key=lambda s: s[0][0].order)


def _by_use(values: list[str]) -> tuple[str, ...]:
    ordered: list[str] = []
    remaining = list(values)
    while remaining:
        top = most_common(remaining)
        ordered.append(top)
        remaining = [v for v in remaining if name_key(v) != name_key(top)]
    return tuple(ordered)


def study_of(studies: Iterable[Study], pmid: str) -> Study | None:
    return next((s for s in studies if pmid in s.pmids), None)


def report_label(report: Report) -> str:
    """How a report is called: "protocol", "1-year report", "6-month report", "report"."""
    if report.kind == PROTOCOL:
        return "protocol"
    months = report.followup_months
    if months is None:
        return "report"
    if months >= 12 and months % 12 == 0:
        return f"{months / 12:g}-year report"
    return f"{months:g}-month report"
