"""Findings that go against the procedure: a serious harm, a high rate of further treatment
or surgery, imaging that shows no decompression. A digest never cuts these for its item cap,
so a reader sees the unfavourable results as surely as the favourable ones.

Pure; the vocabulary and the rate threshold are the profile's ``[against]`` (``mild.toml``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from watcher.evidence.clauses import PERCENT, clause_spans
from watcher.evidence.textcues import CueSet, Segment
from watcher.records import HarmEvent, Tag

_FRACTION = re.compile(r"(?<![\w.])(\d+)\s*(?:/|of)\s*(\d+)(?![\w.%])")


@dataclass(frozen=True)
class AgainstLexicon:
    """The words of ``[against]``."""

    high_reoperation_percent: float  # at or above: a high rate of further treatment
    no_decompression: CueSet  # imaging shows the canal no wider
    skip_sections: tuple[str, ...]  # abstract sections that state no results of this study


def findings_against(
    segments: Sequence[Segment],
    harms: Sequence[HarmEvent],
    reoperations: Sequence[Tag],
    lex: AgainstLexicon,
) -> tuple[Tag, ...]:
    """At most one tag per finding (watcher.vocabulary.AGAINST), each quoting its words."""
    found = []
    serious = [event for event in harms if event.serious]
    if serious:
        found.append(Tag("serious_harm", serious[0].snippet, serious[0].source))
    threshold = lex.high_reoperation_percent
    high = [tag for tag in reoperations if highest_rate(_clause_of(tag)) >= threshold]
    if high:
        found.append(Tag("high_reoperation_rate", high[0].snippet, high[0].source))
    results = [
        s
        for s in segments
        if s.source == "abstract" and not any(key in s.label for key in lex.skip_sections)
    ]
    imaging = lex.no_decompression.first(results)
    if imaging:
        found.append(Tag.of("no_radiological_decompression", imaging))
    return tuple(found)


def highest_rate(text: str) -> float:
    """The highest percentage a statement gives ("6.9% at 1 year, 11.2% at 2 years" → 11.2),
    counting "8 of 149" as a percentage; 0 when it gives none."""
    rates = [float(p) for p in PERCENT.findall(text)]
    rates += [100 * int(n) / int(d) for n, d in _FRACTION.findall(text) if 0 < int(n) <= int(d)]
    return max(rates, default=0.0)


def _clause_of(tag: Tag) -> str:
    """The whole clause a reoperation statement stands in: its value may stop at a comma
    ("subsequent surgery was 6.9% at 1 year"), the rates go on ("…, 11.2% at 2 years")."""
    value, text = str(tag.value), tag.snippet
    at = text.find(value)
    if at == -1:
        return value
    return next((text[s:e] for s, e in clause_spans(text) if s <= at < e), value)
