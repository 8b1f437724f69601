"""RIS, the tagged format Zotero, EndNote and Mendeley import ("TY  - JOUR" … "ER  - ").

One tag a line, ``XX  - value``; authors as "Last, Initials"; the abstract on one line with
its section labels; keywords are the MeSH terms, the author keywords and the evidence tags;
notes carry each tag's snippet. Values are single lines: line breaks become spaces.
"""

from __future__ import annotations

from collections.abc import Iterable

from watcher.exports.common import (
    SYNTHETIC_NOTE,
    Row,
    evidence_keywords,
    evidence_notes,
    page_range,
    pubmed_url,
    split_author,
)


def _line(tag: str, value: str) -> str:
    return f"{tag}  - {' '.join(str(value).split())}"


def ris_record(row: Row) -> list[str]:
    a = row.article
    lines = [_line("TY", "JOUR")]
    for name in a.authors:
        last, initials = split_author(name)
        lines.append(_line("AU", f"{last}, {initials}" if initials else last))
    lines.append(_line("TI", a.plain_title))
    if a.journal:
        lines.append(_line("T2", a.journal))
    if a.journal_abbrev:
        lines.append(_line("JO", a.journal_abbrev))
    if a.pub_year:
        lines.append(_line("PY", str(a.pub_year)))
    if a.pub_date:
        lines.append(_line("DA", a.pub_date.replace("-", "/")))
    first, last = page_range(a.pages)
    for tag, value in (("VL", a.volume), ("IS", a.issue), ("SP", first), ("EP", last),
                       ("DO", a.doi or ""), ("AN", a.pmid)):  # fmt: skip
        if value:
            lines.append(_line(tag, value))
    if a.abstract:
        lines.append(_line("AB", a.plain_abstract))
    for language in a.languages:
        lines.append(_line("LA", language))
    keywords = [*a.mesh_terms, *a.keywords, *evidence_keywords(row.evidence)]
    lines += [_line("KW", k) for k in dict.fromkeys(keywords)]
    notes = [SYNTHETIC_NOTE] if row.synthetic else []
    if a.retracted:
        notes.append("RETRACTED publication: do not rely on its results.")
    notes += evidence_notes(row.evidence)
    lines += [_line("N1", note) for note in notes]
    lines.append(_line("UR", pubmed_url(a.pmid)))
    lines += [_line("DB", "PubMed"), "ER  - "]
    return lines


def to_ris(rows: Iterable[Row]) -> str:
    """The RIS file: records separated by a blank line, CRLF line ends as the spec asks."""
    return "\r\n".join("\r\n".join(ris_record(row)) + "\r\n" for row in rows)
