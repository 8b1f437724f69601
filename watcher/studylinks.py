"""What ties a paper to the study it reports: its trial registrations, the study's name
("the PORTAL-LSS trial"), its authors, and what kind of report it is (a protocol, or results).

Pure functions over one :class:`~watcher.records.Article`; :mod:`watcher.studies` compares
papers with them. A trial is published report by report (protocol, 1-year, 2-year results …),
so counting papers counts the same patients again; these clues are how the reports of one study
are found. Each clue is conservative: a name or number that may refer to *another* study (a
background sentence, a pooled analysis naming two trials) is left out rather than guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from watcher.records import Article, TrialRegistration
from watcher.registryids import registry_ids_in

PROTOCOL = "protocol"
RESULTS = "results"

# PubMed publication types of records that are about another record, not studies themselves.
NOTICE_TYPES = frozenset(
    {"Published Erratum", "Retraction of Publication", "Expression of Concern"}
)
# … and of opinions: never a report of a study of their own, however often they name one.
NOT_REPORTS = NOTICE_TYPES | {"Letter", "Comment", "Editorial"}
# Designs that summarise, judge or price other studies (watcher.vocabulary.DESIGNS keys): they
# cite trials by name and number but enrol nobody, so they never join a trial's reports.
SECONDARY_DESIGNS = frozenset(
    {
        "systematic_review_meta_analysis", "narrative_review", "guideline_consensus",
        "economic_analysis", "case_report",
    }
)  # fmt: skip

# A study's name: one or two tokens, each with at least two capitals ("PORTAL-LSS",
# "MiDAS ENCORE"), before a word that says it is a study ("the X randomized trial") or in
# brackets right after one ("a randomized controlled trial (X)").
_AFTER_CAPITAL = r"(?=[A-Za-z0-9-]*[A-Z])[A-Za-z0-9]*(?:-[A-Za-z0-9]+)*"
_TOKEN = rf"[A-Z]{_AFTER_CAPITAL}"
_NAME = rf"(?P<name>{_TOKEN}(?:[ ]{_TOKEN})?)"
# The name as a word of its own (no letter, digit, "_" or "-" before it). The check looks back
# from its first capital, so the pattern starts with [A-Z] and the regex engine skips from
# capital to capital instead of trying a lookbehind at every character (same matches).
_NAME_AS_WORD = rf"(?P<name>[A-Z](?<![\w-][A-Z]){_AFTER_CAPITAL}(?:[ ]{_TOKEN})?)"
_STUDY_WORDS = ("trial", "study", "registry", "cohort")
_STUDY_WORD = rf"(?:{'|'.join(_STUDY_WORDS)})"
_MODIFIERS = (
    "randomi[sz]ed|controlled|clinical|pivotal|prospective|multi-?cent(?:er|re)|open-label|"
    "blinded|double-blind|single-blind|sham-controlled|pilot|feasibility|observational|"
    "comparative|crossover|non-?inferiority|superiority|extension|follow-up|long-term|"
    "post-?market|phase|[1-4]|I{1,3}V?|IV"
)
_BEFORE = re.compile(rf"{_NAME_AS_WORD}(?:\s+(?i:{_MODIFIERS})){{0,4}}\s+(?i:{_STUDY_WORD})\b")
# "trial (NAME)" is found from its bracket: a search starting at a literal "(" is fast, one
# starting with a case-insensitive choice of words is not. :func:`_bracketed_names` then looks
# back for the study word, so the names are those of ``study-word \s* ( \s* NAME \s* [);,]``.
_BRACKETED = re.compile(rf"\(\s*{_NAME}\s*[);,]")
_STUDY_WORD_ONLY = re.compile(rf"(?i:{_STUDY_WORD})")
_STUDY_WORD_LENGTHS = sorted({len(word) for word in _STUDY_WORDS})
# Abbreviations of this field and of trial reporting that read like names but are not one
# study's ("the MILD study" is any study of the procedure; "a phase III trial").
GENERIC_NAMES = frozenset(
    {
        "RCT", "MILD", "PILD", "LSS", "ESI", "CMM", "ODI", "VAS", "NPRS", "NRS", "ZCQ", "MRI",
        "CT", "MIS", "TLIF", "PLIF", "USA", "NIH", "FDA", "CMS", "CED", "IDE", "MCI", "TBI",
        "PROM", "PROMS", "QOL", "HRQOL", "SF-36", "EQ-5D", "ICER", "QALY", "IRB", "CONSORT",
        "STROBE", "PRISMA",
    }
)  # fmt: skip
_ROMAN = re.compile(r"[IVX]+")
# Abstract sections about other work: a name there may be someone else's trial.
_BACKGROUND = frozenset({"BACKGROUND", "INTRODUCTION", "CONTEXT", "RATIONALE"})
_PROTOCOL_TITLE = re.compile(
    r"\b(?:study|trial) protocol\b|\bprotocol (?:for|of) (?:a|an|the)\b"
    r"|\brationale(?:,)? and design\b|\bdesign and rationale\b",
    re.IGNORECASE,
)
_PROTOCOL_TYPES = frozenset({"Clinical Trial Protocol"})


@dataclass(frozen=True, slots=True)
class Clues:
    """What one paper says about the study it reports."""

    registrations: tuple[TrialRegistration, ...]  # its own study's, at most one per registry
    names: tuple[str, ...]  # study names as written, e.g. ("PORTAL-LSS",)
    authors: frozenset[str]  # normalised "lastname initial" keys


def is_notice(article: Article) -> bool:
    """A retraction notice, erratum or expression of concern (not a study)."""
    return any(t in NOTICE_TYPES for t in article.publication_types)


def counts_as_evidence(article: Article) -> bool:
    """Neither retracted nor a notice: a paper the landscape (and a study) may count."""
    return not article.retracted and not is_notice(article)


def can_be_a_report(article: Article, design: str) -> bool:
    """A paper that may report a study others also report: a primary study (``design``, its
    tagged design) that is neither retracted nor a notice, letter or opinion."""
    if article.retracted or any(t in NOT_REPORTS for t in article.publication_types):
        return False
    return design not in SECONDARY_DESIGNS


def report_kind(article: Article) -> str:
    """``PROTOCOL`` for a study protocol (planned numbers, no results), else ``RESULTS``."""
    if any(t in _PROTOCOL_TYPES for t in article.publication_types):
        return PROTOCOL
    return PROTOCOL if _PROTOCOL_TITLE.search(article.plain_title) else RESULTS


def name_key(name: str) -> str:
    """One spelling for comparing names: "PORTAL-LSS", "Portal LSS" → "PORTALLSS"."""
    return re.sub(r"[\s-]+", "", name).upper()


def _is_name(name: str) -> bool:
    letters = sum(c.isupper() for c in name)
    return (
        letters >= 2
        and len(re.sub(r"[\s-]", "", name)) >= 3
        and name.upper() not in GENERIC_NAMES
        and not _ROMAN.fullmatch(name)
        and not registry_ids_in(name)
        and not any(part.upper() in GENERIC_NAMES for part in name.split())
    )


def names_in(text: str) -> list[str]:
    """Study names ``text`` gives, first mention first, each once (by :func:`name_key`)."""
    found: dict[str, str] = {}
    hits = [(m.start("name"), m.group("name")) for m in _BEFORE.finditer(text)]
    hits += _bracketed_names(text)
    for _, name in sorted(hits, key=lambda hit: hit[0]):
        if _is_name(name):
            found.setdefault(name_key(name), name)
    return list(found.values())


def _bracketed_names(text: str) -> list[tuple[int, str]]:
    """(start, name) of each name in brackets right after a study word ("trial (KESTREL)"),
    in order. Each such match holds one "(" (no part of it may hold another), so every one
    is found from its bracket, and none can overlap the one before: its study word, spaces
    and "(" cannot include the ")", ";" or "," that ends it."""
    found = []
    for match in _BRACKETED.finditer(text):
        end = match.start()
        while end and text[end - 1].isspace():  # the spaces \s* takes (str.isspace is \s)
            end -= 1
        if any(
            _STUDY_WORD_ONLY.fullmatch(text, end - length, end)
            for length in _STUDY_WORD_LENGTHS
            if length <= end
        ):
            found.append((match.start("name"), match.group("name")))
    return found


def study_names(article: Article) -> tuple[str, ...]:
    """The name of the study this paper reports, when it says so unambiguously.

    The title wins; otherwise the abstract, leaving out background sections (which often name
    earlier trials). Two different names (a pooled analysis of two trials, or a trial compared
    with another) give none: the paper cannot be tied to one of them by name.
    """
    names = names_in(article.plain_title)
    if not names:
        sections = zip(article.abstract, article.plain_sections, strict=True)
        names = names_in(" ".join(t for s, t in sections if s.label.upper() not in _BACKGROUND))
    return tuple(names) if len(names) == 1 else ()


def registrations(article: Article) -> tuple[TrialRegistration, ...]:
    """The trial registrations of this paper's own study. Two numbers in one registry (a pooled
    analysis, or a paper that cites another trial's number) give none from that registry."""
    by_registry: dict[str, list[TrialRegistration]] = {}
    for registration in article.trial_registrations:
        by_registry.setdefault(registration.registry, []).append(registration)
    return tuple(found[0] for found in by_registry.values() if len(found) == 1)


def author_key(author: str) -> str:
    """ "García-López AM" → "garcia-lopez a": accents, case and later initials dropped, so
    the same person matches across journals' spellings."""
    folded = unicodedata.normalize("NFKD", author).encode("ascii", "ignore").decode()
    parts = folded.lower().replace(".", "").split()
    if len(parts) >= 2 and parts[-1].isalpha() and len(parts[-1]) <= 3:
        return f"{' '.join(parts[:-1])} {parts[-1][0]}"
    return " ".join(parts)


def clues(article: Article) -> Clues:
    return Clues(
        registrations=registrations(article),
        names=study_names(article),
        authors=frozenset(author_key(a) for a in article.authors if a.strip()),
    )


def most_common(values: list[str]) -> str:
    """The value given most often (the first given on a tie), "" for none."""
    return Counter(values).most_common(1)[0][0] if values else ""
