"""ELink replies (``Entrez.read`` of an eLinkResult) → the links of each source id.

PubMed answers one LinkSet per id when ids are passed as separate ``id=`` parameters (what
Bio.Entrez sends for a list); each LinkSet holds one LinkSetDb per link name
(``pubmed_pubmed`` similar articles with scores, ``pubmed_pubmed_citedin``, …).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from Bio import Entrez

from watcher.errors import EntrezError, ParseError


@dataclass(frozen=True)
class Link:
    """One ELink link: a linked PMID and, for ``pubmed_pubmed`` with scores, its score."""

    pmid: str
    score: int | None = None


def parse_elink(data: bytes, linkname: str) -> dict[str, tuple[Link, ...]]:
    """Source id → its ``linkname`` links (a source id never among its own links)."""
    try:
        link_sets = Entrez.read(io.BytesIO(data))
    except RuntimeError as exc:  # a top-level <ERROR> from NCBI
        raise EntrezError(f"PubMed ELink refused the request: {str(exc).strip()}") from None
    except Exception as exc:  # expat errors, truncated or non-XML replies
        raise ParseError(f"elink reply is not valid XML: {exc}") from None
    found: dict[str, tuple[Link, ...]] = {}
    for link_set in link_sets:
        sources = [str(i) for i in link_set.get("IdList", [])]
        links = tuple(
            Link(str(link["Id"]), int(link["Score"]) if "Score" in link else None)
            for db in link_set.get("LinkSetDb", [])
            if db.get("LinkName") == linkname
            for link in db.get("Link", [])
            if str(link["Id"]) not in sources
        )
        for source in sources:
            found[source] = links
    return found
