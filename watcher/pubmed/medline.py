"""MEDLINE text (PubMed's "Save → Format: PubMed") → :class:`Article`, through ``Bio.Medline``.

Also home of the conventions both PubMed formats share, because MEDLINE's wording is the
common ground: PubMed XML's ``MedlineDate`` is the MEDLINE ``DP`` field, its correction links
are MEDLINE's ``RIN``/``EIN``/…; every text field ends up as the same kind of safe HTML
fragment (:mod:`watcher.markup`). ``watcher.pubmed.parse`` imports from here, never the other
way round.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Iterator

from Bio import Medline

from watcher.errors import ParseError
from watcher.markup import clean_text
from watcher.records import AbstractSection, Article, Correction, DataBankEntry, Grant

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBER = {name.lower(): number for number, name in enumerate(MONTHS, start=1)}
_MONTH_NUMBER.update({"sept": 9})
_FULL_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august")
_FULL_MONTHS += ("september", "october", "november", "december")
_MONTH_NUMBER.update({name: number for number, name in enumerate(_FULL_MONTHS, start=1)})

# "2019 Jan 15", "2019 Jan-Feb", "2018 Dec-2019 Jan", "1998 Dec 15-31", "2020 Spring", "2000-2001"
_DATE_TEXT = re.compile(
    r"(?P<year>\d{4})(?:\s+(?P<word>[A-Za-z]+)\.?(?:\s+(?P<day>\d{1,2})(?!\d))?)?"
)
_ANY_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")

# MEDLINE field → the PubMed XML CommentsCorrections RefType it stands for.
CORRECTION_TAGS = {
    "CIN": "CommentIn",
    "CON": "CommentOn",
    "CRI": "CorrectedandRepublishedIn",
    "CRF": "CorrectedandRepublishedFrom",
    "ECI": "ExpressionOfConcernIn",
    "ECF": "ExpressionOfConcernFor",
    "EIN": "ErratumIn",
    "EFR": "ErratumFor",
    "ORI": "OriginalReportIn",
    "PRIN": "PartialRetractionIn",
    "PROF": "PartialRetractionOf",
    "RIN": "RetractionIn",
    "ROF": "RetractionOf",
    "RPI": "RepublishedIn",
    "RPF": "RepublishedFrom",
    "RRI": "RetractedandRepublishedIn",
    "RRF": "RetractedandRepublishedFrom",
    "SPIN": "SummaryForPatientsIn",
    "UIN": "UpdateIn",
    "UOF": "UpdateOf",
}
# Links that mean the article itself has been withdrawn (a "Retraction of Publication" notice
# carries RetractionOf and is not itself retracted).
RETRACTING_LINKS = frozenset({"RetractionIn", "RetractedandRepublishedIn"})

_FIELD_LINE = re.compile(r"[A-Z][A-Z0-9 ]{3}- ?")
_REF_PMID = re.compile(r"\s*PMID:\s*(\d+)\s*$")
_DOI = re.compile(r"(\S+)\s+\[doi\]")
# A structured-abstract label: upper-case words and a colon, at the start or after a sentence.
_AB_LABEL = re.compile(r"(?:^|(?<=[.!?)\]]\s))([A-Z][A-Z0-9]*(?:[ ,/&-]+[A-Z0-9]+)*):\s+")


# --- helpers shared with watcher.pubmed.parse --------------------------------------------------


def text_fragment(plain: str) -> str:
    """Plain text as a safe HTML fragment (the form of ``Article.title`` and abstract text)."""
    return html.escape(clean_text(plain), quote=False)


def date_wording(year: str, month: str = "", day: str = "", season: str = "") -> str:
    """PubMed's wording of a structured date, as MEDLINE's DP shows it: "2019 Jan 5"."""
    day = str(int(day)) if day.isdigit() else day
    return " ".join(part for part in (year, month_abbrev(month), day, season) if part)


def month_abbrev(month: str) -> str:
    """PubMed's month wording ("Jan") from a name or a number; unknown words are kept."""
    month = month.strip()
    if month.isdigit():
        number = int(month)
        return MONTHS[number - 1] if 1 <= number <= 12 else month
    number = _MONTH_NUMBER.get(month.lower().rstrip("."))
    return MONTHS[number - 1] if number else month


def parse_date_text(text: str) -> tuple[str | None, int | None]:
    """ISO partial date and year from PubMed's date wording ("2019 Jan-Feb" → "2019-01").

    A range gives its start; a season or quarter gives the year only, because an ISO date
    cannot say "Spring" and guessing a month would be made-up precision.
    """
    match = _DATE_TEXT.match(text.strip())
    if not match:
        found = _ANY_YEAR.search(text)
        return (found.group(1), int(found.group(1))) if found else (None, None)
    year = int(match["year"])
    month = _MONTH_NUMBER.get((match["word"] or "").lower())
    if month is None:
        return f"{year:04d}", year
    if match["day"]:
        try:
            return dt.date(year, month, int(match["day"])).isoformat(), year
        except ValueError:
            pass
    return f"{year:04d}-{month:02d}", year


def iso_date(year: str, month: str, day: str) -> str | None:
    """ "2019", "1", "5" → "2019-01-05"; None when PubMed's parts are not a real date."""
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except (TypeError, ValueError):
        return None


# --- MEDLINE ----------------------------------------------------------------------------------


def parse_medline(text: str, *, source: str = "MEDLINE text") -> list[Article]:
    """All records in a MEDLINE document, in file order; ``raw`` is each record's own text."""
    return list(iter_medline(text.lstrip("\ufeff").splitlines(), source=source))


def iter_medline(lines: Iterable[str], *, source: str = "MEDLINE text") -> Iterator[Article]:
    """The records of a MEDLINE document's lines (without line ends), one at a time, so that a
    file of any size is read in little memory."""
    for number, (first_line, block) in enumerate(_record_blocks(lines, source), start=1):
        fields = _join_continuations(block)
        record = Medline.read(field + "\n" for field in fields)
        pmid = record.get("PMID", "").strip()
        if not pmid:
            raise ParseError(
                f"{source}: record {number} (line {first_line}) has no PMID field; "
                "save the file from PubMed again in MEDLINE format"
            )
        raw = "\n".join(block) + "\n"
        yield _article_from_medline(record, fields, pmid, raw)


def _record_blocks(lines: Iterable[str], source: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, lines) per record; records are separated by blank lines.

    Splitting here rather than in Bio.Medline keeps each record's own text for ``raw``.
    """
    block: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip() and not line.startswith("      "):
            if block:
                yield start, block
            block = []
            continue
        if not line.startswith("      ") and not _FIELD_LINE.match(line):
            shown = line if len(line) <= 40 else line[:40] + "…"
            raise ParseError(f"{source}: line {number} is not a MEDLINE field ({shown!r})")
        if not block:
            if line.startswith("      "):
                raise ParseError(f"{source}: line {number} continues a field that never began")
            start = number
        block.append(line)
    if block:
        yield start, block


def _join_continuations(lines: list[str]) -> list[str]:
    """One line per field value. Bio.Medline joins continuation lines only for some fields
    and makes the others (AU, CIN, RIN, ...) separate values, which would split a long
    "RIN - ... PMID:" / "      12345" in two."""
    fields: list[str] = []
    for line in lines:
        if line.startswith("      ") and fields:
            fields[-1] = f"{fields[-1]} {line.strip()}".rstrip()
        else:
            fields.append(line.rstrip())
    return fields


def _in_file_order(
    fields: list[str], record: Medline.Record, tags: set[str]
) -> Iterator[tuple[str, str]]:
    """(tag, value) for repeated fields in file order; Bio.Medline groups values by tag."""
    remaining = {tag: iter(record.get(tag, [])) for tag in tags}
    for line in fields:
        tag = line[:4].rstrip()
        if tag in remaining:
            value = next(remaining[tag], None)
            if value is not None:
                yield tag, value


def _article_from_medline(
    record: Medline.Record, fields: list[str], pmid: str, raw: str
) -> Article:
    ordered_people = _in_file_order(fields, record, {"AU", "CN"})
    corrections = tuple(
        _correction(CORRECTION_TAGS[tag], value)
        for tag, value in _in_file_order(fields, record, set(CORRECTION_TAGS))
    )
    publication_types = tuple(clean_text(pt) for pt in record.get("PT", []))
    dp = clean_text(record.get("DP", ""))
    pub_date, pub_year = parse_date_text(dp) if dp else (None, None)
    return Article(
        pmid=pmid,
        title=text_fragment(record.get("TI", "")),
        abstract=split_abstract(record.get("AB", "")),
        authors=tuple(clean_text(name) for _, name in ordered_people),
        journal=clean_text(record.get("JT", "")),
        journal_abbrev=clean_text(record.get("TA", "")),
        pub_date=pub_date,
        pub_year=pub_year,
        pub_date_text=dp,
        entrez_date=_slash_date(record.get("EDAT", "")),
        create_date=_slash_date(" ".join(record.get("CRDT", [])[:1])),
        revised_date=_compact_date(record.get("LR", "")),
        doi=_medline_doi(record),
        pmcid=record.get("PMC", "").strip() or None,
        publication_types=publication_types,
        mesh_terms=tuple(_mesh_descriptor(term) for term in record.get("MH", [])),
        keywords=tuple(clean_text(term) for term in record.get("OT", [])),
        languages=tuple(clean_text(lang) for lang in record.get("LA", [])),
        corrections=corrections,
        retracted="Retracted Publication" in publication_types
        or any(c.ref_type in RETRACTING_LINKS for c in corrections),
        source_format="medline",
        raw=raw,
        volume=clean_text(record.get("VI", "")),
        issue=clean_text(record.get("IP", "")),
        pages=clean_text(record.get("PG", "")),
        databanks=tuple(_databank(value) for value in record.get("SI", [])),
        coi_statement=_joined(record.get("COIS", "")),
        grants=tuple(_grant(value) for value in record.get("GR", [])),
    )


def _joined(value: str | list[str]) -> str:
    """A field Bio.Medline gives as a string or as a list of lines, as one text."""
    return clean_text(" ".join(value) if isinstance(value, list) else value)


def _databank(value: str) -> DataBankEntry:
    """SI "ClinicalTrials.gov/NCT01234567" → bank and accession number."""
    bank, _, accession = clean_text(value).partition("/")
    return DataBankEntry(bank, accession) if accession else DataBankEntry("", bank)


def _grant(value: str) -> Grant:
    """GR "R01 AR012345/AR/NIAMS NIH HHS/United States" → id, acronym, agency, country.

    NCBI leaves out the parts a grant lacks, so three parts are id/agency/country and two are
    agency/country.
    """
    parts = [clean_text(part) for part in value.split("/")]
    if len(parts) >= 4:
        *number, acronym, agency, country = parts
        return Grant(agency, "/".join(number), acronym, country)
    if len(parts) == 3:
        return Grant(parts[1], parts[0], "", parts[2])
    if len(parts) == 2:
        return Grant(parts[0], "", "", parts[1])
    return Grant(clean_text(value))


def split_abstract(text: str) -> tuple[AbstractSection, ...]:
    """MEDLINE flattens structured abstracts to "BACKGROUND: … METHODS: …"; undo that.

    Only an abstract that starts with a label and has at least two is split, so an acronym
    and a colon in an unstructured abstract ("HIV: a review …") stay text.
    """
    text = clean_text(text)
    if not text:
        return ()
    labels = list(_AB_LABEL.finditer(text))
    if len(labels) < 2 or labels[0].start() != 0:
        return (AbstractSection("", text_fragment(text)),)
    sections = []
    for here, after in zip(labels, [*labels[1:], None], strict=True):
        end = after.start() if after else len(text)
        sections.append(AbstractSection(here.group(1), text_fragment(text[here.end() : end])))
    return tuple(sections)


def _correction(ref_type: str, value: str) -> Correction:
    """ "J Synth Res. 2025;12(6):500. PMID: 39000099" → source and PMID."""
    value = clean_text(value)
    match = _REF_PMID.search(value)
    pmid = match.group(1) if match else None
    source = value[: match.start()] if match else value
    return Correction(ref_type=ref_type, source=source.strip().removesuffix("."), pmid=pmid)


def _medline_doi(record: Medline.Record) -> str | None:
    for value in [*record.get("AID", []), record.get("LID", "")]:
        match = _DOI.search(value)
        if match:
            return match.group(1)
    return None


def _mesh_descriptor(term: str) -> str:
    """ "Calcium/*metabolism" → "Calcium"; "*Probiotics" → "Probiotics"."""
    return clean_text(term.split("/", 1)[0].lstrip("*"))


def _slash_date(value: str) -> str | None:
    """EDAT/CRDT "2019/01/05 06:00" → "2019-01-05"."""
    parts = value.split(" ", 1)[0].split("/")
    return iso_date(*parts) if len(parts) == 3 else None


def _compact_date(value: str) -> str | None:
    """LR "20250102" → "2025-01-02"."""
    value = value.strip()
    if len(value) != 8 or not value.isdigit():
        return None
    return iso_date(value[:4], value[4:6], value[6:])
