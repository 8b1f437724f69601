"""Synthetic PubMed records in exactly the shape of NCBI's efetch XML.

Two uses: rendering the bundled sample (``watcher/sample``) and generating any number of
records, deterministically, for benchmarks and tests. Every record says it is synthetic where a
reader sees it (a "[SYNTHETIC] " title, invented journals and authors, DOIs under
10.99999/synthetic., PMIDs PubMed has not reached), while its text reads like a real abstract so
that the search, the evidence classifier and the digest are exercised honestly.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import escape, quoteattr

from watcher.errors import MildwatchError
from watcher.records import Correction

XML_DECLARATION = '<?xml version="1.0" ?>'
DOCTYPE = (
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">'
)
TITLE_PREFIX = "[SYNTHETIC] "
DOI_PREFIX = "10.99999/synthetic."
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
        raise ValueError(f"no NLM unique ID known for {name!r}; add it to synthetic.py's table")
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
    return _n("MedlineCitation", kids, Status=status, Owner="NLM")


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
    return _n("PubmedData", [
        _n("History", history), _n("PublicationStatus", status), _n("ArticleIdList", ids),
    ])  # fmt: skip


def render_article(record: SyntheticRecord) -> str:
    """One ``<PubmedArticle>`` element, indented as NCBI's efetch indents it."""
    out: list[str] = []
    _emit(_n("PubmedArticle", [_citation(record), _pubmed_data(record)]), 0, out)
    return "\n".join(out)


def document(raw_articles: Iterable[str]) -> str:
    """A complete PubmedArticleSet document with NCBI's declaration and DOCTYPE."""
    body = "\n".join(raw_articles)
    return f"{XML_DECLARATION}\n{DOCTYPE}\n<PubmedArticleSet>\n{body}\n</PubmedArticleSet>\n"


# --- generation ------------------------------------------------------------------------------

JOURNALS = {
    "spine": Journal("Synthetic Journal of Spine Interventions", "Synth J Spine Interv",
                     "9999-0101", "999000101"),
    "pain": Journal("Synthetic Pain Medicine Reports", "Synth Pain Med Rep", "9999-0102",
                    "999000102"),
    "radiology": Journal("Synthetic Radiology and Intervention", "Synth Radiol Interv",
                         "9999-0103", "999000103", "England"),
    "surgery": Journal("Synthetic Neurosurgery Letters", "Synth Neurosurg Lett", "9999-0104",
                       "999000104", "Switzerland"),
    "economics": Journal("Synthetic Health Economics in Surgery", "Synth Health Econ Surg",
                         "9999-0105", "999000105"),
    "cognition": Journal("Synthetic Journal of Cognitive Aging", "Synth J Cogn Aging",
                         "9999-0106", "999000106", "Netherlands"),
    "trauma": Journal("Synthetic Brain Injury Research", "Synth Brain Inj Res", "9999-0107",
                      "999000107", "England"),
}  # fmt: skip
_LAST = ("Müller", "Ødegård", "García-López", "Okonkwo", "Lindqvist", "Kowalczyk", "Ibáñez",
         "Novák", "Yılmaz", "Þórsdóttir", "Dubois-Lefèvre", "Achterberg", "Halvorsen",
         "Nakashima", "Brennan", "Quiroga", "Zielińska", "Amadou", "Petrović",
         "Saarinen")  # fmt: skip
_FORE = ("Ingrid", "Tomasz", "Ana María", "Chidi", "Lars", "Éloïse", "Jonas", "Mehmet",
         "Sigrún", "Jean-Luc", "Priya", "Kenji", "Rafael", "Aoife", "Dmitri",
         "Wen")  # fmt: skip
_PLACES = (
    "Department of Pain Medicine, Example University Hospital, Springfield, USA.",
    "Spine Unit, Synthetic Medical College, Northbridge, United Kingdom.",
    "Department of Radiology, Placeholder General Hospital, Lakeside, Canada.",
    "Department of Neurosurgery, Imaginary University Hospital, Riverton, Norway.",
)
_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen")  # fmt: skip
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_MILD_NAMES = ("Minimally invasive lumbar decompression", "The mild® procedure",
               "Percutaneous image-guided lumbar decompression")  # fmt: skip
_SPINE_MESH = ("Aged", "Humans", "Lumbar Vertebrae/surgery", "Spinal Stenosis/surgery*",
               "Treatment Outcome")  # fmt: skip
_MILD_BACKGROUND = (
    "Hypertrophy of the ligamentum flavum is a major contributor to central canal stenosis. "
    "Minimally invasive lumbar decompression (mild) debulks the ligamentum flavum through a "
    "5-mm portal under fluoroscopic guidance."
)


class _Topic(NamedTuple):
    relevant: bool
    name: str
    condition: str
    comparator: str
    outcome: str
    journal: str
    mesh: tuple[str, ...]
    background: str


_TOPICS = {
    "mild": _Topic(True, "", "lumbar spinal stenosis with neurogenic claudication",
                   "epidural steroid injection", "the Oswestry Disability Index", "pain",
                   ("Decompression, Surgical/methods*", "Ligamentum Flavum/surgery",
                    *_SPINE_MESH), _MILD_BACKGROUND),
    "endoscopic": _Topic(False, "Full-endoscopic minimally invasive lumbar decompression",
                         "lateral recess stenosis", "microscopic decompression",
                         "the Oswestry Disability Index", "surgery",
                         ("Endoscopy/methods*", *_SPINE_MESH),
                         "Endoscopic techniques aim to limit muscle injury during decompression."),
    "tubular": _Topic(False, "Tubular minimally invasive lumbar decompression",
                      "degenerative lumbar spinal stenosis", "open laminectomy",
                      "the Oswestry Disability Index", "surgery",
                      ("Minimally Invasive Surgical Procedures*", *_SPINE_MESH),
                      "Unilateral tubular approaches allow bilateral decompression."),
    "laminectomy": _Topic(False, "Open decompressive laminectomy",
                          "mild to moderate lumbar spinal stenosis", "nonoperative care",
                          "the Zurich Claudication Questionnaire", "surgery",
                          ("Laminectomy*", *_SPINE_MESH),
                          "Percutaneous image-guided lumbar decompression has been proposed for "
                          "less severe stenosis, yet open laminectomy remains the reference."),
    "spacer": _Topic(False, "An interspinous process spacer",
                     "lumbar spinal stenosis with intermittent claudication",
                     "decompressive laminectomy", "the Zurich Claudication Questionnaire",
                     "spine", ("Prostheses and Implants*", *_SPINE_MESH),
                     "Interspinous spacers limit extension at the stenotic level."),
    "esi": _Topic(False, "Interlaminar epidural steroid injection", "lumbar spinal stenosis",
                  "lidocaine injection alone", "the Roland-Morris Disability Questionnaire",
                  "pain", ("Aged", "Glucocorticoids/administration & dosage*", "Humans",
                           "Injections, Epidural*", "Spinal Stenosis/drug therapy*"),
                  "Epidural corticosteroids are widely used for neurogenic claudication."),
    "mci": _Topic(False, "A multicomponent exercise programme", "mild cognitive impairment",
                  "health education", "the Montreal Cognitive Assessment", "cognition",
                  ("Aged", "Cognitive Dysfunction/therapy*", "Exercise Therapy*", "Humans"),
                  "Mild cognitive impairment often precedes dementia in older adults."),
    "mtbi": _Topic(False, "Early vestibular rehabilitation", "mild traumatic brain injury",
                   "usual care", "the Rivermead Post-Concussion Symptoms Questionnaire",
                   "trauma", ("Brain Concussion/rehabilitation*", "Humans",
                              "Post-Concussion Syndrome"),
                   "Persistent symptoms after mild traumatic brain injury delay return to work."),
}  # fmt: skip
# (topic, design, weight): about two thirds MILD, the rest near-misses a loose search catches
_KINDS = (("mild", "rct", 6), ("mild", "prospective_cohort", 12), ("mild", "case_report", 4),
          ("mild", "retrospective_cohort", 12), ("mild", "case_series", 6),
          ("mild", "systematic_review_meta_analysis", 3), ("mild", "narrative_review", 3),
          ("mild", "economic_analysis", 3), ("mild", "guideline_consensus", 2),
          ("endoscopic", "prospective_cohort", 3), ("tubular", "retrospective_cohort", 3),
          ("laminectomy", "rct", 3), ("spacer", "prospective_cohort", 3), ("esi", "rct", 3),
          ("mci", "rct", 4), ("mtbi", "prospective_cohort", 3))  # fmt: skip
_DESIGN_TYPES = {
    "rct": ("Journal Article", "Multicenter Study", "Randomized Controlled Trial"),
    "prospective_cohort": ("Journal Article", "Observational Study"),
    "case_report": ("Case Reports", "Journal Article"),
    "systematic_review_meta_analysis": ("Journal Article", "Meta-Analysis", "Review",
                                        "Systematic Review"),
    "narrative_review": ("Journal Article", "Review"),
    "guideline_consensus": ("Journal Article", "Practice Guideline"),
}  # fmt: skip
_HOW = {
    "rct": "This was a multicenter randomized controlled trial.",
    "prospective_cohort": "We conducted a prospective cohort study at three centers.",
    "retrospective_cohort": "We retrospectively reviewed a multicenter registry.",
    "case_series": "We report a consecutive case series from a single center.",
}


class _Draft(NamedTuple):
    title: str
    sections: list[tuple[str, str]]
    labels: dict[str, object]


def _words(n: int) -> str:
    tens, ones = divmod(n, 10)
    return _ONES[n] if n < 20 else _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")


def _patients(n: int, rng: random.Random) -> str:
    """A sentence opening naming n patients, phrased the ways real abstracts phrase it."""
    forms = [f"A total of {n:,} patients", f"Consecutive patients (n = {n})"]
    return rng.choice(forms + ([f"{_words(n).capitalize()} patients"] if n < 100 else []))


def _span(months: int, rng: random.Random) -> tuple[str, str]:
    """(title phrase, text phrase) for a follow-up of ``months``."""
    years = months // 12
    if months % 12:
        return f"{months}-month", f"{months} months"
    return rng.choice([
        (f"{months}-month", f"{months} months"),
        (f"{_words(years).capitalize()}-year", f"{_words(years)} years"),
        (f"{years}-yr", f"{years} years"),
    ])  # fmt: skip


def _study(t: _Topic, design: str, rng: random.Random, year: int) -> _Draft:
    """An RCT, cohort or case series; the labels are read off the same random choices."""
    name = rng.choice(_MILD_NAMES) if t.relevant else t.name
    comparator = t.comparator
    if t.relevant and rng.random() < 0.4:
        comparator = "conventional medical management alone"
    short = name[0].lower() + name[1:]
    if design == "rct":
        n = rng.randint(60, 320)
    else:
        upper = {"case_series": 40, "prospective_cohort": 400}.get(design, 1500)
        n = rng.randint(8 if design == "case_series" else 25, upper)
    months: float = rng.choice((3, 6, 12) if design == "case_series" else (6, 12, 24, 36, 60))
    head, span = _span(int(months), rng)
    since = year - 2 - int(months) // 12 - rng.randint(1, 3)  # enrolment, then follow-up
    arm = (
        f"were randomized 1:1 to {short} or {comparator}"
        if design == "rct"
        else f"were treated with {short}"
    )
    methods = (
        f"{_HOW[design]} {_patients(n, rng)} with {t.condition} {arm} between {since} "
        f"and {since + 2}. Outcomes included {t.outcome}, assessed for {span}."
    )
    if design == "retrospective_cohort" and rng.random() < 0.5:
        months, head = round(rng.uniform(4, 20), 1), "mid-term"
        methods = (
            f"{_HOW[design]} {_patients(n, rng)} with {t.condition} who underwent "
            f"{short} between {since} and {since + 2} were identified, with a mean "
            f"follow-up of {months} months."
        )
    rate = rng.randint(45, 80)
    results = [
        f"Mean age was {rng.uniform(62, 76):.1f} years, and symptoms had lasted a median "
        f"of {rng.randint(2, 6)} years. At final follow-up, {rate}% of patients met the "
        f"responder threshold on {t.outcome}"
        + (
            f", compared with {rate - rng.randint(10, 30)}% after {comparator} (P < .001)."
            if design == "rct"
            else "."
        )
    ]
    concerns = ["comparative"] if design == "rct" else []
    concerns += ["long_term_efficacy"] if months >= 24 else []
    if t.relevant and rng.random() < 0.6:
        results.append("No device- or procedure-related serious adverse events occurred.")
        concerns.append("safety")
    if t.relevant and rng.random() < 0.4:
        k = rng.randint(1, max(1, n // 8))
        results.append(
            f"Subsequent lumbar surgery was required in {k} patients ({100 * k / n:.1f}%)."
        )
        concerns.append("reoperation")
    if t.relevant and rng.random() < 0.3:
        results.append(
            "Improvement did not differ by baseline ligamentum flavum thickness or "
            "stenosis severity."
        )
        concerns.append("patient_selection")
    title = {
        "rct": f"{name} versus {comparator} for {t.condition}: {head} results of a randomized "
               "controlled trial",
        "prospective_cohort": f"{head.capitalize()} outcomes of {short} for {t.condition}: a "
                              "prospective cohort study",
        "retrospective_cohort": f"{name} for {t.condition}: a retrospective registry analysis",
        "case_series": f"{name} for {t.condition}: a case series",
    }[design]  # fmt: skip
    sections = [("BACKGROUND", t.background), ("METHODS", methods),
                ("RESULTS", " ".join(results)),
                ("CONCLUSIONS", f"{name} was followed by meaningful improvement in patients "
                                f"with {t.condition}.")]  # fmt: skip
    return _Draft(title, sections, _labels(t, design, months, n, concerns))


def _case_report(t: _Topic, rng: random.Random) -> _Draft:
    name = rng.choice(_MILD_NAMES)
    event, treatment = rng.choice([
        ("a symptomatic epidural hematoma", "urgent evacuation by open laminectomy"),
        ("an incidental dural tear", "bed rest, without further surgery"),
        ("a deep wound infection", "surgical debridement and six weeks of intravenous antibiotics"),
    ])  # fmt: skip
    months = rng.choice((None, 3, 6))
    text = (
        f"{t.background} Complications are rarely reported. We describe a "
        f"{rng.randint(66, 84)}-year-old woman with {t.condition} for {rng.randint(2, 9)} "
        f"years who developed {event} after {name[0].lower() + name[1:]}. She was "
        f"managed with {treatment}."
        + (f" At the {months}-month visit she walked without leg pain." if months else "")
        + " Careful hemostasis and sterile technique remain essential."
    )
    concerns = ["safety"] + (
        ["reoperation"] if "open" in treatment or "surgical" in treatment else []
    )
    title = (
        f"{event.split(' ', 1)[1].capitalize()} after {name[0].lower() + name[1:]}: a case report"
    )
    return _Draft(title, [("", text)], _labels(t, "case_report", months, 1, concerns))


def _synthesis(t: _Topic, design: str, rng: random.Random) -> _Draft:
    """Reviews, economic evaluations and guidelines: no own patients, no own follow-up."""
    name = rng.choice(_MILD_NAMES)
    short = name[0].lower() + name[1:]
    k = rng.randint(5, 21)
    title, body, concerns = {
        "systematic_review_meta_analysis": (
            f"{name} for {t.condition}: a systematic review and meta-analysis",
            f"We searched four databases and included {k} studies. Pooled functional improvement "
            "favoured the procedure over epidural steroid injection; serious adverse events "
            "were rare, and durability beyond two years rests on observational data.",
            ["comparative", "long_term_efficacy", "safety"]),
        "narrative_review": (
            f"{name} for {t.condition}: a narrative review",
            "We review patient selection (ligamentum flavum thicker than 2.5 mm, central canal "
            "stenosis), technique, complications and published outcomes.",
            ["patient_selection", "safety"]),
        "economic_analysis": (
            f"Cost-effectiveness of {short} for {t.condition}",
            f"A Markov model with a {_words(rng.choice([5, 10]))}-year time horizon compared "
            f"{short} with {t.comparator} from a Medicare payer perspective. The incremental "
            f"cost-effectiveness ratio was ${rng.randint(18, 60)},{rng.randint(100, 999)} per "
            "quality-adjusted life-year.",
            ["comparative", "cost_coverage"]),
        "guideline_consensus": (
            f"Consensus recommendations on {short} for {t.condition}",
            f"A panel of {k} interventional pain physicians and spine surgeons graded the "
            "evidence and recommends the procedure for patients with ligamentum flavum "
            "hypertrophy in whom conservative care failed, before repeated epidural steroid "
            "injections.",
            ["comparative", "patient_selection"]),
    }[design]  # fmt: skip
    return _Draft(title, [("", f"{t.background} {body}")], _labels(t, design, None, None, concerns))


def _labels(
    t: _Topic, design: str, months: float | None, n: int | None, concerns: list[str]
) -> dict[str, object]:
    return {
        "relevant_mild": t.relevant,
        "design": design,
        "followup_months": months,
        "sample_size": n,
        "concerns": sorted(concerns) if t.relevant else [],
    }


def _record(
    pmid: int, entrez: datetime, topic: str, design: str, rng: random.Random, end: date
) -> SyntheticRecord:
    t = _TOPICS[topic]
    if design in _HOW:
        draft = _study(t, design, rng, entrez.year)
    else:
        draft = _case_report(t, rng) if design == "case_report" else _synthesis(t, design, rng)
    fresh = (end - entrez.date()).days < 365  # not yet indexed for MEDLINE
    pages = "" if fresh or rng.random() < 0.3 else f"{(p := rng.randint(1, 900))}-{p + 9}"
    k = rng.randint(1, 7)
    names = zip(rng.sample(_LAST, k), rng.sample(_FORE, k), strict=True)
    authors = tuple(Author(last, fore, rng.choice(_PLACES)) for last, fore in names)
    return SyntheticRecord(
        pmid=pmid, title=escape(TITLE_PREFIX + draft.title + "."), journal=JOURNALS[t.journal],
        entrez=entrez, pub_date=entrez.date() + timedelta(days=rng.randint(0, 60) if pages else 0),
        abstract=tuple((label, escape(text)) for label, text in draft.sections),
        authors=authors, pub_date_parts=2 if pages else 3, pages=pages,
        volume=str(entrez.year - 2000 + rng.randint(0, 3)) if pages else "",
        issue=str(rng.randint(1, 12)) if pages else "",
        received=entrez.date() - timedelta(days=rng.randint(60, 240)),
        accepted=entrez.date() - timedelta(days=rng.randint(5, 50)),
        indexed=None if fresh else entrez.date() + timedelta(days=rng.randint(40, 200)),
        status=rng.choice(("Publisher", "In-Data-Review", "PubMed-not-MEDLINE")) if fresh else "",
        publication_types=("Journal Article",) if fresh else
        _DESIGN_TYPES.get(design, ("Journal Article",)),
        mesh=() if fresh else t.mesh,
        keywords=("lumbar spinal stenosis", "ligamentum flavum") if rng.random() < 0.3 else (),
        doi=f"{DOI_PREFIX}{pmid}", pmcid=f"PMC{pmid}" if rng.random() < 0.3 else None,
        labels=draft.labels,
    )  # fmt: skip


def generate_records(
    n: int,
    *,
    seed: int = 0,
    first_pmid: int = 99100001,
    start: date = date(2015, 1, 1),
    end: date = date(2026, 10, 31),
) -> list[SyntheticRecord]:
    """N records, identical for identical arguments; Entrez dates rise with the PMID from
    ``start`` to ``end``, and records from the last year before ``end`` are not yet indexed."""
    if n < 0 or end < start:
        raise ValueError("generate_records needs n >= 0 and start <= end")
    rng = random.Random(seed)
    kinds = [(topic, design) for topic, design, weight in _KINDS for _ in range(weight)]
    seconds = ((end - start).days + 1) * 86400
    origin = datetime(start.year, start.month, start.day)
    records = []
    for i in range(n):
        entrez = origin + timedelta(seconds=int(seconds * (i + rng.random()) / n))
        records.append(_record(first_pmid + i, entrez, *rng.choice(kinds), rng, end))
    return records


def generate_articles(
    n: int,
    *,
    seed: int = 0,
    first_pmid: int = 99100001,
    start: date = date(2015, 1, 1),
    end: date = date(2026, 10, 31),
) -> list[str]:
    """N raw ``<PubmedArticle>`` XML strings; see :func:`generate_records`."""
    records = generate_records(n, seed=seed, first_pmid=first_pmid, start=start, end=end)
    return [render_article(r) for r in records]


def write_corpus(
    folder: Path, n: int, *, seed: int = 0, per_file: int = 500, first_pmid: int = 99100001
) -> list[Path]:
    """Write N generated records as PubMed XML documents of at most ``per_file`` records."""
    if per_file < 1:
        raise ValueError("write_corpus needs per_file >= 1")
    articles = generate_articles(n, seed=seed, first_pmid=first_pmid)
    paths = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(0, n, per_file):
            chunk = articles[i : i + per_file]
            path = folder / f"synthetic-{first_pmid + i}-{first_pmid + i + len(chunk) - 1}.xml"
            path.write_text(document(chunk), encoding="utf-8")
            paths.append(path)
    except OSError as exc:
        raise MildwatchError(
            f"cannot write the synthetic corpus to {folder}: "
            f"{exc.strerror or exc}; choose a writable folder"
        ) from exc
    return paths
