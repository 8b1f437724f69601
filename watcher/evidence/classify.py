"""Article → Evidence: what a stored article says about MILD, every tag with its snippet.

Pure and versioned. The vocabulary lives in a topic profile (``watcher/evidence/mild.toml``),
so a librarian can tune it without touching code; the rules that read it live here, in
``findings`` and in ``extract``. ``CLASSIFIER_VERSION`` changes when the rules
change and the profile's own version when the vocabulary does: the store reclassifies an
article when either differs.

The classifier is assistive and never invents evidence: a tag exists only with the text (or
the PubMed field) that justifies it, and when nothing is stated the value stays ``None``
(or the relevance ``"uncertain"``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from watcher.evidence.against import findings_against
from watcher.evidence.extract import followup_mentions, sample_size
from watcher.evidence.findings import (
    comparisons,
    complications,
    in_background,
    question_matches,
    ranked,
    reoperations,
)
from watcher.evidence.harms import read_harms
from watcher.evidence.profile import Profile
from watcher.evidence.sponsorship import read_sponsorship
from watcher.evidence.textcues import CueSet, Match, Segment, sentence_around
from watcher.records import Article, Evidence, Tag, plain_text
from watcher.vocabulary import DESIGNS, QUESTIONS

CLASSIFIER_VERSION = "2026.11.2"

# Relevance points (see the [relevance] comment in mild.toml).
_NAME, _AMBIGUOUS, _GENERIC, _CONTEXT, _CONTEXT_CAP, _GROUP_CAP = 1.0, 0.7, 0.35, 0.25, 1.0, 3.0


# --- the article as segments -----------------------------------------------------------------


def article_segments(article: Article) -> tuple[Segment, ...]:
    """Title and abstract sections as plain text (snippets are substrings of these)."""
    title = (Segment("title", article.plain_title),) if article.plain_title else ()
    sections = tuple(
        Segment("abstract", plain_text(section.text), section.label.upper())
        for section in article.abstract
        if plain_text(section.text)
    )
    return title + sections


def _fields(values: Sequence[str], source: str) -> tuple[Segment, ...]:
    return tuple(Segment(source, value) for value in values if value.strip())


# --- relevance -------------------------------------------------------------------------------


def _hits(cues: CueSet, segments: Sequence[Segment], blocked: CueSet) -> list[Match]:
    return [m for m in cues.matches(segments) if not _blocked(m, blocked)]


def _blocked(match: Match, cues: CueSet) -> bool:
    return any(match.overlaps(found) for found in cues.matches([match.segment]))


def _points(hits: Sequence[Match], weight: float, profile: Profile) -> float:
    total = 0.0
    for m in hits:
        total += weight * (2 if m.source == "title" else 0.5 if in_background(m, profile) else 1)
    return min(_GROUP_CAP, total)


_DEFINED = re.compile(r"^\s*\(\s*(?:the\s+)?([A-Za-z][\w®-]{1,11})\s*\)")


def _aliases(named: Sequence[Match], segments: Sequence[Segment], blocked: CueSet) -> list[Match]:
    """Where the article defines an abbreviation for a name ("... decompression (mild)"), its
    later uses, which the lexicon cannot know ("the panel recommends mild")."""
    defined = {}
    for m in named:
        found = _DEFINED.match(m.segment.text[m.end :])
        if found:
            defined.setdefault(found.group(1), (m.segment, m.end + found.end()))
    hits = []
    for alias, (home, after) in defined.items():
        spellings = {alias, alias[0].upper() + alias[1:]}  # "mild", and "Mild" opening a sentence
        pattern = re.compile(rf"(?<![\w-])(?:{'|'.join(map(re.escape, spellings))})(?![\w-])")
        for seg in segments:
            for found in pattern.finditer(seg.text, after if seg is home else 0):
                match = Match(seg, found.start(), found.end())
                if not _blocked(match, blocked):
                    hits.append(match)
    return hits


def _notice(article: Article, segments: Sequence[Segment], profile: Profile) -> Match | None:
    """An erratum or retraction notice: about another article, not evidence in itself."""
    titles = [s for s in segments if s.source == "title"]
    fields = _fields(article.publication_types, "publication_type")
    return profile.relevance.notices.first([*fields, *titles])


def _relevance(segments: Sequence[Segment], profile: Profile) -> tuple[str, float, Tag | None]:
    lex = profile.relevance
    names = _hits(lex.names, segments, lex.collisions)
    ambiguous = _hits(lex.ambiguous_names, segments, lex.collisions)
    generic = _hits(lex.generic_names, segments, lex.collisions)
    aliases = _aliases(names + ambiguous + generic, segments, lex.collisions)
    sure = _points(names, _NAME, profile)
    unsure = _points(ambiguous + aliases, _AMBIGUOUS, profile)
    unsure += _points(generic, _GENERIC, profile)
    named = names + ambiguous + generic + aliases
    if named:  # context confirms a name; the name's own words ("percutaneous ...") do not count
        cues = {
            m.text.lower()
            for m in lex.context.matches(segments)
            if not any(m.overlaps(n) for n in named)
        }
        unsure += min(_CONTEXT_CAP, _CONTEXT * len(cues))
    near: dict[str, int] = {}
    for m in lex.near_miss.matches(segments):
        near[m.text.lower()] = max(near.get(m.text.lower(), 0), 2 if m.source == "title" else 1)
    score = round(1 - math.exp(-(sure + unsure * math.exp(-sum(near.values())))), 3)
    if score >= lex.relevant_at:
        relevance = "relevant"
    elif score >= lex.uncertain_at:
        relevance = "uncertain"
    else:
        relevance = "not_relevant"
    if relevance == "not_relevant":
        reasons = lex.collisions.matches(segments) + lex.near_miss.matches(segments)
    else:
        reasons = ranked(names, profile) + ranked(ambiguous + generic + aliases, profile)
    return relevance, score, Tag.of(reasons[0].text, reasons[0]) if reasons else None


# --- design and level --------------------------------------------------------------------------


def _design(article: Article, segments: Sequence[Segment], profile: Profile) -> Tag | None:
    """The design and what justifies it, by order of authority (mild.toml [design]); None
    when nothing does (the design is then "other", untagged)."""
    lex = profile.design
    priority = [design for design, _ in lex.cues]
    rank = {d: priority.index(d) if d in priority else len(priority) for d in DESIGNS}

    def from_types(mapping: tuple[tuple[str, str], ...]) -> Tag | None:
        known = dict(mapping)
        found = [(rank[known[pt]], pt) for pt in article.publication_types if pt in known]
        return Tag(known[min(found)[1]], min(found)[1], "publication_type") if found else None

    def from_text(tier: Sequence[Segment], keep: Callable[[Match], bool] | None = None):
        for design, cues in lex.cues:
            for m in cues.matches(tier):
                if keep is None or keep(m):
                    return Tag.of(design, m)
        return None

    abstract = [s for s in segments if s.source == "abstract"]
    design_part = [s for s in abstract if any(k in s.label for k in lex.design_sections)]
    methods = [s for s in abstract if any(k in s.label for k in lex.methods_sections)]

    def about_this_study(m: Match) -> bool:
        return not lex.other_studies.spans(sentence_around(m))

    return (
        from_types(lex.publication_types)
        or from_text(design_part)
        or from_text([s for s in segments if s.source == "title"])
        or from_text(methods)
        or from_text(_fields(article.mesh_terms, "mesh"))
        or from_types(lex.weak_publication_types)
        or from_text(abstract, about_this_study)
    )


def _level(design: str, segments: Sequence[Segment], profile: Profile) -> str | None:
    if design == "systematic_review_meta_analysis" and profile.design.reviews_of_rcts.first(
        segments
    ):
        return "I"
    return profile.level_for(design)


# --- questions and the findings' tags ---------------------------------------------------------


def _questions(
    segments: Sequence[Segment],
    profile: Profile,
    comparative: Tag | None,
    followups: list[tuple[float, Match]],
) -> tuple[Tag, ...]:
    tags = []
    long = [f for f in followups if f[0] >= profile.long_term_months]
    for key in QUESTIONS:
        if key == "comparative":
            tag = comparative
        else:
            found = question_matches(key, segments, profile)
            tag = Tag.of(key, found[0]) if found else None
            if key == "long_term_efficacy" and long and (tag is None or tag.source != "title"):
                tag = Tag.of(key, max(long, key=lambda f: f[0])[1])
        if tag:
            tags.append(tag)
    return tuple(tags)


def _tags(found: Iterable[tuple[str, Match]]) -> tuple[Tag, ...]:
    return tuple(Tag.of(value, match) for value, match in found)


# --- the classifier --------------------------------------------------------------------------


def classify(article: Article, profile: Profile) -> Evidence:
    """Classify one article. Pure: the same article and profile give the same Evidence."""
    segments = article_segments(article)
    keywords = _fields(article.keywords, "keywords")
    notice = _notice(article, segments, profile)
    if notice:
        return _not_a_study(article, profile, Tag.of(notice.text, notice))
    relevance, score, relevance_tag = _relevance(segments + keywords, profile)
    design_tag = _design(article, segments, profile)
    design = str(design_tag.value) if design_tag else "other"
    followups = followup_mentions(segments)
    longest = max(followups, key=lambda f: f[0]) if followups else None
    if design in profile.no_followup_designs:
        longest = None
    count = sample_size(segments, case_report=design == "case_report")
    about_mild = relevance != "not_relevant"
    comparators, compared = comparisons(segments, profile) if about_mild else ([], None)
    comparative = Tag.of("comparative", compared) if compared else None
    return Evidence(
        pmid=article.pmid,
        classifier_version=CLASSIFIER_VERSION,
        profile_version=profile.version,
        relevance=relevance,
        relevance_score=score,
        relevance_tag=relevance_tag,
        design=design,
        design_tag=design_tag,
        level=_level(design, segments, profile),
        followup_months=longest[0] if longest else None,
        followup_tag=Tag.of(longest[0], longest[1]) if longest else None,
        sample_size=count.value if count else None,
        sample_size_tag=Tag.of(count.value, count.match) if count else None,
        comparators=_tags(comparators),
        questions=(
            _questions(
                segments + keywords + _fields(article.mesh_terms, "mesh"),
                profile,
                comparative,
                followups,
            )
            if about_mild
            else ()
        ),
        outcomes=tuple(
            Tag.of(key, m) for key, cues in profile.outcomes if (m := cues.first(segments))
        ),
        complications=_tags(complications(question_matches("safety", segments, profile), profile)),
        reoperations=(reoperation_tags := _tags(reoperations(segments, profile))),
        **_balance(article, segments, profile, design, reoperation_tags, about_mild),
    )


def _balance(
    article: Article,
    segments: Sequence[Segment],
    profile: Profile,
    design: str,
    reoperation_tags: tuple[Tag, ...],
    about_mild: bool,
) -> dict[str, Any]:
    """Harms as events, absence statements, sponsorship and findings against the procedure
    (harms only for articles about it: another treatment's harms are not its harms)."""
    value, sponsors = read_sponsorship(article, segments, profile.sponsorship)
    if not about_mild:
        return {"sponsorship": value, "sponsorship_tags": sponsors}
    harms, absences = read_harms(segments, profile.harms, case_report=design == "case_report")
    return {
        "harms": harms,
        "absences": absences,
        "sponsorship": value,
        "sponsorship_tags": sponsors,
        "against": findings_against(segments, harms, reoperation_tags, profile.against),
    }


def _not_a_study(article: Article, profile: Profile, notice: Tag) -> Evidence:
    """An erratum or retraction notice: no evidence of its own (the digest reports it as an
    event on the article it corrects)."""
    return Evidence(
        pmid=article.pmid,
        classifier_version=CLASSIFIER_VERSION,
        profile_version=profile.version,
        relevance="not_relevant",
        relevance_score=0.0,
        relevance_tag=notice,
        design="other",
        design_tag=notice,
        level=None,
        followup_months=None,
        followup_tag=None,
        sample_size=None,
        sample_size_tag=None,
    )
