"""ELink over the local corpus, answered in NCBI's eLinkResult shape.

Three PubMed-to-PubMed links, as NCBI names them:

* ``pubmed_pubmed_citedin``: the records whose ReferenceList cites the given one (newest PMID
  first, as NCBI lists them);
* ``pubmed_pubmed_refs``: the records the given one cites, among those in the corpus;
* ``pubmed_pubmed``: similar articles, by TF-IDF cosine over title, abstract, keywords and
  MeSH, scored as NCBI scores them (integers, the record itself first with the top score).

``cmd=neighbor`` lists ids; ``cmd=neighbor_score`` adds each similar article's ``<Score>``.
Ids passed as separate ``id=`` parameters get one LinkSet each (what Bio.Entrez sends for a
list); a comma-separated ``id=`` is one LinkSet whose links are pooled, as at NCBI.
The shapes follow NCBI's recorded replies that Biopython keeps in its Tests/Entrez.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Sequence
from xml.sax.saxutils import escape

from watcher.localpubmed.index import RecordIndex, SearchDoc
from watcher.localpubmed.query import tokens
from watcher.localpubmed.replies import XML_DECLARATION, Reply

ELINK_DOCTYPE = (
    '<!DOCTYPE eLinkResult PUBLIC "-//NLM//DTD elink 20101123//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20101123/elink.dtd">\n'
)
LINK_NAMES = ("pubmed_pubmed", "pubmed_pubmed_citedin", "pubmed_pubmed_refs")
COMMANDS = ("neighbor", "neighbor_score")
MAX_SIMILAR = 100  # NCBI lists a few hundred at most; the corpus is small
SCORE_SCALE = 100_000_000  # cosine 1.0 → 100,000,000, the order of NCBI's scores
_STOPWORD_TEXT = """a an and are as at be by for from had has have in into is it its of on or our
than that the their there these this those to was were which while who with we after before both
between during each more most no not only other over per such under up versus vs"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


class Links:
    """The link tables of a :class:`RecordIndex`, rebuilt when its records change."""

    def __init__(self, index: RecordIndex) -> None:
        self._index = index
        self._lock = threading.Lock()
        self._generation = -1
        self._cited_in: dict[str, list[str]] = {}
        self._refs: dict[str, list[str]] = {}
        self._vectors: dict[str, dict[str, float]] = {}

    def _refresh(self) -> None:
        with self._lock:
            if self._generation == self._index.generation:
                return
            generation = self._index.generation
            docs = self._index.docs()
            known = {d.pmid for d in docs}
            cited_in: dict[str, list[str]] = {}
            refs: dict[str, list[str]] = {}
            for doc in docs:
                refs[doc.pmid] = [p for p in dict.fromkeys(doc.references) if p in known]
                for cited in refs[doc.pmid]:
                    cited_in.setdefault(cited, []).append(doc.pmid)
            self._cited_in = {k: sorted(v, key=int, reverse=True) for k, v in cited_in.items()}
            self._refs = refs
            self._vectors = _tfidf(docs)
            self._generation = generation

    def linked(self, pmids: Sequence[str], linkname: str) -> list[tuple[str, int | None]]:
        """The links of a group of ids (pooled, each id once, best score kept)."""
        self._refresh()
        if linkname == "pubmed_pubmed":
            best: dict[str, int] = {}
            for pmid in pmids:
                for other, score in self._similar(pmid):
                    best[other] = max(score, best.get(other, 0))
            ranked = sorted(best.items(), key=lambda kv: (-kv[1], -int(kv[0])))
            return [(pmid, score) for pmid, score in ranked[:MAX_SIMILAR]]
        table = self._cited_in if linkname == "pubmed_pubmed_citedin" else self._refs
        found = {p for pmid in pmids for p in table.get(pmid, ())}
        return [(p, None) for p in sorted(found, key=int, reverse=True)]

    def _similar(self, pmid: str) -> list[tuple[str, int]]:
        mine = self._vectors.get(pmid)
        if not mine:
            return []
        scored = []
        for other, vector in self._vectors.items():
            cosine = sum(weight * vector.get(term, 0.0) for term, weight in mine.items())
            if cosine > 0:
                scored.append((other, round(min(cosine, 1.0) * SCORE_SCALE)))
        return scored


def _terms(doc: SearchDoc) -> list[str]:
    text = " ".join([doc.title, *doc.abstract, *doc.keywords, *doc.mesh])
    return [t for t in tokens(text) if len(t) > 2 and t not in _STOPWORDS and not t.isdigit()]


def _tfidf(docs: Sequence[SearchDoc]) -> dict[str, dict[str, float]]:
    """Unit-length TF-IDF vectors (sublinear tf, smoothed idf) per PMID."""
    counts = {d.pmid: Counter(_terms(d)) for d in docs}
    df: Counter[str] = Counter(term for c in counts.values() for term in c)
    n = len(docs)
    vectors = {}
    for pmid, counter in counts.items():
        weights = {
            t: (1 + math.log(c)) * (math.log((1 + n) / (1 + df[t])) + 1) for t, c in counter.items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        vectors[pmid] = {t: w / norm for t, w in weights.items()}
    return vectors


def elink_reply(links: Links, params: dict[str, str], id_params: Sequence[str]) -> Reply:
    """The eLinkResult for one request (``params`` lower-cased, ``id_params`` every ``id=``
    value in the order sent)."""
    dbfrom = params.get("dbfrom", "").strip()
    db = params.get("db", "").strip() or dbfrom
    cmd = params.get("cmd", "").strip().casefold() or "neighbor"
    linkname = params.get("linkname", "").strip()
    if dbfrom != "pubmed" or db != "pubmed":
        return _error(f"Invalid db name specified: {dbfrom if dbfrom != 'pubmed' else db}")
    if cmd not in COMMANDS:
        return _error(f"Command not served here: {cmd} (use neighbor or neighbor_score)")
    if linkname and linkname not in LINK_NAMES:
        return _error(f"Invalid linkname specified: {linkname}")
    groups = [g for g in ([i for i in re.split(r"[\s,]+", v) if i] for v in id_params) if g]
    if not groups:
        return _error("Empty id list - nothing todo")
    names = [linkname] if linkname else list(LINK_NAMES)
    sets = [_link_set(links, ids, names, scores=cmd == "neighbor_score") for ids in groups]
    body = f"{XML_DECLARATION}{ELINK_DOCTYPE}<eLinkResult>\n{''.join(sets)}</eLinkResult>\n"
    return Reply(200, body.encode())


def _link_set(links: Links, ids: list[str], names: list[str], *, scores: bool) -> str:
    out = ["<LinkSet>\n\t<DbFrom>pubmed</DbFrom>\n\t<IdList>\n"]
    out += [f"\t\t<Id>{escape(i)}</Id>\n" for i in ids]
    out.append("\t</IdList>\n")
    for name in names:
        found = links.linked(ids, name)
        if not found:
            continue  # NCBI leaves out a LinkSetDb with no links
        out.append(f"\t<LinkSetDb>\n\t\t<DbTo>pubmed</DbTo>\n\t\t<LinkName>{name}</LinkName>\n")
        for pmid, score in found:
            shown = f"<Score>{score}</Score>" if scores and score is not None else ""
            out.append(f"\t\t<Link>\n\t\t\t<Id>{pmid}</Id>{shown}\n\t\t</Link>\n")
        out.append("\t</LinkSetDb>\n")
    out.append("</LinkSet>\n")
    return "".join(out)


def _error(message: str) -> Reply:
    """NCBI answers a failed elink with HTTP 200 and an <ERROR> (Entrez.read raises)."""
    body = f"{XML_DECLARATION}{ELINK_DOCTYPE}<eLinkResult><ERROR>{escape(message)}</ERROR>"
    return Reply(200, (body + "</eLinkResult>\n").encode())
