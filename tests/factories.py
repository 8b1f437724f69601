"""Small builders for tests: synthetic PubMed records with exactly the dates a test needs,
rendered by the project's own synthetic-record renderer (NCBI's efetch shape); an Article
straight from text, as the parser would build it; and the default MILD search, as the
query-language and local-server tests run it."""

from __future__ import annotations

import html
import sqlite3
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from pathlib import Path

from watcher.config import EntrezSettings
from watcher.localpubmed import LocalPubMed
from watcher.localpubmed.synthetic import JOURNALS
from watcher.localpubmed.synthetic_xml import Author, SyntheticRecord, document, render_article
from watcher.pubmed import EntrezClient
from watcher.records import AbstractSection, Article, Correction
from watcher.store import schema
from watcher.store.lean import Database, Migrations

# The bundled profile's default search (watcher/evidence/mild.toml), spelled out: the tests
# that run it pin its translation and hits, so a change to the profile must show up here too
# (test_pubmedquery checks the two agree).
MILD_QUERY = (
    '("minimally invasive lumbar decompression"[tiab] OR "mild procedure"[tiab] OR '
    '"interlaminar decompression"[tiab] OR '
    '"percutaneous image-guided lumbar decompression"[tiab] OR '
    '"image-guided lumbar decompression"[tiab] OR "percutaneous lumbar decompression"[tiab] OR '
    'PILD[tiab] OR "ligamentum flavum debulking"[tiab] OR '
    '"remodeling of the ligamentum flavum"[tiab] OR mild[ti]) AND '
    '(stenosis[tiab] OR "spinal stenosis"[mh] OR claudication[tiab])'
)
# A poll's date window (entered PubMed, or created, in Q1 2024), as watcher.poll.window_term
# writes it.
POLL_WINDOW = "(2024/01/01:2024/03/31[edat] OR 2024/01/01:2024/03/31[crdt])"

MILD_ABSTRACT = (
    ("METHODS", "Patients with lumbar spinal stenosis and neurogenic claudication underwent "
     "percutaneous image-guided lumbar decompression (the mild procedure)."),
    ("RESULTS", "Walking tolerance improved at 12 months."),
)  # fmt: skip


def record(
    pmid: int,
    entrez: date,
    *,
    title: str = "Minimally invasive lumbar decompression for spinal stenosis",
    abstract: tuple[tuple[str, str], ...] = MILD_ABSTRACT,
    created: date | None = None,
    revised: date | None = None,
    publication_types: tuple[str, ...] = ("Journal Article",),
    corrections: tuple[Correction, ...] = (),
    references: tuple[str, ...] = (),
    authors: tuple[Author, ...] | None = None,
    databanks: tuple[tuple[str, str], ...] = (),
) -> str:
    """One <PubmedArticle>; ``title`` gets the [SYNTHETIC] prefix; ``references`` are the
    PMIDs its ReferenceList cites. Each record has an author of its own unless ``authors`` says
    otherwise (a shared author, the same design and the same n make two papers "probably the
    same study")."""
    return render_article(
        SyntheticRecord(
            pmid=pmid,
            title=f"[SYNTHETIC] {title} ({pmid}).",
            journal=JOURNALS["spine"],
            entrez=datetime.combine(entrez, time(6, 0)),
            pub_date=entrez,
            abstract=abstract,
            authors=authors if authors is not None else (Author(f"Testwriter-{pmid}", "Ann"),),
            created=datetime.combine(created, time(6, 0)) if created else None,
            revised=revised,
            publication_types=publication_types,
            corrections=corrections,
            references=tuple((f"A cited work (PMID {p}).", p) for p in references),
            databanks=databanks,
            doi=f"10.99999/synthetic.test.{pmid}",
        )
    )


def xml(records: Iterable[str]) -> str:
    return document(records)


def text_article(
    title: str,
    *sections: str | tuple[str, str],
    pmid: str = "1",
    types: tuple[str, ...] = ("Journal Article",),
    mesh: tuple[str, ...] = (),
    keywords: tuple[str, ...] = (),
) -> Article:
    """An Article as the PubMed parser builds it, from plain text: text as escaped HTML
    fragments; a section is its text or (label, text)."""
    labelled = [s if isinstance(s, tuple) else ("", s) for s in sections]
    return Article(
        pmid=pmid,
        title=html.escape(title, quote=False),
        abstract=tuple(
            AbstractSection(label, html.escape(text, quote=False)) for label, text in labelled
        ),
        publication_types=types,
        mesh_terms=mesh,
        keywords=keywords,
    )


def client_for(server: LocalPubMed, **changes: object) -> EntrezClient:
    """Biopython's real client pointed at a local E-utilities server: an API key of NCBI's
    length (so redaction has something real to hide), retries without long waits."""
    values: dict[str, object] = {
        "email": "tests@example.org",
        "base_url": server.base_url,
        "api_key": "0123456789abcdef0123456789abcdef0123",
        "backoff_seconds": 0.01,
        "max_tries": 3,
    }
    values.update(changes)
    return EntrezClient(EntrezSettings(**values))  # type: ignore[arg-type]


def older_database(path: Path, *, leave_out: Callable[[str], bool]) -> Database:
    """A database at ``path`` as an older mildwatch left it: every shipped migration applied
    but those ``leave_out`` names, which ``Store.open`` then applies (the upgrade under test)."""
    older = Migrations(schema.MIGRATION_SET)
    for name, function in schema.MIGRATIONS:
        if not leave_out(name):
            older(name=name)(function)
    db = Database(sqlite3.connect(path))
    older.apply(db)
    return db
