"""A :class:`SyntheticRecord` rendered as NCBI's efetch renders a ``<PubmedArticle>``.

Apart from the generator (:mod:`~watcher.localpubmed.synthetic`) because records are also
written by hand: the bundled sample was written record by record and rendered once, and tests
build records with exactly the dates they need. The element order, indentation and NLM unique
IDs follow efetch, so that Bio.Entrez reads these records as it reads real ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from xml.sax.saxutils import escape, quoteattr

from watcher.records import Correction

XML_DECLARATION = '<?xml version="1.0" ?>'
DOCTYPE = (
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">'
)
TITLE_PREFIX = "[SYNTHETIC] "
COPYRIGHT = "Synthetic record made for mildwatch; not a real publication."

PUBLICATION_TYPES = {
    "Journal Article": "D016428", "Randomized Controlled Trial": "D016449",
    "Clinical Trial": "D016430", "Multicenter Study": "D016448", "Review": "D016454",
    "Systematic Review": "D000078182", "Meta-Analysis": "D017418", "Case Reports": "D002363",
    "Comparative Study": "D003160", "Observational Study": "D064888",
    "Practice Guideline": "D017065", "Retracted Publication": "D016441",
    "Retraction of Publication": "D016440", "Published Erratum": "D016425",
    "English Abstract": "D004740", "Letter": "D016422",
}  # fmt: skip
MESH = {
    "Spinal Stenosis": "D013130", "Lumbar Vertebrae": "D008159",
    "Decompression, Surgical": "D003669", "Ligamentum Flavum": "D017845", "Humans": "D006801",
    "Aged": "D000368", "Aged, 80 and over": "D000369", "Middle Aged": "D008875",
    "Male": "D008297", "Female": "D005260", "Treatment Outcome": "D016896",
    "Intermittent Claudication": "D007383", "Minimally Invasive Surgical Procedures": "D019060",
    "Prospective Studies": "D011446", "Retrospective Studies": "D012189",
    "Follow-Up Studies": "D005500", "Pain Measurement": "D010147",
    "Disability Evaluation": "D004185", "Injections, Epidural": "D015360",
    "Glucocorticoids": "D005938", "Postoperative Complications": "D011183",
    "Hematoma, Epidural, Spinal": "D020758", "Dura Mater": "D004388",
    "Surgical Wound Infection": "D013530", "Reoperation": "D012086",
    "Cost-Benefit Analysis": "D003362", "Medicare": "D008499", "United States": "D014481",
    "Insurance, Health, Reimbursement": "D007348", "Fluoroscopy": "D005471",
    "Magnetic Resonance Imaging": "D008279", "Hypertrophy": "D006984", "Laminectomy": "D007796",
    "Cognitive Dysfunction": "D060825", "Brain Concussion": "D001924",
    "Brain Injuries, Traumatic": "D000070642", "Endoscopy": "D004724",
    "Prostheses and Implants": "D019736", "Practice Guidelines as Topic": "D017410",
    "Pain Management": "D059408", "Practice Patterns, Physicians'": "D010818",
    "Quality of Life": "D011788", "Severity of Illness Index": "D012720",
    "Patient Selection": "D018579", "Exercise Therapy": "D005081", "Registries": "D012042",
    "Anticoagulants": "D000925", "Neuropsychological Tests": "D009483",
    "Lumbosacral Region": "D008161", "Spinal Fusion": "D013123", "Germany": "D005858",
    "Post-Concussion Syndrome": "D038223", "Costs and Cost Analysis": "D003365",
    "Low Back Pain": "D017116", "Cerebrospinal Fluid Leak": "D065634", "Walking": "D016138",
    "Intraoperative Complications": "D007431", "Alzheimer Disease": "D000544",
    "Disease Progression": "D018450", "Spinal Puncture": "D013129",
    "Anti-Bacterial Agents": "D000900", "Diabetes Mellitus, Type 2": "D003924",
    "Staphylococcal Infections": "D013203", "Randomized Controlled Trials as Topic": "D016032",
    "Physicians": "D010820", "Markov Chains": "D008390", "Quality-Adjusted Life Years": "D019057",
    "Delirium": "D003693", "Intervertebral Disc Displacement": "D007405",
    "Spondylolisthesis": "D013168",
}  # fmt: skip
QUALIFIERS = {
    "surgery": "Q000601", "adverse effects": "Q000009", "methods": "Q000379",
    "economics": "Q000191", "diagnostic imaging": "Q000000981", "therapy": "Q000628",
    "complications": "Q000150", "etiology": "Q000209", "drug therapy": "Q000188",
    "pathology": "Q000473", "statistics & numerical data": "Q000706",
    "rehabilitation": "Q000534", "trends": "Q000639", "standards": "Q000592",
    "diagnosis": "Q000175", "psychology": "Q000523", "administration & dosage": "Q000008",
    "injuries": "Q000293", "epidemiology": "Q000453", "therapeutic use": "Q000627",
}  # fmt: skip
_NLM_CATEGORY = {
    "BACKGROUND": "BACKGROUND", "INTRODUCTION": "BACKGROUND", "CONTEXT": "BACKGROUND",
    "SUMMARY OF BACKGROUND DATA": "BACKGROUND", "OBJECTIVE": "OBJECTIVE",
    "OBJECTIVES": "OBJECTIVE", "PURPOSE": "OBJECTIVE", "STUDY DESIGN": "METHODS",
    "METHODS": "METHODS", "SETTING": "METHODS", "CASE PRESENTATION": "METHODS",
    "RESULTS": "RESULTS", "CONCLUSION": "CONCLUSIONS", "CONCLUSIONS": "CONCLUSIONS",
}  # fmt: skip
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Journal:
    title: str
    iso_abbrev: str
    issn: str
    nlm_id: str
    country: str = "United States"


@dataclass(frozen=True)
class Author:
    """A person (``last_name``, ``fore_name``) or, with ``collective``, a group name."""

    last_name: str
    fore_name: str = ""
    affiliation: str = ""
    collective: bool = False

    @property
    def initials(self) -> str:
        return "".join(part[0].upper() for part in re.split(r"[\s\-]+", self.fore_name) if part)


@dataclass(frozen=True)
class SyntheticRecord:
    """One record to render. ``title``, abstract texts and keywords are XML fragments: escape
    ``&`` and ``<`` yourself; PubMed's inline tags (i, b, u, sup, sub) are allowed.

    ``created`` is the History "pubmed" date; it differs from ``entrez`` for records added to
    PubMed long after publication, whose Entrez date NCBI sets back to the publication date.
    ``labels`` is what a careful reader would tag (shape of the classifier's labelled corpus);
    it is never rendered.
    """

    pmid: int
    title: str
    journal: Journal
    entrez: datetime
    pub_date: date
    abstract: tuple[tuple[str, str], ...] = ()  # (label, text); label "" if unstructured
    authors: tuple[Author, ...] = ()
    pub_date_parts: int = 2  # 1: year, 2: year and month, 3: full date
    medline_date: str = ""  # e.g. "2019 Jan-Feb", used instead of pub_date
    volume: str = ""
    issue: str = ""
    pages: str = ""  # "229-242"; empty for electronic-only articles
    created: datetime | None = None
    received: date | None = None
    accepted: date | None = None
    indexed: date | None = None  # MEDLINE indexing (DateCompleted); None: not yet indexed
    revised: date | None = None
    status: str = ""  # MedlineCitation Status; default from ``indexed``
    publication_types: tuple[str, ...] = ("Journal Article",)
    mesh: tuple[str, ...] = ()  # "Spinal Stenosis/surgery*": a trailing * marks a major topic
    keywords: tuple[str, ...] = ()
    language: str = "eng"
    vernacular_title: str = ""
    doi: str | None = None
    pmcid: str | None = None
    corrections: tuple[Correction, ...] = ()
    databanks: tuple[tuple[str, str], ...] = ()  # (DataBankName, AccessionNumber)
    grants: tuple[tuple[str, str, str, str], ...] = ()  # (GrantID, Acronym, Agency, Country)
    coi_statement: str = ""  # an XML fragment, like the abstract texts
    references: tuple[tuple[str, str], ...] = ()  # (citation text, cited PMID): ReferenceList
    copyright: str = COPYRIGHT
    labels: dict[str, object] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.title.startswith(TITLE_PREFIX):
            raise ValueError(f"synthetic record {self.pmid}: title must start {TITLE_PREFIX!r}")
        if not (self.pages or self.doi):
            raise ValueError(f"synthetic record {self.pmid}: give pages or a DOI (PubMed's DTD)")


# --- rendering -------------------------------------------------------------------------------

_Node = tuple[str, dict[str, str], "str | list[_Node]"]


def _n(tag: str, content: str | list[_Node], **attrs: str) -> _Node:
    return (tag, attrs, content)


def _emit(node: _Node, depth: int, out: list[str]) -> None:
    tag, attrs, content = node
    pad = "    " * depth
    attr = "".join(f" {key}={quoteattr(value)}" for key, value in attrs.items())
    if isinstance(content, str):
        out.append(f"{pad}<{tag}{attr}>{content}</{tag}>")
        return
    out.append(f"{pad}<{tag}{attr}>")
    for child in content:
        _emit(child, depth + 1, out)
    out.append(f"{pad}</{tag}>")


def _ymd(tag: str, day: date, **attrs: str) -> _Node:
    parts = [_n("Year", str(day.year)), _n("Month", f"{day.month:02d}")]
    return _n(tag, [*parts, _n("Day", f"{day.day:02d}")], **attrs)


def _history(status: str, when: datetime | date) -> _Node:
    parts = [_n("Year", str(when.year)), _n("Month", str(when.month)), _n("Day", str(when.day))]
    if isinstance(when, datetime):
        parts += [_n("Hour", str(when.hour)), _n("Minute", str(when.minute))]
    return _n("PubMedPubDate", parts, PubStatus=status)


def _pub_date(r: SyntheticRecord) -> _Node:
    if r.medline_date:
        return _n("PubDate", [_n("MedlineDate", escape(r.medline_date))])
    parts = [_n("Year", str(r.pub_date.year))]
    if r.pub_date_parts >= 2:
        parts.append(_n("Month", _MONTHS[r.pub_date.month - 1]))
    if r.pub_date_parts >= 3:
        parts.append(_n("Day", f"{r.pub_date.day:02d}"))
    return _n("PubDate", parts)


def _pagination(pages: str) -> _Node:
    first, _, last = pages.partition("-")
    i = 0  # MEDLINE drops the digits the end page shares with the start page: 229-42
    while last and len(first) == len(last) and i < len(last) - 1 and first[i] == last[i]:
        i += 1
    medline = f"{first}-{last[i:]}" if last else first
    kids = [_n("StartPage", first)] + ([_n("EndPage", last)] if last else [])
    return _n("Pagination", [*kids, _n("MedlinePgn", medline)])


def _author(a: Author) -> _Node:
    if a.collective:
        kids = [_n("CollectiveName", escape(a.last_name))]
    else:
        kids = [_n("LastName", escape(a.last_name))]
        if a.fore_name:
            kids += [_n("ForeName", escape(a.fore_name)), _n("Initials", a.initials)]
    if a.affiliation:
        kids.append(_n("AffiliationInfo", [_n("Affiliation", escape(a.affiliation))]))
    return _n("Author", kids, ValidYN="Y")


def _mesh_heading(term: str) -> _Node:
    descriptor, *qualifiers = term.split("/")
    kids = [_major("DescriptorName", descriptor, MESH)]
    kids += [_major("QualifierName", q, QUALIFIERS) for q in qualifiers]
    return _n("MeshHeading", kids)


def _major(tag: str, name: str, table: dict[str, str]) -> _Node:
    bare = name.rstrip("*")
    return _n(tag, escape(bare), UI=_ui(bare, table), MajorTopicYN="Y" if name != bare else "N")


def _ui(name: str, table: dict[str, str]) -> str:
    """NLM's unique ID for a MeSH term or publication type; made-up IDs would look real."""
    if name not in table:
        raise ValueError(f"no NLM unique ID known for {name!r}; add it to synthetic_xml.py's table")
    return table[name]


def _article(r: SyntheticRecord) -> _Node:
    electronic = not r.medline_date  # MedlineDate marks an older, print-only issue
    model = ("Print-Electronic" if electronic else "Print") if r.pages else "Electronic"
    if r.status == "Publisher":  # ahead of print: the issue and pages come later
        model = "Print-Electronic"
    issue = [_n("Volume", r.volume)] if r.volume else []
    issue += [_n("Issue", r.issue)] if r.issue else []
    kids = [
        _n("Journal", [
            _n("ISSN", r.journal.issn, IssnType="Electronic"),
            _n("JournalIssue", [*issue, _pub_date(r)], CitedMedium="Internet"),
            _n("Title", escape(r.journal.title)),
            _n("ISOAbbreviation", escape(r.journal.iso_abbrev)),
        ]),
        _n("ArticleTitle", r.title),
    ]  # fmt: skip
    if r.pages:
        kids.append(_pagination(r.pages))
    if r.doi:
        kids.append(_n("ELocationID", escape(r.doi), EIdType="doi", ValidYN="Y"))
    if r.abstract:
        texts: list[_Node] = []
        for label, text in r.abstract:
            attrs = {"Label": label, "NlmCategory": _NLM_CATEGORY.get(label, "UNASSIGNED")}
            texts.append(_n("AbstractText", text, **(attrs if label else {})))
        copyright_ = [_n("CopyrightInformation", escape(r.copyright))] if r.copyright else []
        kids.append(_n("Abstract", texts + copyright_))
    if r.authors:
        kids.append(_n("AuthorList", [_author(a) for a in r.authors], CompleteYN="Y"))
    kids.append(_n("Language", r.language))
    if r.databanks:
        kids.append(_n("DataBankList", [_databank(name, number) for name, number in r.databanks],
                       CompleteYN="Y"))  # fmt: skip
    if r.grants:
        kids.append(_n("GrantList", [_grant(*grant) for grant in r.grants], CompleteYN="Y"))
    types = [_n("PublicationType", t, UI=_ui(t, PUBLICATION_TYPES)) for t in r.publication_types]
    kids.append(_n("PublicationTypeList", types))
    if r.vernacular_title:
        kids.append(_n("VernacularTitle", r.vernacular_title))
    if electronic:
        kids.append(_ymd("ArticleDate", r.entrez.date(), DateType="Electronic"))
    return _n("Article", kids, PubModel=model)


def _citation(r: SyntheticRecord) -> _Node:
    status = r.status or ("MEDLINE" if r.indexed else "In-Data-Review")
    kids = [_n("PMID", str(r.pmid), Version="1")]
    if r.indexed:
        kids.append(_ymd("DateCompleted", r.indexed))
    kids.append(_ymd("DateRevised", r.revised or r.indexed or (r.created or r.entrez).date()))
    kids.append(_article(r))
    kids.append(_n("MedlineJournalInfo", [
        _n("Country", escape(r.journal.country)),
        _n("MedlineTA", escape(r.journal.iso_abbrev)),
        _n("NlmUniqueID", r.journal.nlm_id),
        _n("ISSNLinking", r.journal.issn),
    ]))  # fmt: skip
    if r.indexed:
        kids.append(_n("CitationSubset", "IM"))
    if r.corrections:
        kids.append(_n("CommentsCorrectionsList", [_correction(c) for c in r.corrections]))
    if r.mesh:
        headings = [_mesh_heading(term) for term in sorted(r.mesh, key=str.lower)]
        kids.append(_n("MeshHeadingList", headings))
    if r.keywords:
        words = [_n("Keyword", k, MajorTopicYN="N") for k in r.keywords]
        kids.append(_n("KeywordList", words, Owner="NOTNLM"))
    if r.coi_statement:
        kids.append(_n("CoiStatement", r.coi_statement))
    return _n("MedlineCitation", kids, Status=status, Owner="NLM")


def _databank(name: str, number: str) -> _Node:
    numbers = _n("AccessionNumberList", [_n("AccessionNumber", escape(number))])
    return _n("DataBank", [_n("DataBankName", escape(name)), numbers])


def _grant(grant_id: str, acronym: str, agency: str, country: str) -> _Node:
    parts = (("GrantID", grant_id), ("Acronym", acronym), ("Agency", agency), ("Country", country))
    return _n("Grant", [_n(tag, escape(value)) for tag, value in parts if value])


def _correction(c: Correction) -> _Node:
    kids = [_n("RefSource", escape(c.source))]
    kids += [_n("PMID", c.pmid, Version="1")] if c.pmid else []
    return _n("CommentsCorrections", kids, RefType=c.ref_type)


def _pubmed_data(r: SyntheticRecord) -> _Node:
    created = r.created or r.entrez
    history = [_history(s, d) for s, d in (("received", r.received), ("accepted", r.accepted)) if d]
    history += [_history("entrez", r.entrez), _history("pubmed", created)]
    medline = datetime.combine(r.indexed, created.time()) if r.indexed else created
    history.append(_history("medline", medline))
    status = "aheadofprint" if r.status == "Publisher" else "ppublish" if r.pages else "epublish"
    ids = [_n("ArticleId", str(r.pmid), IdType="pubmed")]
    ids += [_n("ArticleId", r.pmcid, IdType="pmc")] if r.pmcid else []
    ids += [_n("ArticleId", escape(r.doi), IdType="doi")] if r.doi else []
    kids = [_n("History", history), _n("PublicationStatus", status), _n("ArticleIdList", ids)]
    if r.references:
        kids.append(_n("ReferenceList", [_reference(*ref) for ref in r.references]))
    return _n("PubmedData", kids)


def _reference(citation: str, pmid: str) -> _Node:
    """One cited work: what ELink's cited-in links are made of (at NCBI and locally)."""
    ids = _n("ArticleIdList", [_n("ArticleId", pmid, IdType="pubmed")])
    return _n("Reference", [_n("Citation", escape(citation)), ids])


def render_article(record: SyntheticRecord) -> str:
    """One ``<PubmedArticle>`` element, indented as NCBI's efetch indents it."""
    out: list[str] = []
    _emit(_n("PubmedArticle", [_citation(record), _pubmed_data(record)]), 0, out)
    return "\n".join(out)


def document(raw_articles: Iterable[str]) -> str:
    """A complete PubmedArticleSet document with NCBI's declaration and DOCTYPE."""
    body = "\n".join(raw_articles)
    return f"{XML_DECLARATION}\n{DOCTYPE}\n<PubmedArticleSet>\n{body}\n</PubmedArticleSet>\n"
