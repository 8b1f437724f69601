"""Which of S's new papers a digest shows, which it only counts, and in what sections.

A pure decision over the candidates (papers new to S, strongest first once sorted): a study
on S's questions, or a harm report or finding against the procedure (those reach everyone and
pass the item cap: digests.safety.must_show); a baseline shows each study once (its strongest
report) and takes the strongest in turns from each question. A baseline covers the whole
backlog, where harm reports and findings against are many: it lists the gravest of them
(serious first, then the most recent) up to the cap again and counts the rest, which "How safe
is it?" counts too; an update lists every new one. Subscribers whose candidates,
questions and cap are the same get the same selection, so ``compose`` asks for it through
``Shared.once``: it is made once a run, and its item sections are one object the renderer
draws once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from digests.landscape import counts_as_evidence, group_sections, strength
from digests.model import Section
from digests.safety import gravity, must_show
from digests.shared import Pair, Shared
from digests.studyview import one_per_study
from digests.wording import OTHER_SECTION, SECTION_ORDER
from watcher.records import Evidence
from watcher.store import Candidate, CoverageSet

BASELINE_SELECTION = 10  # strongest studies a first digest shows (at most the subscriber's cap)


@dataclass(frozen=True)
class Selection:
    """What a digest shows and what it only records as covered."""

    studies: list[Pair]  # every new study that counts as evidence, strongest first
    shown: list[Pair]
    rest: list[str]  # PMIDs counted past the cap (a baseline: also a study's other reports)
    hidden: CoverageSet  # PMIDs covered without an item: ``rest`` and notices, retractions
    sections: tuple[Section, ...]
    later_reports: int  # shown papers that are a later report of a study
    flagged_more: int = 0  # of ``rest``: harm reports and findings against a baseline leaves out


def follows(questions: Sequence[str], evidence: Evidence) -> bool:
    """A study on the subscriber's questions; harm reports and findings against the
    procedure reach everyone (digests.safety.must_show)."""
    wanted = set(questions)
    return not wanted or bool(wanted & set(evidence.question_keys)) or must_show(evidence)


def baseline_selection(pairs: Sequence[Pair], limit: int) -> list[int]:
    """Indexes of the strongest studies, taken in turns from each question so that every
    question the evidence addresses is represented (``pairs`` strongest first)."""
    buckets: dict[str, list[int]] = {}
    for index, (_, evidence) in enumerate(pairs):
        key = next((q for q in SECTION_ORDER if q in evidence.question_keys), OTHER_SECTION)
        buckets.setdefault(key, []).append(index)
    queues = [buckets[k] for k in SECTION_ORDER if k in buckets]
    chosen: list[int] = []
    while len(chosen) < limit and any(queues):
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0))
    return sorted(chosen)


def select(
    candidates: Sequence[Candidate],
    questions: Sequence[str],
    *,
    cap: int,
    baseline: bool,
    shared: Shared,
) -> Selection:
    """S's selection from ``candidates`` (see the module's note)."""
    followed = [c for c in candidates if follows(questions, c.evidence)]
    studies = sorted(
        ((c.article, c.evidence) for c in followed if counts_as_evidence(c.article)),
        key=strength,
    )
    silent = [c.article.pmid for c in followed if not counts_as_evidence(c.article)]
    repeats: list[str] = []
    if baseline:
        studies, repeats = one_per_study(studies, shared.grouped)
        chosen = set(baseline_selection(studies, min(cap, BASELINE_SELECTION)))
    else:
        chosen = set(range(min(cap, len(studies))))
    flagged = [i for i, (_, evidence) in enumerate(studies) if must_show(evidence)]
    unlisted = 0
    if baseline:  # the whole backlog: the gravest of them, up to the cap again
        extra = sorted((i for i in flagged if i not in chosen), key=lambda i: gravity(studies[i]))
        flagged, unlisted = extra[:cap], len(extra[cap:])
    chosen |= set(flagged)  # past the cap
    shown = [studies[i] for i in sorted(chosen)]
    rest = [pair[0].pmid for i, pair in enumerate(studies) if i not in chosen] + repeats
    notes = shared.notes
    return Selection(
        studies=studies,
        shown=shown,
        rest=rest,
        hidden=CoverageSet.of(rest + silent),
        sections=group_sections(shared.items(shown)),
        later_reports=sum(bool(notes[a.pmid].earlier) for a, _ in studies if a.pmid in notes),
        flagged_more=unlisted,
    )
