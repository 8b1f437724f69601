"""Any number of synthetic PubMed records, deterministically, for benchmarks and tests.

Every record says it is synthetic where a reader sees it (a "[SYNTHETIC] " title, invented
journals and authors, DOIs under 10.99999/synthetic., PMIDs PubMed has not reached), while its
text reads like a real abstract so that the search, the evidence classifier and the digest are
exercised honestly. This module sets what a record is (journal, authors, dates, indexing);
:mod:`~watcher.localpubmed.synthetic_abstracts` writes what it says, and
:mod:`~watcher.localpubmed.synthetic_xml` renders it in exactly the shape of NCBI's efetch XML
(it also rendered the bundled sample, ``sample/``).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape, unescape

from watcher.errors import MildwatchError
from watcher.localpubmed.synthetic_abstracts import (
    TOPICS,
    add_harm,
    write_abstract,
    write_disclosure,
)
from watcher.localpubmed.synthetic_xml import (
    TITLE_PREFIX,
    Author,
    Journal,
    SyntheticRecord,
    document,
    render_article,
)

DOI_PREFIX = "10.99999/synthetic."

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


def _record(
    pmid: int, entrez: datetime, topic: str, design: str, rng: random.Random, end: date
) -> SyntheticRecord:
    t = TOPICS[topic]
    draft = add_harm(write_abstract(t, design, rng, entrez.year), t, design, pmid)
    disclosure = write_disclosure(t, pmid)
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
        grants=disclosure.grants, coi_statement=escape(disclosure.coi_statement),
        labels={**draft.labels, "sponsorship": disclosure.sponsorship},
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
    records: list[SyntheticRecord] = []
    by_topic: dict[str, list[SyntheticRecord]] = {}
    for i in range(n):
        entrez = origin + timedelta(seconds=int(seconds * (i + rng.random()) / n))
        topic, design = rng.choice(kinds)
        record = _record(first_pmid + i, entrez, topic, design, rng, end)
        earlier = by_topic.setdefault(topic, [])
        records.append(replace(record, references=_references(record.pmid, earlier, seed)))
        earlier.append(record)
    return records


def _references(
    pmid: int, earlier: list[SyntheticRecord], seed: int
) -> tuple[tuple[str, str], ...]:
    """Up to five recent records on the same topic, as the record's ReferenceList (what
    ELink's cited-in links are made of). A random stream of its own per record, so that adding
    references left every other generated value as it was."""
    pick = random.Random(f"{seed}:{pmid}")
    pool = earlier[-40:]
    cited = pick.sample(pool, min(pick.randint(0, 5), len(pool)))
    return tuple((_citation(r), str(r.pmid)) for r in sorted(cited, key=lambda r: r.pmid))


def _citation(record: SyntheticRecord) -> str:
    """How a reference list cites a record: "Müller I, et al. Title. J Abbrev. 2019." """
    first = record.authors[0] if record.authors else None
    who = f"{first.last_name} {first.initials}, et al. " if first else ""
    title = unescape(record.title).rstrip(".")
    return f"{who}{title}. {record.journal.iso_abbrev}. {record.pub_date.year}."


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
