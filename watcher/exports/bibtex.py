"""BibTeX for LaTeX users and the reference managers that read it (JabRef, Zotero).

Keys are unique and readable: first author's last name (ASCII), year, first title word
(``garcialopez2019percutaneous``, then ``…b``, ``…c`` on a clash). Every value is braced and
its LaTeX specials escaped (``& % $ # _ { } ~ ^ \\``), so a title or abstract cannot break the
file; letters outside ASCII stay as UTF-8, which biber and bibtexparser read. A group author
is braced whole so it is not split into first and last names. Page ranges use ``--``.
"""

from __future__ import annotations

import re
import unicodedata
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

_SPECIALS = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
    "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}  # fmt: skip
_SPECIAL = re.compile("|".join(re.escape(c) for c in _SPECIALS))
_STOP = {"a", "an", "the", "of", "on", "in", "for", "and", "to", "with", "synthetic"}


def escape(text: str) -> str:
    """Plain text as a safe BibTeX value: specials escaped, white space collapsed."""
    return _SPECIAL.sub(lambda m: _SPECIALS[m.group()], " ".join(text.split()))


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def _key_stem(row: Row) -> str:
    a = row.article
    last = split_author(a.authors[0])[0] if a.authors else "anonymous"
    words = [w for w in re.findall(r"[^\W\d_]+", a.plain_title.lower()) if w not in _STOP]
    return f"{_ascii(last) or 'anonymous'}{a.pub_year or ''}{_ascii(words[0]) if words else ''}"


def _authors(names: tuple[str, ...]) -> str:
    parts = []
    for name in names:
        last, initials = split_author(name)
        parts.append(f"{escape(last)}, {escape(initials)}" if initials else f"{{{escape(last)}}}")
    return " and ".join(parts)


def bibtex_entry(row: Row, key: str) -> str:
    a = row.article
    first, last = page_range(a.pages)
    notes = ([SYNTHETIC_NOTE] if row.synthetic else []) + evidence_notes(row.evidence)
    keywords = [*a.mesh_terms, *a.keywords, *evidence_keywords(row.evidence)]
    fields = [
        ("author", _authors(a.authors)),
        ("title", f"{{{escape(a.plain_title)}}}"),  # double braces: keep its capitals
        ("journal", escape(a.journal or a.journal_abbrev)),
        ("year", str(a.pub_year or "")),
        ("volume", escape(a.volume)),
        ("number", escape(a.issue)),
        ("pages", escape(f"{first}--{last}" if last else first)),
        ("doi", escape(a.doi or "")),
        ("pmid", a.pmid),
        ("url", pubmed_url(a.pmid)),
        ("abstract", escape(a.plain_abstract)),
        ("keywords", escape(", ".join(dict.fromkeys(k.replace(",", ";") for k in keywords)))),
        ("note", escape(" | ".join(notes))),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@article{{{key},\n{body}\n}}\n"


def to_bibtex(rows: Iterable[Row]) -> str:
    entries, used = [], set()
    for row in rows:
        stem = _key_stem(row)
        key, n = stem, 0
        while key in used:
            n += 1
            key = f"{stem}{chr(ord('a') + n)}" if n < 26 else f"{stem}-{row.article.pmid}"
        used.add(key)
        entries.append(bibtex_entry(row, key))
    return "\n".join(entries)
