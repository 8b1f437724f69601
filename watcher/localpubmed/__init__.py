"""The local E-utilities server: a test double for PubMed and a demo aid, apart from the
production path (nothing in ``watcher`` imports it but the CLI's ``demo`` and ``localpubmed``
commands; tests and benchmarks use it freely).

    server.py               esearch / efetch / einfo / elink over HTTP like NCBI, faults, log
    links.py                elink: cited-in and references (ReferenceList), similar articles
    replies.py              NCBI's reply shapes: esearch XML, error replies, DOCTYPEs
    index.py                its record store: PubMed XML → searchable records
    medline_writer.py       efetch's MEDLINE text output
    query.py                the PubMed query language librarians use: parsing
    query_eval.py           … and evaluating, with PubMed's quiet failure modes
    synthetic.py            any number of synthetic records, deterministically
    synthetic_abstracts.py  what a synthetic record says, and its labels
    synthetic_xml.py        a synthetic record rendered as NCBI's efetch XML
    sample/                 43 bundled synthetic records ("[SYNTHETIC]", PMIDs 99000001+) + labels

It is deliberately independent of ``watcher.pubmed``: a double must not share the parser it is
used to test.
"""

from pathlib import Path

from watcher.localpubmed.replies import pubmed_doctype
from watcher.localpubmed.server import Fault, LocalPubMed, LoggedRequest, serve_forever

#: The bundled synthetic sample (found next to this package, in a checkout or an installed wheel).
SAMPLE_DIR = Path(__file__).parent / "sample"

__all__ = [
    "SAMPLE_DIR",
    "Fault",
    "LocalPubMed",
    "LoggedRequest",
    "pubmed_doctype",
    "serve_forever",
]
