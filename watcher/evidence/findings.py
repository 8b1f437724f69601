"""What an article reports beyond its design: the treatments it is compared with, the
complications it states and the reoperations it counts.

Each finding comes with the :class:`~watcher.evidence.textcues.Match` that justifies it, as
:mod:`~watcher.evidence.extract` returns follow-up; :mod:`~watcher.evidence.classify` turns
them into tags. The relevance score shares two helpers with these: how a question's cues are
matched, and how matches are ranked (the title and the study's own sentences before its background).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from watcher.evidence.phrasefind import part_of
from watcher.evidence.profile import Profile
from watcher.evidence.textcues import (
    Match,
    Segment,
    sentence_around,
    sentence_of,
    sentence_segments,
)
from watcher.vocabulary import NUMBER_WORDS

# --- matching and ranking the profile's cues --------------------------------------------------


def in_background(match: Match, profile: Profile, *, synthesis: bool = False) -> bool:
    """Said as background: a background section, or a sentence about other studies (which
    is the subject itself in a review or a guideline: ``synthesis``)."""
    if any(key in match.segment.label for key in profile.relevance.background_sections):
        return True
    return not synthesis and bool(profile.design.other_studies.spans(sentence_around(match)))


_SOURCE_RANK = {"title": 0, "abstract": 1, "keywords": 3, "mesh": 4, "publication_type": 5}


def ranked(matches: Sequence[Match], profile: Profile) -> list[Match]:
    """Best evidence first: the title, then this study's own sentences, then background,
    then indexing terms; the article's order otherwise."""

    def rank(m: Match) -> float:
        background = m.source == "abstract" and in_background(m, profile)
        return _SOURCE_RANK.get(m.source, 5) + (1.5 if background else 0)

    return sorted(matches, key=rank)


def telling(matches: Sequence[Match], profile: Profile) -> Match | None:
    """The match a reader learns most from: one of this study's own abstract sentences
    (the title is shown anyway), else the best ranked (``matches`` are ranked)."""
    own = (m for m in matches if m.source == "abstract" and not in_background(m, profile))
    return next(own, matches[0] if matches else None)


_PROCEDURE = re.compile(r"\b(?:procedur\w*|device)\b", re.IGNORECASE)


def _mentions_procedure(sentence: str, profile: Profile) -> bool:
    lex = profile.relevance
    return bool(
        _PROCEDURE.search(sentence)
        or any(c.spans(sentence) for c in (lex.names, lex.ambiguous_names, lex.generic_names))
    )


def question_matches(key: str, segments: Sequence[Segment], profile: Profile) -> list[Match]:
    skip = profile.question_skip(key)
    found = [
        m for m in profile.question(key).matches(segments) if not skip.spans(sentence_around(m))
    ]
    if key == "safety":  # not another treatment's risks ("surgery carries a high risk")
        other = profile.safety_other_treatments
        found = [
            m
            for m in found
            if not other.spans(sentence_around(m))
            or _mentions_procedure(sentence_around(m), profile)
        ]
    return ranked(found, profile)


# --- comparisons ------------------------------------------------------------------------------


_NUMBERS_COMPARED = re.compile(r"[\d%)]\s*(?:vs\.?|versus)\s*\(?[\d.]", re.IGNORECASE)


def comparisons(
    segments: Sequence[Segment], profile: Profile
) -> tuple[list[tuple[str, Match]], Match | None]:
    """Comparators named in sentences that compare treatments, and the best such sentence.

    "vs" between two numbers ("7.0% vs 3.5%") compares results, not treatments.
    """
    wording = profile.question("comparative")
    found: dict[str, Match] = {}
    sentences = []
    for seg, start, end in sentence_segments(segments):
        sentence = part_of(seg.text, start, end)
        cue = [
            (s, e)
            for s, e in wording.spans(sentence)
            if not _NUMBERS_COMPARED.search(sentence[max(0, s - 2) : e + 3])
        ]
        if not cue:
            continue
        named = [
            (key, span)
            for key, cues in (*profile.comparators, ("control", profile.comparison_controls))
            for span in cues.spans(sentence)
        ]
        for key, (s, e) in named:
            if key != "control" and key not in found:
                found[key] = Match(seg, start + s, start + e)
        if named:
            sentences.append(Match(seg, start + cue[0][0], start + cue[0][1]))
    return list(found.items()), telling(ranked(sentences, profile), profile)


# --- complications and reoperations -----------------------------------------------------------


_NO_EVENTS = re.compile(
    r"\b(?:no|none|without|zero)\b(?:\s+[\w-]+){0,6}?\s+(?:complications?|adverse (?:events?"
    r"|effects?|reactions?)|AEs?|SAEs?)\b",
    re.IGNORECASE,
)
_RATE = re.compile(
    r"\b(?:complication|adverse event)s?\s+rates?\s+(?:was|were|of)\s+\d+(?:\.\d+)?\s*%",
    re.IGNORECASE,
)
_COUNT_BEFORE = re.compile(rf"\b(?:\d+(?:\.\d+)?%?|{NUMBER_WORDS})\s+(?:[\w-]+\s+){{0,2}}$", re.I)
_COUNT_AFTER = re.compile(
    r"^\s*(?:(?:occurred\s+|was\s+seen\s+|were\s+seen\s+)?in\s+\d+(?:\.\d+)?(?:\s*%)?"
    r"(?:\s+(?:of\s+)?(?:the\s+)?(?:patients?|cases?|procedures?))?"
    r"(?:\s*\(\s*\d+(?:\.\d+)?\s*%\s*\))?|\(\s*\d+(?:\.\d+)?\s*%\s*\))",
    re.IGNORECASE,
)


def complications(safety: list[Match], profile: Profile) -> list[tuple[str, Match]]:
    """Stated complications (with adjacent counts) and "no ... complications" statements,
    from the safety sentences, best first."""
    found: dict[str, tuple[str, Match]] = {}
    sentences = []
    for m in safety:
        key = (m.segment, *sentence_of(m.segment.text, m.start))
        if _reports_results(m, profile) and key not in sentences:
            sentences.append(key)
    for seg, start, end in sentences:
        text = seg.text
        spans = [m.span() for p in (_NO_EVENTS, _RATE) for m in p.finditer(text, start, end)]
        for s, e in profile.complications.spans(part_of(text, start, end)):
            s, e = start + s, start + e
            before = _COUNT_BEFORE.search(text[start:s])
            after = _COUNT_AFTER.match(text[e:end])
            spans.append((start + before.start() if before else s, e + after.end() if after else e))
        for s, e in sorted(spans):
            value = _clean(text[s:e])
            if value.lower() not in found:
                found[value.lower()] = (value, Match(seg, s, e))
    return list(found.values())


_STATED_COUNT = re.compile(
    rf"\b(?:\d+|{NUMBER_WORDS})\s+(?:patients?|cases?|subjects?|participants?)\s*"
    rf"\(\s*\d+(?:\.\d+)?\s*%\s*\)|\b(?:\d+|{NUMBER_WORDS})\s+(?:patients?|cases?|subjects?"
    r"|participants?|operations?|surger(?:y|ies)|procedures?)\b"
    r"|\b\d+(?:\.\d+)?\s*%(?!\s*(?:CI|confidence))|\b(?:no|none)\b",
    re.IGNORECASE,
)


def _clean(value: str) -> str:
    """A quoted value without dangling punctuation: "surgery (hazard ratio 0.57" → "surgery",
    "rate (23.7%" → "rate 23.7%"."""
    value = value.strip(" ,;.")
    if value.count("(") > value.count(")"):
        cut = value.rfind("(")
        if re.search(r"\d", value[:cut]):
            value = value[:cut].rstrip(" ,;")
        else:
            value = value[:cut] + value[cut + 1 :].lstrip()
    return value.strip(" ,;.")


_NOT_RESULTS = ("METHOD", "DESIGN", "BACKGROUND", "INTRODUCTION", "OBJECTIVE", "PURPOSE", "AIM")


def _reports_results(match: Match, profile: Profile) -> bool:
    """A sentence that can state this study's counts: not the title, methods or background."""
    label = match.segment.label
    return match.source == "abstract" and not any(
        key in label for key in (*_NOT_RESULTS, *profile.relevance.background_sections)
    )


def reoperations(segments: Sequence[Segment], profile: Profile) -> list[tuple[str, Match]]:
    """Subsequent-surgery statements that give a count or a rate (or say none)."""
    found: dict[str, tuple[str, Match]] = {}
    for m in question_matches("reoperation", segments, profile):
        if not _reports_results(m, profile):
            continue
        text = m.segment.text
        start, end = sentence_of(text, m.start)
        counts = list(_STATED_COUNT.finditer(text, start, end))
        if not counts:
            continue
        near = min(counts, key=lambda c: min(abs(c.start() - m.end), abs(m.start - c.end())))
        if min(abs(near.start() - m.end), abs(m.start - near.end())) > 60:
            continue
        s, e = min(near.start(), m.start), max(near.end(), m.end)
        clause = re.search(r"[,;.](?:\s|$)", text[e:end])  # to the end of the clause
        e = e + clause.start() if clause else end
        if e - s > 160:
            continue
        value = _clean(text[s:e])
        if value.lower() not in found:
            found[value.lower()] = (value, Match(m.segment, s, e))
    return list(found.values())
