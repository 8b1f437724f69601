"""Golden output captured before the performance work (issue 10), so that a faster parser,
classifier or digest path can be shown to give the very same results.

Three fixtures in ``tests/data/golden/``, each made by this module from fixed inputs:

- ``records.jsonl.gz``: for every record of the bundled sample, two test documents and 1,000
  generated records, a hash of the parsed ``Article`` and the classifier's whole output;
- ``digests.json``: hashes of the exact bytes (and of the text and HTML parts) of every
  digest a fixed scenario queues: baselines, updates with news, "nothing new" notes, for
  subscribers with different formats, questions, caps and searches.

``uv run python -m tests.golden`` rewrites them: only do that when a change is *meant* to
change what the classifier says or what a digest shows (and bump ``CLASSIFIER_VERSION``).
"""

from __future__ import annotations

import email
import gzip
import hashlib
import json
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date, timedelta
from email import policy
from pathlib import Path
from typing import Any

from digests.compose import compose_due
from tests.digest_factories import NOW, SCHEDULE, WEEK, mail_settings, seed, study, subscribe
from watcher.clock import iso
from watcher.evidence import classify, load_profile
from watcher.localpubmed import SAMPLE_DIR
from watcher.localpubmed.synthetic import generate_articles, generate_records
from watcher.localpubmed.synthetic_xml import document, render_article
from watcher.pubmed import parse_pubmed_xml
from watcher.records import Article, Correction
from watcher.regroup import regroup
from watcher.store import Store

GOLDEN_DIR = Path(__file__).parent / "data" / "golden"
RECORDS = GOLDEN_DIR / "records.jsonl.gz"
DIGESTS = GOLDEN_DIR / "digests.json"
TEST_DOCUMENTS = (
    Path(__file__).parent / "data" / "pubmed" / "articles.xml",
    Path(__file__).parent / "data" / "localpubmed" / "mild_corpus.xml",
)
GENERATED, GENERATED_SEED, BATCH = 1000, 11, 200


# --- parsing and classifying ------------------------------------------------------------------


def documents() -> Iterator[tuple[str, bytes]]:
    """(name, PubMed XML) for every document the record fixture covers."""
    for path in sorted(SAMPLE_DIR.glob("*.xml")):
        yield f"sample/{path.name}", path.read_bytes()
    for path in TEST_DOCUMENTS:
        yield f"tests/{path.name}", path.read_bytes()
    generated = generate_articles(GENERATED, seed=GENERATED_SEED)
    for start in range(0, len(generated), BATCH):
        yield f"generated/{start}", document(generated[start : start + BATCH]).encode()


def article_hash(article: Article) -> str:
    text = json.dumps(asdict(article), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def record_lines() -> Iterator[dict[str, Any]]:
    """One line per record: where it came from, its Article's hash, its Evidence."""
    profile = load_profile(None)
    for name, data in documents():
        for article in parse_pubmed_xml(data, source=name):
            yield {
                "document": name,
                "pmid": article.pmid,
                "article": article_hash(article),
                "evidence": classify(article, profile).to_dict(),
            }


def read_records() -> list[dict[str, Any]]:
    with gzip.open(RECORDS, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def write_records() -> None:
    lines = [json.dumps(line, sort_keys=True, ensure_ascii=False) for line in record_lines()]
    with gzip.GzipFile(RECORDS, "wb", mtime=0) as handle:
        handle.write(("\n".join(lines) + "\n").encode("utf-8"))


# --- digests ----------------------------------------------------------------------------------

SUBSCRIBERS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("html@example.org", {}),
    ("text@example.org", {"format": "text", "name": "Dr. Text Reader"}),
    ("safety@example.org", {"questions": ["safety", "reoperation"]}),
    ("uncertain@example.org", {"min_relevance": "uncertain"}),
    ("capped@example.org", {"max_items": 3, "send_empty": True}),
    ("search@example.org", {"searches": ["mild"]}),
    ("daily@example.org", {"frequency": "daily", "send_empty": True}),
)


def _retracted(pmid: int) -> str:
    return study(
        pmid,
        "rct",
        publication_types=("Randomized Controlled Trial", "Retracted Publication"),
        corrections=(Correction("RetractionIn", "Synth J Spine Interv. 2026;9:1", "99990001"),),
    )


def digest_scenario(folder: Path) -> list[dict[str, Any]]:
    """Queue three rounds of digests for ``SUBSCRIBERS`` over a store of the bundled sample,
    hand-made studies and generated records; every queued message, in order."""
    mail = mail_settings(folder, note="Synthetic data: a test of the digest path.")
    sample = [path.read_text(encoding="utf-8") for path in sorted(SAMPLE_DIR.glob("*.xml"))]
    raws = [
        raw[raw.index("<PubmedArticle>") : raw.rindex("</PubmedArticle>") + 16] for raw in sample
    ]
    first = [render_article(r) for r in generate_records(150, seed=5, end=date(2026, 9, 30))]
    later = [
        render_article(r)
        for r in generate_records(
            40, seed=6, first_pmid=99200001, start=date(2026, 11, 1), end=date(2026, 11, 20)
        )
    ]
    with Store.open(folder / "golden.db") as store:
        seed(store, raws, at=NOW - 3 * WEEK)
        seed(store, [study(99990101, "rct"), study(99990102, "cohort")], at=NOW - 2 * WEEK)
        seed(store, [study(99990103, "cost"), study(99990104, "uncertain")], at=NOW - 2 * WEEK)
        seed(store, first, at=NOW - 2 * WEEK, search="broad")
        for number, (address, settings) in enumerate(SUBSCRIBERS):
            subscriber = subscribe(store, address, **settings)
            store.db.execute(
                "UPDATE subscribers SET token = ? WHERE id = ?",
                (f"golden-token-{number:02d}", subscriber.id),
            )
        with store.transaction():
            regroup(store, now=iso(NOW - 2 * WEEK))
        ids = compose_due(store, now=NOW - WEEK, mail=mail, schedule=SCHEDULE, everyone=True)

        seed(store, later, at=NOW - 3 * timedelta(days=1), search="broad")
        seed(store, [_retracted(99990101), study(99990105, "rct")], at=NOW - timedelta(days=2))
        with store.transaction():
            regroup(store, now=iso(NOW - timedelta(days=2)))
        ids += compose_due(store, now=NOW, mail=mail, schedule=SCHEDULE)
        ids += compose_due(store, now=NOW + WEEK, mail=mail, schedule=SCHEDULE)
        return [_fingerprint(store, digest_id) for digest_id in ids]


def _fingerprint(store: Store, digest_id: int) -> dict[str, Any]:
    entry = store.digest(digest_id)
    assert entry is not None
    data = store.message(digest_id)
    message = email.message_from_bytes(data, policy=policy.default)
    parts = {
        kind: (body.get_content() if (body := message.get_body((kind,))) is not None else "")
        for kind in ("plain", "html")
    }
    return {
        "recipient": entry.recipient,
        "kind": entry.kind,
        "period": f"{entry.period_start}..{entry.period_end}",
        "subject": entry.subject,
        "items": entry.items,
        "bytes": len(data),
        "message": hashlib.sha256(data).hexdigest(),
        "text": hashlib.sha256(parts["plain"].encode()).hexdigest(),
        "html": hashlib.sha256(parts["html"].encode()).hexdigest(),
    }


def write_digests() -> None:
    with tempfile.TemporaryDirectory() as folder:
        digests = digest_scenario(Path(folder))
    DIGESTS.write_text(json.dumps(digests, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    if not argv or "records" in argv:
        write_records()
        print(f"wrote {RECORDS}")
    if not argv or "digests" in argv:
        write_digests()
        print(f"wrote {DIGESTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
