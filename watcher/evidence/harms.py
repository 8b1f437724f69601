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

from collections.abc import Sequence
from dataclasses import dataclass, replace

from watcher.evidence.clauses import clause_spans, negated, stated_count
from watcher.evidence.textcues import CueSet, Match, Segment, sentence_spans
from watcher.records import HarmEvent, Tag


@dataclass(frozen=True)
class HarmLexicon:
    """The words of ``[harms]``: kinds of harm, and how to tell a report from a risk."""

    kinds: tuple[tuple[str, CueSet], ...]  # watcher.vocabulary.HARM_KINDS order
    unspecified: CueSet  # "complications", "adverse events": a harm only with a number
    skip: CueSet  # a clause about what may happen, or about how it was measured
    unrelated: CueSet  # "unrelated to the procedure": not a harm of it
    serious: CueSet
    minor: CueSet
    surgery: CueSet  # treated by an operation ("evacuation", "debridement")
    no_surgery: CueSet  # "managed conservatively", "without further surgery"
    skip_sections: tuple[str, ...]  # abstract sections that cannot report this study's harms


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
    clause = text[start:end]
    if lex.skip.spans(clause) or lex.unrelated.spans(clause):
        return
    specific = [(kind, s, e) for kind, cues in lex.kinds for s, e in cues.spans(clause)]
    general = [] if specific else [("other", s, e) for s, e in lex.unspecified.spans(clause)]
    for kind, s, e in specific + general:
        match = Match(seg, start + s, start + e)
        if negated(text, start, match.start, match.end):
            scope = kind if specific else ("serious" if lex.serious.spans(clause) else "any")
            absences.setdefault(scope, match)
            continue
        count, denominator, percent = stated_count(clause, s, e)
        if not specific and count is None and percent is None:
            continue  # "the rates of minor complications did not differ": no harm stated
        mentions.append(
            _Mention(
                kind, match, clause, count, denominator, percent,
                _seriousness(clause, lex), _surgery(clause, lex),
            )
        )  # fmt: skip


def _seriousness(text: str, lex: HarmLexicon) -> str | None:
    if lex.serious.spans(text):
        return "serious"
    return "minor" if lex.minor.spans(text) else None


def _surgery(text: str, lex: HarmLexicon) -> str:
    if lex.no_surgery.spans(text):
        return "no"
    return "yes" if lex.surgery.spans(text) else "unknown"


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
            sentence = seg.text[start:end]
            if lex.skip.spans(sentence):
                continue
            said = _surgery(sentence, lex)
            if said != "unknown":
                return said
    return "unknown"
