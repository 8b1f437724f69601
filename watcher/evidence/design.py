"""Study design and level of evidence: PubMed's publication types first, then the authors' words.

New papers reach PubMed as "Journal Article" only; their publication types are indexed weeks
later, so the abstract's own words usually decide. The places are tried by authority (mild.toml
[design] explains the order): a decisive publication type, the abstract's design statement,
the title, the objective, the methods, MeSH check tags, a weak publication type, any sentence
about this study. When none names a design, the design is inferred from what the abstract
says was done ([[design.inferred]]: claims and registry data, enrolment, a series of treated
patients); only a text that fits no design at all is "other", untagged.

Two conflicts are settled explicitly: a paper titled a guideline is a guideline even when
PubMed indexes it as a systematic review, and a review of what things cost is a review, not an
economic analysis of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from watcher.evidence.profile import DesignLexicon, Profile
from watcher.evidence.samplesize import patient_counts
from watcher.evidence.textcues import Match, Segment, field_segments, sentence_around
from watcher.records import Article, Tag
from watcher.vocabulary import DESIGNS

_SR = "systematic_review_meta_analysis"
_TO_DO = re.compile(r"^\s*(?:to|we|our|this|the aim|the purpose|the objective)\b", re.IGNORECASE)


def _this_study(match: Match, lex: DesignLexicon) -> bool:
    """A sentence about this study, not about others ("Previous trials showed ...").

    A sentence that names this study ("This review ...", "To compare ...", "We ...") is about
    it even when it also says "published" or "literature".
    """
    sentence = sentence_around(match)
    return (
        not lex.other_studies.spans(sentence)
        or bool(_TO_DO.match(sentence))
        or bool(lex.this_study.spans(sentence))
    )


def design_tag(article: Article, segments: Sequence[Segment], profile: Profile) -> Tag | None:
    """The design and what justifies it (None: the design is "other", untagged)."""
    lex = profile.design
    found = _stated(article, segments, lex) or _inferred(segments, lex)
    if found is not None and found.value == "economic_analysis":
        return _review_of_costs(article, segments, lex) or found
    return found


def _rank(lex: DesignLexicon) -> dict[str, int]:
    priority = [design for design, _ in lex.cues]
    return {d: priority.index(d) if d in priority else len(priority) for d in DESIGNS}


def _from_types(
    article: Article, mapping: tuple[tuple[str, str], ...], lex: DesignLexicon
) -> Tag | None:
    known, rank = dict(mapping), _rank(lex)
    found = [(rank[known[pt]], pt) for pt in article.publication_types if pt in known]
    if not found:
        return None
    pt = min(found)[1]
    return Tag(known[pt], pt, "publication_type")


def _from_text(
    lex: DesignLexicon,
    tier: Sequence[Segment],
    only: str | None = None,
    keep: Callable[[Match], bool] | None = None,
) -> Tag | None:
    for design, cues in lex.cues:
        if only is not None and design != only:
            continue
        for m in cues.matches(tier):
            if keep is None or keep(m):
                return Tag.of(design, m)
    return None


def _stated(article: Article, segments: Sequence[Segment], lex: DesignLexicon) -> Tag | None:
    """A design the record states: a publication type, or the authors' design words."""
    title = [s for s in segments if s.source == "title"]
    abstract = [s for s in segments if s.source == "abstract"]

    def part(keys: tuple[str, ...]) -> list[Segment]:
        return [s for s in abstract if any(k in s.label for k in keys)]

    typed = _from_types(article, lex.publication_types, lex)
    if typed is not None and typed.value == _SR:  # a guideline indexed as a systematic review
        guideline = _from_text(lex, title, "guideline_consensus")
        if guideline is not None and _from_text(lex, title, _SR) is None:
            return guideline
    about_this = lambda m: _this_study(m, lex)  # noqa: E731
    return (
        typed
        or _from_text(lex, part(lex.design_sections))
        or _from_text(lex, title)
        or _from_text(lex, part(lex.objective_sections), keep=about_this)
        or _from_text(lex, part(lex.methods_sections))
        or _from_text(lex, field_segments(article.mesh_terms, "mesh"))
        or _from_types(article, lex.weak_publication_types, lex)
        or _from_text(lex, abstract, keep=about_this)
    )


def _inferred(segments: Sequence[Segment], lex: DesignLexicon) -> Tag | None:
    """No design word anywhere: what the abstract says was done. Claims, registry and
    database analyses are retrospective, enrolled or recruited patients a prospective
    cohort; treated patients are a case series, or a retrospective cohort when the abstract
    compares groups of them."""
    abstract = [s for s in segments if s.source in ("abstract", "title")]
    for design, cues in lex.inferred:
        found = cues.first(abstract)
        if found is not None:
            return Tag.of(design, found)
    treated = [
        c for c in patient_counts(abstract) if lex.treated_patients.spans(sentence_around(c.match))
    ]
    if not treated:
        return None
    if lex.compared_groups.first(abstract) is not None:
        return Tag.of("retrospective_cohort", treated[0].match)
    return Tag.of("case_series", treated[0].match)


def _review_of_costs(
    article: Article, segments: Sequence[Segment], lex: DesignLexicon
) -> Tag | None:
    """Cost wording in a paper that reviews others' findings ("This review evaluates the
    cost-effectiveness ...", or PubMed's "Review"): a review, not an economic analysis."""
    said = _from_text(lex, segments, "narrative_review", keep=lambda m: _this_study(m, lex))
    if said is not None:
        return said
    if "Review" in article.publication_types:
        return Tag("narrative_review", "Review", "publication_type")
    return None


def level(design: str, segments: Sequence[Segment], profile: Profile) -> str | None:
    """The level of evidence of ``design`` ([design.levels]); a systematic review limited to
    randomised trials is Level I."""
    if design == _SR and profile.design.reviews_of_rcts.first(segments):
        return "I"
    return profile.level_for(design)
