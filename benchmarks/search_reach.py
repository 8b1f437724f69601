"""How far the default search reaches: its recall and noise on a labelled corpus, measured by
running the saved query through the local E-utilities server's query engine.

    uv run python benchmarks/search_reach.py [LABELLED.jsonl]

Each labelled record (``../shared/corpus/dev.jsonl``'s shape) is rendered as NCBI's efetch XML
with the project's synthetic-record writer (``watcher.localpubmed.synthetic_xml``; its titles
carry the "[SYNTHETIC]" mark, which no query here uses), indexed by the local server's record
index, and searched with the query as PubMed would evaluate it. Recall is over the records
labelled as about MILD; noise is what else the query brings in, which the classifier must
then turn away. The labelled records carry no MeSH terms, so the query's MeSH clause can only
miss there (it reaches indexed records on PubMed itself). ``accuracy.py`` adds this table to
its report for a corpus with text.
"""

from __future__ import annotations

import html
import json
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from watcher.evidence import default_profile_path  # noqa: E402
from watcher.localpubmed.index import RecordIndex  # noqa: E402
from watcher.localpubmed.query import parse_query  # noqa: E402
from watcher.localpubmed.synthetic import JOURNALS  # noqa: E402
from watcher.localpubmed.synthetic_xml import (  # noqa: E402
    PUBLICATION_TYPES,
    TITLE_PREFIX,
    SyntheticRecord,
    document,
    render_article,
)
from watcher.searches import profile_searches  # noqa: E402

# The default search before issue 8 widened it: the anchor the new one is measured against.
PREVIOUS_QUERY = (
    '("minimally invasive lumbar decompression"[tiab] OR "mild procedure"[tiab] OR '
    '"percutaneous image-guided lumbar decompression"[tiab] OR '
    '"image-guided lumbar decompression"[tiab] OR "percutaneous lumbar decompression"[tiab] OR '
    'PILD[tiab] OR "ligamentum flavum debulking"[tiab]) AND '
    '(stenosis[tiab] OR "spinal stenosis"[mh] OR claudication[tiab])'
)


def as_xml_record(record: dict) -> SyntheticRecord:
    """A labelled record as the synthetic writer renders it: "LABEL: text" lines become
    labelled abstract sections, the year the publication and Entrez dates."""
    sections = []
    for line in (record.get("abstract") or "").splitlines():
        label, sep, text = line.partition(": ")
        if not (sep and label.isupper()):
            label, text = "", line
        sections.append((label, html.escape(text.strip(), quote=False)))
    year = int(record.get("year") or 2000)
    types = tuple(t for t in record.get("publication_types") or () if t in PUBLICATION_TYPES)
    return SyntheticRecord(
        pmid=int(record["pmid"]),
        title=TITLE_PREFIX + html.escape(record.get("title") or "", quote=False),
        journal=JOURNALS["spine"],
        entrez=datetime(year, 1, 1),
        pub_date=date(year, 1, 1),
        abstract=tuple(sections),
        pages="1-10",
        publication_types=types or ("Journal Article",),
    )


@dataclass(frozen=True)
class Reach:
    query: str
    found: frozenset[str]
    mild: frozenset[str]
    total: int

    @property
    def hits(self) -> int:
        return len(self.found & self.mild)

    @property
    def recall(self) -> float:
        return self.hits / len(self.mild) if self.mild else 0.0

    @property
    def noise(self) -> int:
        return len(self.found - self.mild)

    @property
    def missed(self) -> list[str]:
        return sorted(self.mild - self.found)


def measure(records: list[dict], query: str) -> Reach:
    """Run ``query`` over ``records`` in the local server's record index."""
    index = RecordIndex()
    index.add_xml(document(render_article(as_xml_record(r)) for r in records), "labelled corpus")
    pmids, _ = index.search(parse_query(query))
    mild = frozenset(str(r["pmid"]) for r in records if r["labels"]["relevant_mild"])
    return Reach(query, frozenset(pmids), mild, len(records))


def default_query() -> str:
    [search] = [s for s in profile_searches(default_profile_path()) if s.name == "mild-outcomes"]
    return search.query


def reach_lines(records: list[dict]) -> list[str]:
    """The report's table: the default search now, beside the one before it."""
    now, before = measure(records, default_query()), measure(records, PREVIOUS_QUERY)
    mild, other = len(now.mild), now.total - len(now.mild)
    rows = [
        "| query | MILD records found (recall) | near-misses found (noise) | MILD missed |",
        "| --- | --- | --- | --- |",
    ]
    for name, reach in (("default search (mild.toml)", now), ("before issue 8", before)):
        rows.append(
            f"| {name} | {reach.hits} of {mild} ({reach.recall:.2f}) | {reach.noise} of {other} "
            f"| {', '.join(reach.missed) or 'none'} |"
        )
    return [
        "### Default search: recall and noise",
        "",
        "The saved query run by the local E-utilities server's query engine over these "
        "records, rendered as PubMed XML (`benchmarks/search_reach.py`); the records have no "
        "MeSH terms, so only the title/abstract clauses can match. Noise is what the "
        "classifier must turn away.",
        "",
        *rows,
    ]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    from benchmarks.accuracy import DEFAULT_CORPUS  # the accuracy report's default corpus

    path = Path(args[0]) if args else DEFAULT_CORPUS
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    print("\n".join(reach_lines(records)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
