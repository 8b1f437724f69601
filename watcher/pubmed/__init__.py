"""Talking to PubMed and reading what comes back: E-utilities through Bio.Entrez, PubMed XML
and MEDLINE text → :class:`~watcher.records.Article`.

    client.py    E-utilities client: base URL, timeout, rate limit, retries, history, batching,
                 ELink (cited-in, similar articles)
    parse.py     PubMed XML (``Entrez.read``, ``escape=True``) → ``Article``; reading files
    prescan.py   the plain-expat pass before Bio.Entrez: errors with lines, raw slices, DTDs
    links.py     ELink replies → the links of each id (cited-in, similar articles)
    medline.py   MEDLINE text (``Bio.Medline``) → ``Article``; the dates and text both share

It reads only the shared foundation and the config; the local E-utilities server that tests
and the demo point it at is ``watcher.localpubmed``, apart from this production path.
"""

from watcher.pubmed.client import EntrezClient, SearchResult
from watcher.pubmed.links import Link
from watcher.pubmed.medline import parse_medline
from watcher.pubmed.parse import parse_pubmed_xml, read_records, wrap_articles

__all__ = [
    "EntrezClient",
    "Link",
    "SearchResult",
    "parse_medline",
    "parse_pubmed_xml",
    "read_records",
    "wrap_articles",
]
