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
from collections.abc import Iterable, Sequence
from typing import Any

from watcher.evidence.against import findings_against
from watcher.evidence.design import design_tag, level
from watcher.evidence.extract import followup_mentions
from watcher.evidence.findings import (
    comparisons,
    complications,
    in_background,
    question_matches,
    ranked,
    reoperations,
    telling,
)
from watcher.evidence.harms import read_harms
from watcher.evidence.profile import Profile
from watcher.evidence.samplesize import sample_size
from watcher.evidence.sponsorship import read_sponsorship
from watcher.evidence.textcues import (
    CueSet,
    Match,
    Segment,
    Segments,
    field_segments,
    sentence_around,
)
from watcher.records import Article, Evidence, Tag
from watcher.vocabulary import QUESTIONS

CLASSIFIER_VERSION = "2026.11.4"

# Relevance points (see the [relevance] comment in mild.toml).
_NAME, _AMBIGUOUS, _GENERIC, _CONTEXT, _CONTEXT_CAP, _GROUP_CAP = 1.0, 0.7, 0.35, 0.25, 1.0, 3.0


# --- the article as segments -----------------------------------------------------------------


def article_segments(article: Article) -> Segments:
    """Title and abstract sections as plain text (snippets are substrings of these)."""
    title = (Segment("title", article.plain_title),) if article.plain_title else ()
    sections = tuple(
        Segment("abstract", text, section.label.upper())
        for section, text in zip(article.abstract, article.plain_sections, strict=True)
        if text
    )
    return Segments(title + sections)


# --- relevance -------------------------------------------------------------------------------


def _hits(cues: CueSet, segments: Sequence[Segment], blocked: CueSet) -> list[Match]:
    return [m for m in cues.matches(segments) if not _blocked(m, blocked)]


def _blocked(match: Match, cues: CueSet) -> bool:
    """Whether a span of ``cues`` overlaps ``match`` (in its segment)."""
    return any(s < match.end and match.start < e for s, e in cues.spans(match.segment.text))


def _points(hits: Sequence[Match], weight: float, profile: Profile, synthesis: bool) -> float:
    total = 0.0
    for m in hits:
        aside = in_background(m, profile, synthesis=synthesis) or _in_passing(m, profile)
        total += weight * (2 if m.source == "title" else 0.5 if aside else 1)
    return min(_GROUP_CAP, total)


_SHARE_TREATED = re.compile(
    r"\d\s*%[^.;]*\b(?:received|had|underwent|used)\b|\b(?:received|had|underwent|used)\b"
    r"[^.;]*\d\s*%",
    re.IGNORECASE,
)


def _in_passing(match: Match, profile: Profile) -> bool:
    """Named as one of several treatments in a share of patients ("fewer than 1% received a
    spacer or the procedure"): how a care-pathway or claims study lists what patients got,
    not the subject of the paper."""
    sentence = sentence_around(match)
    shared = "%" in sentence and _SHARE_TREATED.search(sentence)  # the pattern needs a "%"
    return bool(shared) and any(cues.spans(sentence) for _, cues in profile.comparators)


_DEFINED = re.compile(r"\s*\(\s*(?:the\s+)?([A-Za-z][\w®-]{1,11})\s*\)")  # matched at a name's end


def _aliases(named: Sequence[Match], segments: Sequence[Segment], blocked: CueSet) -> list[Match]:
    """Where the article defines an abbreviation for a name ("... decompression (mild)"), its
    later uses, which the lexicon cannot know ("the panel recommends mild"). A lower-case
    abbreviation is the device maker's spelling, so its definition counts too; "(MILD)" is
    also what surgeons call their own tubular decompression."""
    defined = {}
    for m in named:
        found = _DEFINED.match(m.segment.text, m.end)
        if found:
            alias = found.group(1)
            at = found.start(1) if alias.islower() else found.end()
            defined.setdefault(alias, (m.segment, at))
    hits = []
    for alias, (home, after) in defined.items():
        pattern = alias_pattern(alias)
        for seg in segments:
            for found in pattern.finditer(seg.text, after if seg is home else 0):
                match = Match(seg, found.start(), found.end())
                if not _blocked(match, blocked):
                    hits.append(match)
    return hits


def alias_pattern(alias: str) -> re.Pattern:
    """``alias`` ("mild"), or with a capital opening a sentence ("Mild"), as a whole word
    (no letter, digit, "_" or "-" on either side). The pattern starts with the first letter
    and checks the character before it second, so the regex engine skips ahead to that letter
    instead of trying the check at every position."""
    first = "".join(sorted({alias[0], alias[0].upper()}))
    return re.compile(rf"[{re.escape(first)}](?<![\w-].){re.escape(alias[1:])}(?![\w-])")


def _notice(article: Article, segments: Sequence[Segment], profile: Profile) -> Match | None:
    """An erratum or retraction notice: about another article, not evidence in itself."""
    titles = [s for s in segments if s.source == "title"]
    fields = field_segments(article.publication_types, "publication_type")
    return profile.relevance.notices.first([*fields, *titles])


def _relevance(
    segments: Sequence[Segment], profile: Profile, design: str
) -> tuple[str, float, Tag | None]:
    """Relevance, its score and the words behind it. In a review or a guideline the studies
    it names are its subject, so a name in a sentence about studies counts in full there."""
    lex = profile.relevance
    synthesis = design in profile.no_followup_designs
    names = _hits(lex.names, segments, lex.collisions)
    ambiguous, generic = [], []
    if not lex.topic or lex.topic.first(segments):  # else "the MILD trial" is of something else
        ambiguous = _hits(lex.ambiguous_names, segments, lex.collisions)
        generic = _hits(lex.generic_names, segments, lex.collisions)
    aliases = _aliases(names + ambiguous + generic, segments, lex.collisions)
    sure = _points(names, _NAME, profile, synthesis)
    unsure = _points(ambiguous + aliases, _AMBIGUOUS, profile, synthesis)
    unsure += _points(generic, _GENERIC, profile, synthesis)
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
            best = telling(question_matches(key, segments, profile), profile)
            tag = Tag.of(key, best) if best else None
            if key == "long_term_efficacy" and long and (tag is None or tag.source != "title"):
                tag = Tag.of(key, _longest(long)[1])
        if tag:
            tags.append(tag)
    return tuple(tags)


def _longest(followups: list[tuple[float, Match]]) -> tuple[float, Match]:
    """The longest follow-up; said in the abstract rather than the title when both say it,
    since the abstract's sentence tells the reader more."""
    return max(followups, key=lambda f: (f[0], f[1].source == "abstract"))


def _tags(found: Iterable[tuple[str, Match]]) -> tuple[Tag, ...]:
    return tuple(Tag.of(value, match) for value, match in found)


# Questions only results can answer: a protocol names them as endpoints, not findings.
RESULT_QUESTIONS = ("long_term_efficacy", "reoperation", "safety")


def is_protocol(segments: Sequence[Segment], profile: Profile) -> bool:
    """A study protocol: announced by its title, or the whole study is still to be done."""
    titles = [segment for segment in segments if segment.source == "title"]
    return bool(profile.protocol_titles.first(titles) or profile.protocol_plans.first(segments))


# --- the classifier --------------------------------------------------------------------------


def classify(article: Article, profile: Profile) -> Evidence:
    """Classify one article. Pure: the same article and profile give the same Evidence."""
    segments = article_segments(article)
    keywords = field_segments(article.keywords, "keywords")
    notice = _notice(article, segments, profile)
    if notice:
        return _not_a_study(article, profile, Tag.of(notice.text, notice))
    found_design = design_tag(article, segments, profile)
    design = str(found_design.value) if found_design else "other"
    relevance, score, relevance_tag = _relevance(Segments(segments + keywords), profile, design)
    followups = followup_mentions(segments)
    if design == "economic_analysis" and profile.model_words.first(segments):
        followups = []  # a model's durations are time horizons, not follow-up
    protocol = is_protocol(segments, profile)
    if protocol:
        followups = []  # a protocol's visits and endpoints are plans, not follow-up
    longest = _longest(followups) if followups else None
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
        design_tag=found_design,
        level=level(design, segments, profile),
        followup_months=longest[0] if longest else None,
        followup_tag=Tag.of(longest[0], longest[1]) if longest else None,
        sample_size=count.value if count else None,
        sample_size_tag=Tag.of(count.value, count.match) if count else None,
        comparators=_tags(comparators),
        questions=(
            tuple(
                tag
                for tag in _questions(
                    Segments(segments + keywords + field_segments(article.mesh_terms, "mesh")),
                    profile,
                    comparative,
                    followups,
                )
                if not (protocol and tag.value in RESULT_QUESTIONS)
            )
            if about_mild
            else ()
        ),
        outcomes=tuple(
            Tag.of(key, m) for key, cues in profile.outcomes if (m := cues.first(segments))
        ),
        complications=()
        if protocol
        else _tags(complications(question_matches("safety", segments, profile), profile)),
        reoperations=(
            reoperation_tags := () if protocol else _tags(reoperations(segments, profile))
        ),
        **_balance(article, segments, profile, design, reoperation_tags, about_mild, protocol),
    )


def _balance(
    article: Article,
    segments: Sequence[Segment],
    profile: Profile,
    design: str,
    reoperation_tags: tuple[Tag, ...],
    about_mild: bool,
    protocol: bool = False,
) -> dict[str, Any]:
    """Harms as events, absence statements, sponsorship and findings against the procedure
    (harms only for articles about it: another treatment's harms are not its harms; none for
    a protocol, whose adverse events are endpoints still to be measured)."""
    value, sponsors = read_sponsorship(article, segments, profile.sponsorship)
    if not about_mild or protocol:
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
