"""Harms as events: each kind of harm a study reports happened (hematoma or bleeding,
infection, dural tear or CSF leak, nerve or spinal-cord injury, other), with the count,
denominator and percentage stated next to it, its seriousness where stated, whether it needed
surgery, and the words that report it.

Statements that nothing happened ("There were no device- or procedure-related adverse
events", "no dural punctures, hematomas or infections") are kept apart as *absence
statements*, never counted as harms: a reader must not take six sentences saying nothing
happened for the safety record. Sentences about what might happen ("carries a low risk of
infection", "hematoma can follow the procedure") are neither.

Pure; the vocabulary is the profile's ``[harms]`` sections (``mild.toml``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from watcher.evidence.clauses import clause_spans, negated, stated_count
from watcher.evidence.phrasefind import part_of
from watcher.evidence.textcues import (
    CueGroup,
    CueSet,
    Match,
    Segment,
    sentence_of,
    sentence_spans,
)
from watcher.records import HarmEvent, Tag


@dataclass(frozen=True)
class HarmLexicon:
    """The words of ``[harms]``: kinds of harm, and how to tell a report from a risk."""

    kinds: tuple[tuple[str, CueSet], ...]  # watcher.vocabulary.HARM_KINDS order
    unspecified: CueSet  # "complications", "adverse events": a harm only with a number
    skip: CueSet  # a clause about what may happen
    methods: CueSet  # a clause about how harms were measured: no event, but denials count
    unrelated: CueSet  # "unrelated to the procedure": not a harm of it
    serious: CueSet
    minor: CueSet
    surgery: CueSet  # treated by an operation ("evacuation", "debridement")
    no_surgery: CueSet  # "managed conservatively", "without further surgery"
    skip_sections: tuple[str, ...]  # abstract sections that cannot report this study's harms

    @functools.cached_property
    def named(self) -> CueGroup:
        """The kinds and the unspecified words: a clause names a harm only with one of them."""
        return CueGroup([*(cues for _, cues in self.kinds), self.unspecified])


@dataclass(frozen=True)
class _Mention:
    kind: str
    match: Match
    clause: str
    count: int | None
    denominator: int | None
    percent: float | None
    seriousness: str | None
    surgery: str


def read_harms(
    segments: Sequence[Segment], lex: HarmLexicon, *, case_report: bool = False
) -> tuple[tuple[HarmEvent, ...], tuple[Tag, ...]]:
    """The harms the title and results report (one event per kind, the best-stated mention
    quoted) and the absence statements (one per scope), in the vocabulary's kind order.

    In a case report the one patient is the count, and the case's own sentences say whether
    the harm needed surgery.
    """
    mentions: list[_Mention] = []
    absences: dict[str, Match] = {}
    readable = [s for s in segments if s.source == "title" or _results(s, lex)]
    for seg in readable:
        for s_start, s_end in sentence_spans(seg.text):
            # A sentence naming no harm has no clause that does (a clause is asked about its
            # words only: see the test), so it is not cut up.
            if not lex.named.may_hold(part_of(seg.text, s_start, s_end)):
                continue
            for c_start, c_end in clause_spans(seg.text, s_start, s_end):
                _read_clause(seg, c_start, c_end, lex, mentions, absences)
    events = []
    for kind, _ in lex.kinds:
        found = [m for m in mentions if m.kind == kind]
        if found:
            events.append(_event(found, lex, readable if case_report else None))
    reported = {event.kind for event in events}
    tags = tuple(Tag.of(scope, match) for scope, match in absences.items() if scope not in reported)
    return tuple(events), tags


def _results(seg: Segment, lex: HarmLexicon) -> bool:
    return seg.source == "abstract" and not any(key in seg.label for key in lex.skip_sections)


def _read_clause(
    seg: Segment,
    start: int,
    end: int,
    lex: HarmLexicon,
    mentions: list[_Mention],
    absences: dict[str, Match],
) -> None:
    text = seg.text
    clause = part_of(text, start, end)
    specific = [(kind, s, e) for kind, cues in lex.kinds for s, e in cues.spans(clause)]
    general = [] if specific else [("other", s, e) for s, e in lex.unspecified.spans(clause)]
    hits = specific + general
    if not hits or lex.skip.spans(clause) or lex.unrelated.spans(clause):
        return  # (most clauses name no harm: asked first, it spares the other questions)
    measured = bool(lex.methods.spans(clause))
    for kind, s, e in hits:
        match = Match(seg, start + s, start + e)
        if negated(text, start, match.start, match.end):
            scope = kind if specific else ("serious" if lex.serious.spans(clause) else "any")
            absences.setdefault(scope, match)
            continue
        if measured:
            continue
        p_start, p_end = _part(clause, s, e) if len(hits) > 1 else (0, len(clause))
        part = clause[p_start:p_end]
        count, denominator, percent = stated_count(part, s - p_start, e - p_start)
        if not specific and count is None and percent is None:
            continue  # "the rates of minor complications did not differ": no harm stated
        surgery = _surgery(clause, lex)
        if surgery == "unknown" and len({k for k, _, _ in hits}) == 1:
            surgery = _follow_up(text, end, lex)
        mentions.append(
            _Mention(
                kind, match, clause, count, denominator, percent, _seriousness(part, lex), surgery
            )
        )


_LIST_BREAK = re.compile(r",\s*|\s+and\s+|\s+or\s+")


def _part(clause: str, start: int, end: int) -> tuple[int, int]:
    """The part of a list ("one dural tear, two superficial infections and one small
    hematoma") that names the harm at ``clause[start:end]``."""
    before = [m.end() for m in _LIST_BREAK.finditer(clause, 0, start)]
    after = _LIST_BREAK.search(clause, end)
    return (before[-1] if before else 0), (after.start() if after else len(clause))


def _follow_up(text: str, end: int, lex: HarmLexicon) -> str:
    """How the harm was treated, said in a later clause of its sentence that speaks of the
    same patients ("…; both resolved without surgery"), not of others it counts ("…; two
    patients underwent open decompression")."""
    _, s_end = sentence_of(text, max(0, end - 1))
    for c_start, c_end in clause_spans(text, end, s_end):
        later = part_of(text, c_start, c_end)
        if stated_count(later, 0, 0)[0] is not None or any(k.spans(later) for _, k in lex.kinds):
            return "unknown"
        said = _surgery(later, lex)
        if said != "unknown":
            return said
    return "unknown"


def _seriousness(text: str, lex: HarmLexicon) -> str | None:
    if lex.serious.spans(text):
        return "serious"
    return "minor" if lex.minor.spans(text) else None


def _surgery(text: str, lex: HarmLexicon) -> str:
    """ "yes", "no" or "unknown"; a denied operation ("none needed reoperation") is a no."""
    if lex.no_surgery.spans(text):
        return "no"
    said = lex.surgery.spans(text)
    if not said:
        return "unknown"
    return "no" if all(negated(text, 0, s, e) for s, e in said) else "yes"


def _event(found: list[_Mention], lex: HarmLexicon, case: Sequence[Segment] | None) -> HarmEvent:
    """One event from a kind's mentions: the best-stated one quoted (a count first, then the
    title), what the others add (seriousness, surgery) kept."""
    best = min(
        found,
        key=lambda m: (m.count is None and m.percent is None, m.match.source != "title"),
    )
    event = HarmEvent(
        kind=best.kind,
        snippet=best.match.snippet,
        source=best.match.source,
        count=best.count,
        denominator=best.denominator,
        percent=best.percent,
        seriousness=next((m.seriousness for m in found if m.seriousness), None),
        surgery=next((m.surgery for m in found if m.surgery != "unknown"), "unknown"),
    )
    if case is not None:  # a case report: one patient, and the case says how it was treated
        event = replace(event, count=event.count or 1)
        if event.surgery == "unknown":
            event = replace(event, surgery=_case_surgery(case, lex))
    return event


def _case_surgery(segments: Sequence[Segment], lex: HarmLexicon) -> str:
    """How a case report's harm was treated: the first of its sentences that says."""
    for seg in segments:
        if seg.source != "abstract":
            continue
        for start, end in sentence_spans(seg.text):
            sentence = part_of(seg.text, start, end)
            if lex.skip.spans(sentence):
                continue
            said = _surgery(sentence, lex)
            if said != "unknown":
                return said
    return "unknown"
