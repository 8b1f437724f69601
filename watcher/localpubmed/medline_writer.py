"""efetch's MEDLINE display (``rettype=medline&retmode=text``), written from a record's XML.

A readable subset of NCBI's tags, enough for ``Bio.Medline`` and for the MEDLINE reader in
``watcher.pubmed.medline`` to be tested against the same records the XML path serves.
"""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET

from watcher.localpubmed.index import MONTHS, Record, element_text

_NAMESPACES = (
    'xmlns:mml="http://www.w3.org/1998/Math/MathML" xmlns:xlink="http://www.w3.org/1999/xlink"'
)

_REF_TAGS = {
    "RetractionIn": "RIN", "RetractionOf": "ROF", "ErratumIn": "EIN", "ErratumFor": "EFR",
    "CommentIn": "CIN", "CommentOn": "CON", "UpdateIn": "UIN", "UpdateOf": "UOF",
}  # fmt: skip


def _stamp(el: ET.Element, with_time: bool = True) -> str:
    """A History/Date* element as MEDLINE writes it: "2025/02/15 05:33" or "20250215"."""
    y, m, d, hh, mm = (
        el.findtext(t, "").strip() for t in ("Year", "Month", "Day", "Hour", "Minute")
    )
    m = f"{MONTHS.get(m[:3].casefold(), 0):02d}" if m and not m.isdigit() else m.zfill(2)
    if not with_time:
        return f"{y}{m}{d.zfill(2)}"
    return f"{y}/{m}/{d.zfill(2)} {hh.zfill(2) or '00'}:{mm.zfill(2) or '00'}"


def medline_text(record: Record) -> str:
    """One record in NCBI's MEDLINE display format (a readable subset of its tags)."""
    el = ET.fromstring(f"<x {_NAMESPACES}>{record.xml}</x>")[0]
    cit, art = el.find("MedlineCitation"), el.find("MedlineCitation/Article")
    if cit is None or art is None:
        return f"PMID- {record.pmid}\n"
    lines: list[tuple[str, str]] = [("PMID", record.pmid), ("OWN", cit.get("Owner", "NLM"))]
    lines.append(("STAT", cit.get("Status", "")))
    if (revised := cit.find("DateRevised")) is not None:
        lines.append(("LR", _stamp(revised, with_time=False)))
    lines += [
        ("IS", f"{element_text(i)} ({i.get('IssnType')})") for i in art.iterfind("Journal/ISSN")
    ]
    issue = art.find("Journal/JournalIssue")
    pub = issue.find("PubDate") if issue is not None else None
    dp = " ".join(element_text(e) for e in (pub if pub is not None else ()))
    lines += [("VI", element_text(art.find("Journal/JournalIssue/Volume"))),
              ("IP", element_text(art.find("Journal/JournalIssue/Issue"))), ("DP", dp),
              ("TI", element_text(art.find("ArticleTitle"))),
              ("PG", element_text(art.find("Pagination/MedlinePgn")))]  # fmt: skip
    lines += [
        ("LID", f"{element_text(e)} [{e.get('EIdType')}]") for e in art.iterfind("ELocationID")
    ]
    abstract = " ".join(
        f"{a.get('Label')}: {element_text(a)}" if a.get("Label") else element_text(a)
        for a in art.iterfind("Abstract/AbstractText")
    )
    lines.append(("AB", abstract))
    for a in art.iterfind("AuthorList/Author"):
        if (collective := element_text(a.find("CollectiveName"))) != "":
            lines.append(("CN", collective))
            continue
        last, fore, initials = (
            element_text(a.find(t)) for t in ("LastName", "ForeName", "Initials")
        )
        lines += [("FAU", f"{last}, {fore}" if fore else last), ("AU", f"{last} {initials}")]
    lines += [("LA", element_text(e)) for e in art.iterfind("Language")]
    lines += [("PT", element_text(e)) for e in art.iterfind("PublicationTypeList/PublicationType")]
    lines += [("DEP", _stamp(e, with_time=False)) for e in art.iterfind("ArticleDate")]
    lines += [
        ("SI", f"{element_text(bank.find('DataBankName'))}/{element_text(number)}")
        for bank in art.iterfind("DataBankList/DataBank")
        for number in bank.iterfind("AccessionNumberList/AccessionNumber")
    ]
    for grant in art.iterfind("GrantList/Grant"):
        parts = (element_text(grant.find(t)) for t in ("GrantID", "Acronym", "Agency", "Country"))
        lines.append(("GR", "/".join(parts)))
    lines += [("TA", element_text(cit.find("MedlineJournalInfo/MedlineTA"))),
              ("JT", element_text(art.find("Journal/Title")))]  # fmt: skip
    lines.append(("COIS", element_text(cit.find("CoiStatement"))))
    for ref in cit.iterfind("CommentsCorrectionsList/CommentsCorrections"):
        pmid = element_text(ref.find("PMID"))
        source = element_text(ref.find("RefSource")) + (f" PMID: {pmid}" if pmid else "")
        lines.append((_REF_TAGS.get(ref.get("RefType", ""), "CRF"), source))
    for heading in cit.iterfind("MeshHeadingList/MeshHeading"):
        parts = [("*" if e.get("MajorTopicYN") == "Y" else "") + element_text(e) for e in heading]
        lines.append(("MH", "/".join(parts)))
    lines += [("OT", element_text(k)) for k in cit.iterfind("KeywordList/Keyword")]
    history = {d.get("PubStatus"): d for d in el.iterfind("PubmedData/History/PubMedPubDate")}
    if "entrez" in history:
        lines.append(("EDAT", _stamp(history["entrez"])))
    if (created := history.get("pubmed", history.get("entrez"))) is not None:
        lines.append(("CRDT", _stamp(created)))
    lines += [("PHST", f"{_stamp(d)} [{status}]") for status, d in history.items()]
    for aid in el.iterfind("PubmedData/ArticleIdList/ArticleId"):
        kind = aid.get("IdType", "")
        if kind != "pubmed":
            lines.append(
                ("PMC", element_text(aid))
                if kind == "pmc"
                else ("AID", f"{element_text(aid)} [{kind}]")
            )
    lines.append(("PST", element_text(el.find("PubmedData/PublicationStatus"))))
    return "".join(
        textwrap.fill(f"{tag:<4}- {value}", width=88, subsequent_indent=" " * 6) + "\n"
        for tag, value in lines
        if value
    )
