"""Trial registration numbers: which registry an id belongs to, and the ids a text mentions.

Reports of one trial share its registration number (PubMed lists it in ``DataBankList``;
authors also write it in the abstract, "ClinicalTrials.gov Identifier: NCT01234567"), so the
number is how a paper is linked to its trial and to the other reports of the same study. Pure,
and shared by every wing that links reports and trials.
"""

from __future__ import annotations

import re

# Registry → the form of its ids. Prefixes are registry-specific, so a match is unambiguous;
# EudraCT's bare "2004-001234-56" needs its name nearby, or any date range would match.
_PATTERNS: tuple[tuple[str, str], ...] = (
    ("ClinicalTrials.gov", r"NCT\d{8}"),
    ("ISRCTN", r"ISRCTN\d{8}"),
    ("ANZCTR", r"ACTRN\d{14}"),
    ("ChiCTR", r"ChiCTR(?:-[A-Z]{2,4}-)?\d{8,10}"),
    ("DRKS", r"DRKS\d{8}"),
    ("UMIN-CTR", r"UMIN\d{9}"),
    ("CTRI", r"CTRI/\d{4}/\d{2,3}/\d{6}"),
    ("EudraCT", r"EudraCT[\s:#-]*(?:number|no\.?|identifier)?[\s:#]*\d{4}-\d{6}-\d{2}"),
)
_ID = re.compile(
    "|".join(f"(?P<r{index}>{pattern})" for index, (_, pattern) in enumerate(_PATTERNS)),
    re.IGNORECASE,
)
_EUDRACT_NUMBER = re.compile(r"\d{4}-\d{6}-\d{2}")
# Every registry's ids hold a run of six digits (most eight or more): a text without one
# names no trial, and this plain scan is about eight times cheaper than ``_ID``'s
# case-insensitive alternation (most abstracts name no trial).
_SIX_DIGITS = re.compile(r"\d{6}")
_REGISTRY_OF_GROUP = {f"r{index}": name for index, (name, _) in enumerate(_PATTERNS)}


def normalize_id(registry: str, text: str) -> str:
    """The canonical spelling: upper-case prefix, no spaces ("nct01234567" → "NCT01234567")."""
    if registry == "EudraCT":
        found = _EUDRACT_NUMBER.search(text)
        return found.group(0) if found else text.strip()
    if registry == "ChiCTR":
        return "ChiCTR" + text.strip()[6:].upper()
    return text.strip().upper()


def registry_ids_in(text: str) -> list[tuple[str, str]]:
    """(registry, id) for every trial registration number in ``text``, first mention first,
    each once. Word boundaries keep "NCT012345678" (nine digits) from counting."""
    found: list[tuple[str, str]] = []
    if _SIX_DIGITS.search(text) is None:
        return found
    for match in _ID.finditer(text):
        start, end = match.span()
        if (start and text[start - 1].isalnum()) or (end < len(text) and text[end].isalnum()):
            continue
        registry = _REGISTRY_OF_GROUP[match.lastgroup or ""]
        pair = (registry, normalize_id(registry, match.group(0)))
        if pair not in found:
            found.append(pair)
    return found


# PubMed's DataBankName for the trial registries (it also lists gene banks and data
# repositories, which are not trials).
_BANK_NAMES = {name.lower(): name for name, _ in _PATTERNS} | {"umin": "UMIN-CTR"}


def registry_of(bank: str, accession: str) -> str | None:
    """The trial registry of a DataBankList entry, from its bank name or, when the name is not
    a registry's, from the form of the accession number; None for anything that is not a trial
    registration."""
    if known := _BANK_NAMES.get(bank.strip().lower()):
        return known
    match = _ID.fullmatch(accession.strip())
    return _REGISTRY_OF_GROUP[match.lastgroup or ""] if match else None
